#include "services/forecast/engine/forecast_engine.h"

#include <algorithm>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "salesops/forecast/v1/forecast_events.pb.h"
#include "services/forecast/domain/roll_up.h"
#include "services/forecast/domain/scope_forecast.h"

namespace salesops::forecast {
namespace {

constexpr int kMaxKids = 10000;
constexpr int kMaxLines = 1000;
constexpr int kMaxOpenPerLeaf = 100000;
constexpr int kMaxPeriods = 10000;
constexpr Category kCategories[] = {Category::kCommit, Category::kBestCase, Category::kPipeline};

int64_t ToInt(const std::string& s) {
  int64_t v = 0;
  (void)absl::SimpleAtoi(s, &v);
  return v;
}

int32_t SaturatingBp(__int128 numerator, __int128 denominator) {
  if (denominator == 0) {
    return 0;
  }
  const __int128 v = numerator * 10000 / denominator;
  if (v > std::numeric_limits<int32_t>::max()) {
    return std::numeric_limits<int32_t>::max();
  }
  if (v < std::numeric_limits<int32_t>::min()) {
    return std::numeric_limits<int32_t>::min();
  }
  return static_cast<int32_t>(v);
}

std::string ChildScopeKey(absl::string_view node, absl::string_view line) {
  return absl::StrCat(node, std::string(1, kSep), line.empty() ? kNone : line);
}

std::optional<ScopeId> ScopeOfNode(absl::string_view node, absl::string_view line) {
  return ParseScopeKey(ChildScopeKey(node, line));
}

absl::string_view ModelShortName(v1::ForecastModel m) {
  switch (m) {
    case v1::FORECAST_MODEL_PIPELINE_WEIGHTED:
      return "pipeline-weighted";
    case v1::FORECAST_MODEL_ROLL_UP:
      return "roll-up";
    case v1::FORECAST_MODEL_SIMPLE_EXPONENTIAL_SMOOTHING:
      return "SES";
    case v1::FORECAST_MODEL_HOLT_LINEAR:
      return "Holt";
    case v1::FORECAST_MODEL_HOLT_DAMPED:
      return "damped Holt";
    case v1::FORECAST_MODEL_HOLT_WINTERS_ADDITIVE:
      return "Holt-Winters (additive)";
    case v1::FORECAST_MODEL_HOLT_WINTERS_MULTIPLICATIVE:
      return "Holt-Winters (multiplicative)";
    case v1::FORECAST_MODEL_THETA:
      return "Theta";
    case v1::FORECAST_MODEL_OPTIMIZED_THETA:
      return "Optimised Theta";
    case v1::FORECAST_MODEL_ENSEMBLE:
      return "ensemble";
    case v1::FORECAST_MODEL_NAIVE:
      return "naive";
    case v1::FORECAST_MODEL_MEAN:
      return "mean";
    default:
      return "unknown";
  }
}

std::string Percent(int32_t bp) { return absl::StrCat(bp / 100, ".", (bp % 100) / 10, "%"); }

// The forecast as compared for "did anything change": without the times.
std::string Comparable(v1::Forecast f) {
  f.clear_as_of();
  f.clear_compute_time();
  return f.SerializeAsString();
}

}  // namespace

absl::StatusOr<std::map<Stage, double>> ParsePriors(absl::string_view spec,
                                                    absl::string_view field) {
  static const std::pair<absl::string_view, Stage> kNames[] = {{"lead", Stage::kLead},
                                                               {"qualified", Stage::kQualified},
                                                               {"proposal", Stage::kProposal},
                                                               {"negotiation", Stage::kNegotiation},
                                                               {"contract", Stage::kContract}};
  std::map<Stage, double> out;
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    std::vector<absl::string_view> kv = absl::StrSplit(part, ':');
    int bp = -1;
    if (kv.size() != 2 || !absl::SimpleAtoi(kv[1], &bp) || bp < 0 || bp > 10000) {
      return InvalidField(field,
                          absl::StrCat("'", part, "' is not <stage>:<basis points 0..10000>"));
    }
    bool known = false;
    for (const auto& [name, stage] : kNames) {
      if (kv[0] != name) {
        continue;
      }
      known = true;
      if (!out.emplace(stage, bp / 10000.0).second) {
        return InvalidField(field, absl::StrCat("stage '", name, "' given twice"));
      }
    }
    if (!known) {
      return InvalidField(field, absl::StrCat("unknown open stage '", kv[0], "'"));
    }
  }
  if (out.size() != 5) {
    return InvalidField(field, "every open stage needs a prior");
  }
  return out;
}

// ---------------------------------------------------------------- stats

absl::StatusOr<std::shared_ptr<const StageStatistics>> StatsCache::Get() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  if (stats_ != nullptr && now - checked_ < options_.stats_refresh) {
    return stats_;
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> rev,
                            repo_.GetFields(MetaHash(), {"hist_rev"}));
  checked_ = now;
  // Open deals age out with time alone, so an hour-old view is learned again too.
  if (stats_ == nullptr || rev[0] != revision_ || now - loaded_ >= absl::Hours(1)) {
    SALESOPS_RETURN_IF_ERROR(Load(rev[0]));
  }
  return stats_;
}

absl::Status StatsCache::Reload() {
  absl::MutexLock lock(&mu_);
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> rev,
                            repo_.GetFields(MetaHash(), {"hist_rev"}));
  checked_ = absl::Now();
  return Load(rev[0]);
}

