#include "services/forecast/api/forecast_api.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/server/api_support.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "common/validation/output_only.h"
#include "common/validation/validation.h"
#include "salesops/forecast/v1/forecast_events.pb.h"
#include "services/forecast/domain/accuracy.h"
#include "services/forecast/engine/forecast_engine.h"
#include "services/forecast/engine/records.h"

namespace salesops::forecast {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
// Rows a filtered list reads at most per call before it returns a shorter
// page with a token to continue: a rare filter cannot make one call read everything.
constexpr int kMaxScanPerCall = 2000;
// Rows "order_by gap_to_target desc" sorts at most (it must read them all).
constexpr int kMaxOrdered = 5000;
// Snapshots one accuracy question reads at most (a scope has ~13 per period).
constexpr int kMaxSnapshots = 2000;
constexpr int kChunk = 200;
constexpr int kMaxInternalRetries = 5;
constexpr int kNoteMaxChars = 500;

// An id inside a resource name this API accepts: letters, digits, '-' and
// '_', up to 128 characters (ids come from the org and targets services; the
// forecast ids built from them use '~' as separator, which this excludes).
bool ValidRef(absl::string_view id) {
  if (id.empty() || id.size() > 128 || id == kNone) {
    return false;
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return false;
    }
  }
  return true;
}

absl::Status NotInScope(absl::string_view what) {
  return PermissionDenied("NOT_IN_SCOPE", absl::StrCat("you may not see ", what));
}

// "fiscalPeriods/{id}" → id; violation on `field` otherwise.
std::string PeriodId(Violations& v, const std::string& field, const std::string& name) {
  if (name.empty()) {
    v.Add(field, "required, e.g. fiscalPeriods/FY2026-Q4");
    return "";
  }
  const std::string id = IdIn(name, "fiscalPeriods");
  if (id.empty() || !ValidRef(id)) {
    v.Add(field, "must be fiscalPeriods/{id}");
  }
  return id;
}

// An optional "orgUnits/{id}" → id ("" when empty); violation when malformed.
std::string OptionalUnit(Violations& v, const std::string& field, const std::string& name) {
  if (name.empty()) {
    return "";
  }
  const std::string id = IdIn(name, "orgUnits");
  if (id.empty() || !ValidRef(id)) {
    v.Add(field, "must be orgUnits/{id}");
  }
  return id;
}

std::optional<Category> CategoryOf(Violations& v, const std::string& field, v1::ForecastCategory c,
                                   bool required) {
  if (c == v1::FORECAST_CATEGORY_UNSPECIFIED) {
    if (required) {
      v.Add(field, "required: COMMIT, BEST_CASE or PIPELINE");
    }
    return std::nullopt;
  }
  std::optional<Category> out = FromProto(c);
  if (!out) {
    v.Add(field, "must be COMMIT, BEST_CASE or PIPELINE");
  }
  return out;
}

template <typename T>
absl::StatusOr<std::vector<std::optional<T>>> Parsed(const std::vector<std::optional<Doc>>& docs) {
  std::vector<std::optional<T>> out;
  out.reserve(docs.size());
  for (const std::optional<Doc>& d : docs) {
    if (!d) {
      out.push_back(std::nullopt);
      continue;
    }
    T m;
    SALESOPS_RETURN_IF_ERROR(ParseDoc(*d, &m));
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

MethodPolicy ForecastMethodPolicy() {
  MethodPolicy p;
  for (const char* m : {"GetForecast", "ListForecasts", "RollUp", "GetAccuracy",
                        "ListForecastSnapshots", "SubmitForecastCall", "ListForecastCalls"}) {
    p.AllowAll(m);
  }
  p.Allow("ListStageProbabilities",
          {Role::kSupervisor, Role::kManager, Role::kDirector, Role::kAdmin});
  return p;
}

// ---------------------------------------------------------------- helpers

absl::StatusOr<ScopeId> ForecastApi::ResolveScope(const v1::ForecastScope& scope,
                                                  const std::string& field, Violations& v) {
  ScopeId s;
  if (!scope.member().empty()) {
    s.member = IdIn(scope.member(), "members");
    if (s.member.empty() || !ValidRef(s.member)) {
      v.Add(field + ".member", "must be members/{id}");
    }
  }
  s.unit = OptionalUnit(v, field + ".org_unit", scope.org_unit());
  s.product_line = OptionalUnit(v, field + ".product_line", scope.product_line());
  if (scope.member().empty() && scope.org_unit().empty()) {
    v.Add(field + ".org_unit", "a scope needs an org unit or a member");
  }
  if (!v.empty() || s.member.empty()) {
    return s;
  }
  // A member's forecasts are filed under their team.
  SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> m, org_.Member(s.member));
  if (s.unit.empty()) {
    if (!m) {
      v.Add(field + ".member", absl::StrCat(scope.member(), " is not a known member"));
    } else {
      s.unit = m->team;
    }
  }
  return s;
}

absl::StatusOr<bool> ForecastApi::CanSee(const CallContext& call, const ScopeId& scope) {
  const Principal& p = call.principal;
  switch (p.role) {
    case Role::kAdmin:
    case Role::kDirector:
      return true;
    case Role::kRep:
      return !scope.member.empty() && scope.member == p.member_id;
    case Role::kSupervisor:
    case Role::kManager: {
      if (p.org_unit_id.empty()) {
        return false;
      }
      SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> chain, org_.UnitAndAncestors(scope.unit));
      return std::find(chain.begin(), chain.end(), p.org_unit_id) != chain.end();
    }
  }
  return false;
}

