#include "services/targets/domain/rollup.h"

#include <algorithm>
#include <functional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"

namespace salesops::targets {

char LevelCode(RollupLevel l) {
  switch (l) {
    case RollupLevel::kRep:
      return 'r';
    case RollupLevel::kTeam:
      return 't';
    case RollupLevel::kRegion:
      return 'g';
    case RollupLevel::kCompany:
      return 'c';
  }
  return 'c';
}

RollupLevel LevelFromCode(char c) {
  return c == 'r'   ? RollupLevel::kRep
         : c == 't' ? RollupLevel::kTeam
         : c == 'g' ? RollupLevel::kRegion
                    : RollupLevel::kCompany;
}

namespace {

const char* DimensionCode(RollupDimension d) {
  switch (d) {
    case RollupDimension::kProductLine:
      return "pl";
    case RollupDimension::kChannel:
      return "ch";
    case RollupDimension::kCustomerType:
      return "ct";
  }
  return "pl";
}

std::string SubjectPart(const RollupSubject& s) {
  return absl::StrCat(std::string(1, LevelCode(s.level)), "|", s.id);
}

const std::string& CellValue(const RollupCell& c, RollupDimension d) {
  switch (d) {
    case RollupDimension::kProductLine:
      return c.product_line;
    case RollupDimension::kChannel:
      return c.channel;
    case RollupDimension::kCustomerType:
      return c.customer_type;
  }
  return c.product_line;
}

const std::string& BookingValue(const RollupBooking& b, RollupDimension d) {
  switch (d) {
    case RollupDimension::kProductLine:
      return b.product_line;
    case RollupDimension::kChannel:
      return b.channel;
    case RollupDimension::kCustomerType:
      return b.customer_type;
  }
  return b.product_line;
}

constexpr RollupDimension kDimensions[] = {RollupDimension::kProductLine, RollupDimension::kChannel,
                                           RollupDimension::kCustomerType};

}  // namespace

bool ParseRollupDimension(const std::string& name, RollupDimension* out) {
  if (name == "product_line") {
    *out = RollupDimension::kProductLine;
  } else if (name == "channel") {
    *out = RollupDimension::kChannel;
  } else if (name == "customer_type") {
    *out = RollupDimension::kCustomerType;
  } else {
    return false;
  }
  return true;
}

std::string ActualField(const RollupSubject& s) { return absl::StrCat("a|", SubjectPart(s)); }
std::string UnplannedField(const RollupSubject& s) { return absl::StrCat("u|", SubjectPart(s)); }
std::string MixField(const RollupSubject& s, const RollupBooking& b) {
  return absl::StrCat("a|", SubjectPart(s), "|m=", EscapeTuplePart(b.product_line), "|",
                      EscapeTuplePart(b.channel), "|", EscapeTuplePart(b.customer_type));
}

absl::flat_hash_map<std::string, int64_t> BreakdownActuals(
    const std::vector<std::pair<std::string, int64_t>>& fields, RollupDimension d) {
  const std::string per_dimension = absl::StrCat(DimensionCode(d), "=");
  const size_t part = d == RollupDimension::kProductLine ? 0
                      : d == RollupDimension::kChannel   ? 1
                                                         : 2;
  absl::flat_hash_map<std::string, int64_t> out;
  for (const auto& [field, value] : fields) {
    const absl::string_view f = field;
    if (absl::StartsWith(f, "m=")) {
      std::vector<absl::string_view> parts = absl::StrSplit(f.substr(2), '|');
      if (parts.size() == 3) {
        out[UnescapeTuplePart(parts[part])] += value;
      }
    } else if (absl::StartsWith(f, per_dimension)) {
      out[std::string(f.substr(per_dimension.size()))] += value;
    }
  }
  return out;
}

std::string EscapeTuplePart(absl::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '%') {
      out += "%25";
    } else if (c == '|') {
      out += "%7C";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string UnescapeTuplePart(absl::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v.substr(i, 3) == "%7C") {
      out.push_back('|');
      i += 2;
    } else if (v.substr(i, 3) == "%25") {
      out.push_back('%');
      i += 2;
    } else {
      out.push_back(v[i]);
    }
  }
  return out;
}
std::string CellField(const std::string& cell_key) { return absl::StrCat("cell|", cell_key); }

