#include "services/performance/api/deal_credit.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/performance/api/model.h"
#include "services/performance/api/recompute.h"

namespace salesops::performance {
namespace {

std::string InputsId(const std::string& member, const std::string& period) {
  return absl::StrCat(member, ":", period);
}

bool SameSplit(const v1::StoredFact& f, const std::optional<v1::CreditSplit>& split) {
  const int n = split ? split->shares_size() : 0;
  if (f.split_size() != n) {
    return false;
  }
  for (int i = 0; i < n; ++i) {
    if (f.split(i).member() != split->shares(i).member() ||
        f.split(i).share_millionths() != split->shares(i).share_millionths()) {
      return false;
    }
  }
  return true;
}

}  // namespace

void TouchRep(Change& c, const std::string& member, const std::string& period,
              const CloudEvent* cause) {
  c.AddToIndex(PeriodsIndex(member), period);
  c.AddToIndex(kRepsIndex, member);
  MarkWork(c, RepWork(member));
  if (cause != nullptr) {
    NoteCause(c, RepWork(member), *cause);
  }
}

DealCredit DealCredit::Parse(std::string deal_id, const FieldMap& fields,
                             const std::optional<v1::CreditSplit>& split) {
  DealCredit d;
  d.id_ = std::move(deal_id);
  d.split_ = split;
  if (d.split_ && d.split_->shares_size() == 0) {
    d.split_.reset();
  }
  for (const auto& [field, value] : fields) {
    if (field == "owner") {
      d.owner_ = value;
    } else if (absl::StartsWith(field, "f:")) {
      v1::StoredFact f;
      if (f.ParseFromString(value)) {
        d.facts_[f.event_id()] = std::move(f);
      }
    }
  }
  return d;
}

std::vector<std::string> DealCredit::CreditedFor(const std::string& fact_owner) const {
  std::vector<std::string> out;
  if (split_) {
    for (const auto& s : split_->shares()) {
      out.push_back(StripName(s.member()));
    }
    std::sort(out.begin(), out.end());
  } else if (!owner_.empty()) {
    out.push_back(owner_);
  } else if (!fact_owner.empty()) {
    out.push_back(fact_owner);
  }
  return out;
}

void DealCredit::Place(Change& c, const v1::StoredFact& f, const CloudEvent* cause) {
  const std::string bytes = f.SerializeAsString();
  c.SetField(MapKind::kDeal, id_, absl::StrCat("f:", f.event_id()), bytes);
  for (const std::string& m : f.credited()) {
    c.SetField(MapKind::kRepInputs, InputsId(m, f.period()), absl::StrCat("f:", f.event_id()),
               bytes);
    TouchRep(c, m, f.period(), cause);
  }
}

void DealCredit::Record(Change& c, v1::StoredFact fact, const CloudEvent* cause) {
  if (fact.kind() == static_cast<int>(FactKind::kDealWon) && !fact.owner().empty() &&
      fact.owner() != owner_) {
    owner_ = fact.owner();
    c.SetField(MapKind::kDeal, id_, "owner", owner_);
    Replace(c, nullptr);
  }
  fact.clear_credited();
  for (const std::string& m : CreditedFor(fact.owner())) {
    fact.add_credited(m);
  }
  fact.clear_split();
  if (split_) {
    for (const auto& s : split_->shares()) {
      *fact.add_split() = s;
    }
  }
  Place(c, fact, cause);
  facts_[fact.event_id()] = std::move(fact);
}

std::vector<std::string> DealCredit::Replace(Change& c, const CloudEvent* cause) {
  std::set<std::string> touched;
  for (auto& [event_id, f] : facts_) {
    const std::vector<std::string> now = CreditedFor(f.owner());
    const std::vector<std::string> was(f.credited().begin(), f.credited().end());
    if (now == was && SameSplit(f, split_)) {
      continue;
    }
    for (const std::string& m : was) {
      if (std::find(now.begin(), now.end(), m) != now.end()) {
        continue;
      }
      c.DelField(MapKind::kRepInputs, InputsId(m, f.period()), absl::StrCat("f:", event_id));
      TouchRep(c, m, f.period(), cause);
      touched.insert(m);
    }
    f.clear_credited();
    for (const std::string& m : now) {
      f.add_credited(m);
      touched.insert(m);
    }
    f.clear_split();
    if (split_) {
      for (const auto& s : split_->shares()) {
        *f.add_split() = s;
      }
    }
    Place(c, f, cause);
  }
  return {touched.begin(), touched.end()};
}

}  // namespace salesops::performance
