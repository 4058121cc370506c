#include "services/warning/store/warning_store.h"

#include <cstdio>
#include <limits>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace salesops::warning {

std::string WarnKey(absl::string_view suffix) { return absl::StrCat(kKeyPrefix, suffix); }

std::string NewDescendingId(absl::Time now) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const int64_t micros = absl::ToUnixMicros(now);
  const uint64_t inverted = static_cast<uint64_t>(std::numeric_limits<int64_t>::max() - micros);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%016llx-%08llx", static_cast<unsigned long long>(inverted),
                static_cast<unsigned long long>(rng() & 0xffffffffULL));
  return buf;
}

WarningStore::WarningStore(RedisClient& redis, TransactionalOutbox& outbox)
    : DocStore(redis, outbox, kKeyPrefix) {}
WarningStore::WarningStore(KvReader& kv, BatchCommitter& committer)
    : DocStore(kv, committer, kKeyPrefix) {}

std::string WarningStore::ActiveKey(absl::string_view subject_key) {
  return WarnKey(absl::StrCat("active:", subject_key));
}
std::string WarningStore::PipelineKey() { return WarnKey("pipeline"); }
std::string WarningStore::PeriodsKey(absl::string_view who) {
  return WarnKey(absl::StrCat("periods:", who));
}
std::string WarningStore::DueKey() { return WarnKey("due"); }
std::string WarningStore::DeferredKey() { return WarnKey("deferred"); }
std::string WarningStore::BehindKey() { return WarnKey("behind_until"); }
std::string WarningStore::SubjectsIndex() { return Index("subjects"); }
std::string WarningStore::RulesIndex() { return Index("rules"); }
std::string WarningStore::RulesVersionKey() { return WarnKey("rules:version"); }

absl::StatusOr<std::vector<Versioned<v1::Warning>>> WarningStore::ActiveWarnings(
    const std::string& subject_key) {
  SALESOPS_ASSIGN_OR_RETURN(auto active, HGetAll(ActiveKey(subject_key)));
  std::vector<std::string> ids;
  for (auto& [rule, warning_id] : active) {
    ids.push_back(std::move(warning_id));
  }
  if (ids.empty()) {
    return std::vector<Versioned<v1::Warning>>{};
  }
  return GetMany<v1::Warning>(kWarningDoc, ids);
}

absl::StatusOr<int64_t> WarningStore::Pipeline(const std::string& who) {
  return HGetInt(PipelineKey(), who);
}

absl::StatusOr<std::vector<std::string>> WarningStore::PeriodSubjects(const std::string& who) {
  return Members(PeriodsKey(who));
}

absl::StatusOr<std::vector<std::vector<std::string>>> WarningStore::PeriodSubjectsMany(
    const std::vector<std::string>& whos) {
  std::vector<std::vector<std::string>> out;
  if (whos.empty()) {
    return out;
  }
  std::vector<std::vector<std::string>> commands;
  for (const std::string& who : whos) {
    commands.push_back({"SMEMBERS", PeriodsKey(who)});
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> sets, kv().Read(commands));
  if (sets.size() != whos.size()) {
    return absl::InternalError("SMEMBERS pipeline: replies do not match the commands");
  }
  for (const RedisValue& set : sets) {
    out.push_back(Strings(set));
  }
  return out;
}

absl::StatusOr<WarningStore::PipelineAndActive> WarningStore::PipelineAndActiveMany(
    const std::vector<std::string>& whos, const std::vector<std::string>& subject_keys) {
  PipelineAndActive out;
  out.pipeline.resize(whos.size());
  out.active.resize(subject_keys.size());
  if (whos.empty() && subject_keys.empty()) {
    return out;
  }
  std::vector<std::vector<std::string>> commands;
  for (const std::string& who : whos) {
    commands.push_back({"HGET", PipelineKey(), who});
  }
  for (const std::string& key : subject_keys) {
    commands.push_back({"HGETALL", ActiveKey(key)});
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> got, kv().Read(commands));
  if (got.size() != commands.size()) {
    return absl::InternalError("pipeline/active read: replies do not match the commands");
  }
  for (size_t i = 0; i < whos.size(); ++i) {
    if (!got[i].is_nil() && !absl::SimpleAtoi(got[i].str, &out.pipeline[i])) {
      return absl::InternalError(absl::StrCat("pipeline of ", whos[i], " is not a number"));
    }
  }
  std::vector<std::string> ids;
  std::vector<size_t> of_subject;  // parallel to ids
  for (size_t k = 0; k < subject_keys.size(); ++k) {
    const std::vector<std::string> fields = Strings(got[whos.size() + k]);  // rule, id, ...
    for (size_t f = 1; f < fields.size(); f += 2) {
      ids.push_back(fields[f]);
      of_subject.push_back(k);
    }
  }
  if (ids.empty()) {
    return out;
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Bytes>> docs, GetManyBytes(kWarningDoc, ids));
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!docs[i]) {
      continue;  // as ActiveWarnings: an id without its document is skipped
    }
    Versioned<v1::Warning> w;
    if (!w.doc.ParseFromString(docs[i]->data)) {
      return absl::InternalError(absl::StrCat("warning ", ids[i], " does not parse"));
    }
    w.version = docs[i]->version;
    out.active[of_subject[i]].push_back(std::move(w));
  }
  return out;
}

