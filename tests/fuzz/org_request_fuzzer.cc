// Fuzzes request decoding + validation + the use cases of the org service: any
// bytes, decoded as any OrgService request and sent by any role against a small
// seeded tree, must produce a clean status — never a crash, never INTERNAL or
// UNKNOWN, and INVALID_ARGUMENT always with the offending field named.
#include <fuzzer/FuzzedDataProvider.h>

#include "common/status/errors.h"
#include "common/time/clock.h"
#include "services/org/api/org_api.h"
#include "services/org/store/in_memory_org_repository.h"

namespace {

using namespace salesops;
using namespace salesops::org;

void Seed(OrgApi& api) {
  CallContext admin{{"admin", Role::kAdmin, ""}, "t", "seed"};
  auto unit = [&](const char* id, v1::OrgUnitKind kind, const char* parent) {
    v1::CreateOrgUnitRequest req;
    req.set_org_unit_id(id);
    req.mutable_org_unit()->set_display_name(id);
    req.mutable_org_unit()->set_kind(kind);
    if (parent[0]) {
      req.mutable_org_unit()->set_parent(std::string("orgUnits/") + parent);
    }
    v1::CreateOrgUnitResponse resp;
    (void)api.CreateOrgUnit(admin, req, &resp);
  };
  unit("acme", v1::ORG_UNIT_KIND_COMPANY, "");
  unit("east", v1::ORG_UNIT_KIND_REGION, "acme");
  unit("team-1", v1::ORG_UNIT_KIND_TEAM, "east");
  v1::CreateMemberRequest m;
  m.set_member_id("rep-1");
  m.mutable_member()->set_display_name("张伟");
  m.mutable_member()->set_email("rep-1@example.com");
  m.mutable_member()->set_role(v1::ROLE_REP);
  m.mutable_member()->set_department(v1::DEPARTMENT_SALES);
  m.mutable_member()->set_org_unit("orgUnits/team-1");
  v1::CreateMemberResponse resp;
  (void)api.CreateMember(admin, m, &resp);
}

template <typename Req, typename Resp>
absl::Status Call(absl::Status (OrgApi::*method)(const CallContext&, const Req&, Resp*),
                  OrgApi& api, const CallContext& call, const std::string& bytes) {
  Req req;
  if (!req.ParseFromString(bytes)) {
    return absl::OkStatus();  // gRPC would reject it first
  }
  Resp resp;
  return (api.*method)(call, req, &resp);
}

using Method = absl::Status (*)(OrgApi&, const CallContext&, const std::string&);
#define SALESOPS_FUZZ_METHOD(M)                                        \
  [](OrgApi& api, const CallContext& call, const std::string& bytes) { \
    return Call(&OrgApi::M, api, call, bytes);                         \
  }
// Every OrgService method, old and new.
const Method kMethods[] = {
    SALESOPS_FUZZ_METHOD(CreateOrgUnit),
    SALESOPS_FUZZ_METHOD(GetOrgUnit),
    SALESOPS_FUZZ_METHOD(ListOrgUnits),
    SALESOPS_FUZZ_METHOD(UpdateOrgUnit),
    SALESOPS_FUZZ_METHOD(DeleteOrgUnit),
    SALESOPS_FUZZ_METHOD(CreateMember),
    SALESOPS_FUZZ_METHOD(GetMember),
    SALESOPS_FUZZ_METHOD(ListMembers),
    SALESOPS_FUZZ_METHOD(UpdateMember),
    SALESOPS_FUZZ_METHOD(DeleteMember),
    SALESOPS_FUZZ_METHOD(MoveMember),
    SALESOPS_FUZZ_METHOD(CreatePosition),
    SALESOPS_FUZZ_METHOD(GetPosition),
    SALESOPS_FUZZ_METHOD(ListPositions),
    SALESOPS_FUZZ_METHOD(ChangeDuties),
    SALESOPS_FUZZ_METHOD(GetMemberDuties),
    SALESOPS_FUZZ_METHOD(SplitTeam),
    SALESOPS_FUZZ_METHOD(MergeTeams),
    SALESOPS_FUZZ_METHOD(DissolveTeam),
    SALESOPS_FUZZ_METHOD(ListReorganisations),
    SALESOPS_FUZZ_METHOD(GetMemberHistory),
    SALESOPS_FUZZ_METHOD(GetTeamEfficiency),
    SALESOPS_FUZZ_METHOD(SetTeamTarget),
    SALESOPS_FUZZ_METHOD(GetTalentConfig),
    SALESOPS_FUZZ_METHOD(UpdateTalentConfig),
    SALESOPS_FUZZ_METHOD(RecordAssessment),
    SALESOPS_FUZZ_METHOD(ListAssessments),
    SALESOPS_FUZZ_METHOD(CreateDevelopmentPlan),
    SALESOPS_FUZZ_METHOD(UpdateDevelopmentPlan),
    SALESOPS_FUZZ_METHOD(ListDevelopmentPlans),
    SALESOPS_FUZZ_METHOD(CreatePromotionTrack),
    SALESOPS_FUZZ_METHOD(ListPromotionTracks),
    SALESOPS_FUZZ_METHOD(SubmitPromotionRequest),
    SALESOPS_FUZZ_METHOD(ApprovePromotionRequest),
    SALESOPS_FUZZ_METHOD(RejectPromotionRequest),
    SALESOPS_FUZZ_METHOD(GetPromotionRequest),
};
#undef SALESOPS_FUZZ_METHOD

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  static FakeClock clock(absl::FromUnixSeconds(1'790'000'000));
  InMemoryOrgRepository repo;
  OrgApi api(repo, clock);
  Seed(api);
  const int method = in.ConsumeIntegralInRange<int>(0, std::size(kMethods) - 1);
  CallContext call;
  call.principal.role = static_cast<Role>(in.ConsumeIntegralInRange(1, 5));
  call.principal.member_id = in.ConsumeBool() ? "rep-1" : "someone";
  call.principal.org_unit_id = in.PickValueInArray({"", "acme", "east", "team-1", "x"});
  call.trace_id = "fuzz";
  const std::string bytes = in.ConsumeRemainingBytesAsString();
  const absl::Status s = kMethods[method](api, call, bytes);
  if (s.code() == absl::StatusCode::kInternal || s.code() == absl::StatusCode::kUnknown) {
    __builtin_trap();  // bad input must never look like a server fault
  }
  if (s.code() == absl::StatusCode::kInvalidArgument && FieldViolations(s).empty()) {
    __builtin_trap();  // INVALID_ARGUMENT must name the field
  }
  return 0;
}
