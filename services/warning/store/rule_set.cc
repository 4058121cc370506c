#include "services/warning/store/rule_set.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/events/cloud_event.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "google/protobuf/text_format.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "salesops/warning/v1/warning_service.pb.h"
#include "services/warning/domain/rules.h"

namespace salesops::warning {

namespace {
std::string RuleId(const std::string& name) { return name.substr(6); }  // "rules/"
}  // namespace

absl::Status RuleSet::Seed(const RuleList& rules, absl::Time now) {
  for (const v1::Rule& r : rules) {
    SALESOPS_RETURN_IF_ERROR(ValidateRule(r));
    const std::string id = RuleId(r.name());
    SALESOPS_ASSIGN_OR_RETURN(auto existing, store_.Get<v1::Rule>(kRuleDoc, id));
    if (existing) {
      continue;
    }
    v1::Rule doc = r;
    doc.clear_etag();
    *doc.mutable_create_time() = ToTs(now);
    *doc.mutable_update_time() = doc.create_time();
    WriteBatch b;
    WarningStore::PutDoc(b, kRuleDoc, id, doc, 0);
    b.ZAdd(WarningStore::RulesIndex(), 0, id);
    b.HIncrBy(WarningStore::RulesVersionKey(), "v", 1);
    v1::RuleCreated e;
    *e.mutable_rule() = doc;
    e.mutable_actor()->set_member_id("system");
    b.Emit(MakeCloudEvent(kWarningSource, id, doc.name(), e, now), kWarningTopic);
    absl::Status s = store_.Commit(b);
    if (!s.ok() && !absl::IsAborted(s) && !absl::IsAlreadyExists(s)) {
      return s;  // a replica raced
    }
  }
  Invalidate();
  return absl::OkStatus();
}

absl::StatusOr<RuleList> RuleSet::LoadAll() {
  std::vector<std::string> ids;
  std::string after;
  while (true) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> page,
                              store_.Range(WarningStore::RulesIndex(), after, 500));
    if (page.empty()) {
      break;
    }
    after = page.back();
    ids.insert(ids.end(), page.begin(), page.end());
  }
  SALESOPS_ASSIGN_OR_RETURN(auto docs, store_.GetMany<v1::Rule>(kRuleDoc, ids));
  RuleList out;
  for (auto& d : docs) {
    d.doc.set_etag(absl::StrCat(d.version));
    out.push_back(std::move(d.doc));
  }
  std::sort(out.begin(), out.end(),
            [](const v1::Rule& a, const v1::Rule& b) { return a.name() < b.name(); });
  return out;
}

absl::StatusOr<std::shared_ptr<const RuleList>> RuleSet::Current() {
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    if (cached_ && now - checked_ < refresh_) {
      return cached_;
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(int64_t version, store_.HGetInt(WarningStore::RulesVersionKey(), "v"));
  {
    absl::MutexLock lock(&mu_);
    if (cached_ && version == cached_version_) {
      checked_ = now;
      return cached_;
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(RuleList all, LoadAll());
  auto fresh = std::make_shared<const RuleList>(std::move(all));
  absl::MutexLock lock(&mu_);
  cached_ = fresh;
  cached_version_ = version;
  checked_ = now;
  return cached_;
}

void RuleSet::Invalidate() {
  absl::MutexLock lock(&mu_);
  checked_ = absl::InfinitePast();
}

absl::StatusOr<RuleList> LoadRulesFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return InvalidField("warning_rules_file", absl::StrCat("cannot read ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  v1::ListRulesResponse parsed;
  if (!google::protobuf::TextFormat::ParseFromString(text.str(), &parsed)) {
    return InvalidField("warning_rules_file",
                        absl::StrCat(path, " is not a text-format ListRulesResponse"));
  }
  RuleList out;
  for (const v1::Rule& r : parsed.rules()) {
    if (absl::Status s = ValidateRule(r); !s.ok()) {
      return InvalidField("warning_rules_file",
                          absl::StrCat(path, ": ", r.name(), ": ", s.message()));
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace salesops::warning