namespace {
absl::string_view DimName(WarningStore::WarningsBy dim) {
  switch (dim) {
    case WarningStore::WarningsBy::kAll:
      return "all";
    case WarningStore::WarningsBy::kUnit:
      return "unit";
    case WarningStore::WarningsBy::kSupervisor:
      return "sup";
    case WarningStore::WarningsBy::kRep:
      return "rep";
    case WarningStore::WarningsBy::kSubject:
      return "subj";
  }
  return "all";
}
absl::string_view DimName(WarningStore::ProposalsBy dim) {
  switch (dim) {
    case WarningStore::ProposalsBy::kAll:
      return "all";
    case WarningStore::ProposalsBy::kUnit:
      return "unit";
    case WarningStore::ProposalsBy::kWarning:
      return "warning";
    case WarningStore::ProposalsBy::kAuthor:
      return "author";
    case WarningStore::ProposalsBy::kActionOwner:
      return "owner";
  }
  return "all";
}
}  // namespace

std::string WarningStore::WarningIndex(WarningsBy dim, absl::string_view value, bool active) {
  return Index(
      absl::StrCat("w:", DimName(dim), value.empty() ? "" : ":", value, active ? ":active" : ""));
}

namespace {
std::string IdOfName(const std::string& name) {
  return name.size() > 9 ? name.substr(9) : name;  // "warnings/"
}
}  // namespace

void WarningStore::IndexWarning(WriteBatch& b, const v1::Warning& w,
                                const std::vector<std::string>& units, bool active) {
  const std::string id = IdOfName(w.name());
  auto add = [&](WarningsBy dim, absl::string_view value) {
    b.ZAdd(WarningIndex(dim, value, false), 0, id);
    if (active) {
      b.ZAdd(WarningIndex(dim, value, true), 0, id);
    }
  };
  add(WarningsBy::kAll, "");
  for (const std::string& u : units) {
    add(WarningsBy::kUnit, u);
  }
  if (!w.responsible_supervisor().empty()) {
    add(WarningsBy::kSupervisor, w.responsible_supervisor());
  }
  if (!w.rep().empty()) {
    add(WarningsBy::kRep, w.rep());
  }
  add(WarningsBy::kSubject, w.subject());
}

void WarningStore::UnindexActive(WriteBatch& b, const v1::Warning& w,
                                 const std::vector<std::string>& units) {
  const std::string id = IdOfName(w.name());
  b.ZRem(WarningIndex(WarningsBy::kAll, "", true), id);
  for (const std::string& u : units) {
    b.ZRem(WarningIndex(WarningsBy::kUnit, u, true), id);
  }
  if (!w.responsible_supervisor().empty()) {
    b.ZRem(WarningIndex(WarningsBy::kSupervisor, w.responsible_supervisor(), true), id);
  }
  if (!w.rep().empty()) {
    b.ZRem(WarningIndex(WarningsBy::kRep, w.rep(), true), id);
  }
  b.ZRem(WarningIndex(WarningsBy::kSubject, w.subject(), true), id);
}

std::string WarningStore::ProposalIndex(ProposalsBy dim, absl::string_view value) {
  return Index(absl::StrCat("p:", DimName(dim), value.empty() ? "" : ":", value));
}

void WarningStore::IndexProposal(WriteBatch& b, const std::string& id,
                                 const v1::StrategyProposal& p, const std::string& warning,
                                 const std::vector<std::string>& unit_and_ancestors) {
  b.ZAdd(ProposalIndex(ProposalsBy::kAll, ""), 0, id);
  for (const std::string& u : unit_and_ancestors) {
    b.ZAdd(ProposalIndex(ProposalsBy::kUnit, u), 0, id);
  }
  b.ZAdd(ProposalIndex(ProposalsBy::kWarning, warning), 0, id);
  b.ZAdd(ProposalIndex(ProposalsBy::kAuthor, p.author()), 0, id);
}

}  // namespace salesops::warning
