#include "services/performance/domain/commission.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/money/money.h"
#include "common/status/errors.h"
#include "services/performance/domain/rounding.h"
#include "services/performance/domain/split.h"

namespace salesops::performance {
namespace {

constexpr int32_t kMaxAttainmentBp = 1'000'000;  // 10,000 %: far above any real plan
constexpr int64_t kMaxMultiplier = 10 * kRateOne;
constexpr int32_t kMaxClawbackWindowDays = 3650;

// ---------------------------------------------------------------------------
// Validation

void CheckBands(Violations& v, const std::vector<CommissionBand>& bands, const std::string& at) {
  if (bands.empty()) {
    v.Add(at, "must have at least one band");
    return;
  }
  for (size_t i = 0; i < bands.size(); ++i) {
    const CommissionBand& b = bands[i];
    const auto band = [&](absl::string_view sub) { return absl::StrCat(at, "[", i, "]", sub); };
    if (i == 0 && b.min_attainment_bp != 0) {
      v.Add(band(".min_attainment_bp"),
            absl::StrCat("the first band must start at 0, got ", b.min_attainment_bp));
    }
    if (i > 0 && b.min_attainment_bp != bands[i - 1].max_attainment_bp) {
      v.Add(band(".min_attainment_bp"),
            absl::StrCat("must equal ", at, "[", i - 1, "].max_attainment_bp (",
                         bands[i - 1].max_attainment_bp,
                         "): bands must be ascending and contiguous, got ", b.min_attainment_bp));
    }
    if (b.min_attainment_bp < 0 || b.min_attainment_bp > kMaxAttainmentBp) {
      v.Add(band(".min_attainment_bp"),
            absl::StrCat("must be in 0..", kMaxAttainmentBp, ", got ", b.min_attainment_bp));
    }
    if (i + 1 == bands.size()) {
      if (b.max_attainment_bp != 0) {
        v.Add(band(".max_attainment_bp"),
              absl::StrCat("the last band must be open-ended (0), got ", b.max_attainment_bp));
      }
    } else if (b.max_attainment_bp <= b.min_attainment_bp ||
               b.max_attainment_bp > kMaxAttainmentBp) {
      v.Add(band(".max_attainment_bp"),
            absl::StrCat("must be above min_attainment_bp (", b.min_attainment_bp, ") and at most ",
                         kMaxAttainmentBp, ", got ", b.max_attainment_bp));
    }
    if (b.rate_millionths < 0 || b.rate_millionths > kRateOne) {
      v.Add(band(".rate_millionths"),
            absl::StrCat("must be in 0..", kRateOne, " (0..100 %), got ", b.rate_millionths));
    }
  }
}

// Adds a violation on "<prefix><suffix>" unless min <= amount <= kMaxAmountMinor. `prefix`
// is a path or a callable making "<path><suffix>": paths are only built for a
// violation, which keeps validating a valid statement cheap.
template <typename Prefix>
void CheckAmount(Violations& v, const Prefix& prefix, absl::string_view suffix, int64_t amount,
                 int64_t min) {
  if (amount >= min && amount <= kMaxAmountMinor) {
    return;
  }
  std::string path;
  if constexpr (std::is_invocable_v<Prefix, absl::string_view>) {
    path = prefix(suffix);
  } else {
    path = absl::StrCat(prefix, suffix);
  }
  v.Add(std::move(path), absl::StrCat("must be in ", min, "..", kMaxAmountMinor, ", got ", amount));
}

void CheckPlan(Violations& v, const CommissionPlan& plan, const std::string& at) {
  if (plan.plan_id.empty()) {
    v.Add(absl::StrCat(at, ".plan_id"), "must not be empty");
  }
  if (plan.version < 1) {
    v.Add(absl::StrCat(at, ".version"), absl::StrCat("must be at least 1, got ", plan.version));
  }
  if (plan.effective_from >= plan.effective_until) {
    v.Add(absl::StrCat(at, ".effective_until"), "must be after effective_from");
  }
  if (!IsKnownCurrency(plan.currency_code)) {
    v.Add(absl::StrCat(at, ".currency_code"),
          absl::StrCat(QuoteUntrusted(plan.currency_code), " is not an ISO 4217 currency code"));
  }
  if (plan.basis != CommissionBasis::kBooking && plan.basis != CommissionBasis::kCollection) {
    v.Add(absl::StrCat(at, ".basis"), "must be BOOKING or COLLECTION");
  }
  if (plan.tier_mode != TierMode::kFlat && plan.tier_mode != TierMode::kMarginal &&
      plan.tier_mode != TierMode::kRetroactive) {
    v.Add(absl::StrCat(at, ".tier_mode"), "must be FLAT, MARGINAL or RETROACTIVE");
  }
  CheckBands(v, plan.bands, absl::StrCat(at, ".bands"));
  for (size_t i = 0; i < plan.product_line_bands.size(); ++i) {
    const ProductLineBands& p = plan.product_line_bands[i];
    const auto pl = [&](absl::string_view sub) {
      return absl::StrCat(at, ".product_line_bands[", i, "]", sub);
    };
    if (p.product_line.empty()) {
      v.Add(pl(".product_line"), "must not be empty");
    }
    for (size_t j = 0; j < i; ++j) {
      if (!p.product_line.empty() && plan.product_line_bands[j].product_line == p.product_line) {
        v.Add(pl(".product_line"), absl::StrCat("duplicates ", at, ".product_line_bands[", j, "]"));
      }
    }
    CheckBands(v, p.bands, pl(".bands"));
  }
  for (size_t i = 0; i < plan.accelerators.size(); ++i) {
    const Accelerator& a = plan.accelerators[i];
    const auto acc = [&](absl::string_view sub) {
      return absl::StrCat(at, ".accelerators[", i, "]", sub);
    };
    if (a.above_attainment_bp <= 0 || a.above_attainment_bp > kMaxAttainmentBp) {
      v.Add(acc(".above_attainment_bp"),
            absl::StrCat("must be in 1..", kMaxAttainmentBp, ", got ", a.above_attainment_bp));
    } else if (i > 0 && a.above_attainment_bp <= plan.accelerators[i - 1].above_attainment_bp) {
      v.Add(acc(".above_attainment_bp"), "thresholds must be strictly ascending");
    }
    if (a.multiplier_millionths <= kRateOne || a.multiplier_millionths > kMaxMultiplier) {
      v.Add(acc(".multiplier_millionths"),
            absl::StrCat("must be above ", kRateOne, " (1×) and at most ", kMaxMultiplier, ", got ",
                         a.multiplier_millionths));
    }
  }
  for (size_t i = 0; i < plan.decelerators.size(); ++i) {
    const Decelerator& d = plan.decelerators[i];
    const auto dec = [&](absl::string_view sub) {
      return absl::StrCat(at, ".decelerators[", i, "]", sub);
    };
    if (d.below_attainment_bp <= 0 || d.below_attainment_bp > kMaxAttainmentBp) {
      v.Add(dec(".below_attainment_bp"),
            absl::StrCat("must be in 1..", kMaxAttainmentBp, ", got ", d.below_attainment_bp));
    } else if (i > 0 && d.below_attainment_bp <= plan.decelerators[i - 1].below_attainment_bp) {
      v.Add(dec(".below_attainment_bp"), "thresholds must be strictly ascending");
    } else if (!plan.accelerators.empty() &&
               d.below_attainment_bp > plan.accelerators.front().above_attainment_bp) {
      v.Add(dec(".below_attainment_bp"), "must not be above the lowest accelerator threshold");
    }
    if (d.multiplier_millionths < 0 || d.multiplier_millionths >= kRateOne) {
      v.Add(dec(".multiplier_millionths"),
            absl::StrCat("must be in 0..", kRateOne - 1, ", got ", d.multiplier_millionths));
    }
  }
  CheckAmount(v, at, ".per_deal_cap_minor", plan.per_deal_cap_minor, 0);
  CheckAmount(v, at, ".period_cap_minor", plan.period_cap_minor, 0);
  if (plan.clawback_window_days < 0 || plan.clawback_window_days > kMaxClawbackWindowDays) {
    v.Add(absl::StrCat(at, ".clawback_window_days"),
          absl::StrCat("must be in 0..", kMaxClawbackWindowDays, ", got ",
                       plan.clawback_window_days));
  }
  if (plan.hold != HoldRule::kNone && plan.hold != HoldRule::kUntilFirstInstalment) {
    v.Add(absl::StrCat(at, ".hold"), "must be NONE or UNTIL_FIRST_INSTALMENT");
  }
  for (size_t i = 0; i < plan.bonuses.size(); ++i) {
    const BonusRule& b = plan.bonuses[i];
    const auto bonus = [&](absl::string_view sub) {
      return absl::StrCat(at, ".bonuses[", i, "]", sub);
    };
    if (b.bonus_id.empty()) {
      v.Add(bonus(".bonus_id"), "must not be empty");
    }
    for (size_t j = 0; j < i; ++j) {
      if (!b.bonus_id.empty() && plan.bonuses[j].bonus_id == b.bonus_id) {
        v.Add(bonus(".bonus_id"), absl::StrCat("duplicates ", at, ".bonuses[", j, "]"));
      }
    }
    if (b.kind != BonusKind::kTeam && b.kind != BonusKind::kIndividual &&
        b.kind != BonusKind::kSpecialContribution) {
      v.Add(bonus(".kind"), "must be TEAM, INDIVIDUAL or SPECIAL_CONTRIBUTION");
    }
    if (b.min_attainment_bp < 0 || b.min_attainment_bp > kMaxAttainmentBp) {
      v.Add(bonus(".min_attainment_bp"),
            absl::StrCat("must be in 0..", kMaxAttainmentBp, ", got ", b.min_attainment_bp));
    }
    CheckAmount(v, bonus, ".amount_minor", b.amount_minor, 1);
  }
  for (size_t i = 0; i < plan.spiffs.size(); ++i) {
    const Spiff& s = plan.spiffs[i];
    const auto spiff = [&](absl::string_view sub) {
      return absl::StrCat(at, ".spiffs[", i, "]", sub);
    };
    if (s.spiff_id.empty()) {
      v.Add(spiff(".spiff_id"), "must not be empty");
    }
    for (size_t j = 0; j < i; ++j) {
      if (!s.spiff_id.empty() && plan.spiffs[j].spiff_id == s.spiff_id) {
        v.Add(spiff(".spiff_id"), absl::StrCat("duplicates ", at, ".spiffs[", j, "]"));
      }
    }
    CheckAmount(v, spiff, ".min_deal_amount_minor", s.min_deal_amount_minor, 0);
    CheckAmount(v, spiff, ".amount_per_deal_minor", s.amount_per_deal_minor, 1);
    if (s.start >= s.end) {
      v.Add(spiff(".end"), "must be after start");
    }
    if (s.max_deals_per_period < 0) {
      v.Add(spiff(".max_deals_per_period"), "must not be negative");
    }
  }
  const auto draw = [&](absl::string_view sub) { return absl::StrCat(at, ".draw", sub); };
  if (plan.draw.kind != DrawKind::kNone && plan.draw.kind != DrawKind::kRecoverable &&
      plan.draw.kind != DrawKind::kNonRecoverable) {
    v.Add(draw(".kind"), "must be NONE, RECOVERABLE or NON_RECOVERABLE");
  }
  // 0 is allowed: a plan whose draw ended still recovers the balance on its terms.
  CheckAmount(v, draw, ".amount_per_period_minor", plan.draw.amount_per_period_minor, 0);
  CheckAmount(v, draw, ".max_recovery_per_period_minor", plan.draw.max_recovery_per_period_minor,
              0);
}

// ---------------------------------------------------------------------------
// Engine state

// Sums int64 values, remembering an overflow instead of wrapping.
class CheckedSum {
 public:
  void Add(int64_t v) {
    if (!overflow_ && __builtin_add_overflow(value_, v, &value_)) {
      overflow_ = true;
    }
  }
  int64_t value() const { return value_; }
  bool overflow() const { return overflow_; }