absl::Status StatsCache::Load(const std::string& revision) {
  SALESOPS_ASSIGN_OR_RETURN(auto fields, repo_.GetAllFields(HistoryHash()));
  std::vector<DealRecord> deals;
  deals.reserve(fields.size());
  for (const auto& [id, data] : fields) {
    v1::DealRecord r;
    if (!r.ParseFromString(data)) {
      return Internal("CORRUPT_DOCUMENT", absl::StrCat("closed deal ", id, " does not parse"));
    }
    deals.push_back(FromProto(r));
  }
  absl::StatusOr<StageStatistics> learned =
      LearnAsOf(deals, absl::ToCivilDay(clock_.Now(), options_.tz), options_.min_sample);
  if (!learned.ok()) {
    return Internal("STAGE_LEARNING", std::string(learned.status().message()));
  }
  stats_ = std::make_shared<const StageStatistics>(*std::move(learned));
  revision_ = revision;
  loaded_ = absl::Now();
  return absl::OkStatus();
}

// ---------------------------------------------------------------- periods

absl::StatusOr<std::vector<v1::PeriodRecord>> ForecastEngine::Periods() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  if (periods_loaded_ && now - periods_checked_ < absl::Seconds(1)) {
    return periods_;
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> rev,
                            repo_.GetFields(MetaHash(), {"periods_rev"}));
  periods_checked_ = now;
  if (periods_loaded_ && rev[0] == periods_rev_) {
    return periods_;
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                            repo_.Range(PeriodsIndex(), "", kMaxPeriods));
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs,
                            repo_.GetDocs(DocKind::kPeriod, ids));
  std::vector<v1::PeriodRecord> out;
  for (const std::optional<Doc>& d : docs) {
    if (!d) {
      continue;
    }
    v1::PeriodRecord r;
    SALESOPS_RETURN_IF_ERROR(ParseDoc(*d, &r));
    if (!ValidDate(r.start()) || !ValidDate(r.end())) {
      continue;
    }
    out.push_back(std::move(r));
  }
  periods_ = std::move(out);
  periods_rev_ = rev[0];
  periods_loaded_ = true;
  return periods_;
}

void ForecastEngine::InvalidatePeriods() {
  absl::MutexLock lock(&mu_);
  periods_loaded_ = false;
}

absl::StatusOr<std::vector<ActivePeriod>> ForecastEngine::ActivePeriods(absl::CivilDay today,
                                                                        ForecastChange* change) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<v1::PeriodRecord> all, Periods());
  std::vector<ActivePeriod> out;
  std::set<std::string> stored;
  for (const v1::PeriodRecord& r : all) {
    stored.insert(r.id());
  }
  // Periods of the targets service containing `day`; a calendar quarter when none.
  auto containing = [&](absl::CivilDay day) {
    std::vector<ActivePeriod> found;
    for (const v1::PeriodRecord& r : all) {
      if (r.deleted() || r.fallback()) {
        continue;
      }
      const Period p = PeriodOf(r);
      if (p.start <= day && day <= p.end) {
        found.push_back({r.id(), p});
      }
    }
    if (found.empty()) {
      const std::string id = CalendarQuarterId(day);
      const Period p = CalendarQuarterOf(day);
      found.push_back({id, p});
      if (!stored.contains(id) && change != nullptr) {
        v1::PeriodRecord r;
        r.set_id(id);
        *r.mutable_start() = ToDate(p.start);
        *r.mutable_end() = ToDate(p.end);
        r.set_fallback(true);
        change->PutDoc(DocKind::kPeriod, id, r.SerializeAsString(), 0);
        change->AddToIndex(PeriodsIndex(), id);
        change->IncrementField(MetaHash(), "periods_rev", 1);
        stored.insert(id);
        // Counted as stored from now on, so the next change does not try
        // again; a caller whose commit fails calls InvalidatePeriods().
        absl::MutexLock lock(&mu_);
        periods_.push_back(r);
      }
    }
    return found;
  };
  out = containing(today);
  absl::CivilDay last = today;
  for (const ActivePeriod& p : out) {
    last = std::max(last, p.period.end);
  }
  for (ActivePeriod& p : containing(last + 1)) {
    if (std::none_of(out.begin(), out.end(), [&](const ActivePeriod& o) { return o.id == p.id; })) {
      out.push_back(std::move(p));
    }
  }
  std::sort(out.begin(), out.end(), [](const ActivePeriod& a, const ActivePeriod& b) {
    return std::tie(a.period.start, a.id) < std::tie(b.period.start, b.id);
  });
  if (static_cast<int>(out.size()) > options_.max_periods) {
    // Not silently: the periods left out get no forecast at all.
    if (!warned_max_periods_.exchange(true)) {
      LogWarning("more fiscal periods active than --forecast_max_periods; the latest are left out",
                 {{"active", static_cast<int64_t>(out.size())},
                  {"max_periods", static_cast<int64_t>(options_.max_periods)},
                  {"first_left_out", out[options_.max_periods].id}});
    }
    out.resize(options_.max_periods);
  }
  return out;
}

// ---------------------------------------------------------------- tree

absl::StatusOr<std::vector<std::string>> ForecastEngine::Chain(const std::string& team) {
  return org_.UnitAndAncestors(team);
}

