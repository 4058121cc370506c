// Who a deal's credit facts are credited to, and keeping the record of that
// in step: every fact of a deal (won, payments, refunds, cancellation) is
// recorded once under the deal and once under each credited member's
// statement inputs for its period. The credited members are the credit
// split's (SetCreditSplit) or, without a split, the deal's owner as the
// OpportunityWon named them (a fact that arrives before the win counts for
// its own event's owner until then). When the owner or the split changes,
// Replace moves every fact of the deal and marks the statements of everyone
// it left or reached for recomputation.
//
//   DealCredit deal = DealCredit::Parse("opp-1", deal_fields, split);
//   deal.Record(change, fact, &cause);        // a new fact
//   deal.SetSplit(new_split); deal.Replace(change, nullptr);
//
// Plain values over a Change; the caller reads the deal's fields and commits.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/events/cloud_event.h"
#include "salesops/performance/v1/performance_resources.pb.h"
#include "salesops/performance/v1/performance_store.pb.h"
#include "services/performance/store/performance_repository.h"

namespace salesops::performance {

class DealCredit {
 public:
  static DealCredit Parse(std::string deal_id, const FieldMap& fields,
                          const std::optional<v1::CreditSplit>& split);

  const std::string& id() const { return id_; }
  const std::string& owner() const { return owner_; }
  const std::map<std::string, v1::StoredFact>& facts() const { return facts_; }
  bool Has(const std::string& event_id) const { return facts_.contains(event_id); }
  // Members credited with a fact whose own event names `fact_owner`.
  std::vector<std::string> CreditedFor(const std::string& fact_owner) const;

  // Records a new fact (credited per the current owner and split), and for a
  // won deal makes its owner the deal's owner (moving earlier facts).
  void Record(Change& c, v1::StoredFact fact, const CloudEvent* cause);
  void SetSplit(std::optional<v1::CreditSplit> split) { split_ = std::move(split); }
  // Moves every fact whose credited members or split changed; returns the
  // members whose statements changed.
  std::vector<std::string> Replace(Change& c, const CloudEvent* cause);

 private:
  void Place(Change& c, const v1::StoredFact& f, const CloudEvent* cause);

  std::string id_;
  std::string owner_;
  std::optional<v1::CreditSplit> split_;
  std::map<std::string, v1::StoredFact> facts_;
};

// Marks a member's statements for recomputation (and lists the member and
// the period), noting `cause` when given.
void TouchRep(Change& c, const std::string& member, const std::string& period,
              const CloudEvent* cause);

}  // namespace salesops::performance
