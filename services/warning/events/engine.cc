#include "services/warning/events/engine.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/events/cloud_event.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "services/warning/domain/evaluate.h"
#include "services/warning/domain/rules.h"

namespace salesops::warning {
namespace {

// A replica behind says so at most this often, and its word counts this long.
constexpr int64_t kBehindReportEvery = 2;
constexpr int64_t kBehindCounts = 10;

constexpr int kRoleSupervisor = 2;  // salesops.org.v1.ROLE_SUPERVISOR

std::string Strip(const std::string& name, absl::string_view prefix) {
  return absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name;
}
std::string WarningId(const v1::Warning& w) { return Strip(w.name(), "warnings/"); }

// The value at `key`, or null.
template <typename Map>
const typename Map::mapped_type* Find(const Map& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

void WriteSubject(const SubjectUpdate& s, WriteBatch& b) {
  if (s.write) {
    WarningStore::PutDoc(b, kSubjectDoc, s.key, s.state, s.version);
    if (s.version == 0) {
      b.ZAdd(WarningStore::SubjectsIndex(), 0, s.key);
    }
  } else if (s.touch) {
    WarningStore::TouchDoc(b, kSubjectDoc, s.key, s.version);
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<const WarningEngine::UnitInfo>> WarningEngine::Unit(
    const std::string& unit_id) {
  const absl::Time now = options_.wall_clock->Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = units_.find(unit_id);
    if (it != units_.end() && now - it->second->loaded < it->second->ttl) {
      return it->second;
    }
  }
  auto info = std::make_shared<UnitInfo>();
  info->loaded = now;
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> chain, directory_.UnitAndAncestors(unit_id));
  for (const std::string& u : chain) {
    info->chain.push_back(absl::StrCat("orgUnits/", u));
  }
  // The chain always starts with the unit itself: alone, it is the top of the
  // org or a unit the directory has no record of.
  bool known = chain.size() > 1;
  if (!known) {
    SALESOPS_ASSIGN_OR_RETURN(int kind, directory_.KindOf(unit_id));
    known = kind != 0;
  }
  info->ttl = known ? options_.routing_ttl : std::min(options_.routing_ttl, kUnknownUnitTtl);
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> members, directory_.MembersOf(unit_id));
  for (const std::string& m : members) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<org::DirectoryMember> dm, directory_.Member(m));
    if (dm && !dm->left && dm->role >= kRoleSupervisor) {
      info->leads.emplace_back(dm->role, absl::StrCat("members/", m));
    }
  }
  std::sort(info->leads.begin(), info->leads.end());
  absl::MutexLock lock(&mu_);
  units_[unit_id] = info;
  return info;
}

absl::StatusOr<Routing> WarningEngine::Route(const std::string& team, const std::string& rep) {
  Routing r;
  const std::string team_id = Strip(team, "orgUnits/");
  if (team_id.empty()) {
    return r;
  }
  SALESOPS_ASSIGN_OR_RETURN(std::shared_ptr<const UnitInfo> info, Unit(team_id));
  r.units = info->chain;
  if (r.units.empty()) {
    r.units.push_back(absl::StrCat("orgUnits/", team_id));
  }
  for (const std::string& unit : r.units) {
    SALESOPS_ASSIGN_OR_RETURN(std::shared_ptr<const UnitInfo> u, Unit(Strip(unit, "orgUnits/")));
    for (const auto& [role, member] : u->leads) {
      if (member != rep) {
        r.supervisor = member;
        return r;
      }
    }
  }
  return r;
}

absl::Time WarningEngine::WallNow() const { return options_.wall_clock->Now(); }