absl::StatusOr<RollupModel> RollupModel::Build(
    std::vector<RollupCell> cells, absl::flat_hash_map<std::string, std::string> team_region) {
  RollupModel m;
  std::sort(cells.begin(), cells.end(),
            [](const RollupCell& a, const RollupCell& b) { return a.key < b.key; });
  m.cells_ = std::move(cells);
  m.team_region_ = std::move(team_region);
  for (size_t i = 0; i < m.cells_.size(); ++i) {
    const RollupCell& c = m.cells_[i];
    if (c.key.empty() || !m.by_key_.emplace(c.key, i).second) {
      return InvalidField("cells", absl::StrCat("cell key '", c.key, "' is empty or repeated"));
    }
  }
  for (size_t i = 0; i < m.cells_.size(); ++i) {
    const RollupCell& c = m.cells_[i];
    if (c.parent.empty()) {
      if (!m.root_.empty()) {
        return InvalidField("cells", "more than one root cell");
      }
      m.root_ = c.key;
    } else if (!m.by_key_.contains(c.parent)) {
      return InvalidField(
          "cells", absl::StrCat("cell '", c.key, "' has no parent '", c.parent, "' in the plan"));
    } else {
      m.children_[c.parent].push_back(i);
    }
  }
  if (m.root_.empty()) {
    return InvalidField("cells", "the plan has no root cell");
  }
  m.Index();
  size_t reached = 0;
  // Every cell must hang off the root (a cycle would leave some unreached).
  std::function<void(size_t)> count = [&](size_t i) {
    ++reached;
    auto it = m.children_.find(m.cells_[i].key);
    if (it == m.children_.end()) {
      return;
    }
    for (size_t c : it->second) {
      count(c);
    }
  };
  count(m.by_key_.at(m.root_));
  if (reached != m.cells_.size()) {
    return InvalidField("cells", "some cells do not descend from the root (a cycle?)");
  }
  return m;
}

std::string RollupModel::RegionOfTeam(const std::string& team) const {
  auto it = team_region_.find(team);
  return it == team_region_.end() ? "" : it->second;
}

bool RollupModel::Belongs(const RollupCell& c, const RollupSubject& s) const {
  switch (s.level) {
    case RollupLevel::kRep:
      return !c.member.empty() && c.member == s.id;
    case RollupLevel::kTeam:
      return (c.team_axis || !c.member.empty()) && !c.team.empty() && c.team == s.id;
    case RollupLevel::kRegion:
      if (!c.region.empty()) {
        return c.region == s.id;
      }
      return (c.team_axis || !c.member.empty()) && !c.team.empty() && RegionOfTeam(c.team) == s.id;
    case RollupLevel::kCompany:
      return c.parent.empty();
  }
  return false;
}

