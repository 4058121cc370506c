// The org service over gRPC against real Redis and Kafka: CRUD, pagination,
// bad input (named fields), etags, safe retries, authentication and the role /
// scope matrix, and concurrent reorganisations.
#include <thread>

#include "common/status/errors.h"
#include "common/status/grpc_status.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/integration/test_env.h"

namespace salesops::testing {
namespace {

namespace v1 = salesops::org::v1;
using ::testing::HasSubstr;

// The field named in the BadRequest details of a failed call ("" if none).
std::string ViolatedField(const grpc::Status& s) {
  google::rpc::Status rpc = RpcStatusDetails(s);
  for (const auto& any : rpc.details()) {
    google::rpc::BadRequest br;
    if (any.UnpackTo(&br) && br.field_violations_size() > 0) {
      return br.field_violations(0).field();
    }
  }
  return "";
}

std::string Reason(const grpc::Status& s) {
  google::rpc::Status rpc = RpcStatusDetails(s);
  for (const auto& any : rpc.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) {
      return info.reason();
    }
  }
  return "";
}

class OrgApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new OrgServer();
    server_->Start();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    sfx_ = UniqueSuffix();
    admin_ = Token(Role::kAdmin, "admin-" + sfx_, "");
  }

  grpc::Status CreateUnit(const std::string& token, const std::string& id, const std::string& name,
                          v1::OrgUnitKind kind, const std::string& parent,
                          v1::OrgUnit* out = nullptr, const std::string& request_id = "") {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    v1::CreateOrgUnitRequest req;
    req.set_org_unit_id(id);
    req.set_request_id(request_id);
    req.mutable_org_unit()->set_display_name(name);
    req.mutable_org_unit()->set_kind(kind);
    req.mutable_org_unit()->set_parent(parent);
    v1::CreateOrgUnitResponse resp;
    grpc::Status s = server_->stub().CreateOrgUnit(&ctx, req, &resp);
    if (out) {
      *out = resp.org_unit();
    }
    return s;
  }

  grpc::Status CreateMember(const std::string& token, const std::string& id,
                            const std::string& unit_id, v1::Role role, v1::Member* out = nullptr) {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    v1::CreateMemberRequest req;
    req.set_member_id(id);
    auto* m = req.mutable_member();
    m->set_display_name("张伟");
    m->set_email(id + "@example.com");
    m->set_role(role);
    m->set_department(v1::DEPARTMENT_SALES);
    m->set_org_unit("orgUnits/" + unit_id);
    v1::CreateMemberResponse resp;
    grpc::Status s = server_->stub().CreateMember(&ctx, req, &resp);
    if (out) {
      *out = resp.member();
    }
    return s;
  }

  grpc::Status GetMember(const std::string& token, const std::string& id) {
    grpc::ClientContext ctx;
    Authorize(ctx, token);
    v1::GetMemberRequest req;
    req.set_name("members/" + id);
    v1::GetMemberResponse resp;
    return server_->stub().GetMember(&ctx, req, &resp);
  }

  grpc::Status Reparent(const std::string& unit_id, const std::string& parent_id,
                        const std::string& etag = "") {
    grpc::ClientContext ctx;
    Authorize(ctx, admin_);
    v1::UpdateOrgUnitRequest req;
    req.mutable_org_unit()->set_name("orgUnits/" + unit_id);
    req.mutable_org_unit()->set_parent("orgUnits/" + parent_id);
    req.mutable_org_unit()->set_etag(etag);
    req.mutable_update_mask()->add_paths("parent");
    v1::UpdateOrgUnitResponse resp;
    return server_->stub().UpdateOrgUnit(&ctx, req, &resp);
  }

  // company → region → team, ids suffixed for this test.
  void MakeTree() {
    ASSERT_TRUE(CreateUnit(admin_, "co-" + sfx_, "示例公司", v1::ORG_UNIT_KIND_COMPANY, "").ok());
    ASSERT_TRUE(CreateUnit(admin_, "east-" + sfx_, "华东大区", v1::ORG_UNIT_KIND_REGION,
                           "orgUnits/co-" + sfx_)
                    .ok());
    ASSERT_TRUE(CreateUnit(admin_, "south-" + sfx_, "华南大区", v1::ORG_UNIT_KIND_REGION,
                           "orgUnits/co-" + sfx_)
                    .ok());
    ASSERT_TRUE(CreateUnit(admin_, "sh-" + sfx_, "上海一组", v1::ORG_UNIT_KIND_TEAM,
                           "orgUnits/east-" + sfx_)
                    .ok());
    ASSERT_TRUE(CreateUnit(admin_, "gz-" + sfx_, "广州一组", v1::ORG_UNIT_KIND_TEAM,
                           "orgUnits/south-" + sfx_)
                    .ok());
  }

  static OrgServer* server_;
  std::string sfx_;
  std::string admin_;
};

