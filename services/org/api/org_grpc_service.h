// gRPC adapter for OrgService (callback API): every method goes through the
// RpcRunner guard (trace id, JWT, role policy, metrics, status mapping) and
// hands the request to OrgApi. No logic lives here.
#pragma once

#include "common/server/rpc.h"
#include "salesops/org/v1/org_service.grpc.pb.h"
#include "services/org/api/org_api.h"

namespace salesops::org {

inline constexpr char kOrgServiceName[] = "salesops.org.v1.OrgService";

class OrgGrpcService final : public v1::OrgService::CallbackService {
 public:
  OrgGrpcService(OrgApi& api, RpcRunner& rpc) : api_(api), rpc_(rpc) {}

  grpc::ServerUnaryReactor* CreateOrgUnit(grpc::CallbackServerContext* ctx,
                                          const v1::CreateOrgUnitRequest* req,
                                          v1::CreateOrgUnitResponse* resp) override {
    return rpc_.Run(ctx, "CreateOrgUnit", [this, req, resp](const CallContext& call) {
      return api_.CreateOrgUnit(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetOrgUnit(grpc::CallbackServerContext* ctx,
                                       const v1::GetOrgUnitRequest* req,
                                       v1::GetOrgUnitResponse* resp) override {
    return rpc_.Run(ctx, "GetOrgUnit", [this, req, resp](const CallContext& call) {
      return api_.GetOrgUnit(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListOrgUnits(grpc::CallbackServerContext* ctx,
                                         const v1::ListOrgUnitsRequest* req,
                                         v1::ListOrgUnitsResponse* resp) override {
    return rpc_.Run(ctx, "ListOrgUnits", [this, req, resp](const CallContext& call) {
      return api_.ListOrgUnits(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* UpdateOrgUnit(grpc::CallbackServerContext* ctx,
                                          const v1::UpdateOrgUnitRequest* req,
                                          v1::UpdateOrgUnitResponse* resp) override {
    return rpc_.Run(ctx, "UpdateOrgUnit", [this, req, resp](const CallContext& call) {
      return api_.UpdateOrgUnit(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* DeleteOrgUnit(grpc::CallbackServerContext* ctx,
                                          const v1::DeleteOrgUnitRequest* req,
                                          v1::DeleteOrgUnitResponse* resp) override {
    return rpc_.Run(ctx, "DeleteOrgUnit", [this, req, resp](const CallContext& call) {
      return api_.DeleteOrgUnit(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* CreateMember(grpc::CallbackServerContext* ctx,
                                         const v1::CreateMemberRequest* req,
                                         v1::CreateMemberResponse* resp) override {
    return rpc_.Run(ctx, "CreateMember", [this, req, resp](const CallContext& call) {
      return api_.CreateMember(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* GetMember(grpc::CallbackServerContext* ctx,
                                      const v1::GetMemberRequest* req,
                                      v1::GetMemberResponse* resp) override {
    return rpc_.Run(ctx, "GetMember", [this, req, resp](const CallContext& call) {
      return api_.GetMember(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* ListMembers(grpc::CallbackServerContext* ctx,
                                        const v1::ListMembersRequest* req,
                                        v1::ListMembersResponse* resp) override {
    return rpc_.Run(ctx, "ListMembers", [this, req, resp](const CallContext& call) {
      return api_.ListMembers(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* UpdateMember(grpc::CallbackServerContext* ctx,
                                         const v1::UpdateMemberRequest* req,
                                         v1::UpdateMemberResponse* resp) override {
    return rpc_.Run(ctx, "UpdateMember", [this, req, resp](const CallContext& call) {
      return api_.UpdateMember(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* DeleteMember(grpc::CallbackServerContext* ctx,
                                         const v1::DeleteMemberRequest* req,
                                         v1::DeleteMemberResponse* resp) override {
    return rpc_.Run(ctx, "DeleteMember", [this, req, resp](const CallContext& call) {
      return api_.DeleteMember(call, *req, resp);
    });
  }
  grpc::ServerUnaryReactor* MoveMember(grpc::CallbackServerContext* ctx,
                                       const v1::MoveMemberRequest* req,
                                       v1::MoveMemberResponse* resp) override {
    return rpc_.Run(ctx, "MoveMember", [this, req, resp](const CallContext& call) {
      return api_.MoveMember(call, *req, resp);
    });
  }

 private:
  OrgApi& api_;
  RpcRunner& rpc_;
};

}  // namespace salesops::org