absl::StatusOr<std::vector<std::string>> ForecastEngine::BookingScopes(const Leaf& leaf) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> chain, Chain(leaf.team));
  std::vector<std::string> out = {ScopeKey(leaf.Scope()), ScopeKey({leaf.team, leaf.member, ""})};
  for (const std::string& unit : chain) {
    out.push_back(ScopeKey({unit, "", leaf.product_line}));
    out.push_back(ScopeKey({unit, "", ""}));
  }
  return out;
}

// ---------------------------------------------------------------- recompute

struct ForecastEngine::Figs {
  int64_t amount = 0, low = 0, high = 0, closed = 0, open = 0, weighted = 0;
  // The pipeline-weighted figure summed bottom-up (what the forecast would be
  // had every leaf used the pipeline), kept for the accuracy comparison.
  int64_t pipeline_total = 0;
  v1::ForecastModel model = v1::FORECAST_MODEL_PIPELINE_WEIGHTED;
  std::string detail;
  std::vector<v1::ForecastCandidate> candidates;
};

struct ForecastEngine::ScopeCalc {
  ScopeId scope;
  std::vector<std::string> units;  // the scope's unit and those above (index entries)
  v1::ForecastLevel level = v1::FORECAST_LEVEL_UNSPECIFIED;
  Category category = Category::kPipeline;
  std::string id;
  Figs figs;
};

namespace {

v1::ForecastCandidate Candidate(v1::ForecastModel model, std::string detail, const Figures& f,
                                int32_t mape_bp, int32_t periods, bool chosen,
                                const std::string& currency) {
  v1::ForecastCandidate c;
  c.set_model(model);
  c.set_detail(std::move(detail));
  *c.mutable_amount() = Money(f.amount_minor, currency);
  *c.mutable_interval_low() = Money(f.low_minor, currency);
  *c.mutable_interval_high() = Money(f.high_minor, currency);
  c.set_backtest_mape_basis_points(mape_bp);
  c.set_backtest_periods(periods);
  c.set_chosen(chosen);
  return c;
}

}  // namespace

