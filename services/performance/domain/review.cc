#include "services/performance/domain/review.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"

namespace salesops::performance {
namespace {

// KpiMetric numbers (salesops.performance.v1.KpiMetric; domain/ has no protobuf).
constexpr int kBookingsMetric = 1;
constexpr int kVisitsMetric = 5;
constexpr int kActivitiesMetric = 6;
constexpr int kWinRateMetric = 8;
constexpr int kDealSizeMetric = 9;
constexpr int kSatisfactionMetric = 13;

BiweeklyCycle Make(int fiscal_year, int number, int start_month) {
  BiweeklyCycle c;
  c.fiscal_year = fiscal_year;
  c.number = number;
  c.id = absl::StrFormat("FY%04d-B%02d", fiscal_year, number);
  const absl::CivilDay year_first(fiscal_year, start_month, 1);
  const absl::CivilDay next_year_first(fiscal_year + 1, start_month, 1);
  c.first = year_first + 14 * (number - 1);
  c.last = number == kCyclesPerYear ? next_year_first - 1 : c.first + 13;
  return c;
}

// a / b in basis points, 0 when b is 0.
int64_t Bp(int64_t a, int64_t b) { return b == 0 ? 0 : a * 10'000 / b; }

std::string Pct(int64_t bp) {
  // One decimal only when it matters: "43%", "4.5%".
  if (bp % 100 == 0 || bp >= 1000) {
    return absl::StrCat((bp + 50) / 100, "%");
  }
  return absl::StrFormat("%.1f%%", bp / 100.0);
}

std::string StageLabel(absl::string_view stage) {
  if (stage == "LEAD") {
    return "线索";
  }
  if (stage == "QUALIFIED") {
    return "需求确认";
  }
  if (stage == "PROPOSAL") {
    return "方案";
  }
  if (stage == "NEGOTIATION") {
    return "谈判";
  }
  if (stage == "CONTRACT") {
    return "合同";
  }
  return std::string(stage);
}

std::string Lower(absl::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

int64_t Median(std::vector<int64_t> v) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int64_t Closed(const Counts& c) {
  return Get(c, review_counter::kWon) + Get(c, review_counter::kLost);
}

// The team's pooled window counts.
Counts TeamWindow(const ReviewInput& in) {
  Counts t;
  for (const Peer& p : in.team) {
    AddCounts(t, p.window);
  }
  return t;
}

// Average won deal: the rep's, else the team's, else 0.
int64_t AverageDeal(const Counts& rep, const Counts& team) {
  if (Get(rep, review_counter::kWon) > 0) {
    return Get(rep, review_counter::kBookings) / Get(rep, review_counter::kWon);
  }
  if (Get(team, review_counter::kWon) > 0) {
    return Get(team, review_counter::kBookings) / Get(team, review_counter::kWon);
  }
  return 0;
}

int64_t CapAtGap(const ReviewInput& in, int64_t impact) {
  impact = std::max<int64_t>(impact, 0);
  return in.has_target ? std::min(impact, in.gap_minor) : impact;
}

// Counts of this cycle for every member of the team, the rep included.
std::vector<int64_t> TeamValues(const ReviewInput& in, const std::string& key) {
  std::vector<int64_t> v{Get(in.current, key)};
  for (const Peer& p : in.team) {
    v.push_back(Get(p.current, key));
  }
  return v;
}

int64_t CsatBp(const Counts& c) {
  // Mean score of 5 as basis points of the scale (4.5 → 9000).
  const int64_t n = Get(c, review_counter::kCsatCount);
  return n == 0 ? 0 : Get(c, review_counter::kCsatSum) * 2'000 / n;
}

class Analyser {
 public:
  Analyser(const ReviewInput& in) : in_(in), team_(TeamWindow(in)) {}

  ReviewAnalysis Run(const std::vector<ReviewRule>& rules) {
    Changes();
    for (const ReviewRule& r : rules) {
      switch (r.kind) {
        case RuleKind::kStageLoss:
          StageLoss(r);
          break;
        case RuleKind::kWinRate:
          WinRate(r);
          break;
        case RuleKind::kVisits:
          Volume(r, review_counter::kVisits, kVisitsMetric, "拜访");
          break;
        case RuleKind::kActivities:
          Volume(r, review_counter::kActivities, kActivitiesMetric, "跟进活动");
          break;
        case RuleKind::kSatisfaction:
          Satisfaction(r);
          break;
      }
    }
    std::stable_sort(out_.suggestions.begin(), out_.suggestions.end(),
                     [](const SuggestionOut& a, const SuggestionOut& b) {
                       return a.impact_minor > b.impact_minor;
                     });
    return std::move(out_);
  }

 private:
  void Change(int metric, Unit unit, int64_t prev, int64_t cur, int64_t median) {
    MetricMove m;
    m.metric = metric;
    m.unit = unit;
    m.previous = prev;
    m.current = cur;
    m.team_median = median;
    m.change_bp = prev == 0 ? 0 : (cur - prev) * 10'000 / prev;
    out_.changes.push_back(m);
  }

  void Changes() {
    using namespace review_counter;
    auto team_median = [&](auto f) {
      std::vector<int64_t> v{f(in_.current)};
      for (const Peer& p : in_.team) {
        v.push_back(f(p.current));
      }
      return Median(v);
    };
    auto count = [](const char* key) { return [key](const Counts& c) { return Get(c, key); }; };
    auto win_rate = [](const Counts& c) { return Bp(Get(c, kWon), Closed(c)); };
    auto deal = [](const Counts& c) {
      return Get(c, kWon) == 0 ? 0 : Get(c, kBookings) / Get(c, kWon);
    };
    Change(kBookingsMetric, Unit::kMoney, Get(in_.previous, kBookings), Get(in_.current, kBookings),
           team_median(count(kBookings)));
    Change(kWinRateMetric, Unit::kBasisPoints, win_rate(in_.previous), win_rate(in_.current),
           team_median(win_rate));
    Change(kDealSizeMetric, Unit::kMoney, deal(in_.previous), deal(in_.current), team_median(deal));
    Change(kVisitsMetric, Unit::kCount, Get(in_.previous, kVisits), Get(in_.current, kVisits),
           team_median(count(kVisits)));
    Change(kActivitiesMetric, Unit::kCount, Get(in_.previous, kActivities),
           Get(in_.current, kActivities), team_median(count(kActivities)));
    Change(kSatisfactionMetric, Unit::kBasisPoints, CsatBp(in_.previous), CsatBp(in_.current),
           team_median(CsatBp));
  }

  void Suggest(const ReviewRule& r, std::string finding, std::string explanation,
               std::vector<Fact> evidence, int64_t impact, int metric, Unit unit, int64_t value) {
    out_.gaps.push_back({r.id, finding, evidence});
    SuggestionOut s;
    s.rule_id = r.id;
    s.text = r.advice;
    s.explanation = std::move(explanation);
    s.evidence = std::move(evidence);
    s.scenario = r.scenario;
    s.impact_minor = CapAtGap(in_, impact);
    s.metric = metric;
    s.metric_unit = unit;
    s.metric_value = value;
    out_.suggestions.push_back(std::move(s));
  }

  void StageLoss(const ReviewRule& r) {
    using namespace review_counter;
    const std::string key = LostFrom(r.stage);
    const int64_t n = Closed(in_.window), lost = Get(in_.window, key);
    const int64_t tn = Closed(team_), tlost = Get(team_, key);
    if (n < r.min_sample || tn < r.min_team_sample) {
      return;
    }
    const int64_t share = Bp(lost, n), team_share = Bp(tlost, tn);
    if (share - team_share < r.min_gap_bp) {
      return;
    }
    // Deals lost beyond the team's share, had they closed at the team's win rate.
    const int64_t excess_milli = (lost * tn - tlost * n) * 1000 / tn;  // thousandths of a deal
    const int64_t impact =
        excess_milli * AverageDeal(in_.window, team_) / 1000 * Bp(Get(team_, kWon), tn) / 10'000;
    const std::string stage = StageLabel(r.stage);
    const std::string k = Lower(r.stage);
    std::vector<Fact> ev = {
        {absl::StrCat("lost_from_", k), absl::StrCat(stage, "阶段丢单"), Unit::kCount, lost},
        {"closed_deals", "结案商机", Unit::kCount, n},
        {absl::StrCat("loss_share_", k), absl::StrCat(stage, "阶段丢单占比"), Unit::kBasisPoints,
         share},
        {absl::StrCat("team_loss_share_", k), absl::StrCat("团队", stage, "阶段丢单占比"),
         Unit::kBasisPoints, team_share},
        {"team_closed_deals", "团队结案商机", Unit::kCount, tn},
    };
    const std::string finding = absl::StrCat(stage, "阶段丢单占比 ", Pct(share), "（", lost, "/", n,
                                             " 单），团队 ", Pct(team_share), "（", tn, " 单）");
    const std::string why =
        absl::StrCat("近", in_.history_cycles + 1, "个双周结案 ", n, " 单中有 ", lost, " 单丢在",
                     stage, "阶段，比团队高 ", Pct(share - team_share), "；按团队水平可多赢约 ",
                     excess_milli / 1000, ".", excess_milli % 1000 / 100, " 单");
    Suggest(r, finding, why, ev, impact, kWinRateMetric, Unit::kBasisPoints,
            Bp(Get(in_.window, kWon), n));
  }

  void WinRate(const ReviewRule& r) {
    using namespace review_counter;
    const int64_t n = Closed(in_.window), won = Get(in_.window, kWon);
    const int64_t tn = Closed(team_), twon = Get(team_, kWon);
    if (n < r.min_sample || tn < r.min_team_sample) {
      return;
    }
    const int64_t rate = Bp(won, n), team_rate = Bp(twon, tn);
    std::vector<Fact> ev = {{"won_deals", "赢单", Unit::kCount, won},
                            {"closed_deals", "结案商机", Unit::kCount, n},
                            {"win_rate", "赢单率", Unit::kBasisPoints, rate},
                            {"team_win_rate", "团队赢单率", Unit::kBasisPoints, team_rate},
                            {"team_closed_deals", "团队结案商机", Unit::kCount, tn}};
    if (rate - team_rate >= r.min_gap_bp) {
      out_.strengths.push_back(
          {absl::StrCat(r.id, ".strength"),
           absl::StrCat("赢单率 ", Pct(rate), "（", won, "/", n, "），高于团队 ", Pct(team_rate)),
           ev});
      return;
    }
    if (team_rate - rate < r.min_gap_bp) {
      return;
    }
    const int64_t excess_milli = (twon * n - won * tn) * 1000 / tn;
    const int64_t impact = excess_milli * AverageDeal(in_.window, team_) / 1000;
    Suggest(r, absl::StrCat("赢单率 ", Pct(rate), "（", won, "/", n, "），团队 ", Pct(team_rate)),
            absl::StrCat("近", in_.history_cycles + 1, "个双周结案 ", n, " 单，赢单率比团队低 ",
                         Pct(team_rate - rate)),
            ev, impact, kWinRateMetric, Unit::kBasisPoints, rate);
  }

  void Volume(const ReviewRule& r, const char* key, int metric, const char* what) {
    using namespace review_counter;
    const int64_t mine = Get(in_.current, key);
    std::vector<int64_t> peers;
    for (const Peer& p : in_.team) {
      peers.push_back(Get(p.current, key));
    }
    if (peers.empty()) {
      return;
    }
    const int64_t median = Median(peers);
    const int64_t own_avg =
        in_.history_cycles == 0 ? 0 : Get(in_.history, key) / in_.history_cycles;
    if (median < r.min_sample) {
      return;
    }
    std::vector<Fact> ev = {
        {key, absl::StrCat("本期", what), Unit::kCount, mine},
        {absl::StrCat("team_median_", key), absl::StrCat("团队本期", what, "中位数"), Unit::kCount,
         median},
        {absl::StrCat("own_average_", key), absl::StrCat("本人前", in_.history_cycles, "期平均"),
         Unit::kCount, own_avg},
        {"teammates", "对比同事人数", Unit::kCount, static_cast<int64_t>(peers.size())}};
    if (mine >= median + median * r.min_gap_bp / 10'000) {
      out_.strengths.push_back(
          {absl::StrCat(r.id, ".strength"),
           absl::StrCat("本期", what, " ", mine, " 次，高于团队中位数 ", median, " 次"), ev});
      return;
    }
    if (median - mine < median * r.min_gap_bp / 10'000) {
      return;
    }
    // Bookings the team makes per visit/activity, times the shortfall.
    const int64_t per = Get(team_, key) == 0 ? 0 : Get(team_, kBookings) / Get(team_, key);
    const std::string trend = in_.history_cycles == 0 ? ""
                                                      : absl::StrCat("，本人前", in_.history_cycles,
                                                                     "期平均 ", own_avg, " 次");
    Suggest(
        r, absl::StrCat("本期", what, " ", mine, " 次，团队中位数 ", median, " 次", trend),
        absl::StrCat("团队每次", what, "平均带来成交额 ", per / 100, " 元；补足 ", median - mine,
                     " 次", what, "预计影响 ", (median - mine) * per / 100, " 元"),
        ev, (median - mine) * per, metric, Unit::kCount, mine);
  }

  void Satisfaction(const ReviewRule& r) {
    using namespace review_counter;
    const int64_t n = Get(in_.window, kCsatCount), tn = Get(team_, kCsatCount);
    if (n < r.min_sample || tn < r.min_team_sample) {
      return;
    }
    const int64_t mine = CsatBp(in_.window), team = CsatBp(team_);
    if (team - mine < r.min_gap_bp) {
      return;
    }
    std::vector<Fact> ev = {{"satisfaction", "客户满意度", Unit::kBasisPoints, mine},
                            {"satisfaction_scored", "评分次数", Unit::kCount, n},
                            {"team_satisfaction", "团队满意度", Unit::kBasisPoints, team},
                            {"team_satisfaction_scored", "团队评分次数", Unit::kCount, tn}};
    Suggest(r,
            absl::StrCat("客户满意度 ", Pct(mine), "（", n, " 次评分），团队 ", Pct(team), "（", tn,
                         " 次）"),
            absl::StrCat("满意度低于团队 ", Pct(team - mine), "，影响续约与转介绍"), ev, 0,
            kSatisfactionMetric, Unit::kBasisPoints, mine);
  }

  const ReviewInput& in_;
  const Counts team_;
  ReviewAnalysis out_;
};

}  // namespace

BiweeklyCycle CycleOf(absl::CivilDay day, int start_month) {
  int fiscal_year = static_cast<int>(day.year());
  if (day < absl::CivilDay(fiscal_year, start_month, 1)) {
    --fiscal_year;
  }
  const int64_t offset = day - absl::CivilDay(fiscal_year, start_month, 1);
  const int number = std::min<int>(static_cast<int>(offset / 14) + 1, kCyclesPerYear);
  return Make(fiscal_year, number, start_month);
}

BiweeklyCycle PreviousCycle(const BiweeklyCycle& c, int start_month) {
  return c.number == 1 ? Make(c.fiscal_year - 1, kCyclesPerYear, start_month)
                       : Make(c.fiscal_year, c.number - 1, start_month);
}

BiweeklyCycle NextCycle(const BiweeklyCycle& c, int start_month) {
  return c.number == kCyclesPerYear ? Make(c.fiscal_year + 1, 1, start_month)
                                    : Make(c.fiscal_year, c.number + 1, start_month);
}

std::optional<BiweeklyCycle> ParseCycle(absl::string_view id, int start_month) {
  // "FY2026-B07"
  if (id.size() != 10 || !absl::StartsWith(id, "FY") || id[6] != '-' || id[7] != 'B') {
    return std::nullopt;
  }
  int year = 0, number = 0;
  if (!absl::SimpleAtoi(id.substr(2, 4), &year) || !absl::SimpleAtoi(id.substr(8, 2), &number) ||
      year < 1970 || year > 9998 || number < 1 || number > kCyclesPerYear) {
    return std::nullopt;
  }
  return Make(year, number, start_month);
}

namespace review_counter {
std::string LostFrom(absl::string_view stage) { return absl::StrCat("lost_from:", stage); }
std::string Reason(absl::string_view reason) { return absl::StrCat("reason:", reason); }
std::string Competitor(absl::string_view c) { return absl::StrCat("competitor:", c); }
}  // namespace review_counter

int64_t Get(const Counts& c, const std::string& key) {
  auto it = c.find(key);
  return it == c.end() ? 0 : it->second;
}

void AddCounts(Counts& into, const Counts& from) {
  for (const auto& [k, v] : from) {
    into[k] += v;
  }
}

absl::StatusOr<RuleKind> ParseRuleKind(absl::string_view name) {
  if (name == "stage_loss") {
    return RuleKind::kStageLoss;
  }
  if (name == "win_rate") {
    return RuleKind::kWinRate;
  }
  if (name == "visits") {
    return RuleKind::kVisits;
  }
  if (name == "activities") {
    return RuleKind::kActivities;
  }
  if (name == "satisfaction") {
    return RuleKind::kSatisfaction;
  }
  return InvalidField("kind", "one of stage_loss, win_rate, visits, activities, satisfaction");
}

std::vector<ReviewRule> DefaultReviewRules() {
  return {
      {"stage_loss.proposal", RuleKind::kStageLoss, "PROPOSAL", 10, 20, 1000, "OBJECTION_HANDLING",
       "练习异议处理话术，本周做两次角色扮演，方案汇报前与主管预演"},
      {"stage_loss.negotiation", RuleKind::kStageLoss, "NEGOTIATION", 10, 20, 1000, "NEGOTIATION",
       "学习大客户谈判话术，报价前与主管确认让步空间"},
      {"stage_loss.qualified", RuleKind::kStageLoss, "QUALIFIED", 10, 20, 1500, "DISCOVERY",
       "用需求挖掘话术重新梳理在手商机的痛点与决策链"},
      {"win_rate", RuleKind::kWinRate, "", 10, 20, 1000, "CLOSING",
       "复盘最近的丢单原因，练习促成话术"},
      {"visits", RuleKind::kVisits, "", 2, 0, 3000, "COLD_CALL",
       "本周补足客户拜访，优先超过30天未拜访的A类客户"},
      {"activities", RuleKind::kActivities, "", 5, 0, 3000, "COLD_CALL",
       "每天安排固定时段做客户跟进与电话开发"},
      {"satisfaction", RuleKind::kSatisfaction, "", 5, 10, 1000, "DISCOVERY",
       "回访评分低的客户，了解不满意的原因并制定改进计划"},
  };
}

absl::StatusOr<std::vector<ReviewRule>> ParseReviewRules(absl::string_view tsv) {
  std::vector<ReviewRule> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(tsv, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') {
      continue;
    }
    std::vector<std::string> col = absl::StrSplit(line, '\t');
    auto bad = [&](absl::string_view column, absl::string_view what) {
      return InvalidField(absl::StrCat("line ", line_no, ".", column), what);
    };
    if (col.size() != 8) {
      return bad("columns", "8 tab-separated columns");
    }
    ReviewRule r;
    r.id = col[0];
    if (r.id.empty()) {
      return bad("id", "required");
    }
    for (const ReviewRule& other : out) {
      if (other.id == r.id) {
        return bad("id", "used twice");
      }
    }
    absl::StatusOr<RuleKind> kind = ParseRuleKind(col[1]);
    if (!kind.ok()) {
      return bad("kind", kind.status().message());
    }
    r.kind = *kind;
    r.stage = col[2] == "-" ? "" : col[2];
    if (r.kind == RuleKind::kStageLoss && r.stage.empty()) {
      return bad("stage", "required");
    }
    if (!absl::SimpleAtoi(col[3], &r.min_sample) || r.min_sample < 0) {
      return bad("min_sample", "a whole number >= 0");
    }
    if (!absl::SimpleAtoi(col[4], &r.min_team_sample) || r.min_team_sample < 0) {
      return bad("min_team_sample", "a whole number >= 0");
    }
    if (!absl::SimpleAtoi(col[5], &r.min_gap_bp) || r.min_gap_bp < 0 || r.min_gap_bp > 10'000) {
      return bad("min_gap_bp", "0..10000");
    }
    r.scenario = col[6] == "-" ? "" : col[6];
    r.advice = col[7];
    if (r.advice.empty()) {
      return bad("advice", "required");
    }
    out.push_back(std::move(r));
  }
  if (out.empty()) {
    return InvalidField("rules", "no rule in the file");
  }
  return out;
}

ReviewAnalysis AnalyseReview(const ReviewInput& in, const std::vector<ReviewRule>& rules) {
  return Analyser(in).Run(rules);
}

std::optional<int64_t> MetricValue(int metric, const Counts& c) {
  using namespace review_counter;
  switch (metric) {
    case kWinRateMetric:
      if (Closed(c) == 0) {
        return std::nullopt;
      }
      return Bp(Get(c, kWon), Closed(c));
    case kVisitsMetric:
      return Get(c, kVisits);
    case kActivitiesMetric:
      return Get(c, kActivities);
    case kBookingsMetric:
      return Get(c, kBookings);
    case kSatisfactionMetric:
      if (Get(c, kCsatCount) == 0) {
        return std::nullopt;
      }
      return CsatBp(c);
    default:
      return std::nullopt;
  }
}

Interval WilsonInterval(int64_t successes, int64_t n) {
  if (n <= 0) {
    return {0, 0};
  }
  const double z = 1.959963984540054;
  const double p = static_cast<double>(successes) / static_cast<double>(n);
  const double nn = static_cast<double>(n);
  const double denom = 1 + z * z / nn;
  const double centre = (p + z * z / (2 * nn)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denom;
  const auto lo = static_cast<int64_t>(std::floor(std::max(0.0, centre - half) * 10'000 + 1e-9));
  const auto hi = static_cast<int64_t>(std::ceil(std::min(1.0, centre + half) * 10'000 - 1e-9));
  return {lo, hi};
}

}  // namespace salesops::performance