void RollupModel::Index() {
  // Depth-first from the root, carrying the subjects an ancestor already
  // claimed: a cell is topmost for each subject it belongs to and no ancestor did.
  std::function<void(size_t, absl::flat_hash_set<std::string>)> walk =
      [&](size_t i, absl::flat_hash_set<std::string> claimed) {
        const RollupCell& c = cells_[i];
        std::vector<RollupSubject> mine;
        if (!c.member.empty()) {
          mine.push_back(RollupSubject::Rep(c.member));
        }
        if ((c.team_axis || !c.member.empty()) && !c.team.empty()) {
          mine.push_back(RollupSubject::Team(c.team));
        }
        std::string region = c.region;
        if (region.empty() && (c.team_axis || !c.member.empty()) && !c.team.empty()) {
          region = RegionOfTeam(c.team);
        }
        if (!region.empty()) {
          mine.push_back(RollupSubject::Region(region));
        }
        if (c.parent.empty()) {
          mine.push_back(RollupSubject::Company());
        }
        for (const RollupSubject& s : mine) {
          const std::string field = ActualField(s);
          if (claimed.insert(field).second) {
            topmost_[field].push_back(i);
          }
        }
        auto it = children_.find(c.key);
        if (it == children_.end()) {
          leaves_.push_back(i);
          return;
        }
        for (size_t child : it->second) {
          walk(child, claimed);
        }
      };
  walk(by_key_.at(root_), {});
  for (auto& [field, list] : topmost_) {
    std::sort(list.begin(), list.end());
  }
  std::sort(leaves_.begin(), leaves_.end());
  is_leaf_.assign(cells_.size(), false);
  for (size_t i : leaves_) {
    is_leaf_[i] = true;
  }
  // Each cell's fixed values as codes (value_codes_), so matching compares numbers.
  cell_codes_.reserve(cells_.size());
  for (const RollupCell& c : cells_) {
    auto code = [this](int d, const std::string& v) -> uint32_t {
      if (v.empty()) {
        return 0;  // fixes nothing
      }
      return value_codes_[d]
          .try_emplace(v, static_cast<uint32_t>(value_codes_[d].size()) + 1)
          .first->second;
    };
    // A team fixes who matches only on team-axis and rep cells (a rep's
    // cell carries the team it was planned in).
    const bool team_fixed = c.team_axis || !c.member.empty();
    cell_codes_.push_back({{code(0, c.product_line), code(1, c.region), code(2, c.channel),
                            code(3, c.customer_type), team_fixed ? code(4, c.team) : 0}});
  }
  // A cell that fixes a member matches only that member's bookings: index them
  // by member. The others are indexed by the dimension most of them fix, so
  // matching a booking looks at the rep's own cells, those fixing its value
  // of that dimension, and those leaving it open.
  size_t fixed[5] = {0, 0, 0, 0, 0};
  for (size_t i = 0; i < cells_.size(); ++i) {
    if (!cells_[i].member.empty()) {
      by_member_[cells_[i].member].push_back(i);
      continue;
    }
    for (int d = 0; d < 5; ++d) {
      fixed[d] += cell_codes_[i].of[d] != 0;
    }
  }
  indexed_ = static_cast<int>(std::max_element(std::begin(fixed), std::end(fixed)) - fixed);
  by_value_.assign(value_codes_[indexed_].size() + 1, {});
  for (size_t i = 0; i < cells_.size(); ++i) {
    if (!cells_[i].member.empty()) {
      continue;
    }
    const uint32_t v = cell_codes_[i].of[indexed_];
    (v == 0 ? open_ : by_value_[v]).push_back(i);
  }
}

void RollupModel::ForEachCandidate(const RollupBooking& b, const BookingCodes& codes,
                                   absl::FunctionRef<bool(size_t)> f) const {
  // Three lists in key order (cell index order), merged as they are walked:
  // no copy per booking of the cells they hold.
  static const std::vector<size_t> kNone;
  auto it = by_member_.find(b.rep);
  const std::vector<size_t>& mine = it == by_member_.end() ? kNone : it->second;
  const uint32_t value = codes.of[indexed_];
  const std::vector<size_t>& fixing = value < by_value_.size() ? by_value_[value] : kNone;
  const std::vector<size_t>* lists[] = {&open_, &fixing, &mine};
  size_t at[] = {0, 0, 0};
  constexpr size_t kEnd = ~size_t{0};
  for (;;) {
    int next = -1;
    size_t least = kEnd;
    for (int l = 0; l < 3; ++l) {
      if (at[l] < lists[l]->size() && (*lists[l])[at[l]] < least) {
        least = (*lists[l])[at[l]];
        next = l;
      }
    }
    if (next < 0) {
      return;
    }
    ++at[next];
    if (!f(least)) {
      return;
    }
  }
}

RollupModel::BookingCodes RollupModel::CodesOf(const RollupBooking& b) const {
  auto code = [this](int d, const std::string& v) {
    auto it = value_codes_[d].find(v);
    return it == value_codes_[d].end() ? kNoCode : it->second;
  };
  return {{code(0, b.product_line), code(1, b.region), code(2, b.channel), code(3, b.customer_type),
           code(4, b.team)}};
}

bool RollupModel::Matches(size_t i, const RollupBooking& b, const BookingCodes& codes) const {
  // A cell fixes a dimension (code ≥ 1) to the booking's value, or not at all.
  const BookingCodes& c = cell_codes_[i];
  for (int d = 0; d < 5; ++d) {
    if (c.of[d] != 0 && c.of[d] != codes.of[d]) {
      return false;
    }
  }
  const std::string& member = cells_[i].member;
  return member.empty() || member == b.rep;
}

std::vector<RollupSubject> RollupModel::Attribute(const RollupBooking& b) const {
  std::vector<RollupSubject> out;
  if (!b.rep.empty()) {
    out.push_back(RollupSubject::Rep(b.rep));
  }
  if (!b.team.empty()) {
    out.push_back(RollupSubject::Team(b.team));
    const std::string region = RegionOfTeam(b.team);
    if (!region.empty()) {
      out.push_back(RollupSubject::Region(region));
    }
  }
  out.push_back(RollupSubject::Company());
  return out;
}