bool WarningEngine::OthersBehind(bool fresh) {
  const absl::Time now = WallNow();
  {
    absl::MutexLock lock(&backlog_mu_);
    if (!fresh && now < others_read_at_ + absl::Seconds(1)) {
      return others_behind_;
    }
    others_read_at_ = now;  // one reader a second; the others use what it finds
  }
  absl::StatusOr<std::optional<std::string>> word = store_.GetString(WarningStore::BehindKey());
  bool behind = true;  // unread: as if behind, the periods wait a pass
  std::string who = "unknown (the word could not be read)";
  if (word.ok()) {
    behind = false;
    if (*word) {
      // "<wall seconds until which it counts> <replica>"
      std::pair<std::string, std::string> parts = absl::StrSplit(**word, absl::MaxSplits(' ', 1));
      int64_t until = 0;
      behind = absl::SimpleAtoi(parts.first, &until) && until > absl::ToUnixSeconds(now);
      who = parts.second;
    }
  } else {
    LogWarning("warning engine: could not read whether a replica is behind",
               {{"error", std::string(word.status().message())}});
  }
  absl::MutexLock lock(&backlog_mu_);
  others_behind_ = behind;
  others_who_ = behind ? who : "";
  return behind;
}

bool WarningEngine::PeriodsWait(bool fresh) {
  if (!options_.behind) {
    return false;
  }
  const bool mine = options_.behind();
  const bool waiting = mine || OthersBehind(fresh);
  const int64_t t = absl::ToUnixSeconds(WallNow());
  int64_t since = waiting_since_.load();
  if (!waiting) {
    if (since != 0 && waiting_since_.compare_exchange_strong(since, 0)) {
      overdue_ = false;
      LogInfo("warning engine: no replica is behind; periods are judged again",
              {{"waited_seconds", absl::StrCat(t - since)}});
    }
    return false;
  }
  if (since == 0 && waiting_since_.compare_exchange_strong(since, t)) {
    absl::MutexLock lock(&backlog_mu_);
    LogInfo("warning engine: a replica is catching up; rep and team periods wait",
            {{"replica", mine ? options_.replica : others_who_}});
    return true;
  }
  if (since != 0 && t - since > absl::ToInt64Seconds(options_.max_wait)) {
    // Stuck, not catching up (a partition without a leader, a sustained
    // overload): judge on the figures as they are rather than never.
    if (!overdue_.exchange(true)) {
      absl::MutexLock lock(&backlog_mu_);
      LogWarning(
          "warning engine: periods waited longer than --warning_catch_up_max_wait for a "
          "replica behind; judging them on the figures as they are",
          {{"replica", mine ? options_.replica : others_who_}});
    }
    return false;
  }
  return true;
}

absl::Status WarningEngine::Evaluate(
    std::vector<SubjectUpdate>& subjects,
    const absl::flat_hash_map<std::string, int64_t>& pipeline_delta, const Cause& cause,
    absl::Time now, WriteBatch& b, EvaluationReads* reads) {
  SALESOPS_ASSIGN_OR_RETURN(std::shared_ptr<const RuleList> rules, rules_.Current());
  if (options_.behind && options_.behind()) {
    // Say so with this commit, for the other replicas (at most every 2 s).
    const int64_t t = absl::ToUnixSeconds(WallNow());
    int64_t next = next_report_.load();
    if (t >= next && next_report_.compare_exchange_strong(next, t + kBehindReportEvery)) {
      b.Set(WarningStore::BehindKey(), absl::StrCat(t + kBehindCounts, " ", options_.replica),
            kBehindCounts);
    }
  }
  const bool any_period = std::any_of(subjects.begin(), subjects.end(), [](const SubjectUpdate& s) {
    return s.state.kind() == v1::SUBJECT_KIND_REP_PERIOD ||
           s.state.kind() == v1::SUBJECT_KIND_TEAM_PERIOD;
  });
  const bool behind = any_period && PeriodsWait(false);
  for (SubjectUpdate& s : subjects) {
    SALESOPS_RETURN_IF_ERROR(EvaluateOne(s, *rules, pipeline_delta, cause, now, behind, b, reads));
  }
  return absl::OkStatus();
}

