#include "services/performance/api/recompute.h"

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/log/log.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/status/write_race.h"
#include "common/time/proto_time.h"

namespace salesops::performance {
namespace {

constexpr int kMaxPeriodsPerRep = 400;
constexpr int kMaxOkrsPerSubject = 200;
constexpr int kMaxRetries = 5;

int64_t Int(const FieldMap& m, absl::string_view field) {
  auto it = std::lower_bound(m.begin(), m.end(), field,
                             [](const auto& p, absl::string_view f) { return p.first < f; });
  int64_t v = 0;
  if (it != m.end() && it->first == field) {
    (void)absl::SimpleAtoi(it->second, &v);
  }
  return v;
}

std::optional<std::string> Field(const FieldMap& m, absl::string_view field) {
  auto it = std::lower_bound(m.begin(), m.end(), field,
                             [](const auto& p, absl::string_view f) { return p.first < f; });
  if (it != m.end() && it->first == field) {
    return it->second;
  }
  return std::nullopt;
}

bool Overlaps(const v1::CommissionPlan& p, const FiscalQuarter& q) {
  if (p.has_effective_start_date() && DayOf(p.effective_start_date()) > q.last) {
    return false;
  }
  if (p.has_effective_end_date() && DayOf(p.effective_end_date()) < q.first) {
    return false;
  }
  return true;
}

bool Covers(const v1::CommissionPlan& p, absl::CivilDay day) {
  if (p.has_effective_start_date() && DayOf(p.effective_start_date()) > day) {
    return false;
  }
  if (p.has_effective_end_date() && DayOf(p.effective_end_date()) < day) {
    return false;
  }
  return true;
}

std::optional<v1::StoredTarget> TargetOf(const FieldMap& m, const std::string& period) {
  std::optional<std::string> raw = Field(m, period);
  if (!raw) {
    return std::nullopt;
  }
  v1::StoredTarget t;
  if (!t.ParseFromString(*raw)) {
    return std::nullopt;
  }
  return t;
}

int64_t SafeDiv(int64_t a, int64_t b) { return b == 0 ? 0 : a / b; }

CloudEvent Event(const std::string& key, const std::string& subject,
                 const google::protobuf::Message& payload, absl::Time now) {
  return MakeCloudEvent(kPerformanceSource, key, subject, payload, now);
}

}  // namespace

// ---- work items

std::string RepWork(absl::string_view member) { return absl::StrCat("r|", member); }
std::string CardWork(absl::string_view period, absl::string_view subject) {
  return absl::StrCat("c|", period, "|", subject);
}
void MarkWork(Change& c, const std::string& work) {
  c.AddToField(MapKind::kRevisions, "", work, 1);
  c.AddToIndex(kWorkIndex, work);
}
void NoteCause(Change& c, const std::string& work, const CloudEvent& cause) {
  c.SetField(MapKind::kCauses, work, absl::StrCat(cause.source, "|", cause.id), "1");
}
void NoteLastCause(Change& c, const std::string& work, const CloudEvent& cause) {
  c.SetField(MapKind::kCauses, work, "last", absl::StrCat(cause.source, "|", cause.id));
}
std::string MemberCountersId(absl::string_view period, absl::string_view member,
                             absl::string_view team) {
  return absl::StrCat(period, ":", member, "@", team);
}
std::string CaseIndexKey(absl::Time close, absl::string_view opportunity) {
  const int64_t s = std::max<int64_t>(0, absl::ToUnixSeconds(close));
  return absl::StrFormat("%012d|%s", 999'999'999'999 - s, opportunity);
}
std::string ReviewCountersId(absl::string_view cycle, absl::string_view member) {
  return absl::StrCat(cycle, ":", member, "@");
}
std::string MemberTeamsIndex(absl::string_view member, absl::string_view period) {
  return absl::StrCat("mt:", member, "|", period);
}
std::string TeamMembersIndex(absl::string_view team, absl::string_view period) {
  return absl::StrCat("tm:", team, "|", period);
}
std::string PeriodsIndex(absl::string_view member) { return absl::StrCat("periods:", member); }
std::string MemberStatementsIndex(absl::string_view member) {
  return absl::StrCat("st:m:", member);
}

ChainEntry* RepState::Find(const std::string& period) {
  for (ChainEntry& e : chain) {
    if (e.period.id == period) {
      return &e;
    }
  }
  return nullptr;
}

// ---- plans

std::string PlanCatalog::Select(const std::string& member, const std::vector<std::string>& units,
                                Role role, const FiscalQuarter& period) const {
  int best_rank = 99;
  std::string best;
  for (const auto& [root, ids] : chains) {
    const v1::CommissionPlan* latest = nullptr;
    bool overlaps = false;
    for (const std::string& id : ids) {
      const v1::CommissionPlan& p = plans.at(id);
      if (p.state() != v1::COMMISSION_PLAN_STATE_ACTIVE &&
          p.state() != v1::COMMISSION_PLAN_STATE_RETIRED) {
        continue;
      }
      latest = &p;
      overlaps |= Overlaps(p, period);
    }
    if (latest == nullptr || !overlaps) {
      continue;
    }
    int rank = 99;
    for (const std::string& m : latest->members()) {
      if (StripName(m) == member) {
        rank = std::min(rank, 0);
      }
    }
    for (const std::string& u : latest->org_units()) {
      if (std::find(units.begin(), units.end(), StripName(u)) != units.end()) {
        rank = std::min(rank, 1);
      }
    }
    for (const std::string& r : latest->roles()) {
      if (r == RoleName(role)) {
        rank = std::min(rank, 2);
      }
    }
    if (latest->members().empty() && latest->org_units().empty() && latest->roles().empty()) {
      rank = std::min(rank, 3);
    }
    if (rank < best_rank || (rank == best_rank && root < best)) {
      best_rank = rank;
      best = root;
    }
  }
  return best_rank < 99 ? best : "";
}

absl::StatusOr<std::vector<CommissionPlan>> PlanCatalog::Versions(const std::string& root,
                                                                  absl::TimeZone tz,
                                                                  PlanVersionNames* names) const {
  std::vector<CommissionPlan> out;
  auto it = chains.find(root);
  if (it == chains.end()) {
    return out;
  }
  for (const std::string& id : it->second) {
    const v1::CommissionPlan& p = plans.at(id);
    if (p.state() == v1::COMMISSION_PLAN_STATE_DRAFT ||
        p.state() == v1::COMMISSION_PLAN_STATE_UNSPECIFIED) {
      continue;
    }
    SALESOPS_ASSIGN_OR_RETURN(CommissionPlan d, ToDomainPlan(p, root, tz));
    (*names)[d.version] = absl::StrCat("commissionPlans/", id);
    out.push_back(std::move(d));
  }
  return out;
}

std::string PlanCatalog::VersionOn(const std::string& root, absl::CivilDay day) const {
  auto it = chains.find(root);
  if (it == chains.end()) {
    return "";
  }
  std::string found;
  for (const std::string& id : it->second) {
    const v1::CommissionPlan& p = plans.at(id);
    if (p.state() == v1::COMMISSION_PLAN_STATE_DRAFT) {
      continue;
    }
    if (Covers(p, day)) {
      found = id;
    }
  }
  return found;
}

Recomputer::Recomputer(PerformanceRepository& repo, OrgView& org, const Clock& clock,
                       PerformanceOptions options)
    : repo_(repo), org_(org), clock_(clock), options_(std::move(options)) {}

absl::StatusOr<std::shared_ptr<const PlanCatalog>> Recomputer::Plans() {
  SALESOPS_ASSIGN_OR_RETURN(auto rev, repo_.GetFields(MapKind::kRevisions, "", {kPlansRevision}));
  const std::string r = rev[0].value_or("");
  {
    absl::MutexLock lock(&mu_);
    if (plans_ && plans_rev_ == r) {
      return plans_;
    }
  }
  auto catalog = std::make_shared<PlanCatalog>();
  std::string after;
  for (int round = 0; round < 100; ++round) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids, repo_.Range("plan", "", after, 500));
    if (ids.empty()) {
      break;
    }
    SALESOPS_ASSIGN_OR_RETURN(auto docs, repo_.GetDocs(DocKind::kPlan, ids));
    for (auto& d : docs) {
      if (!d) {
        continue;
      }
      v1::CommissionPlan p;
      if (!p.ParseFromString(d->data)) {
        continue;
      }
      p.set_etag(absl::StrCat(d->version));
      catalog->plans[d->id] = std::move(p);
      catalog->docs[d->id] = std::move(*d);
    }
    after = ids.back();
  }
  for (const auto& [id, p] : catalog->plans) {
    std::string root = id;
    for (int depth = 0; depth < 32; ++depth) {
      auto it = catalog->plans.find(root);
      if (it == catalog->plans.end() || it->second.supersedes().empty()) {
        break;
      }
      const std::string up = StripName(it->second.supersedes());
      if (!catalog->plans.contains(up)) {
        break;
      }
      root = up;
    }
    catalog->root_of[id] = root;
    catalog->chains[root].push_back(id);
  }
  for (auto& [root, ids] : catalog->chains) {
    std::sort(ids.begin(), ids.end(), [&](const std::string& a, const std::string& b) {
      const int va = catalog->plans.at(a).version(), vb = catalog->plans.at(b).version();
      return va != vb ? va < vb : a < b;
    });
  }
  absl::MutexLock lock(&mu_);
  plans_ = catalog;
  plans_rev_ = r;
  return plans_;
}