absl::Status ForecastApi::CheckCanSee(const CallContext& call, const ScopeId& scope) {
  SALESOPS_ASSIGN_OR_RETURN(bool ok, CanSee(call, scope));
  if (!ok) {
    return NotInScope(absl::StrCat("forecasts of ", ScopeKey(scope)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ForecastApi::DefaultUnit(const CallContext& call) {
  const Principal& p = call.principal;
  if (p.role == Role::kAdmin || p.role == Role::kDirector) {
    return std::string();
  }
  if (!p.org_unit_id.empty()) {
    return p.org_unit_id;
  }
  SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> m, org_.Member(p.member_id));
  if (!m) {
    return NotInScope("forecasts: your token names no org unit");
  }
  return m->team;
}

absl::Status ForecastApi::AddCalls(std::vector<v1::Forecast*> forecasts) {
  if (forecasts.empty()) {
    return absl::OkStatus();
  }
  std::vector<std::string> ids;
  for (const v1::Forecast* f : forecasts) {
    const std::string id = IdIn(f->name(), "forecasts");
    ids.push_back(CallId(id, false));
    ids.push_back(CallId(id, true));
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs,
                            repo_.GetDocs(DocKind::kCall, ids));
  SALESOPS_ASSIGN_OR_RETURN(auto calls, Parsed<v1::ForecastCall>(docs));
  for (size_t i = 0; i < forecasts.size(); ++i) {
    if (calls[2 * i]) {
      *forecasts[i]->mutable_submitted_call() = calls[2 * i]->amount();
    }
    if (calls[2 * i + 1]) {
      *forecasts[i]->mutable_adjusted_call() = calls[2 * i + 1]->amount();
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- forecasts

absl::Status ForecastApi::GetForecast(const CallContext& call, const v1::GetForecastRequest& req,
                                      v1::GetForecastResponse* resp) {
  Violations v;
  std::string id;
  ScopeId scope;
  if (!req.name().empty()) {
    id = IdIn(req.name(), "forecasts");
    std::optional<ForecastKey> key = ParseForecastId(id);
    if (!key) {
      v.Add("name", "must be forecasts/{id} as the service names them");
    } else {
      scope = key->scope;
    }
    SALESOPS_RETURN_IF_ERROR(v.Finish());
  } else {
    SALESOPS_ASSIGN_OR_RETURN(scope, ResolveScope(req.scope(), "scope", v));
    const std::string period = PeriodId(v, "period", req.period());
    std::optional<Category> category = CategoryOf(v, "category", req.category(), true);
    SALESOPS_RETURN_IF_ERROR(v.Finish());
    id = ForecastId(period, scope, *category);
  }
  // Access first, so a refusal says nothing about what exists.
  SALESOPS_RETURN_IF_ERROR(CheckCanSee(call, scope));
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> doc, repo_.GetDoc(DocKind::kForecast, id));
  if (!doc) {
    return NotFound(
        "FORECAST_NOT_FOUND",
        absl::StrCat("forecasts/", id, " has not been computed (no deals in the scope yet?)"));
  }
  SALESOPS_RETURN_IF_ERROR(ParseDoc(*doc, resp->mutable_forecast()));
  return AddCalls({resp->mutable_forecast()});
}

absl::Status ForecastApi::ListForecasts(const CallContext& call,
                                        const v1::ListForecastsRequest& req,
                                        v1::ListForecastsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  const std::string period = PeriodId(v, "period", req.period());
  const std::optional<Category> category = CategoryOf(v, "category", req.category(), false);
  const std::string unit = OptionalUnit(v, "org_unit", req.org_unit());
  const std::string line = OptionalUnit(v, "product_line", req.product_line());
  const bool by_gap = req.order_by() == "gap_to_target desc";
  if (!req.order_by().empty() && !by_gap) {
    v.Add("order_by", "must be \"gap_to_target desc\" or empty");
  }
  const std::string filter = absl::StrCat(period, "|", req.category(), "|", unit, "|", line, "|",
                                          req.members_only(), "|", req.order_by());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());

  std::string index_unit = unit;
  if (index_unit.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(index_unit, DefaultUnit(call));
  }
  const std::string index = ForecastIndex(period, index_unit);
  // The cheap filters on the id; visibility on the scope (cached chains).
  auto matches = [&](const std::string& id) -> absl::StatusOr<bool> {
    std::optional<ForecastKey> k = ParseForecastId(id);
    if (!k) {
      return false;
    }
    if (category && k->category != *category) {
      return false;
    }
    if (!req.product_line().empty() && k->scope.product_line != line) {
      return false;
    }
    if (req.members_only() && k->scope.member.empty()) {
      return false;
    }
    return CanSee(call, k->scope);
  };

  std::vector<v1::Forecast> found;
  std::string after = cursor ? cursor->after : "";
  std::string next_token;
  if (!by_gap) {
    int scanned = 0;
    for (;;) {
      if (scanned >= kMaxScanPerCall || call.Expired()) {
        next_token = EncodePageToken({after, filter});
        break;
      }
      SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids, repo_.Range(index, after, kChunk));
      std::vector<std::string> keep;
      for (const std::string& id : ids) {
        SALESOPS_ASSIGN_OR_RETURN(bool ok, matches(id));
        if (ok) {
          keep.push_back(id);
        }
      }
      SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs,
                                repo_.GetDocs(DocKind::kForecast, keep));
      size_t k = 0;
      bool full = false;
      for (const std::string& id : ids) {
        ++scanned;
        after = id;
        if (k < keep.size() && keep[k] == id) {
          if (const std::optional<Doc>& d = docs[k++]) {
            v1::Forecast f;
            SALESOPS_RETURN_IF_ERROR(ParseDoc(*d, &f));
            found.push_back(std::move(f));
          }
        }
        if (static_cast<int>(found.size()) == page_size) {
          full = true;
          break;
        }
      }
      if (full) {
        next_token = EncodePageToken({after, filter});
        break;
      }
      if (static_cast<int>(ids.size()) < kChunk) {
        break;
      }
    }
  } else {
    // Ordered by shortfall: every match is read and sorted; the token is an offset.
    std::vector<std::string> ids;
    std::string scan_after;
    for (;;) {
      if (call.Expired()) {
        return DeadlineExceeded("ListForecasts ordered by gap");
      }
      SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> page,
                                repo_.Range(index, scan_after, kChunk));
      for (const std::string& id : page) {
        SALESOPS_ASSIGN_OR_RETURN(bool ok, matches(id));
        if (ok) {
          ids.push_back(id);
        }
      }
      if (static_cast<int>(ids.size()) > kMaxOrdered) {
        return InvalidField("order_by", absl::StrCat("more than ", kMaxOrdered,
                                                     " forecasts to order; narrow the list with "
                                                     "org_unit, category or product_line"));
      }
      if (static_cast<int>(page.size()) < kChunk) {
        break;
      }
      scan_after = page.back();
    }
    std::vector<v1::Forecast> all;
    for (size_t start = 0; start < ids.size(); start += kChunk) {
      std::vector<std::string> chunk(ids.begin() + start,
                                     ids.begin() + std::min(ids.size(), start + kChunk));
      SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs,
                                repo_.GetDocs(DocKind::kForecast, chunk));
      SALESOPS_ASSIGN_OR_RETURN(auto parsed, Parsed<v1::Forecast>(docs));
      for (auto& f : parsed) {
        if (f) {
          all.push_back(*std::move(f));
        }
      }
    }
    std::stable_sort(all.begin(), all.end(), [](const v1::Forecast& a, const v1::Forecast& b) {
      return a.gap_to_target().amount_minor() > b.gap_to_target().amount_minor();
    });
    int64_t offset = 0;
    if (cursor) {
      (void)absl::SimpleAtoi(cursor->after, &offset);
    }
    for (int64_t i = offset;
         i < static_cast<int64_t>(all.size()) && static_cast<int>(found.size()) < page_size; ++i) {
      found.push_back(all[i]);
    }
    if (offset + static_cast<int64_t>(found.size()) < static_cast<int64_t>(all.size())) {
      next_token = EncodePageToken({absl::StrCat(offset + found.size()), filter});
    }
  }
  for (v1::Forecast& f : found) {
    *resp->add_forecasts() = std::move(f);
  }
  std::vector<v1::Forecast*> ptrs;
  for (v1::Forecast& f : *resp->mutable_forecasts()) {
    ptrs.push_back(&f);
  }
  SALESOPS_RETURN_IF_ERROR(AddCalls(ptrs));
  resp->set_next_page_token(next_token);
  return absl::OkStatus();
}