absl::Status WarningEngine::EvaluateOne(
    SubjectUpdate& s, const RuleList& rules,
    const absl::flat_hash_map<std::string, int64_t>& pipeline_delta, const Cause& cause,
    absl::Time now, bool behind, WriteBatch& b, EvaluationReads* reads) {
  const v1::SubjectState& st = s.state;
  const bool period =
      st.kind() == v1::SUBJECT_KIND_REP_PERIOD || st.kind() == v1::SUBJECT_KIND_TEAM_PERIOD;
  if (behind && period) {
    // Its figures may be partial: keep them, judge once they are current. Its
    // open warnings stay as they are meanwhile.
    WriteSubject(s, b);
    b.ZRem(WarningStore::DueKey(), s.key);
    b.ZAdd(WarningStore::DeferredKey(), static_cast<double>(absl::ToUnixSeconds(now)), s.key);
    stats_.deferred.fetch_add(1, std::memory_order_relaxed);
    return absl::OkStatus();
  }
  // An event without a time of its own (ce_time is optional) is not history.
  if (options_.history_age > absl::ZeroDuration() && cause.time > absl::UnixEpoch() &&
      now - cause.time > options_.history_age) {
    // History being replayed: judge where it ends, not each step (a later
    // step of it moves the due time on again).
    WriteSubject(s, b);
    b.ZAdd(WarningStore::DueKey(),
           static_cast<double>(absl::ToUnixSeconds(now + options_.history_settle)), s.key);
    stats_.settling.fetch_add(1, std::memory_order_relaxed);
    return absl::OkStatus();
  }
  std::optional<int64_t> pipeline;
  if (period) {
    int64_t p = 0;
    const auto read = reads == nullptr ? nullptr : Find(reads->pipeline, st.subject());
    if (read != nullptr) {
      p = *read;
    } else {
      SALESOPS_ASSIGN_OR_RETURN(p, store_.Pipeline(st.subject()));
    }
    auto it = pipeline_delta.find(st.subject());
    pipeline = p + (it == pipeline_delta.end() ? 0 : it->second);
  }
  SubjectFacts facts = ToFacts(st, pipeline, now, options_.tz);
  SALESOPS_ASSIGN_OR_RETURN(Routing routing, Route(st.org_unit(), st.rep()));
  facts.responsible_supervisor = routing.supervisor;

  // The subject's active warnings: a wave's reads are used in place, not copied.
  std::vector<Versioned<v1::Warning>> fetched;
  const std::vector<Versioned<v1::Warning>>* active_list = nullptr;
  if (const auto read = reads == nullptr ? nullptr : Find(reads->active, s.key); read != nullptr) {
    active_list = read;
  } else {
    SALESOPS_ASSIGN_OR_RETURN(fetched, store_.ActiveWarnings(s.key));
    active_list = &fetched;
  }
  absl::flat_hash_map<std::string, const Versioned<v1::Warning>*> active;
  for (const auto& w : *active_list) {
    active[w.doc.rule()] = &w;
  }
  // What `b` changes in them, by rule (nullopt: resolved), to keep `reads` current.
  std::map<std::string, std::optional<Versioned<v1::Warning>>> changed;

  std::optional<absl::Time> due;
  // One of each for every rule: a Warning per rule would mostly be built to be destroyed.
  Evaluation ev;
  Reconciliation r;
  for (const v1::Rule& rule : rules) {
    if (!AppliesTo(rule.condition(), st.kind())) {
      continue;
    }
    // Most rules carry no override and apply everywhere: then the effective rule
    // is the rule itself, and copying it for every subject is wasted work.
    const bool as_is =
        rule.overrides().empty() &&
        (rule.scope().empty() || std::find(routing.units.begin(), routing.units.end(),
                                           rule.scope()) != routing.units.end());
    std::optional<v1::Rule> effective;
    if (!as_is) {
      effective = EffectiveRule(rule, routing.units);
    }
    const v1::Rule& eff = as_is ? rule : *effective;
    auto it = active.find(rule.name());
    const Versioned<v1::Warning>* current = it == active.end() ? nullptr : it->second;
    // Without an active warning only a verdict that holds matters (Reconcile): the
    // others need not name their warning.
    if (absl::Status bad = warning::EvaluateInto(
            eff, facts, now, current == nullptr ? Detail::kVerdictOnly : Detail::kFull, ev);
        !bad.ok()) {
      LogWarning(
          "rule not evaluable",
          {{"rule", rule.name()}, {"subject", s.key}, {"error", std::string(bad.message())}});
      continue;
    }
    stats_.evaluations.fetch_add(1, std::memory_order_relaxed);
    r.action = Action::kNone;
    if (current != nullptr || ev.verdict == Verdict::kHolds) {
      SALESOPS_ASSIGN_OR_RETURN(r, Reconcile(current ? &current->doc : nullptr, ev, now));
    }  // else kNone, as Reconcile(nullptr, …) of any verdict that does not hold
    switch (r.action) {
      case Action::kNone:
        break;
      case Action::kRaise: {
        const std::string id = NewDescendingId(now);
        v1::Warning w = std::move(r.warning);
        w.set_name(absl::StrCat("warnings/", id));
        w.clear_etag();
        const std::string active_key = WarningStore::ActiveKey(s.key);
        // Guard: nobody raised this condition meanwhile.
        b.ExpectHashField(active_key, rule.name(), "", absl::StrCat("raised:", s.key));
        WarningStore::PutDoc(b, kWarningDoc, id, w, 0);
        WarningStore::IndexWarning(b, w, routing.units, true);
        b.HSet(active_key, {{rule.name(), id}});
        // The warning moves into its event and back out: a Warning (its facts)
        // is copied nowhere on the way.
        v1::WarningRaised e;
        *e.mutable_warning() = std::move(w);
        e.mutable_warning()->set_etag("1");
        e.set_cause_event_source(cause.source);
        e.set_cause_event_id(cause.id);
        b.Emit(MakeCloudEvent(kWarningSource, id, e.warning().name(), e, now, cause.trace_id),
               kWarningTopic);
        w = std::move(*e.mutable_warning());
        w.clear_etag();
        changed[rule.name()] = Versioned<v1::Warning>{std::move(w), 1};
        stats_.raised.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      case Action::kUpdate: {
        v1::Warning w = std::move(r.warning);
        w.clear_etag();
        const v1::Warning& old = current->doc;
        WarningStore::PutDoc(b, kWarningDoc, WarningId(w), w, current->version);
        if (old.responsible_supervisor() != w.responsible_supervisor() || old.rep() != w.rep() ||
            old.org_unit() != w.org_unit()) {
          WarningStore::UnindexActive(b, old, {});
          WarningStore::IndexWarning(b, w, routing.units, true);
        }
        changed[rule.name()] = Versioned<v1::Warning>{std::move(w), current->version + 1};
        stats_.updated.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      case Action::kResolve: {
        v1::Warning w = std::move(r.warning);
        w.clear_etag();
        WarningStore::PutDoc(b, kWarningDoc, WarningId(w), w, current->version);
        WarningStore::UnindexActive(b, w, routing.units);
        b.HDel(WarningStore::ActiveKey(s.key), {rule.name()});
        v1::WarningResolved e;
        e.set_resolution(w.resolution());
        *e.mutable_warning() = std::move(w);
        e.mutable_warning()->set_etag(absl::StrCat(current->version + 1));
        e.set_cause_event_source(cause.source);
        e.set_cause_event_id(cause.id);
        b.Emit(MakeCloudEvent(kWarningSource, WarningId(e.warning()), e.warning().name(), e, now,
                              cause.trace_id),
               kWarningTopic);
        changed[rule.name()] = std::nullopt;
        stats_.resolved.fetch_add(1, std::memory_order_relaxed);
        break;
      }
    }
    if (std::optional<absl::Time> next = NextChange(eff, facts, now)) {
      if (!due || *next < *due) {
        due = next;
      }
    }
  }
  if (reads != nullptr && (!changed.empty() || active_list == &fetched)) {
    std::vector<Versioned<v1::Warning>> kept;
    for (const auto& w : *active_list) {
      if (!changed.contains(w.doc.rule())) {
        kept.push_back(w);
      }
    }
    for (auto& [rule, w] : changed) {
      if (w) {
        kept.push_back(*std::move(w));
      }
    }
    reads->active[s.key] = std::move(kept);
  }
  WriteSubject(s, b);
  if (due) {
    b.ZAdd(WarningStore::DueKey(), static_cast<double>(absl::ToUnixSeconds(*due) + 1), s.key);
  } else {
    b.ZRem(WarningStore::DueKey(), s.key);
  }
  return absl::OkStatus();
}

}  // namespace salesops::warning
