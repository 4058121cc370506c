#include "services/targets/store/targets_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "services/targets/domain/reasons.h"

namespace salesops::targets {

std::string TgtKey(absl::string_view suffix) { return absl::StrCat(kKeyPrefix, suffix); }

std::string RevsKey() { return TgtKey("revs"); }

std::string PeriodsIndex() { return TargetsStore::Index("periods"); }
std::string PlansIndex() { return TargetsStore::Index("plans"); }
std::string PlansOfPeriodIndex(absl::string_view period_id) {
  return TargetsStore::Index("plan:period:", period_id);
}
std::string PlanSeriesIndex(absl::string_view series) {
  return TargetsStore::Index("plan:series:", series);
}
std::string PublishedPlansIndex() { return TargetsStore::Index("plan:published"); }
std::string PublishedPlanKey(absl::string_view series) {
  return TgtKey(absl::StrCat("published:", series));
}
std::string OpportunityKey(absl::string_view opportunity_id) {
  return TgtKey(absl::StrCat("opp:", opportunity_id));
}
std::string PipelineKey(absl::string_view currency) {
  return TgtKey(absl::StrCat("pipe:", currency));
}
std::string BookingsKey(absl::string_view currency, absl::CivilMonth month) {
  return TgtKey(absl::StrFormat("book:%s:%04d-%02d", currency, month.year(), month.month()));
}

namespace {

absl::Status MapConflict(const std::string& what, const std::string& detail, const std::string&) {
  if (what == "published") {
    return Aborted(reason::kConcurrentPublish,
                   "another version of this plan was published meanwhile");
  }
  return Aborted(reason::kWriteConflict, absl::StrCat("write guard failed: ", what, ":", detail));
}

std::vector<std::pair<std::string, std::string>> Pairs(const RedisValue& v) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i + 1 < v.elements.size(); i += 2) {
    out.emplace_back(v.elements[i].str, v.elements[i + 1].str);
  }
  return out;
}

}  // namespace

TargetsStore::TargetsStore(RedisClient& redis, TransactionalOutbox& outbox)
    : DocStore(redis, outbox, kKeyPrefix, MapConflict) {}
TargetsStore::TargetsStore(KvReader& kv, BatchCommitter& committer)
    : DocStore(kv, committer, kKeyPrefix, MapConflict) {}

absl::StatusOr<FactsRead> TargetsStore::ReadFacts(const std::string& rev_field,
                                                  const std::vector<std::string>& month_keys) {
  std::vector<std::vector<std::string>> cmds = {{"HGET", RevsKey(), rev_field}};
  for (const std::string& k : month_keys) {
    cmds.push_back({"HGETALL", k});
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> values, kv().Read(cmds));
  FactsRead out;
  out.revision = values[0].is_nil() ? "" : values[0].str;
  for (size_t i = 1; i < values.size(); ++i) {
    out.months.push_back(Pairs(values[i]));
  }
  return out;
}

std::vector<std::vector<std::string>> TargetsStore::PublishedPlansCommands(int limit) {
  return {{"HGET", RevsKey(), kPlansRevField},
          {"ZRANGEBYLEX", Index("plan:published"), "-", "+", "LIMIT", "0", absl::StrCat(limit)}};
}

PublishedPlans TargetsStore::ParsePublishedPlans(const RedisValue& revision,
                                                 const RedisValue& ids) {
  PublishedPlans out;
  out.revision = revision.is_nil() ? "" : revision.str;
  out.plan_ids = Strings(ids);
  return out;
}

absl::StatusOr<PublishedPlans> TargetsStore::ReadPublishedPlans(int limit) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> head, kv().Read(PublishedPlansCommands(limit)));
  return ParsePublishedPlans(head[0], head[1]);
}

absl::StatusOr<std::vector<std::vector<std::optional<std::string>>>> TargetsStore::HMGetMany(
    const std::vector<std::string>& keys, const std::vector<std::string>& fields) {
  std::vector<std::vector<std::optional<std::string>>> out(keys.size());
  if (keys.empty() || fields.empty()) {
    for (auto& row : out) {
      row.resize(fields.size());
    }
    return out;
  }
  std::vector<std::vector<std::string>> cmds;
  for (const std::string& k : keys) {
    std::vector<std::string> cmd = {"HMGET", k};
    cmd.insert(cmd.end(), fields.begin(), fields.end());
    cmds.push_back(std::move(cmd));
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> replies, kv().Read(cmds));
  for (size_t i = 0; i < keys.size(); ++i) {
    out[i].resize(fields.size());
    for (size_t j = 0; j < fields.size() && j < replies[i].elements.size(); ++j) {
      if (!replies[i].elements[j].is_nil()) {
        out[i][j] = replies[i].elements[j].str;
      }
    }
  }
  return out;
}

}  // namespace salesops::targets