absl::Status ForecastApi::RollUp(const CallContext& call, const v1::RollUpRequest& req,
                                 v1::RollUpResponse* resp) {
  Violations v;
  std::string unit = OptionalUnit(v, "org_unit", req.org_unit());
  if (req.org_unit().empty()) {
    v.Add("org_unit", "required: orgUnits/{id}");
  }
  const std::string period = PeriodId(v, "period", req.period());
  const std::optional<Category> category = CategoryOf(v, "category", req.category(), true);
  const std::string line = OptionalUnit(v, "product_line", req.product_line());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  const ScopeId scope{unit, "", line};
  SALESOPS_RETURN_IF_ERROR(CheckCanSee(call, scope));
  const std::string id = ForecastId(period, scope, *category);
  SALESOPS_ASSIGN_OR_RETURN(std::vector<ReadResult> r,
                            repo_.Read({DocsOp(DocKind::kForecast, {id}),
                                        RangeOp(KidsIndex(NodeKey(unit, "")), "", 10000)}));
  if (!r[0].docs[0]) {
    return NotFound("FORECAST_NOT_FOUND", absl::StrCat("forecasts/", id, " has not been computed"));
  }
  SALESOPS_RETURN_IF_ERROR(ParseDoc(*r[0].docs[0], resp->mutable_total()));
  std::vector<std::string> child_ids;
  for (const std::string& node : r[1].ids) {
    if (std::optional<ScopeId> child =
            ParseScopeKey(absl::StrCat(node, std::string(1, kSep), line.empty() ? kNone : line))) {
      child_ids.push_back(ForecastId(period, *child, *category));
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs,
                            repo_.GetDocs(DocKind::kForecast, child_ids));
  for (const std::optional<Doc>& d : docs) {
    if (!d) {
      continue;
    }
    SALESOPS_RETURN_IF_ERROR(ParseDoc(*d, resp->add_children()));
  }
  std::vector<v1::Forecast*> ptrs = {resp->mutable_total()};
  for (v1::Forecast& f : *resp->mutable_children()) {
    ptrs.push_back(&f);
  }
  return AddCalls(ptrs);
}

// ---------------------------------------------------------------- accuracy

absl::Status ForecastApi::GetAccuracy(const CallContext& call, const v1::GetAccuracyRequest& req,
                                      v1::GetAccuracyResponse* resp) {
  Violations v;
  SALESOPS_ASSIGN_OR_RETURN(ScopeId scope, ResolveScope(req.scope(), "scope", v));
  const std::optional<Category> category = CategoryOf(v, "category", req.category(), true);
  if (req.weeks_before_period_end() < 0 || req.weeks_before_period_end() > 60) {
    v.Add("weeks_before_period_end", "must be 0..60 (0 = every snapshot)");
  }
  if (req.period_count() < 0 || req.period_count() > 40) {
    v.Add("period_count", "must be 0..40");
  }
  if (!v1::ForecastModel_IsValid(req.model())) {
    v.Add("model", "unknown model");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_RETURN_IF_ERROR(CheckCanSee(call, scope));
  const int periods_wanted = req.period_count() == 0 ? 4 : req.period_count();

  SALESOPS_ASSIGN_OR_RETURN(
      std::vector<std::string> ids,
      repo_.Range(SnapshotIndex(ScopeKey(scope), *category), "", kMaxSnapshots));
  std::vector<v1::ForecastSnapshot> snaps;
  for (size_t start = 0; start < ids.size(); start += kChunk) {
    if (call.Expired()) {
      return DeadlineExceeded("GetAccuracy");
    }
    std::vector<std::string> chunk(ids.begin() + start,
                                   ids.begin() + std::min(ids.size(), start + kChunk));
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs,
                              repo_.GetDocs(DocKind::kSnapshot, chunk));
    SALESOPS_ASSIGN_OR_RETURN(auto parsed, Parsed<v1::ForecastSnapshot>(docs));
    for (auto& s : parsed) {
      if (!s || !s->has_actual()) {
        continue;
      }
      if (req.weeks_before_period_end() > 0 &&
          s->weeks_before_period_end() != req.weeks_before_period_end()) {
        continue;
      }
      snaps.push_back(*std::move(s));
    }
  }
  // The latest `periods_wanted` closed periods, by their end date.
  std::map<std::tuple<int, int, int, std::string>, std::vector<const v1::ForecastSnapshot*>>
      by_period;
  for (const v1::ForecastSnapshot& s : snaps) {
    const auto& e = s.forecast().period_end_date();
    by_period[{e.year(), e.month(), e.day(), s.forecast().period()}].push_back(&s);
  }
  while (static_cast<int>(by_period.size()) > periods_wanted) {
    by_period.erase(by_period.begin());
  }

  struct Series {
    v1::ForecastSource source;
    v1::ForecastModel model;
    std::vector<AccuracyPoint> points;
  };
  std::map<std::pair<int, int>, Series> series;
  auto add = [&](v1::ForecastSource src, v1::ForecastModel model, AccuracyPoint p) {
    Series& s = series[{src, model}];
    s.source = src;
    s.model = model;
    s.points.push_back(p);
  };
  std::vector<std::string> periods;
  for (const auto& [key, list] : by_period) {
    periods.push_back(std::get<3>(key));
    for (const v1::ForecastSnapshot* s : list) {
      const int64_t actual = s->actual().amount_minor();
      const v1::Forecast& f = s->forecast();
      add(v1::FORECAST_SOURCE_MODEL, v1::FORECAST_MODEL_UNSPECIFIED,
          {f.amount().amount_minor(), actual, f.interval_low().amount_minor(),
           f.interval_high().amount_minor()});
      for (const v1::ForecastCandidate& c : f.candidates()) {
        const bool interval = c.interval_low().amount_minor() != c.amount().amount_minor() ||
                              c.interval_high().amount_minor() != c.amount().amount_minor();
        AccuracyPoint p{c.amount().amount_minor(), actual, std::nullopt, std::nullopt};
        if (interval) {
          p.low_minor = c.interval_low().amount_minor();
          p.high_minor = c.interval_high().amount_minor();
        }
        add(v1::FORECAST_SOURCE_MODEL, c.model(), p);
      }
      if (s->has_submitted_call()) {
        add(v1::FORECAST_SOURCE_SUBMITTED_CALL, v1::FORECAST_MODEL_UNSPECIFIED,
            {s->submitted_call().amount_minor(), actual, std::nullopt, std::nullopt});
      }
      if (s->has_adjusted_call()) {
        add(v1::FORECAST_SOURCE_ADJUSTED_CALL, v1::FORECAST_MODEL_UNSPECIFIED,
            {s->adjusted_call().amount_minor(), actual, std::nullopt, std::nullopt});
      }
    }
  }
  const absl::Time now = clock_.Now();
  auto accuracy_of = [&](const Series& s) {
    const AccuracySummary sum = Summarize(s.points);
    v1::ForecastAccuracy a;
    *a.mutable_scope() = req.scope();
    a.mutable_scope()->clear_level();
    a.set_category(req.category());
    a.set_model(s.model);
    a.set_source(s.source);
    a.set_weeks_before_period_end(req.weeks_before_period_end());
    for (const std::string& p : periods) {
      a.add_periods(p);
    }
    a.set_snapshot_count(static_cast<int64_t>(s.points.size()));
    a.set_mape_basis_points(sum.mape_bp);
    a.set_bias_basis_points(sum.bias_bp);
    a.set_interval_coverage_basis_points(sum.coverage_bp);
    *a.mutable_compute_time() = ToTs(now);
    return std::make_pair(a, sum.count);
  };
  // The accuracy asked for: the model as published, or one model compared.
  auto asked = series.find({v1::FORECAST_SOURCE_MODEL, req.model()});
  if (asked != series.end()) {
    *resp->mutable_accuracy() = accuracy_of(asked->second).first;
  } else {
    Series empty{v1::FORECAST_SOURCE_MODEL, req.model(), {}};
    *resp->mutable_accuracy() = accuracy_of(empty).first;
  }
  std::vector<std::pair<v1::ForecastAccuracy, int>> all;
  for (const auto& [key, s] : series) {
    auto a = accuracy_of(s);
    if (a.second > 0) {
      all.push_back(std::move(a));
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.first.mape_basis_points() < b.first.mape_basis_points();
  });
  for (auto& [a, n] : all) {
    *resp->add_comparison() = std::move(a);
  }
  if (resp->comparison_size() > 0) {
    resp->set_most_accurate_source(resp->comparison(0).source());
    resp->set_most_accurate_model(resp->comparison(0).model());
  }
  return absl::OkStatus();
}

absl::Status ForecastApi::ListForecastSnapshots(const CallContext& call,
                                                const v1::ListForecastSnapshotsRequest& req,
                                                v1::ListForecastSnapshotsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  const bool has_scope =
      req.has_scope() && (!req.scope().member().empty() || !req.scope().org_unit().empty());
  ScopeId scope;
  if (has_scope) {
    SALESOPS_ASSIGN_OR_RETURN(scope, ResolveScope(req.scope(), "scope", v));
  }
  std::string period;
  if (!req.period().empty() || !has_scope) {
    period = PeriodId(v, "period", req.period());
  }
  const std::optional<Category> category = CategoryOf(v, "category", req.category(), false);
  const std::string filter =
      absl::StrCat(has_scope ? ScopeKey(scope) : "", "|", period, "|", req.category());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());

  if (has_scope) {
    SALESOPS_RETURN_IF_ERROR(CheckCanSee(call, scope));
    // A scope's snapshots are few: read them all and give the newest first.
    std::vector<std::string> ids;
    for (Category c : {Category::kCommit, Category::kBestCase, Category::kPipeline}) {
      if (category && c != *category) {
        continue;
      }
      SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> part,
                                repo_.Range(SnapshotIndex(ScopeKey(scope), c), "", kMaxSnapshots));
      for (std::string& id : part) {
        std::optional<ForecastKey> k = ParseForecastId(ForecastIdOf(id));
        if (!period.empty() && (!k || k->period != period)) {
          continue;
        }
        ids.push_back(std::move(id));
      }
    }
    // Newest first: by the week suffix, then id.
    std::sort(ids.begin(), ids.end(), [](const std::string& a, const std::string& b) {
      const std::string wa = a.substr(a.rfind(kSep) + 1), wb = b.substr(b.rfind(kSep) + 1);
      return wa != wb ? wa > wb : a < b;
    });
    int64_t offset = 0;
    if (cursor) {
      (void)absl::SimpleAtoi(cursor->after, &offset);
    }
    offset = std::clamp<int64_t>(offset, 0, static_cast<int64_t>(ids.size()));
    const size_t end = std::min(ids.size(), static_cast<size_t>(offset + page_size));
    std::vector<std::string> page(ids.begin() + offset, ids.begin() + end);
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs,
                              repo_.GetDocs(DocKind::kSnapshot, page));
    for (const std::optional<Doc>& d : docs) {
      if (d) {
        SALESOPS_RETURN_IF_ERROR(ParseDoc(*d, resp->add_snapshots()));
      }
    }
    if (end < ids.size()) {
      resp->set_next_page_token(EncodePageToken({absl::StrCat(end), filter}));
    }
    return absl::OkStatus();
  }

  // A period's snapshots, in id order, only those the caller may see.
  std::string after = cursor ? cursor->after : "";
  int scanned = 0;
  for (;;) {
    if (scanned >= kMaxScanPerCall || call.Expired()) {
      resp->set_next_page_token(EncodePageToken({after, filter}));
      return absl::OkStatus();
    }
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                              repo_.Range(SnapshotPeriodIndex(period), after, kChunk));
    std::vector<std::string> keep;
    for (const std::string& id : ids) {
      std::optional<ForecastKey> k = ParseForecastId(ForecastIdOf(id));
      if (!k || (category && k->category != *category)) {
        continue;
      }
      SALESOPS_ASSIGN_OR_RETURN(bool ok, CanSee(call, k->scope));
      if (ok) {
        keep.push_back(id);
      }
    }
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs,
                              repo_.GetDocs(DocKind::kSnapshot, keep));
    size_t k = 0;
    for (const std::string& id : ids) {
      ++scanned;
      after = id;
      if (k < keep.size() && keep[k] == id) {
        if (docs[k]) {
          SALESOPS_RETURN_IF_ERROR(ParseDoc(*docs[k], resp->add_snapshots()));
        }
        ++k;
      }
      if (resp->snapshots_size() == page_size) {
        resp->set_next_page_token(EncodePageToken({after, filter}));
        return absl::OkStatus();
      }
    }
    if (static_cast<int>(ids.size()) < kChunk) {
      return absl::OkStatus();
    }
  }
}

