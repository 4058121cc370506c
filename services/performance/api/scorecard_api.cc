// Scorecards: read as stored (kept live by the Recomputer), ranked within the
// team on read, recomputed on demand with the same function.
#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "common/status/reasons.h"
#include "common/time/proto_time.h"
#include "services/performance/api/api_util.h"
#include "services/performance/api/performance_api.h"

namespace salesops::performance {
namespace {

constexpr int kMaxCardsPerPeriod = 20'000;

// "<period>.m.<member>" → "members/<member>"; "<period>.t.<unit>" → "orgUnits/<unit>".
std::optional<std::pair<std::string, std::string>> PeriodAndSubject(const std::string& id) {
  const size_t dot = id.find('.');
  if (dot == std::string::npos || id.size() < dot + 4 || id[dot + 2] != '.') {
    return std::nullopt;
  }
  const std::string rest = id.substr(dot + 3);
  if (rest.empty()) {
    return std::nullopt;
  }
  if (id[dot + 1] == 'm') {
    return std::make_pair(id.substr(0, dot), MemberName(rest));
  }
  if (id[dot + 1] == 't') {
    return std::make_pair(id.substr(0, dot), UnitName(rest));
  }
  return std::nullopt;
}

}  // namespace

absl::Status PerformanceApi::GetScorecard(const CallContext& call,
                                          const v1::GetScorecardRequest& req,
                                          v1::GetScorecardResponse* resp) {
  Violations v;
  std::string id;
  if (!req.name().empty()) {
    id = ParseDottedName(v, "name", req.name(), "scorecards");
    if (!id.empty() && !PeriodAndSubject(id)) {
      v.Add("name", "not a scorecard name");
    }
  } else {
    const std::string period = IdOf(v, "period", req.period(), "fiscalPeriods");
    if (!absl::StartsWith(req.subject(), "members/") &&
        !absl::StartsWith(req.subject(), "orgUnits/")) {
      v.Add("subject",
            "required (with period) when name is empty: \"members/{id}\" or "
            "\"orgUnits/{id}\"");
    } else if (!period.empty()) {
      id = ScorecardId(period, req.subject());
    }
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  const auto [period, subject] = *PeriodAndSubject(id);
  const std::string name = absl::StrCat("scorecards/", id);
  SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversSubject(call.principal, subject));
  if (!ok) {
    return DenyAccess(name);
  }
  SALESOPS_ASSIGN_OR_RETURN(
      auto card, Load<v1::Scorecard>(DocKind::kScorecard, id, name, "SCORECARD_NOT_FOUND"));
  // Rank among the team's members in the same period, computed on read so a
  // teammate's change never rewrites this scorecard.
  if (absl::StartsWith(subject, "members/")) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> m, org_.Member(StripName(subject)));
    if (m && !m->team.empty()) {
      SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> mates, org_.MembersOf(m->team));
      std::vector<std::string> ids;
      for (const std::string& mate : mates) {
        if (mate != StripName(subject)) {
          ids.push_back(ScorecardId(period, MemberName(mate)));
        }
      }
      SALESOPS_ASSIGN_OR_RETURN(auto docs, repo_.GetDocs(DocKind::kScorecard, ids));
      int rank = 1;
      for (const auto& d : docs) {
        v1::Scorecard other;
        if (d && other.ParseFromString(d->data) &&
            other.total_score_basis_points() > card.doc.total_score_basis_points()) {
          ++rank;
        }
      }
      card.doc.set_rank_in_team(rank);
    }
  }
  *resp->mutable_scorecard() = std::move(card.doc);
  return absl::OkStatus();
}