absl::StatusOr<std::shared_ptr<const std::vector<v1::KpiDefinition>>> Recomputer::Kpis() {
  SALESOPS_ASSIGN_OR_RETURN(auto rev, repo_.GetFields(MapKind::kRevisions, "", {kKpisRevision}));
  const std::string r = rev[0].value_or("");
  {
    absl::MutexLock lock(&mu_);
    if (kpis_ && kpis_rev_ == r) {
      return kpis_;
    }
  }
  auto kpis = std::make_shared<std::vector<v1::KpiDefinition>>();
  std::string after;
  for (int round = 0; round < 100; ++round) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids, repo_.Range("kpi", "", after, 500));
    if (ids.empty()) {
      break;
    }
    SALESOPS_ASSIGN_OR_RETURN(auto docs, repo_.GetDocs(DocKind::kKpi, ids));
    for (auto& d : docs) {
      if (!d) {
        continue;
      }
      v1::KpiDefinition k;
      if (!k.ParseFromString(d->data)) {
        continue;
      }
      k.set_etag(absl::StrCat(d->version));
      kpis->push_back(std::move(k));
    }
    after = ids.back();
  }
  absl::MutexLock lock(&mu_);
  kpis_ = kpis;
  kpis_rev_ = r;
  return kpis_;
}