absl::Status ForecastApi::ListStageProbabilities(const CallContext& call,
                                                 const v1::ListStageProbabilitiesRequest& req,
                                                 v1::ListStageProbabilitiesResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  const std::string team = OptionalUnit(v, "team", req.team());
  const std::string line = OptionalUnit(v, "product_line", req.product_line());
  const std::string filter = absl::StrCat(team, "|", line);
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  // Supervisors and managers: their teams' figures and the company-wide ones.
  auto visible = [&](const std::string& t) -> absl::StatusOr<bool> {
    if (t.empty()) {
      return true;
    }
    return CanSee(call, ScopeId{t, "", ""});
  };
  if (!team.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(bool ok, visible(team));
    if (!ok) {
      return NotInScope(absl::StrCat("stage probabilities of ", req.team()));
    }
  }
  std::string after = cursor ? cursor->after : "";
  int scanned = 0;
  for (;;) {
    if (scanned >= kMaxScanPerCall || call.Expired()) {
      resp->set_next_page_token(EncodePageToken({after, filter}));
      return absl::OkStatus();
    }
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                              repo_.Range(StageProbabilityIndex(), after, kChunk));
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs,
                              repo_.GetDocs(DocKind::kStageProbability, ids));
    for (size_t i = 0; i < ids.size(); ++i) {
      ++scanned;
      after = ids[i];
      if (!docs[i]) {
        continue;
      }
      v1::StageProbability p;
      SALESOPS_RETURN_IF_ERROR(ParseDoc(*docs[i], &p));
      const std::string t = IdIn(p.team(), "orgUnits");
      if (!team.empty() && t != team) {
        continue;
      }
      if (!line.empty() && IdIn(p.product_line(), "orgUnits") != line) {
        continue;
      }
      SALESOPS_ASSIGN_OR_RETURN(bool ok, visible(t));
      if (!ok) {
        continue;
      }
      *resp->add_stage_probabilities() = std::move(p);
      if (resp->stage_probabilities_size() == page_size) {
        if (i + 1 < ids.size() || static_cast<int>(ids.size()) == kChunk) {
          resp->set_next_page_token(EncodePageToken({after, filter}));
        }
        return absl::OkStatus();
      }
    }
    if (static_cast<int>(ids.size()) < kChunk) {
      return absl::OkStatus();
    }
  }
}

