// Attainment roll-ups: "how am I doing" for a rep, a team, a region and the
// company across all their cells of a plan, with the breakdown by product
// line, channel or customer type, and bookings no cell of the plan covers
// counted as unplanned instead of being dropped. Pure: the attainment
// projection feeds it the plan's cells and each booking; the API reads the
// counters it produces.
//
// Targets. A subject's target is the sum of its topmost cells: the cells
// that belong to it (a rep's: member = rep; a team's: the team's own TEAM
// cells and its reps' cells; a region's: cells fixing region = it, and the
// cells of its teams; the company: the root) and have no ancestor that also
// belongs to it. Children of a cell partition its amount, so nothing is
// counted twice.
//
// Actuals. A booking is attributed up the org: its rep, the rep's team, the
// team's region (from the org structure), the company. A subject's actual is
// the sum of the bookings attributed to it, so every level equals the sum of
// its children plus what could not be attributed further down, and the
// company's actual equals all bookings of the period. A booking matching no
// leaf cell of the plan is also counted as unplanned for each subject it is
// attributed to.
//
//   RollupModel m = RollupModel::Build(cells, team_region);
//   for (const auto& [field, delta] : m.Increments(booking)) b.HIncrBy(key, field, delta);
//   int64_t target = m.Target(RollupSubject::Rep("rep-1"));
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace salesops::targets {

// One cell of a plan as the roll-up sees it. Ids without collection prefixes.
struct RollupCell {
  std::string key;
  std::string parent;  // "" for the root
  std::string member;  // rep cells
  std::string team;    // org unit of TEAM cells and of rep cells
  bool team_axis = false;
  std::string product_line, region, channel, customer_type;  // fixed dimensions; "" = any
  int64_t target = 0;
};

// One booking (a won deal, a payment, a refund as a negative amount).
struct RollupBooking {
  std::string rep, team, region, product_line, channel, customer_type;
  int64_t amount = 0;
};

enum class RollupLevel { kRep, kTeam, kRegion, kCompany };
// One letter per level in counter field names ('r', 't', 'g', 'c') and back.
char LevelCode(RollupLevel l);
RollupLevel LevelFromCode(char c);

struct RollupSubject {
  RollupLevel level = RollupLevel::kCompany;
  std::string id;  // "" for the company
  static RollupSubject Rep(std::string id) { return {RollupLevel::kRep, std::move(id)}; }
  static RollupSubject Team(std::string id) { return {RollupLevel::kTeam, std::move(id)}; }
  static RollupSubject Region(std::string id) { return {RollupLevel::kRegion, std::move(id)}; }
  static RollupSubject Company() { return {RollupLevel::kCompany, ""}; }
  bool operator==(const RollupSubject& o) const { return level == o.level && id == o.id; }
};

// The dimensions a roll-up breaks down by.
enum class RollupDimension { kProductLine, kChannel, kCustomerType };
// "product_line" | "channel" | "customer_type"; false when unknown.
bool ParseRollupDimension(const std::string& name, RollupDimension* out);

// Counter field names, in one hash per plan:
//   "a|<l>|<id>"                 actual of a subject (l: r, t, g, c; id "" for c)
//   "u|<l>|<id>"                 its unplanned part
//   "a|<l>|<id>|<d>=<v>"         a team's, region's or the company's actual
//                                for dimension d (pl, ch, ct) = value v
//   "a|r|<id>|m=<pl>|<ch>|<ct>"  a rep's actual for one mix of product line,
//                                channel and customer type (values escaped
//                                with EscapeTuplePart)
//   "cell|<key>"                 actual of one cell (the bookings matching it)
// A breakdown by one dimension sums either form (BreakdownActuals). Why two:
// a rep's counters are the rep's own, so a booking writes one mix instead of
// three fields (each a write in Redis that no other deal shares); the other
// levels' fields are shared by many deals, which a wave sums into one write
// each, and their few values (~10) beat the mixes' many (up to 36) there.
// A rep's counters written before 2026-12-07 are per-dimension fields; they
// are read as they are, so a plan live across the change adds up.
std::string ActualField(const RollupSubject& s);
std::string UnplannedField(const RollupSubject& s);
std::string MixField(const RollupSubject& s, const RollupBooking& b);
std::string CellField(const std::string& cell_key);

// A subject's actual per value of `d`, from its breakdown fields: each is the
// part of a field after "a|<l>|<id>|" with its value. Mixes and
// per-dimension fields count alike; other fields are skipped.
absl::flat_hash_map<std::string, int64_t> BreakdownActuals(
    const std::vector<std::pair<std::string, int64_t>>& fields, RollupDimension d);

// '|' separates the parts of a tuple (a mix, a booking's facts field):
// values escape it, and the escape itself, as %7C and %25.
std::string EscapeTuplePart(absl::string_view v);
std::string UnescapeTuplePart(absl::string_view v);

class RollupModel {
 public:
  // `team_region`: each team's region in the org (teams missing: no region).
  // INVALID_ARGUMENT for a cell whose parent is missing, duplicate keys, no
  // root or a cycle.
  static absl::StatusOr<RollupModel> Build(
      std::vector<RollupCell> cells, absl::flat_hash_map<std::string, std::string> team_region);

  // The subjects a booking is attributed to, rep first, company last; levels
  // without an id (no rep, a team without a region) are left out.
  std::vector<RollupSubject> Attribute(const RollupBooking& b) const;
  // Keys of the cells whose fixed dimensions, team and rep match the booking.
  std::vector<std::string> MatchingCells(const RollupBooking& b) const;
  // Whether some leaf cell covers it.
  bool IsPlanned(const RollupBooking& b) const;
  // Every counter increment one booking makes (cells, totals, unplanned,
  // breakdowns), for HINCRBY; deterministic order. `planned` (optional):
  // IsPlanned(b), found by the same walk over the cells.
  std::vector<std::pair<std::string, int64_t>> Increments(const RollupBooking& b,
                                                          bool* planned = nullptr) const;

  int64_t Target(const RollupSubject& s) const;
  // The subject's topmost cells (whose targets sum to Target), in key order.
  std::vector<std::string> TopmostCells(const RollupSubject& s) const;
  // Subjects of a level that have a target in the plan, in id order.
  std::vector<RollupSubject> Subjects(RollupLevel level) const;
  // Target per value of `d` under the subject: its topmost cells' descendants
  // that first fix `d`; target never split by `d` is under "".
  absl::flat_hash_map<std::string, int64_t> TargetBy(const RollupSubject& s,
                                                     RollupDimension d) const;
  const std::vector<RollupCell>& cells() const { return cells_; }
  const std::string& root() const { return root_; }
  std::string RegionOfTeam(const std::string& team) const;

 private:
  // Values as codes of value_codes_, per dimension: product line, region,
  // channel, customer type, team. A booking's: kNoCode where no cell fixes
  // its value; a cell's: 0 where it fixes nothing.
  struct BookingCodes {
    uint32_t of[5];
  };
  static constexpr uint32_t kNoCode = ~uint32_t{0};
  BookingCodes CodesOf(const RollupBooking& b) const;
  bool Belongs(const RollupCell& c, const RollupSubject& s) const;
  // Whether cell i matches the booking `b` (whose codes are `codes`).
  bool Matches(size_t i, const RollupBooking& b, const BookingCodes& codes) const;
  // Calls f with each cell that may match a booking (the others fix another
  // member, or another value of the indexed dimension), in key order, until f
  // returns false.
  void ForEachCandidate(const RollupBooking& b, const BookingCodes& codes,
                        absl::FunctionRef<bool(size_t)> f) const;
  void Index();

  std::vector<RollupCell> cells_;  // sorted by key
  absl::flat_hash_map<std::string, size_t> by_key_;
  absl::flat_hash_map<std::string, std::vector<size_t>> children_;
  absl::flat_hash_map<std::string, std::string> team_region_;
  std::string root_;
  // Topmost cells per subject field ("a|r|x" etc.), computed once.
  absl::flat_hash_map<std::string, std::vector<size_t>> topmost_;
  std::vector<size_t> leaves_;
  std::vector<bool> is_leaf_;
  absl::flat_hash_map<std::string, std::vector<size_t>> by_member_;  // member → their cells
  // Every booking is matched against the cells that fix no member: they
  // compare numbers, not strings, and only those of the booking's value of
  // the dimension most of them fix (indexed_), or that leave it open.
  std::vector<BookingCodes> cell_codes_;
  absl::flat_hash_map<std::string, uint32_t> value_codes_[5];
  int indexed_ = 0;
  std::vector<size_t> open_;                   // fixing no member, nor a value of indexed_
  std::vector<std::vector<size_t>> by_value_;  // code of indexed_ → those fixing it (no member)
};

// All counters for a set of bookings (a version being published, a draft
// being read): the same values Increments would have accumulated.
absl::flat_hash_map<std::string, int64_t> RollupFromBookings(
    const RollupModel& model, const std::vector<RollupBooking>& bookings);

}  // namespace salesops::targets