std::vector<std::string> RollupModel::MatchingCells(const RollupBooking& b) const {
  std::vector<std::string> out;
  const BookingCodes codes = CodesOf(b);
  ForEachCandidate(b, codes, [&](size_t i) {
    if (Matches(i, b, codes)) {
      out.push_back(cells_[i].key);
    }
    return true;
  });
  return out;
}

bool RollupModel::IsPlanned(const RollupBooking& b) const {
  bool planned = false;
  const BookingCodes codes = CodesOf(b);
  ForEachCandidate(b, codes, [&](size_t i) {
    planned = is_leaf_[i] && Matches(i, b, codes);
    return !planned;
  });
  return planned;
}

std::vector<std::pair<std::string, int64_t>> RollupModel::Increments(const RollupBooking& b,
                                                                     bool* is_planned) const {
  std::vector<std::pair<std::string, int64_t>> out;
  // One walk: the matching cells, and whether a leaf is among them.
  bool planned = false;
  const BookingCodes codes = CodesOf(b);
  ForEachCandidate(b, codes, [&](size_t i) {
    if (Matches(i, b, codes)) {
      out.emplace_back(CellField(cells_[i].key), b.amount);
      planned = planned || is_leaf_[i];
    }
    return true;
  });
  if (is_planned != nullptr) {
    *is_planned = planned;
  }
  for (const RollupSubject& s : Attribute(b)) {
    const std::string actual = ActualField(s);
    out.emplace_back(actual, b.amount);
    if (!planned) {
      out.emplace_back(UnplannedField(s), b.amount);
    }
    if (s.level == RollupLevel::kRep) {
      out.emplace_back(MixField(s, b), b.amount);
    } else {
      for (RollupDimension d : kDimensions) {
        out.emplace_back(absl::StrCat(actual, "|", DimensionCode(d), "=", BookingValue(b, d)),
                         b.amount);
      }
    }
  }
  return out;
}

int64_t RollupModel::Target(const RollupSubject& s) const {
  int64_t sum = 0;
  auto it = topmost_.find(ActualField(s));
  if (it == topmost_.end()) {
    return 0;
  }
  for (size_t i : it->second) {
    sum += cells_[i].target;
  }
  return sum;
}

std::vector<std::string> RollupModel::TopmostCells(const RollupSubject& s) const {
  std::vector<std::string> out;
  auto it = topmost_.find(ActualField(s));
  if (it == topmost_.end()) {
    return out;
  }
  for (size_t i : it->second) {
    out.push_back(cells_[i].key);
  }
  return out;
}

std::vector<RollupSubject> RollupModel::Subjects(RollupLevel level) const {
  std::vector<RollupSubject> out;
  const std::string prefix = absl::StrCat("a|", std::string(1, LevelCode(level)), "|");
  for (const auto& [field, list] : topmost_) {
    if (field.rfind(prefix, 0) == 0) {
      out.push_back({level, field.substr(prefix.size())});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const RollupSubject& a, const RollupSubject& b) { return a.id < b.id; });
  return out;
}

absl::flat_hash_map<std::string, int64_t> RollupModel::TargetBy(const RollupSubject& s,
                                                                RollupDimension d) const {
  absl::flat_hash_map<std::string, int64_t> out;
  std::function<void(size_t)> down = [&](size_t i) {
    const RollupCell& c = cells_[i];
    const std::string& v = CellValue(c, d);
    auto it = children_.find(c.key);
    if (!v.empty() || it == children_.end()) {
      out[v] += c.target;
      return;
    }
    for (size_t child : it->second) {
      down(child);
    }
  };
  auto it = topmost_.find(ActualField(s));
  if (it == topmost_.end()) {
    return out;
  }
  for (size_t i : it->second) {
    down(i);
  }
  return out;
}

absl::flat_hash_map<std::string, int64_t> RollupFromBookings(
    const RollupModel& model, const std::vector<RollupBooking>& bookings) {
  absl::flat_hash_map<std::string, int64_t> out;
  for (const RollupBooking& b : bookings) {
    for (const auto& [field, delta] : model.Increments(b)) {
      out[field] += delta;
    }
  }
  return out;
}

}  // namespace salesops::targets