// ---------------------------------------------------------------- calls

absl::Status ForecastApi::CheckCanCall(const CallContext& call, const ScopeId& scope,
                                       bool adjusted) {
  const Principal& p = call.principal;
  if (p.role == Role::kAdmin) {
    return absl::OkStatus();
  }
  const bool own = scope.member.empty()
                       ? (p.role >= Role::kSupervisor && scope.unit == p.org_unit_id)
                       : scope.member == p.member_id;
  if (!adjusted) {
    if (own) {
      return absl::OkStatus();
    }
    return PermissionDenied("NOT_YOUR_SCOPE",
                            "a SUBMITTED call is for your own number (yourself, or the unit you "
                            "lead); use ADJUSTED for the scopes below you");
  }
  if (p.role < Role::kManager) {
    return PermissionDenied("ADJUSTMENT_NOT_ALLOWED", "only managers and above adjust calls");
  }
  if (own) {
    return PermissionDenied("ADJUSTMENT_NOT_ALLOWED", "you submit, not adjust, your own number");
  }
  SALESOPS_ASSIGN_OR_RETURN(bool visible, CanSee(call, scope));
  if (!visible) {
    return NotInScope(absl::StrCat("forecasts of ", ScopeKey(scope)));
  }
  return absl::OkStatus();
}