absl::Status PerformanceApi::ListScorecards(const CallContext& call,
                                            const v1::ListScorecardsRequest& req,
                                            v1::ListScorecardsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  const std::string period = IdOf(v, "period", req.period(), "fiscalPeriods");
  std::string unit;
  if (!req.org_unit().empty()) {
    unit = ParseResourceName(v, "org_unit", req.org_unit(), "orgUnits");
  }
  if (!v1::SubjectKind_IsValid(req.subject_kind())) {
    v.Add("subject_kind", "unknown kind");
  }
  const bool by_subject = req.order_by() == "subject";
  if (!req.order_by().empty() && !by_subject && req.order_by() != "total_score desc") {
    v.Add("order_by", "\"total_score desc\" (default) or \"subject\"");
  }
  const std::string filter =
      absl::StrCat(period, "|", unit, "|", req.subject_kind(), "|", req.order_by());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  int offset = 0;
  if (cursor && !absl::SimpleAtoi(cursor->after, &offset)) {
    v.Add("page_token", "malformed");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  // A period has one scorecard per member and team with inputs: read them
  // all (bounded), then filter, rank, sort and page.
  std::vector<v1::Scorecard> cards;
  std::string after;
  while (static_cast<int>(cards.size()) < kMaxCardsPerPeriod) {
    if (call.Expired()) {
      return DeadlineExceeded("ListScorecards");
    }
    SALESOPS_ASSIGN_OR_RETURN(auto ids,
                              repo_.Range(kScorecardsIndex, absl::StrCat(period, "."), after, 500));
    if (ids.empty()) {
      break;
    }
    SALESOPS_ASSIGN_OR_RETURN(auto docs, repo_.GetDocs(DocKind::kScorecard, ids));
    for (auto& d : docs) {
      v1::Scorecard c;
      if (d && c.ParseFromString(d->data)) {
        cards.push_back(std::move(c));
      }
    }
    after = ids.back();
  }
  // Teams of members (for ranks and the org_unit filter).
  std::map<std::string, std::string> team_of;
  for (const v1::Scorecard& c : cards) {
    if (c.subject_kind() != v1::SUBJECT_KIND_MEMBER) {
      continue;
    }
    SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> m, org_.Member(StripName(c.subject())));
    if (m) {
      team_of[c.subject()] = m->team;
    }
  }
  std::map<std::string, std::vector<int32_t>> team_totals;
  for (const v1::Scorecard& c : cards) {
    auto it = team_of.find(c.subject());
    if (it != team_of.end()) {
      team_totals[it->second].push_back(c.total_score_basis_points());
    }
  }
  std::vector<v1::Scorecard> kept;
  for (v1::Scorecard& c : cards) {
    if (req.subject_kind() != v1::SUBJECT_KIND_UNSPECIFIED &&
        c.subject_kind() != req.subject_kind()) {
      continue;
    }
    SALESOPS_ASSIGN_OR_RETURN(bool visible, scope_.CoversSubject(call.principal, c.subject()));
    if (!visible) {
      continue;
    }
    if (!unit.empty()) {
      const std::string at = c.subject_kind() == v1::SUBJECT_KIND_MEMBER ? team_of[c.subject()]
                                                                         : StripName(c.subject());
      if (at.empty()) {
        continue;
      }
      SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> up, org_.UnitAndAncestors(at));
      if (std::find(up.begin(), up.end(), unit) == up.end()) {
        continue;
      }
    }
    auto team = team_of.find(c.subject());
    if (team != team_of.end()) {
      int rank = 1;
      for (int32_t t : team_totals[team->second]) {
        rank += t > c.total_score_basis_points();
      }
      c.set_rank_in_team(rank);
    }
    kept.push_back(std::move(c));
  }
  std::stable_sort(kept.begin(), kept.end(), [&](const v1::Scorecard& a, const v1::Scorecard& b) {
    if (by_subject) {
      return a.subject() < b.subject();
    }
    if (a.total_score_basis_points() != b.total_score_basis_points()) {
      return a.total_score_basis_points() > b.total_score_basis_points();
    }
    return a.subject() < b.subject();
  });
  for (int i = offset; i < static_cast<int>(kept.size()) && i < offset + page_size; ++i) {
    *resp->add_scorecards() = std::move(kept[i]);
  }
  if (offset + page_size < static_cast<int>(kept.size())) {
    resp->set_next_page_token(EncodePageToken({absl::StrCat(offset + page_size), filter}));
  }
  return absl::OkStatus();
}

absl::Status PerformanceApi::ComputeScorecard(const CallContext& call,
                                              const v1::ComputeScorecardRequest& req,
                                              v1::ComputeScorecardResponse* resp) {
  Violations v;
  const std::string period = IdOf(v, "period", req.period(), "fiscalPeriods");
  if (!period.empty() && !ParseQuarter(period, recomputer_.options().fiscal_year_start_month)) {
    v.Add("period", "a fiscal quarter like fiscalPeriods/FY2026-Q4");
  }
  if (absl::StartsWith(req.subject(), "members/")) {
    (void)ParseResourceName(v, "subject", req.subject(), "members");
  } else if (absl::StartsWith(req.subject(), "orgUnits/")) {
    (void)ParseResourceName(v, "subject", req.subject(), "orgUnits");
  } else {
    v.Add("subject", "required: \"members/{id}\" or \"orgUnits/{id}\"");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(bool ok, scope_.CoversSubject(call.principal, req.subject()));
  if (!ok) {
    return DenyAccess(req.subject());
  }
  absl::Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    SALESOPS_ASSIGN_OR_RETURN(CardState st, recomputer_.ComputeCard(period, req.subject()));
    if (!st.error.ok()) {
      return st.error;
    }
    if (!st.computed) {
      return FailedPrecondition(
          "NOTHING_TO_SCORE",
          absl::StrCat("no KPI definition or OKR applies to ", req.subject(), " in ", period));
    }
    Change extra;
    v1::ScorecardComputed e;
    *e.mutable_scorecard() = *st.computed;
    if (st.stored) {
      v1::Scorecard before;
      if (before.ParseFromString(st.stored->data)) {
        e.set_previous_total_score_basis_points(before.total_score_basis_points());
      }
    }
    *e.mutable_actor() = ActorOf(call);
    extra.Emit(
        CallEvent(call, ScorecardId(period, req.subject()), st.computed->name(), e, clock_.Now()));
    absl::StatusOr<std::optional<v1::Scorecard>> card = recomputer_.CommitCard(st, extra);
    if (card.ok()) {
      *resp->mutable_scorecard() = **card;
      return absl::OkStatus();
    }
    last = card.status();
    if (ErrorReason(last) != reason::kEtagMismatch) {
      return last;
    }
  }
  return last;
}

}  // namespace salesops::performance
