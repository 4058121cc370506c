// The customers & CRM API as a plain class: validation, authorisation on every
// id a request carries, domain rules (services/customers/domain) and one
// atomic write per mutation with its events (transactional outbox). The gRPC
// class only adapts; tests and the scheduler call this directly.
//
//   CustomersApi api(store, directory, clock);
//   absl::Status s = api.CreateCustomer(call, request, &response);
//
// Thread-safe: all state lives in Redis.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/directory/org_directory.h"
#include "common/events/cloud_event.h"
#include "common/server/rpc.h"
#include "common/time/clock.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/customers/v1/customers_service.pb.h"
#include "services/customers/domain/access.h"
#include "services/customers/store/customers_store.h"

namespace salesops::customers {

using org::DirectoryMember;
using org::OrgDirectory;
inline constexpr char kOrgDirectoryGroup[] = "customers-org-directory";
inline constexpr char kOrgDirectoryDlq[] = "salesops.customers-org-directory.dlq.v1";

inline constexpr char kCustomersTopic[] = "salesops.customers.events.v1";
inline constexpr char kCustomersSource[] = "/salesops/customers";

// Which roles may call which method; object-level checks happen inside.
MethodPolicy CustomersMethodPolicy();

class CustomersApi {
 public:
  // `tz`: the business time zone for dates (due dates, claim months).
  CustomersApi(CustomersStore& store, OrgDirectory& directory, const Clock& clock,
               absl::TimeZone tz);

  absl::Status CreateCustomer(const CallContext& call, const v1::CreateCustomerRequest& req,
                              v1::CreateCustomerResponse* resp);
  absl::Status GetCustomer(const CallContext& call, const v1::GetCustomerRequest& req,
                           v1::GetCustomerResponse* resp);
  absl::Status ListCustomers(const CallContext& call, const v1::ListCustomersRequest& req,
                             v1::ListCustomersResponse* resp);
  absl::Status UpdateCustomer(const CallContext& call, const v1::UpdateCustomerRequest& req,
                              v1::UpdateCustomerResponse* resp);
  absl::Status CheckCustomerConflicts(const CallContext& call,
                                      const v1::CheckCustomerConflictsRequest& req,
                                      v1::CheckCustomerConflictsResponse* resp);
  absl::Status EvaluateCustomerTier(const CallContext& call,
                                    const v1::EvaluateCustomerTierRequest& req,
                                    v1::EvaluateCustomerTierResponse* resp);
  absl::Status ClaimCustomer(const CallContext& call, const v1::ClaimCustomerRequest& req,
                             v1::ClaimCustomerResponse* resp);
  absl::Status ReleaseCustomer(const CallContext& call, const v1::ReleaseCustomerRequest& req,
                               v1::ReleaseCustomerResponse* resp);
  absl::Status HandOverCustomer(const CallContext& call, const v1::HandOverCustomerRequest& req,
                                v1::HandOverCustomerResponse* resp);
  absl::Status GrantSharing(const CallContext& call, const v1::GrantSharingRequest& req,
                            v1::GrantSharingResponse* resp);
  absl::Status RevokeSharing(const CallContext& call, const v1::RevokeSharingRequest& req,
                             v1::RevokeSharingResponse* resp);
  absl::Status ListSharingGrants(const CallContext& call, const v1::ListSharingGrantsRequest& req,
                                 v1::ListSharingGrantsResponse* resp);
  absl::Status GetTierPolicy(const CallContext& call, const v1::GetTierPolicyRequest& req,
                             v1::GetTierPolicyResponse* resp);
  absl::Status UpdateTierPolicy(const CallContext& call, const v1::UpdateTierPolicyRequest& req,
                                v1::UpdateTierPolicyResponse* resp);
  absl::Status GetPoolPolicy(const CallContext& call, const v1::GetPoolPolicyRequest& req,
                             v1::GetPoolPolicyResponse* resp);
  absl::Status UpdatePoolPolicy(const CallContext& call, const v1::UpdatePoolPolicyRequest& req,
                                v1::UpdatePoolPolicyResponse* resp);
  absl::Status CreateOpportunity(const CallContext& call, const v1::CreateOpportunityRequest& req,
                                 v1::CreateOpportunityResponse* resp);
  absl::Status GetOpportunity(const CallContext& call, const v1::GetOpportunityRequest& req,
                              v1::GetOpportunityResponse* resp);
  absl::Status ListOpportunities(const CallContext& call, const v1::ListOpportunitiesRequest& req,
                                 v1::ListOpportunitiesResponse* resp);
  absl::Status UpdateOpportunity(const CallContext& call, const v1::UpdateOpportunityRequest& req,
                                 v1::UpdateOpportunityResponse* resp);
  absl::Status ChangeOpportunityStage(const CallContext& call,
                                      const v1::ChangeOpportunityStageRequest& req,
                                      v1::ChangeOpportunityStageResponse* resp);
  absl::Status LogActivity(const CallContext& call, const v1::LogActivityRequest& req,
                           v1::LogActivityResponse* resp);
  absl::Status ListActivities(const CallContext& call, const v1::ListActivitiesRequest& req,
                              v1::ListActivitiesResponse* resp);
  absl::Status CreateTask(const CallContext& call, const v1::CreateTaskRequest& req,
                          v1::CreateTaskResponse* resp);
  absl::Status ListTasks(const CallContext& call, const v1::ListTasksRequest& req,
                         v1::ListTasksResponse* resp);
  absl::Status CompleteTask(const CallContext& call, const v1::CompleteTaskRequest& req,
                            v1::CompleteTaskResponse* resp);
  absl::Status CreateContract(const CallContext& call, const v1::CreateContractRequest& req,
                              v1::CreateContractResponse* resp);
  absl::Status GetContract(const CallContext& call, const v1::GetContractRequest& req,
                           v1::GetContractResponse* resp);
  absl::Status ListContracts(const CallContext& call, const v1::ListContractsRequest& req,
                             v1::ListContractsResponse* resp);
  absl::Status SignContract(const CallContext& call, const v1::SignContractRequest& req,
                            v1::SignContractResponse* resp);
  absl::Status CancelContract(const CallContext& call, const v1::CancelContractRequest& req,
                              v1::CancelContractResponse* resp);
  absl::Status CloseContract(const CallContext& call, const v1::CloseContractRequest& req,
                             v1::CloseContractResponse* resp);
  absl::Status RecordPayment(const CallContext& call, const v1::RecordPaymentRequest& req,
                             v1::RecordPaymentResponse* resp);
  absl::Status RecordRefund(const CallContext& call, const v1::RecordRefundRequest& req,
                            v1::RecordRefundResponse* resp);
  absl::Status ImportCustomersCsv(const CallContext& call, const v1::ImportCustomersCsvRequest& req,
                                  v1::ImportCustomersCsvResponse* resp);
  absl::Status ExportCustomersCsv(const CallContext& call, const v1::ExportCustomersCsvRequest& req,
                                  v1::ExportCustomersCsvResponse* resp);

 private:
  // Answers a replayed request (AIP-155) with the customer it made or changed,
  // as the caller may see it now; REQUEST_ID_REUSED when the request_id was
  // used for `expected` other than `name` ("" = any customer).
  absl::Status ReplayCustomer(const CallContext& call, const std::string& name,
                              const std::string& expected, v1::Customer* out);

  CustomersStore& store_;
  OrgDirectory& directory_;
  const Clock& clock_;
  absl::TimeZone tz_;
};

}  // namespace salesops::customers