 private:
  int64_t value_ = 0;
  bool overflow_ = false;
};

absl::Status Overflow(absl::string_view what) {
  return InvalidArgument({{std::string(what), "amounts are too large: a sum overflows int64"}},
                         "AMOUNT_OVERFLOW");
}

// A band table turned into money thresholds against the target.
struct BandTable {
  std::vector<int64_t> lower;  // ascending; lower[0] == 0
  std::vector<int64_t> rate;
  std::string rule;  // "bands" or "product_line_bands[i].bands"

  // The band that cumulative credit `x` (>= 0) is in.
  size_t BandOf(int64_t x) const {
    const auto it = std::upper_bound(lower.begin(), lower.end(), x);
    return static_cast<size_t>(std::max<std::ptrdiff_t>(0, it - lower.begin() - 1));
  }
  std::string Rule(size_t band) const { return absl::StrCat(rule, "[", band, "]"); }
};

BandTable MakeTable(const std::vector<CommissionBand>& bands, int64_t target, std::string rule) {
  BandTable t;
  t.rule = std::move(rule);
  for (const CommissionBand& b : bands) {
    t.lower.push_back(ThresholdAmount(target, b.min_attainment_bp));
    t.rate.push_back(b.rate_millionths);
  }
  return t;
}

struct PreparedVersion {
  const CommissionPlan* plan = nullptr;
  BandTable default_table;
  absl::flat_hash_map<std::string, BandTable> by_product_line;

