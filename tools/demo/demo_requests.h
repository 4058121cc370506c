// Turns the demo dataset's plain structs (demo_dataset.h) into
// CustomersService requests, so the demo loader and the customers benchmark
// send exactly the same data. Ids, request ids and backfill times are set here;
// etags are the caller's (they come from the server).
//
//   v1::CreateCustomerRequest req = CreateCustomerRequestFor(data.customers[0]);
//   v1::ChangeOpportunityStageRequest ch = ChangeStageRequestFor(opp, opp.path[0]);
//   ch.set_etag(etag_from_last_response);
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "salesops/customers/v1/customers_service.pb.h"
#include "tools/demo/demo_dataset.h"

namespace salesops::demo {

namespace customers_v1 = ::salesops::customers::v1;

// "customers/{id}", "opportunities/{id}", "contracts/{id}", "members/{id}", "orgUnits/{id}".
std::string CustomerName(absl::string_view id);
std::string OpportunityName(absl::string_view id);
std::string ContractName(absl::string_view id);
std::string MemberName(absl::string_view id);
std::string OrgUnitName(absl::string_view id);

// request_id of a create: derived from the resource id, so retries and
// re-runs are recognised by the server.
std::string RequestIdFor(absl::string_view id);

customers_v1::CreateCustomerRequest CreateCustomerRequestFor(const CustomerSpec& c);
customers_v1::CreateOpportunityRequest CreateOpportunityRequestFor(const OpportunitySpec& o,
                                                                   const CustomerSpec& c);
customers_v1::ChangeOpportunityStageRequest ChangeStageRequestFor(const OpportunitySpec& o,
                                                                  const StageStep& step);
customers_v1::LogActivityRequest LogActivityRequestFor(const ActivitySpec& a,
                                                       const OpportunitySpec& o,
                                                       const CustomerSpec& c);
customers_v1::CreateContractRequest CreateContractRequestFor(const OpportunitySpec& o,
                                                             const CustomerSpec& c);
customers_v1::SignContractRequest SignContractRequestFor(const ContractSpec& k);
// payment_id "pay-{instalment}", request_id "{contract id}-pay-{instalment}".
customers_v1::RecordPaymentRequest RecordPaymentRequestFor(const ContractSpec& k,
                                                           const InstalmentSpec& in);
std::string PaymentIdFor(const InstalmentSpec& in);

customers_v1::OpportunityStage ToProto(Stage stage);
// Stage::kLead for UNSPECIFIED (never sent by a correct server).
Stage FromProto(customers_v1::OpportunityStage stage);

}  // namespace salesops::demo