// ---- statements

absl::StatusOr<RepState> Recomputer::ComputeRep(const std::string& member) {
  RepState st;
  st.member = member;
  const std::string work = RepWork(member);
  SALESOPS_ASSIGN_OR_RETURN(auto rev, repo_.GetFields(MapKind::kRevisions, "", {work}));
  st.revision = rev[0].value_or("");
  SALESOPS_ASSIGN_OR_RETURN(auto periods,
                            repo_.Range(PeriodsIndex(member), "", "", kMaxPeriodsPerRep));
  SALESOPS_ASSIGN_OR_RETURN(auto ids,
                            repo_.Range(MemberStatementsIndex(member), "", "", kMaxPeriodsPerRep));
  std::set<std::string> all(periods.begin(), periods.end());
  for (const std::string& id : ids) {
    if (auto p = SplitStatementId(id)) {
      all.insert(p->first);
    }
  }
  const int start_month = options_.fiscal_year_start_month;
  std::vector<std::string> statement_ids, input_ids;
  for (const std::string& p : all) {
    std::optional<FiscalQuarter> q = ParseQuarter(p, start_month);
    if (!q) {
      continue;
    }
    ChainEntry e;
    e.period = *q;
    e.id = StatementId(q->id, member);
    statement_ids.push_back(e.id);
    input_ids.push_back(absl::StrCat(member, ":", q->id));
    st.chain.push_back(std::move(e));
  }
  SALESOPS_ASSIGN_OR_RETURN(auto docs, repo_.GetDocs(DocKind::kStatement, statement_ids));
  SALESOPS_ASSIGN_OR_RETURN(auto inputs, repo_.GetMaps(MapKind::kRepInputs, input_ids));
  SALESOPS_ASSIGN_OR_RETURN(auto causes, repo_.GetMaps(MapKind::kCauses, {work}));
  st.causes = std::move(causes[0]);
  std::vector<std::string> issued_ids;
  for (size_t i = 0; i < st.chain.size(); ++i) {
    ChainEntry& e = st.chain[i];
    e.stored = std::move(docs[i]);
    if (e.stored) {
      if (!e.current.ParseFromString(e.stored->data)) {
        return Internal("CORRUPT_DOCUMENT", absl::StrCat("statement ", e.id, " does not parse"));
      }
      e.state = FromProtoState(e.current.state());
      if (e.state != StatementState::kDraft) {
        issued_ids.push_back(e.id);
      }
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(auto issues, repo_.GetDocs(DocKind::kIssue, issued_ids));
  std::map<std::string, v1::StoredIssue> issue_of;
  for (auto& d : issues) {
    if (!d) {
      continue;
    }
    v1::StoredIssue s;
    if (s.ParseFromString(d->data)) {
      issue_of[d->id] = std::move(s);
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(std::shared_ptr<const PlanCatalog> plans, Plans());
  SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> who, org_.Member(member));
  const Role role = who ? who->role : Role::kRep;

  // Inputs per period; the team is the one on the period's latest fact.
  std::vector<std::string> teams(st.chain.size());
  std::vector<std::vector<BonusAward>> awards(st.chain.size());
  std::vector<std::vector<Adjustment>> adjustments(st.chain.size());
  std::set<std::string> team_names;
  for (size_t i = 0; i < st.chain.size(); ++i) {
    ChainEntry& e = st.chain[i];
    int64_t latest = INT64_MIN;
    std::string latest_event;
    for (const auto& [field, value] : inputs[i]) {
      if (absl::StartsWith(field, "f:")) {
        v1::StoredFact f;
        if (!f.ParseFromString(value)) {
          continue;
        }
        if (std::make_pair(f.time_micros(), f.event_id()) > std::make_pair(latest, latest_event)) {
          latest = f.time_micros();
          latest_event = f.event_id();
          teams[i] = f.team();
        }
        e.facts.push_back(std::move(f));
      } else if (absl::StartsWith(field, "a:")) {
        v1::StoredAward a;
        if (!a.ParseFromString(value)) {
          continue;
        }
        awards[i].push_back({a.award_id(), a.bonus_id(), a.amount_minor(), a.reason()});
      } else if (absl::StartsWith(field, "m:") || absl::StartsWith(field, "d:")) {
        v1::StoredAdjustment a;
        if (a.ParseFromString(value)) {
          adjustments[i].push_back(FromStoredAdjustment(a));
        }
      }
    }
    if (teams[i].empty() && who) {
      teams[i] = who->team;
    }
    if (!teams[i].empty()) {
      team_names.insert(UnitName(teams[i]));
    }
  }
  std::vector<std::string> target_subjects = {MemberName(member)};
  target_subjects.insert(target_subjects.end(), team_names.begin(), team_names.end());
  SALESOPS_ASSIGN_OR_RETURN(auto target_maps, repo_.GetMaps(MapKind::kTargets, target_subjects));
  std::map<std::string, FieldMap> targets;
  for (size_t i = 0; i < target_subjects.size(); ++i) {
    targets[target_subjects[i]] = std::move(target_maps[i]);
  }
  std::map<std::string, std::vector<std::string>> ancestry;

  // Restatement adjustments already paid on issued statements, by base id.
  std::map<std::string, std::pair<int64_t, int>> consumed;
  for (const auto& [id, issue] : issue_of) {
    for (const auto& a : issue.carried_in().adjustments()) {
      const std::string base = a.adjustment_id().substr(0, a.adjustment_id().find('#'));
      consumed[base].first += a.amount_minor();
      consumed[base].second += 1;
    }
  }

  CarryForward carried;
  std::vector<Adjustment> pending;
  for (size_t i = 0; i < st.chain.size(); ++i) {
    ChainEntry& e = st.chain[i];
    StatementInput& in = e.input;
    in.statement_id = e.id;
    in.member_id = member;
    in.period_id = e.period.id;
    in.period_start = absl::FromCivil(e.period.first, options_.tz);
    in.period_end = absl::FromCivil(e.period.last + 1, options_.tz);
    for (const v1::StoredFact& f : e.facts) {
      CreditFact cf = ToCreditFact(f);
      // Without a split the fact is the member's whoever its own event named
      // (the deal's owner when the win came after it).
      if (cf.split.empty()) {
        cf.member_id = member;
      }
      in.facts.push_back(std::move(cf));
    }
    in.awards = awards[i];
    if (!teams[i].empty()) {
      auto t = TargetOf(targets[UnitName(teams[i])], e.period.id);
      if (t) {
        in.team_attainment_bp = t->attainment_basis_points();
      }
    }
    // The plan chain for the member in this period.
    std::vector<std::string> units;
    if (!teams[i].empty()) {
      auto it = ancestry.find(teams[i]);
      if (it == ancestry.end()) {
        SALESOPS_ASSIGN_OR_RETURN(auto up, org_.UnitAndAncestors(teams[i]));
        it = ancestry.emplace(teams[i], std::move(up)).first;
      }
      units = it->second;
    }
    const v1::StoredIssue* issue = nullptr;
    if (e.state != StatementState::kDraft) {
      auto it = issue_of.find(e.id);
      if (it != issue_of.end()) {
        issue = &it->second;
      }
    }
    e.plan_root = issue != nullptr && !issue->plan_id().empty()
                      ? issue->plan_id()
                      : plans->Select(member, units, role, e.period);
    std::optional<std::string> governing;
    if (e.plan_root.empty()) {
      e.error = FailedPrecondition(
          "NO_PLAN", absl::StrCat("no commission plan applies to ", member, " in ", e.period.id));
    } else {
      absl::StatusOr<std::vector<CommissionPlan>> versions =
          plans->Versions(e.plan_root, options_.tz, &e.plan_names);
      if (!versions.ok()) {
        e.error = versions.status();
      } else {
        in.plan_versions = *std::move(versions);
        governing = plans->VersionOn(e.plan_root, e.period.last);
      }
    }
    // The target: the published plan's for the member, else the plan's default.
    auto figure = TargetOf(targets[MemberName(member)], e.period.id);
    if (issue != nullptr && issue->target_minor() > 0) {
      in.target_minor = issue->target_minor();
    } else if (figure && figure->target_minor() > 0 &&
               (figure->currency_code().empty() || figure->currency_code() == options_.currency)) {
      in.target_minor = figure->target_minor();
    } else if (governing && !governing->empty()) {
      in.target_minor = plans->plans.at(*governing).default_target().amount_minor();
    }
    if (e.error.ok() && in.target_minor <= 0) {
      e.error = FailedPrecondition("NO_TARGET",
                                   absl::StrCat("no target for ", member, " in ", e.period.id));
    }
    absl::Time latest_fact = absl::InfinitePast();
    for (const CreditFact& f : in.facts) {
      latest_fact = std::max(latest_fact, f.time);
    }

    if (e.state != StatementState::kDraft) {
      if (issue == nullptr) {
        continue;  // issued before its carry was kept: nothing to restate
      }
      in.carried = FromStoredCarry(issue->carried_in());
      if (e.error.ok()) {
        absl::StatusOr<Statement> again = ComputeStatement(in);
        if (again.ok()) {
          const Statement issued = FromStatementProto(e.current);
          for (Adjustment& a : RestatementAdjustments(issued, *again)) {
            auto& [paid, parts] = consumed[a.adjustment_id];
            const int64_t remaining = a.amount_minor - paid;
            if (remaining == 0) {
              continue;
            }
            if (parts > 0) {
              absl::StrAppend(&a.adjustment_id, "#", parts + 1);
            }
            a.amount_minor = remaining;
            pending.push_back(std::move(a));
          }
          e.computed = *std::move(again);
        }
      }
      carried = FromStoredCarry(issue->carry_forward());
      continue;
    }
    in.carried = carried;
    for (Adjustment& a : pending) {
      in.carried.adjustments.push_back(std::move(a));
    }
    pending.clear();
    for (const Adjustment& a : adjustments[i]) {
      in.carried.adjustments.push_back(a);
    }
    if (!e.error.ok()) {
      continue;
    }
    absl::StatusOr<Statement> computed = ComputeStatement(in);
    if (!computed.ok()) {
      e.error = computed.status();
      continue;
    }
    carried = computed->carry_forward;
    e.proto = ToStatementProto(*computed, e.plan_names, latest_fact);
    e.computed = *std::move(computed);
  }
  return st;
}

absl::Status Recomputer::CommitRep(const RepState& st, Change extra) {
  Change c = std::move(extra);
  const std::string work = RepWork(st.member);
  // Neither the rep's inputs nor the drafts below are what an issuing caller's
  // etag names (that statement comes in `extra`): a race on them is WRITE_CONFLICT.
  c.ExpectOtherField(MapKind::kRevisions, "", work, st.revision);
  c.RemoveFromIndex(kWorkIndex, work);
  for (const auto& [field, value] : st.causes) {
    c.DelField(MapKind::kCauses, work, field);
  }
  const absl::Time now = clock_.Now();
  for (const ChainEntry& e : st.chain) {
    if (e.state != StatementState::kDraft) {
      continue;
    }
    if (!e.computed) {
      if (!e.error.ok()) {
        LogWarning("statement not computed",
                   {{"statement", e.id}, {"error", std::string(e.error.message())}});
      }
      continue;
    }
    const std::string bytes = e.proto.SerializeAsString();
    if (!e.stored) {
      c.PutDoc(DocKind::kStatement, e.id, bytes, 0);
      c.AddToIndex(kStatementsIndex, e.id);
      c.AddToIndex(MemberStatementsIndex(st.member), e.id);
    } else if (e.stored->data != bytes) {
      c.PutOtherDoc(DocKind::kStatement, e.id, bytes, e.stored->version);
    }
    // A clawback line not on the stored statement is new: say so once.
    std::set<std::pair<std::string, std::string>> before;
    for (const auto& l : e.current.lines()) {
      if (l.kind() == v1::STATEMENT_LINE_KIND_CLAWBACK) {
        before.insert({l.event_id(), l.source()});
      }
    }
    for (const auto& l : e.proto.lines()) {
      if (l.kind() != v1::STATEMENT_LINE_KIND_CLAWBACK ||
          before.contains({l.event_id(), l.source()})) {
        continue;
      }
      v1::CommissionClawedBack cb;
      cb.set_member(MemberName(st.member));
      cb.set_statement(StatementName(e.id));
      for (const auto& x : e.proto.clawbacks()) {
        if (x.clawback_id() == absl::StrCat("line-", l.line_number())) {
          *cb.mutable_clawback() = x;
        }
      }
      *cb.mutable_clawback()->mutable_create_time() = ToTs(now);
      for (const v1::StoredFact& f : e.facts) {
        if (f.event_id() == l.event_id()) {
          cb.set_cause_event_source(f.event_source());
        }
      }
      cb.set_cause_event_id(l.event_id());
      c.Emit(Event(st.member, StatementName(e.id), cb, now));
    }
  }
  // What each event applied since the last run added to the statements.
  for (const auto& [field, value] : st.causes) {
    const size_t bar = field.rfind('|');
    if (bar == std::string::npos) {
      continue;
    }
    const std::string source = field.substr(0, bar);
    const std::string id = field.substr(bar + 1);
    for (const ChainEntry& e : st.chain) {
      if (e.state != StatementState::kDraft || !e.computed) {
        continue;
      }
      v1::CommissionAccrued a;
      for (const auto& l : e.proto.lines()) {
        if (l.event_id() == id) {
          *a.add_lines() = l;
        }
      }
      if (a.lines_size() == 0) {
        continue;
      }
      a.set_member(MemberName(st.member));
      a.set_statement(StatementName(e.id));
      *a.mutable_net_payable() = e.proto.net_payable();
      a.set_attainment_basis_points(e.proto.attainment_basis_points());
      a.set_cause_event_source(source);
      a.set_cause_event_id(id);
      c.Emit(Event(st.member, StatementName(e.id), a, now));
    }
  }
  return repo_.Commit(c);
}

absl::Status Recomputer::RecomputeRep(const std::string& member) {
  absl::Status s;
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    absl::StatusOr<RepState> st = ComputeRep(member);
    if (!st.ok()) {
      return st.status();
    }
    s = CommitRep(*st);
    if (!IsWriteRace(s)) {
      return s;
    }
  }
  return s;
}

// ---- scorecards

absl::StatusOr<std::vector<v1::KpiDefinition>> Recomputer::KpisFor(const std::string& period,
                                                                   const std::string& subject) {
  std::optional<FiscalQuarter> q = ParseQuarter(period, options_.fiscal_year_start_month);
  if (!q) {
    return InvalidField("period", "not a fiscal quarter like FY2026-Q4");
  }
  SALESOPS_ASSIGN_OR_RETURN(auto all, Kpis());
  Role role = Role::kRep;
  std::vector<std::string> units;
  if (absl::StartsWith(subject, "orgUnits/")) {
    SALESOPS_ASSIGN_OR_RETURN(units, org_.UnitAndAncestors(StripName(subject)));
  } else {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> m, org_.Member(StripName(subject)));
    if (m) {
      role = m->role;
      SALESOPS_ASSIGN_OR_RETURN(units, org_.UnitAndAncestors(m->team));
    }
  }
  std::vector<v1::KpiDefinition> out;
  for (const v1::KpiDefinition& k : *all) {
    if (k.has_effective_start_date() && DayOf(k.effective_start_date()) > q->last) {
      continue;
    }
    if (k.has_effective_end_date() && DayOf(k.effective_end_date()) < q->first) {
      continue;
    }
    if (!k.roles().empty() &&
        std::find(k.roles().begin(), k.roles().end(), RoleName(role)) == k.roles().end()) {
      continue;
    }
    if (!k.org_units().empty()) {
      bool in = false;
      for (const std::string& u : k.org_units()) {
        in |= std::find(units.begin(), units.end(), StripName(u)) != units.end();
      }
      if (!in) {
        continue;
      }
    }
    out.push_back(k);
  }
  return out;
}

absl::StatusOr<std::vector<KpiActual>> Recomputer::Actuals(
    const std::string& period, const std::string& subject,
    const std::vector<v1::KpiDefinition>& kpis, std::map<std::string, int64_t>* overrides) {
  // The subject's counters: a member's over the teams they worked for, a
  // team's over its members.
  std::vector<std::string> ids;
  const bool team = absl::StartsWith(subject, "orgUnits/");
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> others,
                            repo_.Range(team ? TeamMembersIndex(StripName(subject), period)
                                             : MemberTeamsIndex(StripName(subject), period),
                                        "", "", 10'000));
  for (const std::string& o : others) {
    ids.push_back(team ? MemberCountersId(period, o, StripName(subject))
                       : MemberCountersId(period, StripName(subject), o));
  }
  SALESOPS_ASSIGN_OR_RETURN(auto counters, repo_.GetMaps(MapKind::kCounters, ids));
  std::map<std::string, int64_t> sums;
  for (const FieldMap& m : counters) {
    for (const auto& [field, value] : m) {
      int64_t v = 0;
      if (absl::SimpleAtoi(value, &v)) {
        sums[field] += v;
      }
    }
  }
  FieldMap c;
  for (const auto& [field, v] : sums) {
    c.emplace_back(field, absl::StrCat(v));
  }
  SALESOPS_ASSIGN_OR_RETURN(auto targets, repo_.GetMaps(MapKind::kTargets, {subject}));
  std::optional<v1::StoredTarget> figure = TargetOf(targets[0], period);
  const int64_t target =
      figure && figure->currency_code() != "" && figure->currency_code() != options_.currency
          ? 0
          : (figure ? figure->target_minor() : 0);
  std::vector<KpiActual> out;
  for (const v1::KpiDefinition& k : kpis) {
    KpiActual a;
    a.kpi_id = StripName(k.name());
    int64_t v = 0;
    switch (k.metric()) {
      case v1::KPI_METRIC_BOOKINGS:
        v = Int(c, counter::kBookings);
        if (target > 0) {
          a.target = target;
        }
        break;
      case v1::KPI_METRIC_COLLECTIONS:
        v = Int(c, counter::kCollections);
        if (target > 0) {
          a.target = target;
        }
        break;
      case v1::KPI_METRIC_TARGET_ATTAINMENT:
        v = figure ? figure->attainment_basis_points() : 0;
        break;
      case v1::KPI_METRIC_NEW_CUSTOMERS:
        v = Int(c, counter::kNewCustomers);
        break;
      case v1::KPI_METRIC_VISITS:
        v = Int(c, counter::kVisits);
        break;
      case v1::KPI_METRIC_ACTIVITIES:
        v = Int(c, counter::kActivities);
        break;
      case v1::KPI_METRIC_PIPELINE_COVERAGE: {
        // Open pipeline closing in the period over the target still to reach;
        // a target already reached counts as 3× covered.
        const int64_t pipeline = std::max<int64_t>(0, Int(c, counter::kPipeline));
        const int64_t remaining = target - (figure ? figure->actual_minor() : 0);
        if (target <= 0) {
          v = 0;
        } else if (remaining <= 0) {
          v = 30'000;
        } else {
          v = static_cast<int64_t>(
              std::min<__int128>(static_cast<__int128>(pipeline) * 10'000 / remaining, 1'000'000));
        }
        break;
      }
      case v1::KPI_METRIC_WIN_RATE: {
        const int64_t won = Int(c, counter::kWon), lost = Int(c, counter::kLost);
        v = SafeDiv(won * 10'000, won + lost);
        break;
      }
      case v1::KPI_METRIC_AVERAGE_DEAL_SIZE:
        v = SafeDiv(Int(c, counter::kBookings), Int(c, counter::kWon));
        break;
      case v1::KPI_METRIC_SALES_CYCLE_DAYS:
        v = SafeDiv(Int(c, counter::kCycleDays), Int(c, counter::kCycleDeals));
        break;
      case v1::KPI_METRIC_OVERDUE_RECEIVABLES:
        v = std::max<int64_t>(0, Int(c, counter::kOverdue));
        break;
      case v1::KPI_METRIC_TASKS_ON_TIME:
        v = Int(c, counter::kTasksOnTime);
        break;
      case v1::KPI_METRIC_CUSTOMER_SATISFACTION:
        // 1..5 stars as basis points of the scale (5 = 10000).
        v = SafeDiv(Int(c, counter::kCsatSum) * 2'000, Int(c, counter::kCsatCount));
        break;
      default:
        break;
    }
    a.value = std::max<int64_t>(0, v);
    if (overrides != nullptr && a.target) {
      (*overrides)[a.kpi_id] = *a.target;
    }
    out.push_back(std::move(a));
  }
  return out;
}

absl::StatusOr<CardState> Recomputer::ComputeCard(const std::string& period,
                                                  const std::string& subject) {
  CardState st;
  st.period = period;
  st.subject = subject;
  const std::string work = CardWork(period, subject);
  SALESOPS_ASSIGN_OR_RETURN(auto rev, repo_.GetFields(MapKind::kRevisions, "", {work}));
  st.revision = rev[0].value_or("");
  SALESOPS_ASSIGN_OR_RETURN(st.stored,
                            repo_.GetDoc(DocKind::kScorecard, ScorecardId(period, subject)));
  SALESOPS_ASSIGN_OR_RETURN(auto causes, repo_.GetMaps(MapKind::kCauses, {work}));
  st.causes = std::move(causes[0]);
  SALESOPS_ASSIGN_OR_RETURN(std::vector<v1::KpiDefinition> kpis, KpisFor(period, subject));
  SALESOPS_ASSIGN_OR_RETURN(
      std::vector<std::string> okr_ids,
      repo_.Range(absl::StrCat("okr:s:", subject, "|", period), "", "", kMaxOkrsPerSubject));
  SALESOPS_ASSIGN_OR_RETURN(auto okr_docs, repo_.GetDocs(DocKind::kOkr, okr_ids));
  SALESOPS_ASSIGN_OR_RETURN(std::vector<KpiActual> actuals, Actuals(period, subject, kpis));
  ScorecardInput in;
  in.subject = subject;
  in.period = period;
  in.config = options_.scorecard;
  in.actuals = actuals;
  for (const v1::KpiDefinition& k : kpis) {
    absl::StatusOr<KpiDefinition> d = ToDomainKpi(k, "kpi_definition");
    if (!d.ok()) {
      continue;  // validated when written; a bad one scores nothing
    }
    in.kpis.push_back(*std::move(d));
  }
  for (auto& d : okr_docs) {
    if (!d) {
      continue;
    }
    v1::Okr o;
    if (!o.ParseFromString(d->data)) {
      continue;
    }
    if (o.state() != v1::OKR_STATE_ACTIVE && o.state() != v1::OKR_STATE_CLOSED) {
      continue;
    }
    int32_t grade = o.grade_basis_points();
    if (o.state() == v1::OKR_STATE_ACTIVE) {
      absl::StatusOr<Okr> okr = ToDomainOkr(o);
      if (!okr.ok()) {
        continue;
      }
      absl::StatusOr<OkrGrade> g = GradeOkr(*okr, actuals);
      if (!g.ok()) {
        continue;
      }
      grade = g->grade_bp;
    }
    in.okrs.push_back({d->id, o.objective(), grade, 0});
  }
  // Actuals only for the KPIs kept (the domain wants one per definition).
  std::vector<KpiActual> kept;
  for (const KpiActual& a : in.actuals) {
    for (const KpiDefinition& k : in.kpis) {
      if (k.kpi_id == a.kpi_id) {
        kept.push_back(a);
      }
    }
  }
  in.actuals = std::move(kept);
  if (in.kpis.empty() && in.okrs.empty()) {
    return st;
  }
  absl::StatusOr<Scorecard> card = ComputeScorecard(in);
  if (!card.ok()) {
    st.error = card.status();
    return st;
  }
  st.computed = ToScorecardProto(*card, options_.scorecard, options_.currency);
  return st;
}

absl::StatusOr<std::optional<v1::Scorecard>> Recomputer::CommitCard(const CardState& st,
                                                                    Change extra) {
  Change c = std::move(extra);
  const std::string work = CardWork(st.period, st.subject);
  c.ExpectField(MapKind::kRevisions, "", work, st.revision);
  c.RemoveFromIndex(kWorkIndex, work);
  for (const auto& [field, value] : st.causes) {
    c.DelField(MapKind::kCauses, work, field);
  }
  std::optional<v1::Scorecard> before;
  if (st.stored) {
    before.emplace();
    if (!before->ParseFromString(st.stored->data)) {
      before.reset();
    }
  }
  if (!st.computed) {
    if (!st.error.ok()) {
      LogWarning("scorecard not computed", {{"subject", st.subject},
                                            {"period", st.period},
                                            {"error", std::string(st.error.message())}});
    }
    SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
    return before;
  }
  const std::string id = ScorecardId(st.period, st.subject);
  const std::string bytes = st.computed->SerializeAsString();
  if (!st.stored) {
    c.PutDoc(DocKind::kScorecard, id, bytes, 0);
    c.AddToIndex(kScorecardsIndex, id);
  } else if (st.stored->data != bytes) {
    c.PutDoc(DocKind::kScorecard, id, bytes, st.stored->version);
  }
  if (!st.stored || st.stored->data != bytes) {
    v1::ScorecardUpdated u;
    *u.mutable_scorecard() = *st.computed;
    std::map<std::string, int32_t> old_lines;
    if (before) {
      u.set_previous_total_score_basis_points(before->total_score_basis_points());
      u.set_previous_rating(before->rating());
      for (const auto& l : before->kpi_lines()) {
        old_lines[l.kpi()] = l.weighted_score_basis_points();
      }
      for (const auto& l : before->okr_lines()) {
        old_lines[l.okr()] = l.contribution_basis_points();
      }
    }
    for (const auto& l : st.computed->kpi_lines()) {
      auto it = old_lines.find(l.kpi());
      if (it == old_lines.end() || it->second != l.weighted_score_basis_points()) {
        u.add_changed_lines(l.kpi());
      }
    }
    for (const auto& l : st.computed->okr_lines()) {
      auto it = old_lines.find(l.okr());
      if (it == old_lines.end() || it->second != l.contribution_basis_points()) {
        u.add_changed_lines(l.okr());
      }
    }
    const bool visible =
        !before || before->total_score_basis_points() != st.computed->total_score_basis_points() ||
        before->rating() != st.computed->rating() || u.changed_lines_size() > 0;
    if (visible) {
      if (!st.causes.empty()) {
        const auto& [name, value] = st.causes.back();
        const std::string& field = name == "last" ? value : name;
        const size_t bar = field.rfind('|');
        if (bar != std::string::npos) {
          u.set_cause_event_source(field.substr(0, bar));
          u.set_cause_event_id(field.substr(bar + 1));
        }
      }
      c.Emit(Event(id, st.computed->name(), u, clock_.Now()));
    }
  }
  SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
  return st.computed;
}

absl::StatusOr<std::optional<v1::Scorecard>> Recomputer::RecomputeCard(const std::string& period,
                                                                       const std::string& subject) {
  absl::Status s;
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    SALESOPS_ASSIGN_OR_RETURN(CardState st, ComputeCard(period, subject));
    absl::StatusOr<std::optional<v1::Scorecard>> r = CommitCard(st);
    if (r.ok() || !IsWriteRace(r.status())) {
      return r;
    }
    s = r.status();
  }
  return s;
}

absl::Status Recomputer::RunOne(const std::string& item) {
  absl::Status s;
  if (absl::StartsWith(item, "r|")) {
    s = RecomputeRep(item.substr(2));
  } else if (absl::StartsWith(item, "c|")) {
    std::vector<std::string> parts = absl::StrSplit(item, absl::MaxSplits('|', 2));
    if (parts.size() == 3) {
      s = RecomputeCard(parts[1], parts[2]).status();
    }
  } else {
    Change drop;
    drop.RemoveFromIndex(kWorkIndex, item);
    s = repo_.Commit(drop);
  }
  if (s.ok() || IsWriteRace(s)) {
    return absl::OkStatus();  // a lost race stays listed
  }
  if (IsRetryable(s)) {
    return s;
  }
  // A permanent failure is logged and the item dropped, so it cannot block the list.
  LogWarning("recompute failed", {{"work", item}, {"error", std::string(s.message())}});
  Change drop;
  drop.RemoveFromIndex(kWorkIndex, item);
  return repo_.Commit(drop);
}

absl::StatusOr<int> Recomputer::RunPending(absl::Duration budget, bool debounce) {
  const absl::Time deadline = absl::Now() + budget;
  int done = 0;
  std::string after;
  while (absl::Now() < deadline) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> items,
                              repo_.Range(kWorkIndex, "", after, 64));
    if (items.empty()) {
      if (after.empty() || debounce) {
        break;
      }
      after.clear();  // wrap around: items left by a lost race run again
      continue;
    }
    after = items.back();
    std::vector<bool> run(items.size(), true);
    if (debounce) {
      SALESOPS_ASSIGN_OR_RETURN(auto revs, repo_.GetFields(MapKind::kRevisions, "", items));
      absl::MutexLock lock(&mu_);
      if (last_seen_.size() > 200'000) {
        last_seen_.clear();
      }
      for (size_t i = 0; i < items.size(); ++i) {
        const std::string rev = revs[i].value_or("");
        auto [it, fresh] = last_seen_.try_emplace(items[i], rev, 0);
        if (!fresh && (it->second.first == rev || it->second.second >= kMaxDeferrals)) {
          last_seen_.erase(it);
          continue;
        }
        it->second.first = rev;
        ++it->second.second;
        run[i] = false;
      }
    }
    // Items on a few lanes: each waits on Redis most of its time.
    std::vector<size_t> todo;
    for (size_t i = 0; i < items.size(); ++i) {
      if (run[i]) {
        todo.push_back(i);
      }
    }
    std::atomic<size_t> next{0};
    std::atomic<int> ran{0};
    absl::Mutex error_mu;
    absl::Status error;
    auto lane = [&] {
      for (size_t k = next++; k < todo.size(); k = next++) {
        if (absl::Now() >= deadline) {
          return;
        }
        absl::Status s = RunOne(items[todo[k]]);
        if (!s.ok()) {
          absl::MutexLock lock(&error_mu);
          error = s;
          return;
        }
        ++ran;
      }
    };
    const int lanes = std::max(1, std::min<int>(options_.recompute_lanes, todo.size()));
    std::vector<std::thread> threads;
    for (int t = 1; t < lanes; ++t) {
      threads.emplace_back(lane);
    }
    lane();
    for (std::thread& t : threads) {
      t.join();
    }
    done += ran.load();
    SALESOPS_RETURN_IF_ERROR(error);
  }
  return done;
}

}  // namespace salesops::performance