OrgServer* OrgApiTest::server_ = nullptr;

// A created unit reads back with the same fields, an etag and timestamps.
TEST_F(OrgApiTest, CreateThenGetUnit) {
  v1::OrgUnit created;
  ASSERT_TRUE(
      CreateUnit(admin_, "co-" + sfx_, "示例公司", v1::ORG_UNIT_KIND_COMPANY, "", &created).ok());
  EXPECT_EQ(created.name(), "orgUnits/co-" + sfx_);
  EXPECT_EQ(created.etag(), "1");
  grpc::ClientContext ctx;
  Authorize(ctx, Token(Role::kRep, "r-" + sfx_, "co-" + sfx_));
  v1::GetOrgUnitRequest req;
  req.set_name(created.name());
  v1::GetOrgUnitResponse resp;
  grpc::Status got = server_->stub().GetOrgUnit(&ctx, req, &resp);
  ASSERT_TRUE(got.ok()) << got.error_code() << " " << got.error_message();
  EXPECT_EQ(resp.org_unit().display_name(), "示例公司");
  EXPECT_EQ(resp.org_unit().kind(), v1::ORG_UNIT_KIND_COMPANY);
  EXPECT_GT(resp.org_unit().create_time().seconds(), 1'700'000'000);
}

// Bad input of each kind is INVALID_ARGUMENT naming the offending field.
TEST_F(OrgApiTest, BadInputNamesTheField) {
  MakeTree();
  struct Case {
    std::string id, name;
    v1::OrgUnitKind kind;
    std::string parent, field;
  };
  std::vector<Case> cases = {
      {"", "", v1::ORG_UNIT_KIND_TEAM, "orgUnits/east-" + sfx_, "org_unit.display_name"},
      {"", std::string(101, 'x'), v1::ORG_UNIT_KIND_TEAM, "orgUnits/east-" + sfx_,
       "org_unit.display_name"},
      {"", "组", v1::ORG_UNIT_KIND_UNSPECIFIED, "orgUnits/east-" + sfx_, "org_unit.kind"},
      {"", "组", v1::ORG_UNIT_KIND_TEAM, "orgUnits/missing-" + sfx_, "org_unit.parent"},
      {"", "组", v1::ORG_UNIT_KIND_TEAM, "not-a-name", "org_unit.parent"},
      {"", "组", v1::ORG_UNIT_KIND_TEAM, "", "org_unit.parent"},  // a team needs a parent
      {"", "区", v1::ORG_UNIT_KIND_REGION, "orgUnits/sh-" + sfx_, "org_unit.parent"},
      {"bad id!", "组", v1::ORG_UNIT_KIND_TEAM, "orgUnits/east-" + sfx_, "org_unit_id"},
  };
  for (const auto& c : cases) {
    grpc::Status s = CreateUnit(admin_, c.id, c.name, c.kind, c.parent);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field << " " << c.name;
    EXPECT_EQ(ViolatedField(s), c.field) << s.error_message();
  }
  // 100 Chinese characters fit (length counts characters, not bytes).
  std::string hundred;
  for (int i = 0; i < 100; ++i) {
    hundred += "组";
  }
  EXPECT_TRUE(
      CreateUnit(admin_, "", hundred, v1::ORG_UNIT_KIND_TEAM, "orgUnits/east-" + sfx_).ok());

  grpc::ClientContext ctx;
  Authorize(ctx, admin_);
  v1::ListOrgUnitsRequest list;
  list.set_page_size(-1);
  v1::ListOrgUnitsResponse resp;
  grpc::Status s = server_->stub().ListOrgUnits(&ctx, list, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(s), "page_size");

  grpc::ClientContext ctx2;
  Authorize(ctx2, admin_);
  list.set_page_size(10);
  list.set_page_token("%%%garbage");
  s = server_->stub().ListOrgUnits(&ctx2, list, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(s), "page_token");
}

// Re-parenting a unit under its own descendant is refused as a cycle.
TEST_F(OrgApiTest, CycleIsRefused) {
  MakeTree();
  ASSERT_TRUE(CreateUnit(admin_, "sub-" + sfx_, "华东北区", v1::ORG_UNIT_KIND_REGION,
                         "orgUnits/east-" + sfx_)
                  .ok());
  grpc::Status s = Reparent("east-" + sfx_, "sub-" + sfx_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(s), "org_unit.parent");
  EXPECT_EQ(Reason(s), "ORG_TREE_CYCLE");
  s = Reparent("east-" + sfx_, "east-" + sfx_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// A stale etag is ABORTED; the current one succeeds and bumps it.
TEST_F(OrgApiTest, EtagGuardsUpdates) {
  MakeTree();
  grpc::Status s = Reparent("sh-" + sfx_, "south-" + sfx_, "7");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(Reason(s), "ETAG_MISMATCH");
  EXPECT_TRUE(Reparent("sh-" + sfx_, "south-" + sfx_, "1").ok());
  s = Reparent("sh-" + sfx_, "east-" + sfx_, "1");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
}

// Two reorganisations that together would form a cycle: exactly one wins.
TEST_F(OrgApiTest, ConcurrentReparentsNeverFormACycle) {
  MakeTree();
  for (int round = 0; round < 10; ++round) {
    std::string a = absl::StrCat("ra", round, "-", sfx_), b = absl::StrCat("rb", round, "-", sfx_);
    ASSERT_TRUE(CreateUnit(admin_, a, "A", v1::ORG_UNIT_KIND_REGION, "orgUnits/co-" + sfx_).ok());
    ASSERT_TRUE(CreateUnit(admin_, b, "B", v1::ORG_UNIT_KIND_REGION, "orgUnits/co-" + sfx_).ok());
    grpc::Status s1, s2;
    std::thread t1([&] { s1 = Reparent(a, b); });
    std::thread t2([&] { s2 = Reparent(b, a); });
    t1.join();
    t2.join();
    EXPECT_NE(s1.ok(), s2.ok()) << "round " << round << ": " << s1.error_message() << " / "
                                << s2.error_message();
  }
}

// A repeated request_id returns the first result instead of a duplicate.
TEST_F(OrgApiTest, RequestIdMakesCreateSafeToRetry) {
  MakeTree();
  v1::OrgUnit first, second;
  const std::string rid = "req-" + sfx_;
  ASSERT_TRUE(
      CreateUnit(admin_, "", "杭州组", v1::ORG_UNIT_KIND_TEAM, "orgUnits/east-" + sfx_, &first, rid)
          .ok());
  ASSERT_TRUE(CreateUnit(admin_, "", "杭州组", v1::ORG_UNIT_KIND_TEAM, "orgUnits/east-" + sfx_,
                         &second, rid)
                  .ok());
  EXPECT_EQ(first.name(), second.name());
  grpc::Status s =
      CreateUnit(admin_, "east-" + sfx_, "又一个", v1::ORG_UNIT_KIND_REGION, "orgUnits/co-" + sfx_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

// Pages of 3 visit every child exactly once, in order, and end with no token.
TEST_F(OrgApiTest, PaginationVisitsEachUnitOnce) {
  MakeTree();
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(CreateUnit(admin_, absl::StrCat("t", i, "-", sfx_), "组", v1::ORG_UNIT_KIND_TEAM,
                           "orgUnits/east-" + sfx_)
                    .ok());
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    grpc::ClientContext ctx;
    Authorize(ctx, admin_);
    v1::ListOrgUnitsRequest req;
    req.set_page_size(3);
    req.set_page_token(token);
    req.set_parent("orgUnits/east-" + sfx_);
    v1::ListOrgUnitsResponse resp;
    ASSERT_TRUE(server_->stub().ListOrgUnits(&ctx, req, &resp).ok());
    EXPECT_LE(resp.org_units_size(), 3);
    for (const auto& u : resp.org_units()) {
      seen.push_back(u.name());
    }
    token = resp.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 20);
  EXPECT_EQ(seen.size(), 9u);  // sh + t0..t7
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(pages, 3);
}

// A unit with members or children cannot be deleted; an empty one can.
TEST_F(OrgApiTest, DeleteNeedsAnEmptyUnit) {
  MakeTree();
  ASSERT_TRUE(CreateMember(admin_, "m-" + sfx_, "sh-" + sfx_, v1::ROLE_REP).ok());
  auto del = [&](const std::string& id) {
    grpc::ClientContext ctx;
    Authorize(ctx, admin_);
    v1::DeleteOrgUnitRequest req;
    req.set_name("orgUnits/" + id);
    v1::DeleteOrgUnitResponse resp;
    return server_->stub().DeleteOrgUnit(&ctx, req, &resp);
  };
  grpc::Status s = del("sh-" + sfx_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(s), "ORG_UNIT_HAS_MEMBERS");
  s = del("east-" + sfx_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(s), "ORG_UNIT_HAS_CHILDREN");
  EXPECT_TRUE(del("gz-" + sfx_).ok());
  EXPECT_EQ(del("gz-" + sfx_).error_code(), grpc::StatusCode::NOT_FOUND);
}

// Members: placement rules, unique e-mail, moves, and the move's new etag.
TEST_F(OrgApiTest, MemberLifecycle) {
  MakeTree();
  v1::Member m;
  ASSERT_TRUE(CreateMember(admin_, "m-" + sfx_, "sh-" + sfx_, v1::ROLE_REP, &m).ok());
  EXPECT_EQ(m.org_unit(), "orgUnits/sh-" + sfx_);
  // A rep cannot sit directly in a region.
  grpc::Status s = CreateMember(admin_, "m2-" + sfx_, "east-" + sfx_, v1::ROLE_REP);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(s), "member.org_unit");
  // Same e-mail twice.
  {
    grpc::ClientContext ctx;
    Authorize(ctx, admin_);
    v1::CreateMemberRequest req;
    req.mutable_member()->set_display_name("李娜");
    req.mutable_member()->set_email("M-" + sfx_ + "@EXAMPLE.com");
    req.mutable_member()->set_role(v1::ROLE_REP);
    req.mutable_member()->set_department(v1::DEPARTMENT_SALES);
    req.mutable_member()->set_org_unit("orgUnits/sh-" + sfx_);
    v1::CreateMemberResponse resp;
    s = server_->stub().CreateMember(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
    EXPECT_THAT(s.error_message(), HasSubstr("members/m-" + sfx_));
  }
  // Move with a stale etag, then with the right one.
  auto move = [&](const std::string& to, const std::string& etag, v1::Member* out) {
    grpc::ClientContext ctx;
    Authorize(ctx, admin_);
    v1::MoveMemberRequest req;
    req.set_name("members/m-" + sfx_);
    req.set_org_unit("orgUnits/" + to);
    req.set_etag(etag);
    req.set_reason("支援华南");
    v1::MoveMemberResponse resp;
    grpc::Status st = server_->stub().MoveMember(&ctx, req, &resp);
    if (out) {
      *out = resp.member();
    }
    return st;
  };
  EXPECT_EQ(move("gz-" + sfx_, "9", nullptr).error_code(), grpc::StatusCode::ABORTED);
  v1::Member moved;
  ASSERT_TRUE(move("gz-" + sfx_, m.etag(), &moved).ok());
  EXPECT_EQ(moved.org_unit(), "orgUnits/gz-" + sfx_);
  EXPECT_EQ(moved.etag(), "2");
  EXPECT_EQ(move("south-" + sfx_, "", nullptr).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// No token, a malformed, tampered, expired or alg:none token: UNAUTHENTICATED.
TEST_F(OrgApiTest, AuthenticationFailures) {
  auto call = [&](const std::string& auth) {
    grpc::ClientContext ctx;
    if (!auth.empty()) {
      ctx.AddMetadata("authorization", auth);
    }
    v1::ListOrgUnitsRequest req;
    v1::ListOrgUnitsResponse resp;
    return server_->stub().ListOrgUnits(&ctx, req, &resp);
  };
  EXPECT_EQ(call("").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(call("Basic abc").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(call("Bearer not.a.jwt").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  std::string good = Token(Role::kAdmin, "a", "");
  EXPECT_TRUE(call("Bearer " + good).ok());
  std::string tampered = good;
  size_t dot = tampered.find('.');
  tampered[dot + 5] = tampered[dot + 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(call("Bearer " + tampered).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  std::string expired = Token(Role::kAdmin, "a", "", absl::Seconds(-120));
  grpc::Status s = call("Bearer " + expired);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Reason(s), "TOKEN_EXPIRED");
  // alg:none: same claims, no signature.
  std::string payload = good.substr(dot + 1, good.rfind('.') - dot - 1);
  std::string none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + payload + ".";
  s = call("Bearer " + none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Reason(s), "TOKEN_ALGORITHM_REJECTED");
}

// Role policy and org scope: who may create, read and move what.
TEST_F(OrgApiTest, AuthorisationMatrix) {
  MakeTree();
  ASSERT_TRUE(CreateMember(admin_, "rep-sh-" + sfx_, "sh-" + sfx_, v1::ROLE_REP).ok());
  ASSERT_TRUE(CreateMember(admin_, "rep-gz-" + sfx_, "gz-" + sfx_, v1::ROLE_REP).ok());
  const std::string rep = Token(Role::kRep, "rep-sh-" + sfx_, "sh-" + sfx_);
  const std::string sup_sh = Token(Role::kSupervisor, "sup-sh-" + sfx_, "sh-" + sfx_);
  const std::string mgr_east = Token(Role::kManager, "mgr-east-" + sfx_, "east-" + sfx_);
  const std::string director = Token(Role::kDirector, "dir-" + sfx_, "co-" + sfx_);

  // Org-unit writes: admin and director only.
  for (const auto& t : {rep, sup_sh, mgr_east}) {
    EXPECT_EQ(CreateUnit(t, "", "组", v1::ORG_UNIT_KIND_TEAM, "orgUnits/east-" + sfx_).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_TRUE(CreateUnit(director, "", "组", v1::ORG_UNIT_KIND_TEAM, "orgUnits/east-" + sfx_).ok());

  // Member reads: rep sees self only; supervisor the team; manager the region.
  EXPECT_TRUE(GetMember(rep, "rep-sh-" + sfx_).ok());
  EXPECT_EQ(GetMember(rep, "rep-gz-" + sfx_).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(GetMember(sup_sh, "rep-sh-" + sfx_).ok());
  EXPECT_EQ(GetMember(sup_sh, "rep-gz-" + sfx_).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(GetMember(mgr_east, "rep-sh-" + sfx_).ok());
  EXPECT_EQ(GetMember(mgr_east, "rep-gz-" + sfx_).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(GetMember(director, "rep-gz-" + sfx_).ok());

  // Member writes: managers inside their region only; never above their role.
  EXPECT_TRUE(CreateMember(mgr_east, "new-sh-" + sfx_, "sh-" + sfx_, v1::ROLE_REP).ok());
  EXPECT_EQ(CreateMember(mgr_east, "new-gz-" + sfx_, "gz-" + sfx_, v1::ROLE_REP).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateMember(mgr_east, "boss-" + sfx_, "east-" + sfx_, v1::ROLE_DIRECTOR).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateMember(sup_sh, "x-" + sfx_, "sh-" + sfx_, v1::ROLE_REP).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Lists are filtered to what the caller may see.
  grpc::ClientContext ctx;
  Authorize(ctx, sup_sh);
  v1::ListMembersRequest req;
  req.set_page_size(500);
  v1::ListMembersResponse resp;
  ASSERT_TRUE(server_->stub().ListMembers(&ctx, req, &resp).ok());
  for (const auto& m : resp.members()) {
    EXPECT_EQ(m.org_unit(), "orgUnits/sh-" + sfx_) << m.name();
  }
  EXPECT_GE(resp.members_size(), 2);
}

// /metrics exposes per-method RPC counts and latency, and the outbox backlog.
TEST_F(OrgApiTest, MetricsEndpoint) {
  MakeTree();
  httplib::Client client("127.0.0.1", server_->metrics_port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->body, HasSubstr("salesops_rpc_total{code=\"OK\",method=\"CreateOrgUnit\""));
  EXPECT_THAT(res->body, HasSubstr("salesops_rpc_duration_seconds_bucket{"));
  EXPECT_THAT(res->body, HasSubstr("salesops_outbox_backlog{service=\"org\"}"));
  EXPECT_THAT(res->body, HasSubstr("salesops_consumer_lag{"));
}

// GetOrgUnit is answered from memory (the read cache, on by default), and stays
// exact: this replica's own write reads back at once, and another replica's
// write is read back as soon as this one has heard Redis' report of it. The
// reader runs no consumers: its projections' commits would empty its cache too,
// and the report alone must do it.
TEST_F(OrgApiTest, GetOrgUnitFromMemoryStaysExactAcrossReplicas) {
  OrgServer reader("", {"--org_headcount_consumer=false", "--org_revenue_consumer=false"});
  reader.Start();
  const int port = reader.metrics_port();
  const std::string live = "salesops_read_cache_live{cache=\"org_units\",service=\"org\"}";
  const std::string hits = "salesops_read_cache_hits_total{cache=\"org_units\",service=\"org\"}";
  const std::string reports =
      "salesops_read_cache_reports_total{cache=\"org_units\",service=\"org\"}";
  ASSERT_TRUE(WaitForMetrics(
      {port}, live, [](const std::vector<double>& v) { return v[0] == 1; }, absl::Seconds(10)));
  OrgServer other;
  other.Start();
  v1::OrgUnit unit;
  ASSERT_TRUE(CreateUnit(admin_, "co-" + sfx_, "旧名", v1::ORG_UNIT_KIND_COMPANY, "", &unit).ok());
  grpc::Status last;
  auto get = [&](OrgServer& via) {
    grpc::ClientContext ctx;
    Authorize(ctx, admin_);
    v1::GetOrgUnitRequest req;
    req.set_name(unit.name());
    v1::GetOrgUnitResponse resp;
    last = via.stub().GetOrgUnit(&ctx, req, &resp);
    EXPECT_TRUE(last.ok()) << last.error_code() << " " << last.error_message();
    return resp.org_unit();
  };
  auto rename = [&](OrgServer& via, const std::string& name, const std::string& etag) {
    grpc::ClientContext ctx;
    Authorize(ctx, admin_);
    v1::UpdateOrgUnitRequest req;
    req.mutable_org_unit()->set_name(unit.name());
    req.mutable_org_unit()->set_display_name(name);
    req.mutable_org_unit()->set_etag(etag);
    req.mutable_update_mask()->add_paths("display_name");
    v1::UpdateOrgUnitResponse resp;
    grpc::Status s = via.stub().UpdateOrgUnit(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  };
  EXPECT_EQ(get(reader).display_name(), "旧名");
  const double hits_before = MetricValue(port, hits);
  EXPECT_EQ(get(reader).display_name(), "旧名");
  EXPECT_EQ(MetricValue(port, hits), hits_before + 1);

  // Its own write: read back at once. (Its commit empties its cache before the
  // acknowledgement, so this holds before any report; that part is unit-tested,
  // CachingKvTest.OwnCommitsAreReadBackAtOnce: here the report is usually first.)
  rename(reader, "新名", "1");
  EXPECT_EQ(get(reader).display_name(), "新名");
  EXPECT_EQ(get(reader).etag(), "2");

  // Another replica's write: read back once this replica has heard Redis'
  // report of it (other reports may come first, so the barrier is the answer
  // itself; a cache that missed the report would answer "新名" until the deadline).
  const double reports_before = MetricValue(port, reports);
  rename(other, "又一名", "2");
  v1::OrgUnit after;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    after = get(reader);
  } while (last.ok() && after.display_name() != "又一名" && absl::Now() < deadline);
  EXPECT_EQ(after.display_name(), "又一名");
  EXPECT_EQ(after.etag(), "3");
  EXPECT_GT(MetricValue(port, reports), reports_before);
}

// After SCRIPT FLUSH the write script is reloaded (EVALSHA falls back to EVAL).
TEST_F(OrgApiTest, ScriptFlushIsSurvived) {
  ASSERT_TRUE(TestRedis().Command({"SCRIPT", "FLUSH"}).ok());
  EXPECT_TRUE(CreateUnit(admin_, "co-" + sfx_, "公司", v1::ORG_UNIT_KIND_COMPANY, "").ok());
}

// Redis killed (-9): calls fail UNAVAILABLE (retryable), not INTERNAL; once it
// is back the pool reconnects and every acknowledged write is still there.
TEST_F(OrgApiTest, RedisCrashLosesNoAcknowledgedWrite) {
  ASSERT_TRUE(CreateUnit(admin_, "co-" + sfx_, "公司", v1::ORG_UNIT_KIND_COMPANY, "").ok());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(CreateUnit(admin_, absl::StrCat("w", i, "-", sfx_), "区", v1::ORG_UNIT_KIND_REGION,
                           "orgUnits/co-" + sfx_)
                    .ok());
  }
  KillRedis();
  grpc::Status down =
      CreateUnit(admin_, "late-" + sfx_, "区", v1::ORG_UNIT_KIND_REGION, "orgUnits/co-" + sfx_);
  // Both mean "retry": UNAVAILABLE when nothing reached Redis, DEADLINE_EXCEEDED
  // when the request went out on a connection that then died (outcome unknown).
  EXPECT_TRUE(down.error_code() == grpc::StatusCode::UNAVAILABLE ||
              down.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
      << down.error_code() << " " << down.error_message();
  StartRedis();
  // Redis answers again (redis.sh waited for its PONG): the first call after it
  // is answered, on a pooled connection reopened before it was used.
  {
    grpc::ClientContext ctx;
    Authorize(ctx, admin_);
    v1::ListOrgUnitsRequest req;
    req.set_parent("orgUnits/co-" + sfx_);
    req.set_page_size(100);
    v1::ListOrgUnitsResponse resp;
    grpc::Status s = server_->stub().ListOrgUnits(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    EXPECT_EQ(resp.org_units_size(), 20);
  }
  // Reads that share connections (GetOrgUnit) reopen theirs on the first call
  // too, not after their back-off.
  grpc::ClientContext ctx;
  Authorize(ctx, admin_);
  v1::GetOrgUnitRequest req;
  req.set_name("orgUnits/co-" + sfx_);
  v1::GetOrgUnitResponse resp;
  grpc::Status got = server_->stub().GetOrgUnit(&ctx, req, &resp);
  ASSERT_TRUE(got.ok()) << got.error_code() << " " << got.error_message();
  EXPECT_EQ(resp.org_unit().display_name(), "公司");
}

}  // namespace
}  // namespace salesops::testing