absl::Status ForecastEngine::Recompute(const std::vector<Leaf>& leaves_in, const Pending& pending,
                                       const Cause& cause, absl::Time now, ForecastChange& change) {
  std::vector<Leaf> leaves = leaves_in;
  std::sort(leaves.begin(), leaves.end());
  leaves.erase(std::unique(leaves.begin(), leaves.end()), leaves.end());
  if (leaves.empty()) {
    return absl::OkStatus();
  }
  const absl::CivilDay today = absl::ToCivilDay(now, options_.tz);
  SALESOPS_ASSIGN_OR_RETURN(std::vector<ActivePeriod> periods, ActivePeriods(today, &change));
  if (periods.empty()) {
    return absl::OkStatus();
  }
  SALESOPS_ASSIGN_OR_RETURN(std::shared_ptr<const StageStatistics> stats, stats_.Get());
  ++stats_counters_.recomputes;

  // ---- the nodes involved
  struct UnitNode {
    std::vector<std::string> chain;  // this unit first
    int depth = 0;
    std::set<std::string> lines;  // product lines recomputed under it
  };
  std::map<std::string, UnitNode> units;
  struct MemberNode {
    std::string team, member;
    std::vector<std::string> chain;
  };
  std::map<std::string, MemberNode> members;  // node key → member
  for (const Leaf& leaf : leaves) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> chain, Chain(leaf.team));
    for (size_t i = 0; i < chain.size(); ++i) {
      UnitNode& u = units[chain[i]];
      u.chain.assign(chain.begin() + static_cast<long>(i), chain.end());
      u.depth = static_cast<int>(chain.size() - 1 - i);
      u.lines.insert(leaf.product_line);
    }
    members[NodeKey(leaf.team, leaf.member)] = {leaf.team, leaf.member, chain};
  }
  std::vector<std::string> node_keys;
  for (const auto& [key, m] : members) {
    node_keys.push_back(key);
  }
  for (const auto& [unit, u] : units) {
    node_keys.push_back(NodeKey(unit, ""));
  }

  // ---- revisions before anything else (see the header comment)
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> revs,
                            repo_.GetFields(RevisionsHash(), node_keys));

  // ---- the tree around them and the leaves' open deals
  std::vector<ReadOp> ops;
  for (const auto& [unit, u] : units) {
    ops.push_back(RangeOp(KidsIndex(NodeKey(unit, "")), "", kMaxKids));
  }
  for (const auto& [key, m] : members) {
    ops.push_back(RangeOp(ProductLinesIndex(key), "", kMaxLines));
  }
  for (const Leaf& leaf : leaves) {
    ops.push_back(RangeOp(OpenDealsIndex(ScopeKey(leaf.Scope())), "", kMaxOpenPerLeaf));
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<ReadResult> tree, repo_.Read(ops));
  size_t next = 0;
  std::map<std::string, std::set<std::string>> kids;   // unit → child node keys
  std::map<std::string, std::set<std::string>> lines;  // member node → product lines
  std::map<std::string, std::set<std::string>> open;   // leaf scope key → deal ids
  for (const auto& [unit, u] : units) {
    const auto& ids = tree[next++].ids;
    kids[unit].insert(ids.begin(), ids.end());
  }
  for (const auto& [key, m] : members) {
    const auto& ids = tree[next++].ids;
    lines[key].insert(ids.begin(), ids.end());
  }
  for (const Leaf& leaf : leaves) {
    const std::string key = ScopeKey(leaf.Scope());
    const auto& ids = tree[next++].ids;
    std::set<std::string>& set = open[key];
    set.insert(ids.begin(), ids.end());
    if (auto it = pending.open_added.find(key); it != pending.open_added.end()) {
      set.insert(it->second.begin(), it->second.end());
    }
    if (auto it = pending.open_removed.find(key); it != pending.open_removed.end()) {
      for (const std::string& id : it->second) {
        set.erase(id);
      }
    }
  }
  // The leaves' places in the tree (idempotent; only what is missing is written).
  for (const Leaf& leaf : leaves) {
    const std::string member_node = NodeKey(leaf.team, leaf.member);
    if (lines[member_node].insert(leaf.product_line).second) {
      change.AddToIndex(ProductLinesIndex(member_node), leaf.product_line);
    }
    if (kids[leaf.team].insert(member_node).second) {
      change.AddToIndex(KidsIndex(NodeKey(leaf.team, "")), member_node);
    }
    const std::vector<std::string>& chain = members[member_node].chain;
    for (size_t i = 0; i + 1 < chain.size(); ++i) {
      const std::string child = NodeKey(chain[i], "");
      if (kids[chain[i + 1]].insert(child).second) {
        change.AddToIndex(KidsIndex(NodeKey(chain[i + 1], "")), child);
      }
    }
  }

  // ---- the scopes to compute, children before parents
  struct Pending2 {
    std::string node;  // node key
    std::string line;  // "" = all
    bool leaf = false;
    std::vector<std::string> children;  // child scope keys (non-leaves)
    std::vector<std::string> units;
    v1::ForecastLevel level = v1::FORECAST_LEVEL_UNSPECIFIED;
    ScopeId scope;
  };
  std::vector<Pending2> order;
  for (const Leaf& leaf : leaves) {
    Pending2 p;
    p.node = NodeKey(leaf.team, leaf.member);
    p.line = leaf.product_line;
    p.leaf = true;
    p.units = members[p.node].chain;
    p.level = v1::FORECAST_LEVEL_MEMBER;
    p.scope = leaf.Scope();
    order.push_back(std::move(p));
  }
  for (const auto& [key, m] : members) {
    Pending2 p;
    p.node = key;
    p.units = m.chain;
    p.level = v1::FORECAST_LEVEL_MEMBER;
    p.scope = {m.team, m.member, ""};
    for (const std::string& line : lines[key]) {
      p.children.push_back(ChildScopeKey(key, line));
    }
    order.push_back(std::move(p));
  }
  std::vector<std::pair<int, std::string>> by_depth;
  for (const auto& [unit, u] : units) {
    by_depth.emplace_back(-u.depth, unit);
  }
  std::sort(by_depth.begin(), by_depth.end());
  for (const auto& [neg_depth, unit] : by_depth) {
    const UnitNode& u = units[unit];
    SALESOPS_ASSIGN_OR_RETURN(int kind, org_.KindOf(unit));
    const v1::ForecastLevel level = kind == kKindCompany  ? v1::FORECAST_LEVEL_COMPANY
                                    : kind == kKindRegion ? v1::FORECAST_LEVEL_REGION
                                    : kind == kKindTeam   ? v1::FORECAST_LEVEL_TEAM
                                                          : v1::FORECAST_LEVEL_UNSPECIFIED;
    std::vector<std::string> all_lines(u.lines.begin(), u.lines.end());
    all_lines.push_back("");
    for (const std::string& line : all_lines) {
      Pending2 p;
      p.node = NodeKey(unit, "");
      p.line = line;
      p.units = u.chain;
      p.level = level;
      p.scope = {unit, "", line};
      for (const std::string& k : kids[unit]) {
        p.children.push_back(ChildScopeKey(k, line));
      }
      order.push_back(std::move(p));
    }
  }
  std::set<std::string> computed_keys;
  for (const Pending2& p : order) {
    computed_keys.insert(ScopeKey(p.scope));
  }

  // ---- what they are computed from
  const absl::CivilMonth this_month(today);
  std::set<absl::CivilMonth> months;
  for (const ActivePeriod& ap : periods) {
    for (absl::CivilMonth m : MonthsOf(ap.period)) {
      if (m <= this_month) {
        months.insert(m);
      }
    }
  }
  std::vector<std::string> scope_keys(computed_keys.begin(), computed_keys.end());
  std::vector<std::string> deal_ids;
  for (const auto& [key, ids] : open) {
    for (const std::string& id : ids) {
      if (!pending.deals.contains(id)) {
        deal_ids.push_back(id);
      }
    }
  }
  std::sort(deal_ids.begin(), deal_ids.end());
  deal_ids.erase(std::unique(deal_ids.begin(), deal_ids.end()), deal_ids.end());
  std::vector<std::string> existing_ids, child_ids;
  for (const ActivePeriod& ap : periods) {
    for (Category c : kCategories) {
      for (const std::string& key : scope_keys) {
        existing_ids.push_back(ForecastId(ap.id, *ParseScopeKey(key), c));
      }
      for (const Pending2& p : order) {
        for (const std::string& child : p.children) {
          if (computed_keys.contains(child)) {
            continue;
          }
          if (std::optional<ScopeId> s = ParseScopeKey(child)) {
            child_ids.push_back(ForecastId(ap.id, *s, c));
          }
        }
      }
    }
  }
  std::sort(child_ids.begin(), child_ids.end());
  child_ids.erase(std::unique(child_ids.begin(), child_ids.end()), child_ids.end());
  std::vector<std::string> target_nodes;
  for (const std::string& key : scope_keys) {
    const ScopeId s = *ParseScopeKey(key);
    if (s.product_line.empty()) {
      target_nodes.push_back(NodeKey(s.unit, s.member));
    }
  }

  ops.clear();
  ops.push_back(DocsOp(DocKind::kDeal, deal_ids));
  ops.push_back(DocsOp(DocKind::kScopeModel, scope_keys));
  ops.push_back(DocsOp(DocKind::kForecast, existing_ids));
  ops.push_back(DocsOp(DocKind::kForecast, child_ids));
  for (absl::CivilMonth m : months) {
    ops.push_back(FieldsOp(BookingsHash(m), scope_keys));
  }
  for (const ActivePeriod& ap : periods) {
    ops.push_back(FieldsOp(TargetsHash(ap.id), target_nodes));
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<ReadResult> data, repo_.Read(ops));

  absl::flat_hash_map<std::string, DealRecord> deals = pending.deals;
  for (const std::optional<Doc>& d : data[0].docs) {
    if (!d) {
      continue;
    }
    v1::DealRecord r;
    SALESOPS_RETURN_IF_ERROR(ParseDoc(*d, &r));
    deals.emplace(d->id, FromProto(r));
  }
  absl::flat_hash_map<std::string, v1::ScopeModel> models;
  for (const std::optional<Doc>& d : data[1].docs) {
    if (!d) {
      continue;
    }
    v1::ScopeModel m;
    SALESOPS_RETURN_IF_ERROR(ParseDoc(*d, &m));
    models[d->id] = std::move(m);
  }
  absl::flat_hash_map<std::string, std::optional<Doc>> existing;
  for (size_t i = 0; i < existing_ids.size(); ++i) {
    existing[existing_ids[i]] = data[2].docs[i];
  }
  absl::flat_hash_map<std::string, Figs> figs;  // forecast id → figures (children read or computed)
  for (const std::optional<Doc>& d : data[3].docs) {
    if (!d) {
      continue;
    }
    v1::Forecast f;
    SALESOPS_RETURN_IF_ERROR(ParseDoc(*d, &f));
    Figs g;
    g.amount = f.amount().amount_minor();
    g.low = f.interval_low().amount_minor();
    g.high = f.interval_high().amount_minor();
    g.closed = f.closed_to_date().amount_minor();
    g.open = f.open_pipeline().amount_minor();
    g.weighted = f.weighted_pipeline().amount_minor();
    g.model = f.model();
    g.pipeline_total = g.amount;
    for (const v1::ForecastCandidate& c : f.candidates()) {
      if (c.model() == v1::FORECAST_MODEL_PIPELINE_WEIGHTED) {
        g.pipeline_total = c.amount().amount_minor();
      }
    }
    figs[d->id] = std::move(g);
  }
  // (month, scope key) → booked.
  std::map<std::pair<absl::CivilMonth, std::string>, int64_t> booked;
  size_t at = 4;
  for (absl::CivilMonth m : months) {
    const ReadResult& r = data[at++];
    for (size_t i = 0; i < scope_keys.size(); ++i) {
      booked[{m, scope_keys[i]}] = ToInt(r.values[i]);
    }
  }
  for (const auto& [mk, delta] : pending.bookings) {
    if (std::optional<absl::CivilMonth> m = ParseMonthKey(mk.first)) {
      booked[{*m, mk.second}] += delta;
    }
  }
  std::map<std::pair<std::string, std::string>, int64_t> targets;  // (period, node) → target
  for (const ActivePeriod& ap : periods) {
    const ReadResult& r = data[at++];
    for (size_t i = 0; i < target_nodes.size(); ++i) {
      targets[{ap.id, target_nodes[i]}] = ToInt(r.values[i]);
    }
  }
  auto booked_in = [&](const std::string& key, absl::CivilMonth m) -> int64_t {
    auto it = booked.find({m, key});
    return it == booked.end() ? 0 : it->second;
  };

  // ---- compute, period by period
  std::vector<ScopeCalc> results;
  for (const ActivePeriod& ap : periods) {
    for (const Pending2& p : order) {
      const std::string key = ScopeKey(p.scope);
      int64_t closed = 0;
      for (absl::CivilMonth m : MonthsOf(ap.period)) {
        closed += booked_in(key, m);
      }
      const v1::ScopeModel* model = nullptr;
      if (auto it = models.find(key); it != models.end()) {
        model = &it->second;
      }
      std::optional<Figures> series;
      if (model != nullptr && model->mean_minor_size() > 0) {
        if (std::optional<absl::CivilMonth> first = ParseMonthKey(model->first_month())) {
          MonthlyPath path;
          path.first = *first;
          path.mean.assign(model->mean_minor().begin(), model->mean_minor().end());
          path.low.assign(model->low_minor().begin(), model->low_minor().end());
          path.high.assign(model->high_minor().begin(), model->high_minor().end());
          if (path.low.size() == path.mean.size() && path.high.size() == path.mean.size()) {
            series = SeriesForPeriod(path, ap.period, today, [&](absl::CivilMonth m) {
              return m <= this_month ? booked_in(key, m) : 0;
            });
          }
        }
      }

      if (p.leaf) {
        PipelineInput in;
        in.closed_to_date_minor = closed;
        in.period = ap.period;
        in.as_of = today;
        in.confidence = options_.confidence;
        in.prior_win_probability = options_.priors;
        for (const std::string& id : open[key]) {
          auto it = deals.find(id);
          if (it == deals.end()) {
            continue;  // index ahead of the document: skip
          }
          if (std::optional<OpenDeal> d = OpenAsOf(it->second, today, true)) {
            in.deals.push_back(*std::move(d));
          }
        }
        for (Category c : kCategories) {
          in.category = c;
          absl::StatusOr<PipelineForecast> f = ForecastPipeline(in, *stats);
          if (!f.ok()) {
            return Internal("PIPELINE_FORECAST", absl::StrCat(key, ": ", f.status().message()));
          }
          Figs g;
          g.amount = f->amount_minor;
          // A few uncertain deals make a skewed distribution whose mean can lie
          // outside its central interval (one 10% deal: [0, 0], mean 10%); the
          // interval is widened to hold the point forecast, as roll-ups need.
          g.low = std::min(f->interval_low_minor, g.amount);
          g.high = std::max(f->interval_high_minor, g.amount);
          g.closed = closed;
          g.open = f->open_pipeline_minor;
          g.weighted = f->weighted_pipeline_minor;
          g.pipeline_total = g.amount;
          std::map<ScopeLevel, int> levels;
          for (const DealContribution& d : f->deals) {
            ++levels[d.level];
          }
          std::vector<std::string> where;
          for (const auto& [level, n] : levels) {
            where.push_back(absl::StrCat(ScopeLevelName(level), " ", n));
          }
          g.detail =
              absl::StrCat("closed ", FormatMinor(closed), " + ", f->deals.size(), " open deals (",
                           FormatMinor(g.open), ") weighted ", FormatMinor(g.weighted));
          if (!where.empty()) {
            absl::StrAppend(&g.detail, "; win probabilities from ", absl::StrJoin(where, ", "));
          }
          if (c == Category::kPipeline) {
            const int32_t periods_tested = model != nullptr ? model->backtest_periods() : 0;
            const bool use_series = series.has_value() && model != nullptr &&
                                    model->chosen() != v1::FORECAST_MODEL_PIPELINE_WEIGHTED &&
                                    model->chosen() != v1::FORECAST_MODEL_UNSPECIFIED;
            g.candidates.push_back(Candidate(v1::FORECAST_MODEL_PIPELINE_WEIGHTED, g.detail,
                                             {g.amount, g.low, g.high},
                                             model != nullptr ? model->pipeline_mape_bp() : 0,
                                             periods_tested, !use_series, options_.currency));
            if (series) {
              g.candidates.push_back(Candidate(model->series_model(), model->series_detail(),
                                               *series, model->series_mape_bp(), periods_tested,
                                               use_series, options_.currency));
            }
            if (use_series) {
              g.amount = series->amount_minor;
              g.low = series->low_minor;
              g.high = series->high_minor;
              g.model = model->series_model();
              g.detail = absl::StrCat(ModelShortName(g.model),
                                      " on monthly bookings, chosen by back-test (MAPE ",
                                      Percent(model->series_mape_bp()), " vs pipeline-weighted ",
                                      Percent(model->pipeline_mape_bp()), " over ", periods_tested,
                                      " periods): ", model->series_detail());
            }
          }
          ScopeCalc calc{p.scope, p.units, p.level, c, ForecastId(ap.id, p.scope, c), std::move(g)};
          figs[calc.id] = calc.figs;
          results.push_back(std::move(calc));
        }
        continue;
      }

      for (Category c : kCategories) {
        std::vector<RollUpNode> nodes;
        nodes.push_back({"parent", "", std::nullopt});
        Figs total;
        std::map<v1::ForecastModel, int> child_models;
        for (const std::string& child : p.children) {
          std::optional<ScopeId> cs = ParseScopeKey(child);
          if (!cs) {
            continue;
          }
          auto it = figs.find(ForecastId(ap.id, *cs, c));
          if (it == figs.end()) {
            continue;
          }
          const Figs& f = it->second;
          nodes.push_back({child, "parent", Figures{f.amount, f.low, f.high}});
          total.closed += f.closed;
          total.open += f.open;
          total.weighted += f.weighted;
          total.pipeline_total += f.pipeline_total;
          ++child_models[f.model];
        }
        if (nodes.size() == 1) {
          continue;  // nothing under it (yet)
        }
        if (c == Category::kPipeline && series) {
          nodes[0].own = *series;
        }
        absl::StatusOr<std::map<std::string, RolledUp>> r = RollUp(nodes);
        if (!r.ok()) {
          return Internal("ROLL_UP", absl::StrCat(key, ": ", r.status().message()));
        }
        const RolledUp& parent = r->at("parent");
        total.amount = parent.figures.amount_minor;
        total.low = parent.figures.low_minor;
        total.high = parent.figures.high_minor;
        total.model = v1::FORECAST_MODEL_ROLL_UP;
        std::vector<std::string> parts;
        for (const auto& [m, n] : child_models) {
          parts.push_back(absl::StrCat(ModelShortName(m), " ", n));
        }
        total.detail =
            absl::StrCat("sum of ", nodes.size() - 1, " (", absl::StrJoin(parts, ", "), ")");
        if (nodes[0].own) {
          absl::StrAppend(&total.detail, "; top-down ", ModelShortName(model->series_model()), " ",
                          FormatMinor(nodes[0].own->amount_minor), ", roll-up minus top-down ",
                          FormatMinor(parent.reconciliation_minor));
        }
        if (c == Category::kPipeline) {
          // What each approach says for the scope, for accuracy by method.
          total.candidates.push_back(Candidate(v1::FORECAST_MODEL_ROLL_UP, total.detail,
                                               parent.figures, 0, 0, true, options_.currency));
          total.candidates.push_back(
              Candidate(v1::FORECAST_MODEL_PIPELINE_WEIGHTED,
                        "every member's pipeline-weighted forecast, summed",
                        {total.pipeline_total, total.pipeline_total, total.pipeline_total}, 0, 0,
                        false, options_.currency));
          if (nodes[0].own) {
            total.candidates.push_back(Candidate(model->series_model(),
                                                 absl::StrCat("top-down: ", model->series_detail()),
                                                 *nodes[0].own, 0, 0, false, options_.currency));
          }
        }
        ScopeCalc calc{p.scope,         p.units, p.level, c, ForecastId(ap.id, p.scope, c),
                       std::move(total)};
        figs[calc.id] = calc.figs;
        results.push_back(std::move(calc));
      }
    }
  }

  // ---- documents and events
  for (const ScopeCalc& calc : results) {
    std::optional<ForecastKey> fk = ParseForecastId(calc.id);
    const ActivePeriod* ap = nullptr;
    for (const ActivePeriod& p : periods) {
      if (p.id == fk->period) {
        ap = &p;
      }
    }
    int64_t target = 0;
    if (calc.scope.product_line.empty()) {
      target = targets[{fk->period, NodeKey(calc.scope.unit, calc.scope.member)}];
    }
    Finish(calc, existing[calc.id], target, *ap, cause, now, change);
  }
  for (size_t i = 0; i < node_keys.size(); ++i) {
    change.ExpectField(RevisionsHash(), node_keys[i], revs[i], "rev");
    change.IncrementField(RevisionsHash(), node_keys[i], 1);
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- documents

namespace {

// Target, gap, coverage and the gap flag of a forecast; the events a change
// of them causes. Shared by Finish and ApplyTarget.
void Complete(v1::Forecast& f, int64_t target, const std::optional<Doc>& existing,
              const std::vector<std::string>& units, int32_t threshold_bp,
              const std::string& responsible, const Cause& cause, absl::Time now,
              ForecastChange& change, EngineStats& stats) {
  const std::string currency = f.amount().currency_code();
  const int64_t amount = f.amount().amount_minor();
  *f.mutable_target() = Money(target, currency);
  *f.mutable_gap_to_target() = Money(target > 0 ? target - amount : 0, currency);
  const int64_t remaining = target - f.closed_to_date().amount_minor();
  f.set_pipeline_coverage_basis_points(
      target > 0 && remaining > 0 ? SaturatingBp(f.open_pipeline().amount_minor(), remaining) : 0);
  const bool gap_rule = f.category() == v1::FORECAST_CATEGORY_PIPELINE && target > 0;
  const int32_t gap_bp =
      gap_rule ? SaturatingBp(static_cast<__int128>(target) - amount, target) : 0;
  v1::Forecast before;
  if (existing) {
    (void)before.ParseFromString(existing->data);
  }
  // A provisional figure may lack deals not read yet: the gap flag keeps what
  // the last current figure said, so no gap opens or closes on it.
  f.set_provisional(cause.provisional);
  f.set_gap_detected(cause.provisional ? existing && before.gap_detected()
                                       : gap_rule && gap_bp > threshold_bp);

  if (existing && Comparable(before) == Comparable(f)) {
    return;
  }
  *f.mutable_as_of() = ToTs(now);
  *f.mutable_compute_time() = ToTs(now);
  const std::string id = IdIn(f.name(), "forecasts");
  change.PutDoc(DocKind::kForecast, id, f.SerializeAsString(), existing ? existing->version : 0);
  ++stats.forecasts_written;
  if (!existing) {
    const std::string period = IdIn(f.period(), "fiscalPeriods");
    change.AddToIndex(ForecastIndex(period, ""), id);
    for (const std::string& unit : units) {
      change.AddToIndex(ForecastIndex(period, unit), id);
    }
  }
  const bool material = !existing || before.amount().amount_minor() != amount ||
                        before.interval_low().amount_minor() != f.interval_low().amount_minor() ||
                        before.interval_high().amount_minor() != f.interval_high().amount_minor() ||
                        before.model() != f.model() || before.target().amount_minor() != target ||
                        before.scope().level() != f.scope().level() ||
                        before.provisional() != f.provisional();
  auto emit = [&](const google::protobuf::Message& m) {
    change.Emit(MakeCloudEvent(kForecastSource, id, f.name(), m, now, cause.trace_id));
    ++stats.events;
  };
  if (material) {
    v1::ForecastUpdated u;
    *u.mutable_forecast() = f;
    *u.mutable_previous_amount() = Money(existing ? before.amount().amount_minor() : 0, currency);
    u.set_previous_model(existing ? before.model() : v1::FORECAST_MODEL_UNSPECIFIED);
    u.set_cause_event_source(cause.source);
    u.set_cause_event_id(cause.id);
    emit(u);
  }
  const bool was = existing && before.gap_detected();
  if (f.gap_detected() && !was) {
    v1::ForecastGapDetected g;
    g.set_forecast(f.name());
    *g.mutable_scope() = f.scope();
    g.set_period(f.period());
    g.set_category(f.category());
    *g.mutable_amount() = f.amount();
    *g.mutable_target() = f.target();
    *g.mutable_gap() = f.gap_to_target();
    g.set_gap_basis_points(gap_bp);
    g.set_threshold_basis_points(threshold_bp);
    g.set_responsible(responsible.empty() ? "" : absl::StrCat("members/", responsible));
    emit(g);
  } else if (!f.gap_detected() && was) {
    v1::ForecastGapClosed g;
    g.set_forecast(f.name());
    *g.mutable_scope() = f.scope();
    g.set_period(f.period());
    g.set_category(f.category());
    *g.mutable_amount() = f.amount();
    *g.mutable_target() = f.target();
    g.set_gap_basis_points(gap_bp);
    emit(g);
  }
}

}  // namespace

void ForecastEngine::Finish(const ScopeCalc& calc, const std::optional<Doc>& existing,
                            int64_t target_minor, const ActivePeriod& period, const Cause& cause,
                            absl::Time now, ForecastChange& change) {
  const std::string& cur = options_.currency;
  v1::Forecast f;
  f.set_name(absl::StrCat("forecasts/", calc.id));
  v1::ForecastScope* s = f.mutable_scope();
  if (!calc.scope.member.empty()) {
    s->set_member(absl::StrCat("members/", calc.scope.member));
  }
  s->set_org_unit(absl::StrCat("orgUnits/", calc.scope.unit));
  if (!calc.scope.product_line.empty()) {
    s->set_product_line(absl::StrCat("orgUnits/", calc.scope.product_line));
  }
  s->set_level(calc.level);
  f.set_period(absl::StrCat("fiscalPeriods/", period.id));
  f.set_category(ToProto(calc.category));
  f.set_model(calc.figs.model);
  f.set_model_detail(calc.figs.detail);
  *f.mutable_amount() = Money(calc.figs.amount, cur);
  *f.mutable_interval_low() = Money(calc.figs.low, cur);
  *f.mutable_interval_high() = Money(calc.figs.high, cur);
  f.set_interval_confidence_basis_points(
      static_cast<int32_t>(std::llround(options_.confidence * 10000)));
  *f.mutable_closed_to_date() = Money(calc.figs.closed, cur);
  *f.mutable_open_pipeline() = Money(calc.figs.open, cur);
  *f.mutable_weighted_pipeline() = Money(calc.figs.weighted, cur);
  *f.mutable_period_start_date() = ToDate(period.period.start);
  *f.mutable_period_end_date() = ToDate(period.period.end);
  for (const v1::ForecastCandidate& c : calc.figs.candidates) {
    *f.add_candidates() = c;
  }
  // Who answers for a gap: the lead of the scope's unit (a member's team lead).
  std::string responsible;
  if (calc.category == Category::kPipeline && target_minor > 0) {
    absl::StatusOr<std::string> lead = org_.LeadOf(calc.scope.unit);
    if (lead.ok() && *lead != calc.scope.member) {
      responsible = *lead;
    }
  }
  Complete(f, target_minor, existing, calc.units, options_.gap_threshold_bp, responsible, cause,
           now, change, stats_counters_);
}

absl::Status ForecastEngine::ApplyTarget(const std::string& period, const std::string& node,
                                         const Cause& cause, absl::Time now, int64_t target_minor,
                                         ForecastChange& change) {
  std::optional<ScopeId> scope = ScopeOfNode(node, "");
  if (!scope) {
    return InvalidField("subject", absl::StrCat("not a forecast node: ", node));
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> revs,
                            repo_.GetFields(RevisionsHash(), {node}));
  std::vector<std::string> ids;
  for (Category c : kCategories) {
    ids.push_back(ForecastId(period, *scope, c));
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs,
                            repo_.GetDocs(DocKind::kForecast, ids));
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> chain, Chain(scope->unit));
  for (const std::optional<Doc>& d : docs) {
    if (!d) {
      continue;
    }
    v1::Forecast f;
    SALESOPS_RETURN_IF_ERROR(ParseDoc(*d, &f));
    if (f.target().amount_minor() == target_minor) {
      continue;
    }
    std::string responsible;
    if (f.category() == v1::FORECAST_CATEGORY_PIPELINE && target_minor > 0) {
      absl::StatusOr<std::string> lead = org_.LeadOf(scope->unit);
      if (lead.ok() && *lead != scope->member) {
        responsible = *lead;
      }
    }
    Complete(f, target_minor, d, chain, options_.gap_threshold_bp, responsible, cause, now, change,
             stats_counters_);
  }
  // Guarded and bumped even when no forecast exists yet: a recompute that
  // read the old target then fails and reads the new one.
  change.ExpectField(RevisionsHash(), node, revs[0], "rev");
  change.IncrementField(RevisionsHash(), node, 1);
  return absl::OkStatus();
}

}  // namespace salesops::forecast