absl::Status ForecastApi::ReplayCall(const CallContext& call, const std::string& stored,
                                     const std::string& expected, bool adjusted,
                                     v1::SubmitForecastCallResponse* resp) {
  SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(stored, expected));
  const std::string id = IdIn(stored, "forecastCalls");
  SALESOPS_ASSIGN_OR_RETURN(std::optional<Doc> doc, repo_.GetDoc(DocKind::kCall, id));
  if (!doc) {
    return RequestIdReused();
  }
  v1::ForecastCall c;
  SALESOPS_RETURN_IF_ERROR(ParseDoc(*doc, &c));
  // The same check as a fresh call: a replay shows nothing the caller may not write.
  std::optional<ForecastKey> key = ParseForecastId(ForecastIdOf(id));
  if (!key) {
    return RequestIdReused();
  }
  SALESOPS_RETURN_IF_ERROR(CheckCanCall(call, key->scope, adjusted));
  c.set_etag(absl::StrCat(doc->version));
  *resp->mutable_call() = std::move(c);
  return absl::OkStatus();
}

absl::Status ForecastApi::SubmitForecastCall(const CallContext& call,
                                             const v1::SubmitForecastCallRequest& req,
                                             v1::SubmitForecastCallResponse* resp) {
  v1::ForecastCall in = req.call();
  ClearOutputOnly(&in);
  Violations v;
  SALESOPS_ASSIGN_OR_RETURN(ScopeId scope, ResolveScope(in.scope(), "call.scope", v));
  const std::string period = PeriodId(v, "call.period", in.period());
  const std::optional<Category> category = CategoryOf(v, "call.category", in.category(), true);
  if (!in.has_amount()) {
    v.Add("call.amount", "required");
  } else {
    if (in.amount().amount_minor() < 0) {
      v.Add("call.amount.amount_minor", "must be >= 0");
    }
    if (!in.amount().currency_code().empty() && in.amount().currency_code() != options_.currency) {
      v.Add("call.amount.currency_code", absl::StrCat("forecasts are in ", options_.currency));
    }
  }
  CheckText(v, "call.note", in.note(), 0, kNoteMaxChars);
  if (req.kind() != v1::FORECAST_CALL_KIND_SUBMITTED &&
      req.kind() != v1::FORECAST_CALL_KIND_ADJUSTED) {
    v.Add("kind", "required: SUBMITTED (your own number) or ADJUSTED (a scope below you)");
  }
  CheckRequestId(v, req.request_id());
  if (!scope.member.empty() && !scope.unit.empty() && !in.scope().org_unit().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::optional<OrgMember> m, org_.Member(scope.member));
    if (m && m->team != scope.unit) {
      v.Add("call.scope.org_unit", absl::StrCat("is not ", in.scope().member(), "'s team"));
    }
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  const bool adjusted = req.kind() == v1::FORECAST_CALL_KIND_ADJUSTED;
  const std::string forecast_id = ForecastId(period, scope, *category);
  const std::string id = CallId(forecast_id, adjusted);
  const std::string name = absl::StrCat("forecastCalls/", id);
  const std::string caller = call.principal.member_id;

  SALESOPS_ASSIGN_OR_RETURN(std::optional<std::string> seen,
                            repo_.SeenRequest(caller, req.request_id()));
  if (seen) {
    return ReplayCall(call, *seen, name, adjusted, resp);
  }
  SALESOPS_RETURN_IF_ERROR(CheckCanCall(call, scope, adjusted));
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> chain, org_.UnitAndAncestors(scope.unit));

  const absl::Time now = clock_.Now();
  for (int attempt = 0;; ++attempt) {
    SALESOPS_ASSIGN_OR_RETURN(
        std::vector<ReadResult> r,
        repo_.Read({DocsOp(DocKind::kCall, {id}), DocsOp(DocKind::kForecast, {forecast_id})}));
    const std::optional<Doc>& existing = r[0].docs[0];
    SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), existing ? existing->version : 0, name));
    v1::ForecastCall before;
    if (existing) {
      SALESOPS_RETURN_IF_ERROR(ParseDoc(*existing, &before));
    }
    v1::ForecastCall c;
    c.set_name(name);
    v1::ForecastScope* s = c.mutable_scope();
    if (!scope.member.empty()) {
      s->set_member(absl::StrCat("members/", scope.member));
    }
    s->set_org_unit(absl::StrCat("orgUnits/", scope.unit));
    if (!scope.product_line.empty()) {
      s->set_product_line(absl::StrCat("orgUnits/", scope.product_line));
    }
    c.set_period(absl::StrCat("fiscalPeriods/", period));
    c.set_category(ToProto(*category));
    *c.mutable_amount() = Money(in.amount().amount_minor(), options_.currency);
    c.set_note(in.note());
    c.set_kind(req.kind());
    c.set_author(absl::StrCat("members/", caller));
    int64_t model_amount = 0;
    if (r[1].docs[0]) {
      v1::Forecast f;
      SALESOPS_RETURN_IF_ERROR(ParseDoc(*r[1].docs[0], &f));
      model_amount = f.amount().amount_minor();
    }
    *c.mutable_model_amount() = Money(model_amount, options_.currency);
    *c.mutable_create_time() = existing ? before.create_time() : ToTs(now);
    *c.mutable_update_time() = ToTs(now);

    ForecastChange change;
    change.PutDoc(DocKind::kCall, id, c.SerializeAsString(), existing ? existing->version : 0);
    if (!existing) {
      change.AddToIndex(CallIndex(period, ""), id);
      for (const std::string& unit : chain) {
        change.AddToIndex(CallIndex(period, unit), id);
      }
    }
    change.RememberRequest(caller, req.request_id(), name);
    v1::ForecastCallSubmitted event;
    *event.mutable_call() = c;
    if (existing) {
      *event.mutable_previous() = before;
    }
    *event.mutable_actor() = ActorOf(call);
    change.Emit(MakeCloudEvent(kForecastSource, id, name, event, now, call.trace_id));
    SALESOPS_ASSIGN_OR_RETURN(CommitOutcome out, repo_.Commit(change, nullptr));
    if (out.committed) {
      c.set_etag(absl::StrCat(existing ? existing->version + 1 : 1));
      *resp->mutable_call() = std::move(c);
      return absl::OkStatus();
    }
    if (out.failed_tag == "request:") {
      return ReplayCall(call, out.current, name, adjusted, resp);
    }
    // Someone submitted meanwhile: the caller's etag decides, else read again.
    if (!req.etag().empty() || attempt + 1 >= kMaxInternalRetries) {
      return Aborted(reason::kEtagMismatch,
                     absl::StrCat(name, " changed meanwhile; re-read and retry"));
    }
  }
}