  const BandTable& TableFor(absl::string_view product_line) const {
    const auto it = by_product_line.find(product_line);
    return it == by_product_line.end() ? default_table : it->second;
  }
};

// One signed credit of this period in canonical order.
struct Entry {
  size_t fact = 0;  // index into the canonical fact order
  size_t key = 0;   // index into keys
  int64_t credit = 0;
  int64_t cum_before = 0;
  int64_t cum_after = 0;
  const PreparedVersion* version = nullptr;
  const BandTable* table = nullptr;
};

// A credit key (deal on BOOKING, payment on COLLECTION) credited this period.
struct KeyState {
  std::string key;
  size_t deal = 0;
  size_t first_fact = 0;  // the crediting fact
  const PreparedVersion* version = nullptr;
  int64_t credited = 0;
  int64_t commission = 0;  // sum of its rated lines
  int64_t cap_share = 0;   // cap reductions attributed to it
  int64_t held = 0;
  bool forfeited = false;  // held part forfeited by a cancellation this period
};

struct DealState {
  std::string deal_id;
  size_t first_fact = 0;
  std::vector<size_t> keys;
  int64_t commission = 0;
  bool first_instalment_received = false;
  bool cancelled = false;
  // The fact that lifted the hold (first one in canonical order).
  size_t release_fact = std::numeric_limits<size_t>::max();
};

int KindRank(FactKind kind) {
  switch (kind) {
    case FactKind::kDealWon:
      return 0;
    case FactKind::kPaymentReceived:
      return 1;
    case FactKind::kPaymentRefunded:
      return 2;
    case FactKind::kContractCancelled:
      return 3;
  }
  return 4;
}

// "2.5000%": a rate in millionths as a percentage with four decimals.
std::string FormatRate(int64_t millionths) {
  const int64_t frac = millionths % 10'000;
  const char* pad = frac < 10 ? "000" : frac < 100 ? "00" : frac < 1'000 ? "0" : "";
  return absl::StrCat(millionths / 10'000, ".", pad, frac, "%");
}

std::string FormatAmount(int64_t minor) {
  const bool negative = minor < 0;
  const uint64_t m = negative ? 0 - static_cast<uint64_t>(minor) : static_cast<uint64_t>(minor);
  return absl::StrCat(negative ? "-" : "", m / 100, m % 100 < 10 ? ".0" : ".", m % 100);
}

// One statement computation: holds a reference to the input and the working
// state of the passes (Validate → PrepareVersions → OrderFacts → Classify →
// Rate → Caps → Holds → Releases → Bonuses → CarriedAndDraw → Finish). Used
// once, on one thread.
class Engine {
 public:
  explicit Engine(const StatementInput& in) : in_(in) {}

  absl::StatusOr<Statement> Run();

 private:
  absl::Status Validate();
  absl::Status PrepareVersions();
  absl::Status OrderFacts();
  const PreparedVersion* VersionAt(absl::Time t) const;
  int64_t RepShare(const CreditFact& f, int64_t amount) const;
  std::string KeySource(absl::string_view key) const {
    return absl::StrCat(basis_ == CommissionBasis::kBooking ? "deals/" : "payments/", key);
  }

  absl::Status Classify();
  void Credit(size_t fact_pos, const PreparedVersion* version, int64_t credit, bool* overflow);
  void TakeBack(size_t fact_pos, CreditRecord& rec, size_t rec_index, int64_t refunded,
                bool cancel);
  size_t DealIndex(const std::string& deal_id, size_t fact_pos);

  void Rate();
  void EmitRange(const Entry& e, int64_t lo, int64_t hi, int64_t rate, const std::string& rule,
                 LineKind base_kind);
  int64_t RangeCommission(const Entry& e, int64_t rate);
  void AddRated(const Entry& e, StatementLine line);
  StatementLine FactLine(size_t fact_pos, LineKind kind, const PreparedVersion* v) const;
  StatementLine PlanLine(LineKind kind, std::string source, std::string rule) const;
  // A line about an earlier statement's credit record, caused by `cause`.
  StatementLine RecordLine(const CreditRecord& rec, LineKind kind, const CreditFact& cause) const;
  // The value of a checked product; records an overflow (reported at the end) on nullopt.
  int64_t Checked(std::optional<int64_t> v) {
    if (!v.has_value()) {
      overflow_ = true;
      return 0;
    }
    return *v;
  }

  void Caps();
  void Holds();
  void Releases();
  absl::Status Bonuses();
  void CarriedAndDraw();
  absl::Status Finish(Statement& st);

  const StatementInput& in_;
  std::vector<const CommissionPlan*> versions_sorted_;
  std::vector<PreparedVersion> versions_;
  const PreparedVersion* governing_ = nullptr;
  CommissionBasis basis_ = CommissionBasis::kBooking;
  std::vector<int64_t> accel_lower_;  // money thresholds of the governing accelerators

  std::vector<const CreditFact*> facts_;  // canonical order, duplicates removed
  std::vector<IgnoredFact> ignored_;
  std::vector<std::string> fact_reason_;  // why a fact moved nothing (empty = it did)

  std::vector<KeyState> keys_;
  absl::flat_hash_map<std::string, size_t> key_index_;
  std::vector<DealState> deals_;
  absl::flat_hash_map<std::string, size_t> deal_index_;
  std::vector<Entry> entries_;
  int64_t cumulative_ = 0;

  std::vector<CreditRecord> ledger_;  // carried records, sorted; updated in place
  std::vector<bool> ledger_changed_;
  absl::flat_hash_map<std::string, size_t> ledger_index_;
  absl::flat_hash_map<std::string, std::vector<size_t>> ledger_by_deal_;

  std::vector<StatementLine> rated_;       // BASE … RETRO_ADJUSTMENT, entry order
  std::vector<StatementLine> take_backs_;  // CLAWBACK / HOLD_FORFEIT, fact order
  std::vector<StatementLine> caps_, holds_, releases_, bonuses_, tail_;
  bool overflow_ = false;
};

absl::Status Engine::Validate() {
  Violations v;
  if (in_.statement_id.empty()) {
    v.Add("statement_id", "must not be empty");
  }
  if (in_.member_id.empty()) {
    v.Add("member_id", "must not be empty");
  }
  if (in_.period_start >= in_.period_end) {
    v.Add("period_end", "must be after period_start");
  }
  CheckAmount(v, "target_minor", "", in_.target_minor, 1);
  if (in_.plan_versions.empty()) {
    v.Add("plan_versions", "must have at least one version");
  }
  for (size_t i = 0; i < in_.plan_versions.size(); ++i) {
    CheckPlan(v, in_.plan_versions[i], absl::StrCat("plan_versions[", i, "]"));
    const CommissionPlan& p = in_.plan_versions[i];
    const CommissionPlan& first = in_.plan_versions.front();
    if (i > 0 && p.plan_id != first.plan_id) {
      v.Add(absl::StrCat("plan_versions[", i, "].plan_id"), "all versions must be of one plan");
    }
    if (i > 0 && p.currency_code != first.currency_code) {
      v.Add(absl::StrCat("plan_versions[", i, "].currency_code"),
            "all versions must use one currency");
    }
  }
  if (in_.team_attainment_bp.has_value() && *in_.team_attainment_bp < 0) {
    v.Add("team_attainment_bp", "must not be negative");
  }
  const bool collection =
      !in_.plan_versions.empty() &&
      std::any_of(in_.plan_versions.begin(), in_.plan_versions.end(),
                  [](const CommissionPlan& p) { return p.basis == CommissionBasis::kCollection; });
  for (size_t i = 0; i < in_.facts.size(); ++i) {
    const CreditFact& f = in_.facts[i];
    const auto at = [i](absl::string_view sub) { return absl::StrCat("facts[", i, "]", sub); };
    if (f.event_id.empty()) {
      v.Add(at(".event_id"), "must not be empty");
    }
    if (KindRank(f.kind) > 3) {
      v.Add(at(".kind"), "must be a known fact kind");
    }
    if (f.time < in_.period_start || f.time >= in_.period_end) {
      v.Add(at(".time"), "must be within the period");
    }
    if (f.deal_id.empty()) {
      v.Add(at(".deal_id"), "must not be empty");
    }
    if (collection && f.payment_id.empty() &&
        (f.kind == FactKind::kPaymentReceived || f.kind == FactKind::kPaymentRefunded)) {
      v.Add(at(".payment_id"), "must not be empty on COLLECTION basis");
    }
    CheckAmount(v, at, ".amount_minor", f.amount_minor,
                f.kind == FactKind::kContractCancelled ? 0 : 1);
    if (f.split.empty()) {
      if (f.member_id != in_.member_id) {
        v.Add(at(".member_id"),
              absl::StrCat("credits ", QuoteUntrusted(f.member_id), ", not the statement's member ",
                           QuoteUntrusted(in_.member_id), ", and has no split"));
      }
    } else {
      const std::string split = at(".split");
      if (absl::Status st = ValidateShares(f.split, ShareScale::kMillionths, split); !st.ok()) {
        // The split's own violations carry the indexed paths and reason.
        return st;
      }
      if (std::none_of(f.split.begin(), f.split.end(),
                       [&](const CreditShare& s) { return s.member_id == in_.member_id; })) {
        v.Add(split, absl::StrCat("has no share for the statement's member ",
                                  QuoteUntrusted(in_.member_id)));
      }
    }
  }
  const CarryForward& c = in_.carried;
  CheckAmount(v, "carried.draw_balance_minor", "", c.draw_balance_minor, 0);
  if (c.negative_balance_minor > 0 || c.negative_balance_minor < -kMaxAmountMinor) {
    v.Add("carried.negative_balance_minor", "must be in -10^15..0");
  }
  for (size_t i = 0; i < c.adjustments.size(); ++i) {
    const Adjustment& a = c.adjustments[i];
    const auto at = [i](absl::string_view sub) {
      return absl::StrCat("carried.adjustments[", i, "]", sub);
    };
    if (a.adjustment_id.empty()) {
      v.Add(at(".adjustment_id"), "must not be empty");
    }
    if (a.amount_minor < -kMaxAmountMinor || a.amount_minor > kMaxAmountMinor) {
      v.Add(at(".amount_minor"), "must be within ±10^15");
    }
  }
  absl::flat_hash_map<absl::string_view, size_t> keys;
  for (size_t i = 0; i < c.credits.size(); ++i) {
    const CreditRecord& r = c.credits[i];
    const auto at = [i](absl::string_view sub) {
      return absl::StrCat("carried.credits[", i, "]", sub);
    };
    if (r.credit_key.empty() || r.deal_id.empty()) {
      v.Add(at(".credit_key"), "credit_key and deal_id must not be empty");
    } else if (!keys.emplace(r.credit_key, i).second) {
      v.Add(at(".credit_key"), "duplicates another record");
    }
    CheckAmount(v, at, ".credited_minor", r.credited_minor, 0);
    CheckAmount(v, at, ".commission_minor", r.commission_minor, -kMaxAmountMinor);
    if (r.held_minor < 0 ||
        r.held_minor > std::max<int64_t>(0, r.commission_minor - r.taken_back_minor)) {
      v.Add(at(".held_minor"), "must be in 0..commission not yet taken back");
    }
    if (r.refunded_minor < 0 || r.refunded_minor > r.credited_minor) {
      v.Add(at(".refunded_minor"), "must be in 0..credited_minor");
    }
    CheckAmount(v, at, ".taken_back_minor", r.taken_back_minor, 0);
  }
  for (size_t i = 0; i < in_.awards.size(); ++i) {
    const BonusAward& a = in_.awards[i];
    const auto at = [i](absl::string_view sub) { return absl::StrCat("awards[", i, "]", sub); };
    if (a.award_id.empty()) {
      v.Add(at(".award_id"), "must not be empty");
    }
    if (a.reason.empty()) {
      v.Add(at(".reason"), "must say what the contribution was");
    }
    CheckAmount(v, at, ".amount_minor", a.amount_minor, 1);
  }
  return v.Finish();
}

absl::Status Engine::PrepareVersions() {
  for (const CommissionPlan& p : in_.plan_versions) {
    versions_sorted_.push_back(&p);
  }
  std::sort(versions_sorted_.begin(), versions_sorted_.end(),
            [](const CommissionPlan* a, const CommissionPlan* b) {
              return std::tie(a->effective_from, a->version) <
                     std::tie(b->effective_from, b->version);
            });
  for (size_t i = 1; i < versions_sorted_.size(); ++i) {
    const CommissionPlan* prev = versions_sorted_[i - 1];
    const CommissionPlan* cur = versions_sorted_[i];
    const size_t at = static_cast<size_t>(cur - in_.plan_versions.data());
    if (cur->version == prev->version) {
      return InvalidField(absl::StrCat("plan_versions[", at, "].version"),
                          absl::StrCat("version ", cur->version, " appears twice"));
    }
    if (cur->effective_from < prev->effective_until) {
      return InvalidField(absl::StrCat("plan_versions[", at, "].effective_from"),
                          absl::StrCat("overlaps version ", prev->version));
    }
  }
  versions_.resize(versions_sorted_.size());
  for (size_t i = 0; i < versions_sorted_.size(); ++i) {
    const CommissionPlan& p = *versions_sorted_[i];
    PreparedVersion& pv = versions_[i];
    pv.plan = &p;
    pv.default_table = MakeTable(p.bands, in_.target_minor, "bands");
    for (size_t j = 0; j < p.product_line_bands.size(); ++j) {
      pv.by_product_line.emplace(p.product_line_bands[j].product_line,
                                 MakeTable(p.product_line_bands[j].bands, in_.target_minor,
                                           absl::StrCat("product_line_bands[", j, "].bands")));
    }
  }
  governing_ = VersionAt(in_.period_end - absl::Nanoseconds(1));
  if (governing_ == nullptr) {
    return FailedPrecondition("NO_EFFECTIVE_PLAN",
                              "no plan version is in effect at the end of the period");
  }
  basis_ = governing_->plan->basis;
  for (const Accelerator& a : governing_->plan->accelerators) {
    accel_lower_.push_back(ThresholdAmount(in_.target_minor, a.above_attainment_bp));
  }
  return absl::OkStatus();
}

const PreparedVersion* Engine::VersionAt(absl::Time t) const {
  // The last version starting at or before t, if t is before its end.
  const auto it = std::upper_bound(
      versions_.begin(), versions_.end(), t,
      [](absl::Time x, const PreparedVersion& v) { return x < v.plan->effective_from; });
  if (it == versions_.begin()) {
    return nullptr;
  }
  const PreparedVersion& v = *(it - 1);
  return t < v.plan->effective_until ? &v : nullptr;
}

absl::Status Engine::OrderFacts() {
  std::vector<size_t> order(in_.facts.size());
  std::iota(order.begin(), order.end(), size_t{0});
  const auto key = [this](size_t i) {
    const CreditFact& f = in_.facts[i];
    return std::make_tuple(f.time, KindRank(f.kind), std::string_view(f.event_id));
  };
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
  // Equal event ids with equal content sort next to each other; one with
  // different content is a producer bug we refuse rather than guess.
  absl::flat_hash_map<absl::string_view, size_t> by_id;
  by_id.reserve(order.size());
  for (size_t i : order) {
    const CreditFact& f = in_.facts[i];
    const auto [it, inserted] = by_id.emplace(f.event_id, i);
    if (!inserted) {
      if (!(in_.facts[it->second] == f)) {
        return InvalidField(absl::StrCat("facts[", std::max(i, it->second), "].event_id"),
                            absl::StrCat("reuses the event id of facts[", std::min(i, it->second),
                                         "] with different content"));
      }
      ignored_.push_back({f.event_id, "DUPLICATE_EVENT"});
      continue;
    }
    facts_.push_back(&f);
  }
  fact_reason_.assign(facts_.size(), "");
  return absl::OkStatus();
}

int64_t Engine::RepShare(const CreditFact& f, int64_t amount) const {
  if (f.split.empty()) {
    return amount;
  }
  return PartFor(amount, f.split, ShareScale::kMillionths, in_.member_id);
}

size_t Engine::DealIndex(const std::string& deal_id, size_t fact_pos) {
  const auto [it, inserted] = deal_index_.emplace(deal_id, deals_.size());
  if (inserted) {
    deals_.push_back(DealState{deal_id, fact_pos, {}, 0, false, false});
  }
  return it->second;
}

void Engine::Credit(size_t fact_pos, const PreparedVersion* version, int64_t credit,
                    bool* overflow) {
  const CreditFact& f = *facts_[fact_pos];
  const std::string& key = basis_ == CommissionBasis::kBooking ? f.deal_id : f.payment_id;
  const size_t deal = DealIndex(f.deal_id, fact_pos);
  auto [it, inserted] = key_index_.emplace(key, keys_.size());
  if (inserted) {
    KeyState k;
    k.key = key;
    k.deal = deal;
    k.first_fact = fact_pos;
    k.version = version;
    keys_.push_back(std::move(k));
    deals_[deal].keys.push_back(it->second);
  }
  KeyState& k = keys_[it->second];
  if (__builtin_add_overflow(k.credited, credit, &k.credited)) {
    *overflow = true;
    return;
  }
  Entry e;
  e.fact = fact_pos;
  e.key = it->second;
  e.credit = credit;
  e.cum_before = cumulative_;
  if (__builtin_add_overflow(cumulative_, credit, &cumulative_)) {
    *overflow = true;
    return;
  }
  e.cum_after = cumulative_;
  e.version = version;
  e.table = &version->TableFor(f.product_line);
  entries_.push_back(e);
}

StatementLine Engine::FactLine(size_t fact_pos, LineKind kind, const PreparedVersion* v) const {
  const CreditFact& f = *facts_[fact_pos];
  StatementLine l;
  l.kind = kind;
  l.event_id = f.event_id;
  l.deal_id = f.deal_id;
  l.contract_id = f.contract_id;
  l.payment_id = f.payment_id;
  l.product_line = f.product_line;
  l.source = KeySource(basis_ == CommissionBasis::kBooking ? f.deal_id : f.payment_id);
  l.plan_id = v->plan->plan_id;
  l.plan_version = v->plan->version;
  return l;
}

StatementLine Engine::RecordLine(const CreditRecord& rec, LineKind kind,
                                 const CreditFact& cause) const {
  StatementLine l;
  l.kind = kind;
  l.source = KeySource(rec.credit_key);
  l.event_id = cause.event_id;
  l.related_event_id = rec.event_id;
  l.deal_id = rec.deal_id;
  l.contract_id = rec.contract_id;
  l.payment_id = rec.payment_id;
  l.product_line = rec.product_line;
  l.plan_id = rec.plan_id;
  l.plan_version = rec.plan_version;
  l.original_statement_id = rec.statement_id;
  return l;
}

StatementLine Engine::PlanLine(LineKind kind, std::string source, std::string rule) const {
  StatementLine l;
  l.kind = kind;
  l.source = std::move(source);
  l.rule = std::move(rule);
  l.plan_id = governing_->plan->plan_id;
  l.plan_version = governing_->plan->version;
  return l;
}

// Takes back commission of an earlier statement's record: `refunded` of its
// credited revenue (or everything left on a cancellation). Held commission
// goes first (forfeited, no money moved); the rest is clawed back if the
// fact is inside the clawback window.
void Engine::TakeBack(size_t fact_pos, CreditRecord& rec, size_t rec_index, int64_t refunded,
                      bool cancel) {
  const CreditFact& f = *facts_[fact_pos];
  const bool in_window = f.time < rec.clawback_until;
  int64_t take = 0;
  int64_t revenue = 0;
  if (cancel) {
    take = rec.commission_minor - rec.taken_back_minor;
    revenue = rec.credited_minor - rec.refunded_minor;
  } else {
    revenue = std::min(refunded, rec.credited_minor - rec.refunded_minor);
    if (rec.credited_minor > 0 && rec.commission_minor > 0 && revenue > 0) {
      // Cumulative rounding: the refunds of a whole credit take back exactly
      // its commission, however many partial refunds it took.
      const int64_t before =
          *MulDivHalfEven(rec.commission_minor, rec.refunded_minor, rec.credited_minor);
      const int64_t after =
          *MulDivHalfEven(rec.commission_minor, rec.refunded_minor + revenue, rec.credited_minor);
      take = std::min(after - before, rec.commission_minor - rec.taken_back_minor);
    }
  }
  const int64_t from_held = std::clamp<int64_t>(take, 0, rec.held_minor);
  int64_t clawed = in_window ? std::max<int64_t>(0, take - from_held) : 0;
  if (!cancel && !in_window) {
    fact_reason_[fact_pos] = "OUTSIDE_CLAWBACK_WINDOW";
    return;
  }
  if (from_held == 0 && clawed == 0) {
    if (cancel && !rec.cancelled) {
      rec.cancelled = true;
      ledger_changed_[rec_index] = true;
    }
    fact_reason_[fact_pos] = in_window ? "ALREADY_TAKEN_BACK" : "OUTSIDE_CLAWBACK_WINDOW";
    return;
  }
  const auto line_for = [&](LineKind kind) { return RecordLine(rec, kind, f); };
  const char* why = cancel ? "contract cancelled" : "refund";
  if (from_held > 0) {
    StatementLine l = line_for(LineKind::kHoldForfeit);
    l.rule = "hold";
    l.base_minor = from_held;
    l.note = absl::StrCat("held commission ", FormatAmount(from_held), " forfeited: ", why);
    take_backs_.push_back(std::move(l));
  }
  if (clawed > 0) {
    StatementLine l = line_for(LineKind::kClawback);
    l.rule = "clawback_window_days";
    l.base_minor = revenue;
    l.amount_minor = -clawed;
    l.note = cancel ? absl::StrCat("contract cancelled: commission ", FormatAmount(clawed),
                                   " paid on ", rec.statement_id, " taken back")
                    : absl::StrCat("refund of ", FormatAmount(revenue), " of ",
                                   FormatAmount(rec.credited_minor), " credited: commission ",
                                   FormatAmount(rec.commission_minor), " × ", FormatAmount(revenue),
                                   " / ", FormatAmount(rec.credited_minor), " taken back");
    take_backs_.push_back(std::move(l));
  }
  rec.held_minor -= from_held;
  rec.taken_back_minor += from_held + clawed;
  if (cancel) {
    rec.cancelled = true;
  } else {
    rec.refunded_minor += revenue;
  }
  ledger_changed_[rec_index] = true;
}

absl::Status Engine::Classify() {
  bool overflow = false;
  for (size_t pos = 0; pos < facts_.size(); ++pos) {
    const CreditFact& f = *facts_[pos];
    const bool booking = basis_ == CommissionBasis::kBooking;
    const std::string& key = booking ? f.deal_id : f.payment_id;
    switch (f.kind) {
      case FactKind::kDealWon:
      case FactKind::kPaymentReceived: {
        const size_t deal = DealIndex(f.deal_id, pos);
        if (f.kind == FactKind::kPaymentReceived && f.first_instalment_received &&
            !deals_[deal].first_instalment_received) {
          deals_[deal].first_instalment_received = true;
          deals_[deal].release_fact = pos;
        }
        const bool credits = (f.kind == FactKind::kDealWon) == booking;
        if (!credits) {
          fact_reason_[pos] = "NOT_CREDITED_ON_BASIS";  // cleared if it wins a SPIFF or releases
          break;
        }
        const PreparedVersion* v = VersionAt(f.time);
        if (v == nullptr) {
          return FailedPrecondition(
              "NO_EFFECTIVE_PLAN",
              absl::StrCat("no plan version is in effect at the time of event ",
                           QuoteUntrusted(f.event_id)));
        }
        const int64_t share = RepShare(f, f.amount_minor);
        if (share == 0) {
          fact_reason_[pos] = "ZERO_SHARE";  // a split share too small for one minor unit
          break;
        }
        Credit(pos, v, share, &overflow);
        break;
      }
      case FactKind::kPaymentRefunded:
      case FactKind::kContractCancelled: {
        const bool cancel = f.kind == FactKind::kContractCancelled;
        const size_t deal = DealIndex(f.deal_id, pos);
        bool moved = false;
        if (cancel) {
          deals_[deal].cancelled = true;
        }
        // This period's credit first: reversed in full (cancellation on
        // BOOKING basis) or by the refunded share, never below zero.
        if (!cancel || booking) {
          const auto it = key_index_.find(key);
          if (it != key_index_.end() && keys_[it->second].credited > 0) {
            KeyState& k = keys_[it->second];
            const int64_t reverse =
                cancel ? k.credited : std::min(RepShare(f, f.amount_minor), k.credited);
            if (reverse > 0) {
              Credit(pos, k.version, -reverse, &overflow);
              moved = true;
            }
          }
        }
        // Then what earlier statements credited.
        if (cancel && !booking) {
          // Collected cash stays credited (refunds reverse it); the held part
          // of every payment of the deal is forfeited.
          const auto it = ledger_by_deal_.find(f.deal_id);
          if (it != ledger_by_deal_.end()) {
            for (size_t r : it->second) {
              CreditRecord& rec = ledger_[r];
              if (rec.held_minor > 0) {
                const int64_t held = rec.held_minor;
                StatementLine l = RecordLine(rec, LineKind::kHoldForfeit, f);
                l.rule = "hold";
                l.base_minor = held;
                l.note = absl::StrCat("held commission ", FormatAmount(held),
                                      " forfeited: contract cancelled");
                take_backs_.push_back(std::move(l));
                rec.taken_back_minor += held;
                rec.held_minor = 0;
                ledger_changed_[r] = true;
                moved = true;
              }
              if (!rec.cancelled) {
                rec.cancelled = true;
                ledger_changed_[r] = true;
              }
            }
            if (!moved) {
              fact_reason_[pos] = "COLLECTED_CASH_KEPT";  // only a refund takes it back
            }
          }
        } else if (!moved) {
          const auto it = ledger_index_.find(key);
          if (it != ledger_index_.end()) {
            TakeBack(pos, ledger_[it->second], it->second, RepShare(f, f.amount_minor), cancel);
            moved = moved || fact_reason_[pos].empty();
            if (moved) {
              fact_reason_[pos].clear();
            }
          }
        }
        if (!moved && fact_reason_[pos].empty()) {
          fact_reason_[pos] = "NOTHING_CREDITED";
        }
        break;
      }
    }
  }
  if (overflow) {
    return Overflow("facts");
  }
  return absl::OkStatus();
}

void Engine::AddRated(const Entry& e, StatementLine line) {
  keys_[e.key].commission += line.amount_minor;
  deals_[keys_[e.key].deal].commission += line.amount_minor;
  rated_.push_back(std::move(line));
}

// BASE for credit in cumulative range [lo, hi) at `rate`, plus an
// ACCELERATOR line for each accelerator segment the range reaches into. The
// entry's sign decides the lines' sign.
void Engine::EmitRange(const Entry& e, int64_t lo, int64_t hi, int64_t rate,
                       const std::string& rule, LineKind base_kind) {
  const int64_t sign = e.credit < 0 ? -1 : 1;
  StatementLine base = FactLine(e.fact, base_kind, e.version);
  base.rule = rule;
  base.rate_millionths = rate;
  base.base_minor = sign * (hi - lo);
  base.amount_minor = Checked(ApplyRate(base.base_minor, rate));
  base.note = absl::StrCat(e.credit < 0 ? "reversal: " : "", FormatAmount(base.base_minor), " × ",
                           FormatRate(rate));
  AddRated(e, std::move(base));
  const std::vector<Accelerator>& accs = governing_->plan->accelerators;
  for (size_t j = 0; j < accs.size(); ++j) {
    const int64_t seg_lo = accel_lower_[j];
    const int64_t seg_hi =
        j + 1 < accs.size() ? accel_lower_[j + 1] : std::numeric_limits<int64_t>::max();
    const int64_t overlap = std::min(hi, seg_hi) - std::max(lo, seg_lo);
    if (overlap <= 0) {
      continue;
    }
    StatementLine acc = FactLine(e.fact, LineKind::kAccelerator, e.version);
    acc.rule = absl::StrCat("accelerators[", j, "]");
    acc.rate_millionths = rate;
    acc.multiplier_millionths = accs[j].multiplier_millionths;
    acc.base_minor = sign * overlap;
    acc.amount_minor =
        Checked(ApplyRates(acc.base_minor, rate, accs[j].multiplier_millionths - kRateOne));
    acc.note = absl::StrCat(FormatAmount(acc.base_minor), " above ",
                            accs[j].above_attainment_bp / 100, "% attainment × ", FormatRate(rate),
                            " × extra ", FormatRate(accs[j].multiplier_millionths - kRateOne));
    AddRated(e, std::move(acc));
  }
}

// What EmitRange would add for the whole entry at `rate` (FLAT-style lines).
int64_t Engine::RangeCommission(const Entry& e, int64_t rate) {
  const int64_t sign = e.credit < 0 ? -1 : 1;
  const int64_t lo = std::min(e.cum_before, e.cum_after);
  const int64_t hi = std::max(e.cum_before, e.cum_after);
  int64_t total = Checked(ApplyRate(sign * (hi - lo), rate));
  const std::vector<Accelerator>& accs = governing_->plan->accelerators;
  for (size_t j = 0; j < accs.size(); ++j) {
    const int64_t seg_hi =
        j + 1 < accs.size() ? accel_lower_[j + 1] : std::numeric_limits<int64_t>::max();
    const int64_t overlap = std::min(hi, seg_hi) - std::max(lo, accel_lower_[j]);
    if (overlap > 0) {
      total += Checked(ApplyRates(sign * overlap, rate, accs[j].multiplier_millionths - kRateOne));
    }
  }
  return total;
}

void Engine::Rate() {
  const TierMode mode = governing_->plan->tier_mode;
  const int64_t final_cum = cumulative_;
  // The decelerator in force: the lowest threshold the final attainment is below.
  const Decelerator* decel = nullptr;
  size_t decel_index = 0;
  const std::vector<Decelerator>& decs = governing_->plan->decelerators;
  for (size_t j = 0; j < decs.size(); ++j) {
    if (final_cum < ThresholdAmount(in_.target_minor, decs[j].below_attainment_bp)) {
      decel = &decs[j];
      decel_index = j;
      break;
    }
  }
  // RETROACTIVE: the entry whose credit brought attainment into the final band
  // for good (the one after the last entry rated at another band).
  size_t crossing = 0;
  if (mode == TierMode::kRetroactive) {
    for (size_t i = entries_.size(); i-- > 0;) {
      const Entry& e = entries_[i];
      if (e.table->BandOf(e.cum_after) != e.table->BandOf(final_cum)) {
        crossing = i + 1;
        break;
      }
    }
  }
  rated_.reserve(entries_.size() * 3);
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    const BandTable& t = *e.table;
    const int64_t lo = std::min(e.cum_before, e.cum_after);
    const int64_t hi = std::max(e.cum_before, e.cum_after);
    const size_t first_line = rated_.size();
    const size_t final_band = t.BandOf(final_cum);
    if (mode == TierMode::kMarginal) {
      // One BASE line per band the slice [lo, hi) passes through.
      for (size_t b = t.BandOf(lo); b < t.lower.size(); ++b) {
        const int64_t band_hi =
            b + 1 < t.lower.size() ? t.lower[b + 1] : std::numeric_limits<int64_t>::max();
        const int64_t seg_lo = std::max(lo, t.lower[b]);
        const int64_t seg_hi = std::min(hi, band_hi);
        if (seg_hi > seg_lo) {
          EmitRange(e, seg_lo, seg_hi, t.rate[b], t.Rule(b), LineKind::kBase);
        }
        if (band_hi >= hi) {
          break;
        }
      }
    } else if (mode == TierMode::kFlat) {
      EmitRange(e, lo, hi, t.rate[final_band], t.Rule(final_band), LineKind::kBase);
    } else {
      const size_t at_time = t.BandOf(e.cum_after);
      EmitRange(e, lo, hi, t.rate[at_time], t.Rule(at_time), LineKind::kBase);
      const int64_t adjustment =
          RangeCommission(e, t.rate[final_band]) - RangeCommission(e, t.rate[at_time]);
      if (adjustment != 0) {
        StatementLine adj = FactLine(e.fact, LineKind::kRetroAdjustment, e.version);
        adj.rule = t.Rule(final_band);
        adj.rate_millionths = t.rate[final_band];
        adj.base_minor = e.credit;
        adj.amount_minor = adjustment;
        if (crossing < entries_.size()) {
          adj.related_event_id = facts_[entries_[crossing].fact]->event_id;
        }
        adj.note = absl::StrCat("re-rated from ", FormatRate(t.rate[at_time]), " to ",
                                FormatRate(t.rate[final_band]), " when event ",
                                adj.related_event_id, " reached ", t.Rule(final_band));
        AddRated(e, std::move(adj));
      }
    }
    if (decel != nullptr) {
      // Decelerate each BASE line of this entry at the rate it ended at.
      const size_t last_line = rated_.size();
      for (size_t l = first_line; l < last_line; ++l) {
        if (rated_[l].kind != LineKind::kBase) {
          continue;
        }
        const int64_t rate =
            mode == TierMode::kRetroactive ? t.rate[final_band] : rated_[l].rate_millionths;
        StatementLine d = FactLine(e.fact, LineKind::kDecelerator, e.version);
        d.rule = absl::StrCat("decelerators[", decel_index, "]");
        d.rate_millionths = rate;
        d.multiplier_millionths = decel->multiplier_millionths;
        d.base_minor = rated_[l].base_minor;
        d.amount_minor =
            Checked(ApplyRates(d.base_minor, rate, decel->multiplier_millionths - kRateOne));
        d.note = absl::StrCat("attainment below ", decel->below_attainment_bp / 100,
                              "%: ", FormatAmount(d.base_minor), " × ", FormatRate(rate), " × -",
                              FormatRate(kRateOne - decel->multiplier_millionths));
        AddRated(e, std::move(d));
      }
    }
  }
}

void Engine::Caps() {
  const CommissionPlan& plan = *governing_->plan;
  if (plan.per_deal_cap_minor > 0) {
    for (DealState& d : deals_) {
      if (d.commission <= plan.per_deal_cap_minor) {
        continue;
      }
      const int64_t excess = d.commission - plan.per_deal_cap_minor;
      StatementLine l = FactLine(d.first_fact, LineKind::kCap, governing_);
      l.event_id.clear();
      l.rule = "per_deal_cap_minor";
      l.base_minor = d.commission;
      l.amount_minor = -excess;
      l.note = absl::StrCat("commission on the deal ", FormatAmount(d.commission), " capped at ",
                            FormatAmount(plan.per_deal_cap_minor));
      l.source = absl::StrCat("deals/", d.deal_id);
      caps_.push_back(std::move(l));
      std::vector<int64_t> weights;
      for (size_t k : d.keys) {
        weights.push_back(std::max<int64_t>(0, keys_[k].commission));
      }
      const std::vector<int64_t> parts = AllocateByWeight(excess, weights);
      for (size_t i = 0; i < d.keys.size(); ++i) {
        keys_[d.keys[i]].cap_share += parts[i];
      }
    }
  }
  if (plan.period_cap_minor > 0) {
    CheckedSum earned;
    std::vector<int64_t> weights;
    weights.reserve(keys_.size());
    for (const KeyState& k : keys_) {
      earned.Add(k.commission - k.cap_share);
      weights.push_back(std::max<int64_t>(0, k.commission - k.cap_share));
    }
    if (earned.overflow()) {
      overflow_ = true;
      return;
    }
    if (earned.value() > plan.period_cap_minor) {
      const int64_t excess = earned.value() - plan.period_cap_minor;
      StatementLine l = PlanLine(
          LineKind::kCap, absl::StrCat("plans/", plan.plan_id, "/period_cap"), "period_cap_minor");
      l.base_minor = earned.value();
      l.amount_minor = -excess;
      l.note = absl::StrCat("commission of the period ", FormatAmount(earned.value()),
                            " capped at ", FormatAmount(plan.period_cap_minor));
      caps_.push_back(std::move(l));
      const std::vector<int64_t> parts = AllocateByWeight(excess, weights);
      for (size_t i = 0; i < keys_.size(); ++i) {
        keys_[i].cap_share += parts[i];
      }
    }
  }
}

void Engine::Holds() {
  if (governing_->plan->hold != HoldRule::kUntilFirstInstalment) {
    return;
  }
  for (DealState& d : deals_) {
    if (d.first_instalment_received) {
      fact_reason_[d.release_fact].clear();  // the payment that lifted the hold mattered
      continue;
    }
    if (d.keys.empty()) {
      continue;
    }
    int64_t held = 0;
    for (size_t k : d.keys) {
      KeyState& key = keys_[k];
      key.held = std::max<int64_t>(0, key.commission - key.cap_share);
      key.forfeited = d.cancelled;
      held += key.held;
    }
    if (held == 0) {
      continue;
    }
    StatementLine l = FactLine(d.first_fact, LineKind::kHold, governing_);
    l.event_id = facts_[keys_[d.keys.front()].first_fact]->event_id;
    l.source = absl::StrCat("deals/", d.deal_id);
    l.rule = "hold";
    l.base_minor = held;
    l.amount_minor = -held;
    l.note = d.cancelled
                 ? "held until the first instalment is received; forfeited: contract cancelled"
                 : "held until the deal's first instalment is received";
    holds_.push_back(std::move(l));
  }
}

void Engine::Releases() {
  for (size_t r = 0; r < ledger_.size(); ++r) {
    CreditRecord& rec = ledger_[r];
    if (rec.held_minor <= 0 || rec.cancelled) {
      continue;
    }
    const auto it = deal_index_.find(rec.deal_id);
    if (it == deal_index_.end() || !deals_[it->second].first_instalment_received) {
      continue;
    }
    const size_t fact = deals_[it->second].release_fact;
    StatementLine l = RecordLine(rec, LineKind::kRelease, *facts_[fact]);
    l.rule = "hold";
    l.base_minor = rec.held_minor;
    l.amount_minor = rec.held_minor;
    l.note = absl::StrCat("first instalment received: commission held on ", rec.statement_id,
                          " released");
    releases_.push_back(std::move(l));
    fact_reason_[fact].clear();
    rec.held_minor = 0;
    ledger_changed_[r] = true;
  }
}

absl::Status Engine::Bonuses() {
  const CommissionPlan& plan = *governing_->plan;
  for (size_t i = 0; i < plan.bonuses.size(); ++i) {
    const BonusRule& b = plan.bonuses[i];
    const std::string rule = absl::StrCat("bonuses[", i, "]");
    bool pay = false;
    std::string note;
    if (b.kind == BonusKind::kIndividual) {
      pay = cumulative_ >= ThresholdAmount(in_.target_minor, b.min_attainment_bp);
      note = absl::StrCat("individual attainment reached ", b.min_attainment_bp / 100, "%");
    } else if (b.kind == BonusKind::kTeam) {
      pay = in_.team_attainment_bp.has_value() && *in_.team_attainment_bp >= b.min_attainment_bp;
      note = absl::StrCat("team attainment reached ", b.min_attainment_bp / 100, "%");
    }
    if (pay) {
      StatementLine l = PlanLine(LineKind::kBonus, absl::StrCat("bonuses/", b.bonus_id), rule);
      l.base_minor = b.amount_minor;
      l.amount_minor = b.amount_minor;
      l.note = std::move(note);
      bonuses_.push_back(std::move(l));
    }
  }
  // Special-contribution awards, in award id order so input order does not matter.
  std::vector<size_t> awards(in_.awards.size());
  std::iota(awards.begin(), awards.end(), size_t{0});
  std::sort(awards.begin(), awards.end(),
            [this](size_t a, size_t b) { return in_.awards[a].award_id < in_.awards[b].award_id; });
  for (size_t a : awards) {
    const BonusAward& award = in_.awards[a];
    const auto it = std::find_if(plan.bonuses.begin(), plan.bonuses.end(),
                                 [&](const BonusRule& b) { return b.bonus_id == award.bonus_id; });
    if (it == plan.bonuses.end() || it->kind != BonusKind::kSpecialContribution) {
      return InvalidField(absl::StrCat("awards[", a, "].bonus_id"),
                          absl::StrCat(QuoteUntrusted(award.bonus_id),
                                       " is not a special-contribution bonus of the plan"));
    }
    if (award.amount_minor > it->amount_minor) {
      return InvalidField(absl::StrCat("awards[", a, "].amount_minor"),
                          absl::StrCat("must be at most the bonus amount ", it->amount_minor));
    }
    StatementLine l = PlanLine(LineKind::kBonus, absl::StrCat("awards/", award.award_id),
                               absl::StrCat("bonuses[", it - plan.bonuses.begin(), "]"));
    l.base_minor = it->amount_minor;
    l.amount_minor = award.amount_minor;
    l.note = award.reason;
    bonuses_.push_back(std::move(l));
  }
  // SPIFFs on deals won (not cancelled this period), first in canonical order.
  for (size_t i = 0; i < plan.spiffs.size(); ++i) {
    const Spiff& s = plan.spiffs[i];
    int32_t paid = 0;
    for (size_t pos = 0; pos < facts_.size(); ++pos) {
      const CreditFact& f = *facts_[pos];
      if (f.kind != FactKind::kDealWon || f.time < s.start || f.time >= s.end ||
          (!s.product_line.empty() && s.product_line != f.product_line) ||
          f.amount_minor < s.min_deal_amount_minor || deals_[deal_index_.at(f.deal_id)].cancelled) {
        continue;
      }
      if (s.max_deals_per_period > 0 && paid >= s.max_deals_per_period) {
        break;
      }
      ++paid;
      const int64_t part = RepShare(f, s.amount_per_deal_minor);
      if (part == 0) {
        continue;
      }
      StatementLine l = FactLine(pos, LineKind::kSpiff, governing_);
      l.source = absl::StrCat("deals/", f.deal_id);
      l.rule = absl::StrCat("spiffs[", i, "]");
      l.base_minor = s.amount_per_deal_minor;
      l.amount_minor = part;
      l.note = part == s.amount_per_deal_minor
                   ? absl::StrCat("SPIFF ", s.spiff_id)
                   : absl::StrCat("SPIFF ", s.spiff_id, ": your split share of ",
                                  FormatAmount(s.amount_per_deal_minor));
      bonuses_.push_back(std::move(l));
      fact_reason_[pos].clear();
    }
  }
  return absl::OkStatus();
}

// Carried adjustments and balance, then the draw; a negative result is deferred.
void Engine::CarriedAndDraw() {
  for (const Adjustment& a : in_.carried.adjustments) {
    StatementLine l = PlanLine(
        LineKind::kAdjustment,
        a.source.empty() ? absl::StrCat("adjustments/", a.adjustment_id) : a.source, "carried");
    l.base_minor = a.amount_minor;
    l.amount_minor = a.amount_minor;
    l.original_statement_id = a.original_statement_id;
    l.note = a.reason;
    tail_.push_back(std::move(l));
  }
  if (in_.carried.negative_balance_minor < 0) {
    StatementLine l = PlanLine(LineKind::kCarriedBalance, "balances/negative", "carried");
    l.base_minor = in_.carried.negative_balance_minor;
    l.amount_minor = in_.carried.negative_balance_minor;
    l.note = "negative result carried from the previous statement";
    tail_.push_back(std::move(l));
  }
}

absl::Status Engine::Finish(Statement& st) {
  const CommissionPlan& plan = *governing_->plan;
  const auto groups = {&rated_, &caps_, &holds_, &releases_, &take_backs_, &bonuses_, &tail_};
  size_t count = 2;  // room for a deferred balance and a draw line
  for (const auto* group : groups) {
    count += group->size();
  }
  st.lines.reserve(count);
  for (auto* group : groups) {
    for (StatementLine& l : *group) {
      st.lines.push_back(std::move(l));
    }
  }
  CheckedSum before_draw;
  for (const StatementLine& l : st.lines) {
    before_draw.Add(l.amount_minor);
  }
  if (before_draw.overflow()) {
    return Overflow("facts");
  }
  CarryForward& next = st.carry_forward;
  next.draw_balance_minor = in_.carried.draw_balance_minor;
  int64_t payable = before_draw.value();
  if (payable < 0) {
    StatementLine l = PlanLine(LineKind::kDeferredBalance, "balances/negative", "carried");
    l.base_minor = payable;
    l.amount_minor = -payable;
    l.note = "negative result carried to the next statement";
    next.negative_balance_minor = payable;
    st.lines.push_back(std::move(l));
    payable = 0;
  }
  const int64_t draw = plan.draw.kind == DrawKind::kNone ? 0 : plan.draw.amount_per_period_minor;
  const std::string draw_source = absl::StrCat("draws/", plan.plan_id);
  if (payable < draw) {
    StatementLine l = PlanLine(LineKind::kDrawAdvance, draw_source, "draw");
    l.base_minor = draw;
    l.amount_minor = draw - payable;
    const bool recoverable = plan.draw.kind == DrawKind::kRecoverable;
    l.note = absl::StrCat(recoverable ? "recoverable" : "non-recoverable", " draw of ",
                          FormatAmount(draw), " tops up earnings of ", FormatAmount(payable));
    if (recoverable) {
      next.draw_balance_minor += l.amount_minor;
    }
    st.lines.push_back(std::move(l));
  } else if (in_.carried.draw_balance_minor > 0 && payable > draw) {
    int64_t recover = std::min(in_.carried.draw_balance_minor, payable - draw);
    if (plan.draw.max_recovery_per_period_minor > 0) {
      recover = std::min(recover, plan.draw.max_recovery_per_period_minor);
    }
    StatementLine l = PlanLine(LineKind::kDrawRecovery, draw_source, "draw");
    l.base_minor = in_.carried.draw_balance_minor;
    l.amount_minor = -recover;
    l.note = absl::StrCat("recovers ", FormatAmount(recover), " of the draw balance ",
                          FormatAmount(in_.carried.draw_balance_minor), " from earnings above ",
                          FormatAmount(draw));
    next.draw_balance_minor -= recover;
    st.lines.push_back(std::move(l));
  }

  // Totals: each an exact, checked sum of its lines.
  StatementTotals& t = st.totals;
  CheckedSum gross, cap, held, released, clawback, bonus, adjustment, carried, advance, recovery,
      deferred, net;
  for (size_t i = 0; i < st.lines.size(); ++i) {
    StatementLine& l = st.lines[i];
    l.line_no = static_cast<int32_t>(i + 1);
    net.Add(l.amount_minor);
    switch (l.kind) {
      case LineKind::kBase:
      case LineKind::kAccelerator:
      case LineKind::kDecelerator:
      case LineKind::kRetroAdjustment:
        gross.Add(l.amount_minor);
        break;
      case LineKind::kCap:
        cap.Add(-l.amount_minor);
        break;
      case LineKind::kHold:
        held.Add(-l.amount_minor);
        break;
      case LineKind::kRelease:
        released.Add(l.amount_minor);
        break;
      case LineKind::kHoldForfeit:
        break;
      case LineKind::kClawback:
        clawback.Add(-l.amount_minor);
        break;
      case LineKind::kBonus:
      case LineKind::kSpiff:
        bonus.Add(l.amount_minor);
        break;
      case LineKind::kAdjustment:
        adjustment.Add(l.amount_minor);
        break;
      case LineKind::kCarriedBalance:
        carried.Add(l.amount_minor);
        break;
      case LineKind::kDrawAdvance:
        advance.Add(l.amount_minor);
        break;
      case LineKind::kDrawRecovery:
        recovery.Add(-l.amount_minor);
        break;
      case LineKind::kDeferredBalance:
        deferred.Add(l.amount_minor);
        break;
    }
  }
  for (const CheckedSum* s : {&gross, &cap, &held, &released, &clawback, &bonus, &adjustment,
                              &carried, &advance, &recovery, &deferred, &net}) {
    if (s->overflow()) {
      return Overflow("facts");
    }
  }
  t.credited_revenue_minor = cumulative_;
  t.attainment_bp = static_cast<int32_t>(
      std::min<int128>(static_cast<int128>(cumulative_) * kBasisPointsOne / in_.target_minor,
                       std::numeric_limits<int32_t>::max()));
  t.gross_minor = gross.value();
  t.cap_reduction_minor = cap.value();
  t.held_minor = held.value();
  t.released_minor = released.value();
  t.clawback_minor = clawback.value();
  t.bonus_minor = bonus.value();
  t.adjustment_minor = adjustment.value();
  t.carried_balance_minor = carried.value();
  t.draw_advance_minor = advance.value();
  t.draw_recovery_minor = recovery.value();
  t.deferred_balance_minor = deferred.value();
  t.net_payable_minor = net.value();

  // The ledger: this period's credits, and earlier ones changed.
  const absl::Duration window = absl::Hours(24) * plan.clawback_window_days;
  std::vector<CreditRecord> created;
  created.reserve(keys_.size());
  st.credits.reserve(keys_.size() + ledger_.size());
  for (const KeyState& k : keys_) {
    if (k.credited <= 0) {
      continue;  // reversed in full: nothing left to claw back or release
    }
    const CreditFact& f = *facts_[k.first_fact];
    CreditRecord r;
    r.credit_key = k.key;
    r.deal_id = f.deal_id;
    r.contract_id = f.contract_id;
    r.payment_id = basis_ == CommissionBasis::kCollection ? f.payment_id : "";
    r.product_line = f.product_line;
    r.statement_id = in_.statement_id;
    r.plan_id = k.version->plan->plan_id;
    r.plan_version = k.version->plan->version;
    r.event_id = f.event_id;
    r.credit_time = f.time;
    r.clawback_until = f.time + window;
    r.credited_minor = k.credited;
    r.commission_minor = k.commission - k.cap_share;
    r.held_minor = k.forfeited ? 0 : k.held;
    r.taken_back_minor = k.forfeited ? k.held : 0;
    r.cancelled = deals_[k.deal].cancelled;
    created.push_back(std::move(r));
  }
  for (size_t r = 0; r < ledger_.size(); ++r) {
    if (ledger_changed_[r]) {
      st.credits.push_back(ledger_[r]);
    }
  }
  for (const CreditRecord& r : created) {
    st.credits.push_back(r);
  }
  // Carry what can still be clawed back or released.
  // Held commission waits for its release; anything else only while a refund
  // could still claw it back — also after a cancellation, since on COLLECTION
  // basis the cash (and its commission) stays until it is refunded.
  const auto keep = [this](const CreditRecord& r) {
    if (r.held_minor > 0 && !r.cancelled) {
      return true;
    }
    return r.clawback_until > in_.period_end && r.commission_minor - r.taken_back_minor > 0 &&
           r.refunded_minor < r.credited_minor;
  };
  std::vector<CreditRecord*> kept;
  for (auto* records : {&ledger_, &created}) {
    for (CreditRecord& r : *records) {
      if (keep(r)) {
        kept.push_back(&r);
      }
    }
  }
  // Sort pointers, not records: a record holds a dozen strings.
  std::sort(kept.begin(), kept.end(), [](const CreditRecord* a, const CreditRecord* b) {
    return std::tie(a->credit_time, a->credit_key) < std::tie(b->credit_time, b->credit_key);
  });
  next.credits.reserve(kept.size());
  for (CreditRecord* r : kept) {
    next.credits.push_back(std::move(*r));
  }
  for (size_t pos = 0; pos < facts_.size(); ++pos) {
    if (!fact_reason_[pos].empty()) {
      ignored_.push_back({facts_[pos]->event_id, fact_reason_[pos]});
    }
  }
  std::sort(ignored_.begin(), ignored_.end(), [](const IgnoredFact& a, const IgnoredFact& b) {
    return std::tie(a.event_id, a.reason) < std::tie(b.event_id, b.reason);
  });
  st.ignored = std::move(ignored_);
  return absl::OkStatus();
}

absl::StatusOr<Statement> Engine::Run() {
  if (absl::Status st = Validate(); !st.ok()) {
    return st;
  }
  if (absl::Status st = PrepareVersions(); !st.ok()) {
    return st;
  }
  if (absl::Status st = OrderFacts(); !st.ok()) {
    return st;
  }
  // The carried ledger in a canonical order, indexed by key and by deal.
  const std::vector<CreditRecord>& carried = in_.carried.credits;
  std::vector<size_t> by_time(carried.size());
  std::iota(by_time.begin(), by_time.end(), size_t{0});
  std::sort(by_time.begin(), by_time.end(), [&carried](size_t a, size_t b) {
    return std::tie(carried[a].credit_time, carried[a].credit_key) <
           std::tie(carried[b].credit_time, carried[b].credit_key);
  });
  ledger_.reserve(carried.size());
  for (size_t i : by_time) {
    ledger_.push_back(carried[i]);
  }
  ledger_changed_.assign(ledger_.size(), false);
  for (size_t i = 0; i < ledger_.size(); ++i) {
    ledger_index_.emplace(ledger_[i].credit_key, i);
    ledger_by_deal_[ledger_[i].deal_id].push_back(i);
  }
  entries_.reserve(facts_.size());
  keys_.reserve(facts_.size());
  key_index_.reserve(facts_.size());
  deals_.reserve(facts_.size());
  deal_index_.reserve(facts_.size());
  if (absl::Status st = Classify(); !st.ok()) {
    return st;
  }
  Rate();
  Caps();
  if (overflow_) {
    return Overflow("facts");
  }
  Holds();
  Releases();
  if (absl::Status st = Bonuses(); !st.ok()) {
    return st;
  }
  CarriedAndDraw();

  Statement st;
  st.statement_id = in_.statement_id;
  st.member_id = in_.member_id;
  st.period_id = in_.period_id;
  st.currency_code = governing_->plan->currency_code;
  st.plan_id = governing_->plan->plan_id;
  st.plan_version = governing_->plan->version;
  st.tier_mode = governing_->plan->tier_mode;
  st.basis = basis_;
  st.target_minor = in_.target_minor;
  if (absl::Status s = Finish(st); !s.ok()) {
    return s;
  }
  return st;
}

}  // namespace

absl::string_view LineKindName(LineKind kind) {
  switch (kind) {
    case LineKind::kBase:
      return "base";
    case LineKind::kAccelerator:
      return "accelerator";
    case LineKind::kDecelerator:
      return "decelerator";
    case LineKind::kRetroAdjustment:
      return "retro_adjustment";
    case LineKind::kCap:
      return "cap";
    case LineKind::kHold:
      return "hold";
    case LineKind::kRelease:
      return "release";
    case LineKind::kHoldForfeit:
      return "hold_forfeit";
    case LineKind::kClawback:
      return "clawback";
    case LineKind::kBonus:
      return "bonus";
    case LineKind::kSpiff:
      return "spiff";
    case LineKind::kAdjustment:
      return "adjustment";
    case LineKind::kCarriedBalance:
      return "carried_balance";
    case LineKind::kDrawAdvance:
      return "draw_advance";
    case LineKind::kDrawRecovery:
      return "draw_recovery";
    case LineKind::kDeferredBalance:
      return "deferred_balance";
  }
  return "unknown";
}

absl::Status ValidatePlan(const CommissionPlan& plan, absl::string_view field) {
  Violations v;
  CheckPlan(v, plan, std::string(field));
  return v.Finish();
}

absl::StatusOr<Statement> ComputeStatement(const StatementInput& input) {
  return Engine(input).Run();
}

}  // namespace salesops::performance