absl::Status ForecastApi::ListForecastCalls(const CallContext& call,
                                            const v1::ListForecastCallsRequest& req,
                                            v1::ListForecastCallsResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  const std::string period = PeriodId(v, "period", req.period());
  const std::string unit = OptionalUnit(v, "org_unit", req.org_unit());
  const std::optional<Category> category = CategoryOf(v, "category", req.category(), false);
  if (!v1::ForecastCallKind_IsValid(req.kind())) {
    v.Add("kind", "unknown kind");
  }
  const std::string filter = absl::StrCat(period, "|", unit, "|", req.category(), "|", req.kind());
  std::optional<PageCursor> cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  std::string index_unit = unit;
  if (index_unit.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(index_unit, DefaultUnit(call));
  }
  const std::string index = CallIndex(period, index_unit);
  std::string after = cursor ? cursor->after : "";
  int scanned = 0;
  for (;;) {
    if (scanned >= kMaxScanPerCall || call.Expired()) {
      resp->set_next_page_token(EncodePageToken({after, filter}));
      return absl::OkStatus();
    }
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids, repo_.Range(index, after, kChunk));
    std::vector<std::string> keep;
    for (const std::string& id : ids) {
      std::optional<ForecastKey> k = ParseForecastId(ForecastIdOf(id));
      if (!k || (category && k->category != *category)) {
        continue;
      }
      const bool adjusted = id.size() > 9 && id.substr(id.size() - 9) == "~adjusted";
      if (req.kind() == v1::FORECAST_CALL_KIND_ADJUSTED && !adjusted) {
        continue;
      }
      if (req.kind() == v1::FORECAST_CALL_KIND_SUBMITTED && adjusted) {
        continue;
      }
      SALESOPS_ASSIGN_OR_RETURN(bool ok, CanSee(call, k->scope));
      if (ok) {
        keep.push_back(id);
      }
    }
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs,
                              repo_.GetDocs(DocKind::kCall, keep));
    size_t k = 0;
    for (const std::string& id : ids) {
      ++scanned;
      after = id;
      if (k < keep.size() && keep[k] == id) {
        if (docs[k]) {
          v1::ForecastCall* c = resp->add_calls();
          SALESOPS_RETURN_IF_ERROR(ParseDoc(*docs[k], c));
          c->set_etag(absl::StrCat(docs[k]->version));
        }
        ++k;
      }
      if (resp->calls_size() == page_size) {
        resp->set_next_page_token(EncodePageToken({after, filter}));
        return absl::OkStatus();
      }
    }
    if (static_cast<int>(ids.size()) < kChunk) {
      return absl::OkStatus();
    }
  }
}

}  // namespace salesops::forecast
