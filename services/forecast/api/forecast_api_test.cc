// ForecastApi over the in-memory repository, with forecasts made by the real
// engine from deal events: who sees which forecast (rep, supervisor, manager,
// director), bad input naming the dotted field, forecast calls by role with
// request_id replay and etags, model and calls side by side, and accuracy
// answering "who forecasts best" once a period has closed.
#include "services/forecast/api/forecast_api.h"

#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "salesops/forecast/v1/forecast_events.pb.h"
#include "services/forecast/testing/forecast_test_world.h"

namespace salesops::forecast {
namespace {

using testing::ForecastTestWorld;
using ::testing::IsSupersetOf;
using ::testing::UnorderedElementsAre;

constexpr char kQ4[] = "fiscalPeriods/FY2026-Q4";

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : FieldViolations(s)) {
    out.push_back(v.field);
  }
  return out;
}

class ForecastApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        w_.Apply(w_.Quarter("FY2026-Q4", absl::CivilDay(2026, 10, 1), absl::CivilDay(2026, 12, 31)))
            .ok());
    ASSERT_TRUE(w_.Apply(w_.Created("o-1", "r1", "pl-a", 300'00, Stage::kContract)).ok());
    ASSERT_TRUE(w_.Apply(w_.Created("o-2", "r2", "pl-b", 200'00, Stage::kProposal)).ok());
    ASSERT_TRUE(w_.Apply(w_.Created("o-3", "r3", "pl-a", 500'00, Stage::kNegotiation)).ok());
    ASSERT_TRUE(w_.Apply(w_.Created("o-4", "r4", "pl-a", 700'00, Stage::kContract)).ok());
  }
  static CallContext As(Role role, std::string member, std::string unit) {
    return CallContext{{std::move(member), role, std::move(unit)}, "trace-1", "test"};
  }
  absl::Status Get(const CallContext& c, const std::string& unit, const std::string& member,
                   v1::GetForecastResponse* resp = nullptr) {
    v1::GetForecastRequest req;
    if (!member.empty()) {
      req.mutable_scope()->set_member("members/" + member);
    }
    if (!unit.empty()) {
      req.mutable_scope()->set_org_unit("orgUnits/" + unit);
    }
    req.set_period(kQ4);
    req.set_category(v1::FORECAST_CATEGORY_PIPELINE);
    v1::GetForecastResponse r;
    return api_.GetForecast(c, req, resp ? resp : &r);
  }
  std::vector<std::string> List(const CallContext& c, const std::string& unit = "") {
    v1::ListForecastsRequest req;
    req.set_period(kQ4);
    req.set_category(v1::FORECAST_CATEGORY_PIPELINE);
    req.set_page_size(500);
    if (!unit.empty()) {
      req.set_org_unit("orgUnits/" + unit);
    }
    v1::ListForecastsResponse resp;
    EXPECT_TRUE(api_.ListForecasts(c, req, &resp).ok());
    std::vector<std::string> out;
    for (const v1::Forecast& f : resp.forecasts()) {
      if (f.scope().product_line().empty()) {
        out.push_back(IdIn(f.name(), "forecasts"));
      }
    }
    return out;
  }
  absl::Status Submit(const CallContext& c, const std::string& unit, const std::string& member,
                      int64_t amount, v1::ForecastCallKind kind, const std::string& rid = "",
                      v1::SubmitForecastCallResponse* resp = nullptr,
                      const std::string& etag = "") {
    v1::SubmitForecastCallRequest req;
    if (!member.empty()) {
      req.mutable_call()->mutable_scope()->set_member("members/" + member);
    }
    if (!unit.empty()) {
      req.mutable_call()->mutable_scope()->set_org_unit("orgUnits/" + unit);
    }
    req.mutable_call()->set_period(kQ4);
    req.mutable_call()->set_category(v1::FORECAST_CATEGORY_COMMIT);
    req.mutable_call()->mutable_amount()->set_amount_minor(amount);
    req.set_kind(kind);
    req.set_request_id(rid);
    req.set_etag(etag);
    v1::SubmitForecastCallResponse r;
    return api_.SubmitForecastCall(c, req, resp ? resp : &r);
  }

  ForecastTestWorld w_;
  ForecastApi api_{w_.repo, w_.org, w_.clock};
  CallContext r1_ = As(Role::kRep, "r1", "t1");
  CallContext s1_ = As(Role::kSupervisor, "s1", "t1");
  CallContext mgr_ = As(Role::kManager, "mgr", "east");
  CallContext dir_ = As(Role::kDirector, "dir", "acme");
};

// A rep sees their own forecast only; a supervisor their team and its reps;
// a manager their region; a director everything.
TEST_F(ForecastApiTest, VisibilityByRole) {
  EXPECT_TRUE(Get(r1_, "", "r1").ok());
  EXPECT_EQ(Get(r1_, "", "r2").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Get(r1_, "t1", "").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Get(s1_, "t1", "").ok());
  EXPECT_TRUE(Get(s1_, "", "r2").ok());
  EXPECT_EQ(Get(s1_, "t2", "").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Get(s1_, "east", "").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Get(mgr_, "east", "").ok());
  EXPECT_TRUE(Get(mgr_, "t2", "").ok());
  EXPECT_EQ(Get(mgr_, "west", "").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Get(mgr_, "acme", "").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Get(dir_, "acme", "").ok());
  EXPECT_TRUE(Get(dir_, "", "r4").ok());
  // Refused the same whether or not the forecast exists.
  EXPECT_EQ(Get(r1_, "", "nobody").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Get(s1_, "t3", "").code(), absl::StatusCode::kPermissionDenied);

  // Lists default to the caller's part of the tree and never show more.
  EXPECT_THAT(List(r1_), UnorderedElementsAre("FY2026-Q4~t1~r1~_~pipeline"));
  EXPECT_THAT(List(r1_, "acme"), UnorderedElementsAre("FY2026-Q4~t1~r1~_~pipeline"));
  EXPECT_THAT(List(s1_),
              UnorderedElementsAre("FY2026-Q4~t1~_~_~pipeline", "FY2026-Q4~t1~r1~_~pipeline",
                                   "FY2026-Q4~t1~r2~_~pipeline"));
  EXPECT_THAT(List(mgr_, "acme"),
              IsSupersetOf({"FY2026-Q4~east~_~_~pipeline", "FY2026-Q4~t2~r3~_~pipeline"}));
  for (const std::string& id : List(mgr_, "acme")) {
    EXPECT_EQ(id.find("west"), std::string::npos) << id;
    EXPECT_EQ(id.find("acme"), std::string::npos) << id;
  }
  EXPECT_EQ(List(dir_).size(), 10u);  // acme, 2 regions, 3 teams, 4 reps
  // Stage probabilities are for supervisors and above.
  EXPECT_EQ(ForecastMethodPolicy().Check("ListStageProbabilities", r1_.principal).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(ForecastMethodPolicy().Check("ListStageProbabilities", s1_.principal).ok());
}

// RollUp: the unit's total is the sum of the children it lists.
TEST_F(ForecastApiTest, RollUpListsChildrenThatSumToTheTotal) {
  v1::RollUpRequest req;
  req.set_org_unit("orgUnits/east");
  req.set_period(kQ4);
  req.set_category(v1::FORECAST_CATEGORY_COMMIT);
  v1::RollUpResponse resp;
  ASSERT_TRUE(api_.RollUp(mgr_, req, &resp).ok());
  ASSERT_EQ(resp.children_size(), 2);
  int64_t sum = 0;
  for (const v1::Forecast& c : resp.children()) {
    sum += c.amount().amount_minor();
  }
  EXPECT_EQ(resp.total().amount().amount_minor(), sum);
  EXPECT_EQ(api_.RollUp(s1_, req, &resp).code(), absl::StatusCode::kPermissionDenied);
}

// Every bad field is named with its dotted path.
TEST_F(ForecastApiTest, BadInputNamesTheField) {
  v1::GetForecastRequest get;
  get.mutable_scope()->set_member("people/x");
  get.set_period("quarters/4");
  get.set_category(static_cast<v1::ForecastCategory>(9));
  v1::GetForecastResponse got;
  absl::Status s = api_.GetForecast(r1_, get, &got);
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Fields(s), IsSupersetOf({"scope.member", "period", "category"}));
  EXPECT_THAT(Fields(api_.GetForecast(r1_, v1::GetForecastRequest(), &got)),
              IsSupersetOf({"scope.org_unit", "period", "category"}));
  get.Clear();
  get.set_name("forecasts/nonsense");
  EXPECT_THAT(Fields(api_.GetForecast(r1_, get, &got)), UnorderedElementsAre("name"));

  v1::SubmitForecastCallRequest sub;
  sub.mutable_call()->mutable_scope()->set_member("members/r1");
  sub.mutable_call()->set_period(kQ4);
  sub.mutable_call()->mutable_amount()->set_amount_minor(-5);
  sub.mutable_call()->mutable_amount()->set_currency_code("USD");
  sub.mutable_call()->set_note(std::string(600, 'x'));
  sub.set_request_id("not ok!");
  v1::SubmitForecastCallResponse subbed;
  s = api_.SubmitForecastCall(r1_, sub, &subbed);
  EXPECT_THAT(Fields(s),
              IsSupersetOf({"call.category", "call.amount.amount_minor",
                            "call.amount.currency_code", "call.note", "kind", "request_id"}));

  v1::ListForecastsRequest list;
  list.set_page_size(-1);
  list.set_order_by("amount");
  list.set_page_token("garbage");
  v1::ListForecastsResponse listed;
  EXPECT_THAT(Fields(api_.ListForecasts(r1_, list, &listed)),
              IsSupersetOf({"page_size", "period", "order_by", "page_token"}));

  v1::GetAccuracyRequest acc;
  acc.mutable_scope()->set_org_unit("orgUnits/t1");
  acc.set_weeks_before_period_end(-1);
  v1::GetAccuracyResponse accuracy;
  EXPECT_THAT(Fields(api_.GetAccuracy(s1_, acc, &accuracy)),
              IsSupersetOf({"category", "weeks_before_period_end"}));
}

// Who may submit and adjust which number.
TEST_F(ForecastApiTest, CallsByRole) {
  EXPECT_TRUE(Submit(r1_, "", "r1", 250'00, v1::FORECAST_CALL_KIND_SUBMITTED).ok());
  EXPECT_EQ(Submit(r1_, "", "r2", 1, v1::FORECAST_CALL_KIND_SUBMITTED).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Submit(r1_, "", "r1", 1, v1::FORECAST_CALL_KIND_ADJUSTED).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Submit(s1_, "t1", "", 500'00, v1::FORECAST_CALL_KIND_SUBMITTED).ok());
  EXPECT_EQ(Submit(s1_, "", "r1", 1, v1::FORECAST_CALL_KIND_ADJUSTED).code(),
            absl::StatusCode::kPermissionDenied);  // supervisors submit; managers adjust
  EXPECT_EQ(Submit(s1_, "t2", "", 1, v1::FORECAST_CALL_KIND_SUBMITTED).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Submit(mgr_, "t1", "", 450'00, v1::FORECAST_CALL_KIND_ADJUSTED).ok());
  EXPECT_EQ(Submit(mgr_, "t3", "", 1, v1::FORECAST_CALL_KIND_ADJUSTED).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Submit(mgr_, "east", "", 1, v1::FORECAST_CALL_KIND_ADJUSTED).code(),
            absl::StatusCode::kPermissionDenied);  // own number: submit it
  EXPECT_TRUE(Submit(mgr_, "east", "", 900'00, v1::FORECAST_CALL_KIND_SUBMITTED).ok());

  // The team's forecast shows the model, the call and the adjustment side by side.
  v1::GetForecastRequest req;
  req.mutable_scope()->set_org_unit("orgUnits/t1");
  req.set_period(kQ4);
  req.set_category(v1::FORECAST_CATEGORY_COMMIT);
  v1::GetForecastResponse resp;
  ASSERT_TRUE(api_.GetForecast(s1_, req, &resp).ok());
  EXPECT_GT(resp.forecast().amount().amount_minor(), 0);
  EXPECT_EQ(resp.forecast().submitted_call().amount_minor(), 500'00);
  EXPECT_EQ(resp.forecast().adjusted_call().amount_minor(), 450'00);
  // Lists of calls follow visibility too.
  v1::ListForecastCallsRequest lreq;
  lreq.set_period(kQ4);
  v1::ListForecastCallsResponse lresp;
  ASSERT_TRUE(api_.ListForecastCalls(r1_, lreq, &lresp).ok());
  ASSERT_EQ(lresp.calls_size(), 1);
  EXPECT_EQ(lresp.calls(0).scope().member(), "members/r1");
  v1::ListForecastCallsResponse mresp;
  ASSERT_TRUE(api_.ListForecastCalls(mgr_, lreq, &mresp).ok());
  EXPECT_EQ(mresp.calls_size(), 4);
}

// request_id: a retry returns the call it made (one event); reusing the id for
// another call is refused without naming anything; output-only fields sent
// by the client are ignored; a stale etag is ABORTED.
TEST_F(ForecastApiTest, ReplayOutputOnlyAndEtag) {
  v1::SubmitForecastCallRequest req;
  req.mutable_call()->mutable_scope()->set_member("members/r1");
  req.mutable_call()->set_period(kQ4);
  req.mutable_call()->set_category(v1::FORECAST_CATEGORY_COMMIT);
  req.mutable_call()->mutable_amount()->set_amount_minor(123'00);
  req.mutable_call()->set_author("members/someone-else");
  req.mutable_call()->set_kind(v1::FORECAST_CALL_KIND_ADJUSTED);
  req.mutable_call()->mutable_model_amount()->set_amount_minor(999);
  req.mutable_call()->set_name("forecastCalls/forged");
  req.set_kind(v1::FORECAST_CALL_KIND_SUBMITTED);
  req.set_request_id("rid-1");
  v1::SubmitForecastCallResponse a, b;
  ASSERT_TRUE(api_.SubmitForecastCall(r1_, req, &a).ok());
  EXPECT_EQ(a.call().author(), "members/r1");
  EXPECT_EQ(a.call().kind(), v1::FORECAST_CALL_KIND_SUBMITTED);
  EXPECT_EQ(a.call().name(), "forecastCalls/FY2026-Q4~t1~r1~_~commit~submitted");
  EXPECT_NE(a.call().model_amount().amount_minor(), 999);
  EXPECT_EQ(a.call().etag(), "1");
  ASSERT_TRUE(api_.SubmitForecastCall(r1_, req, &b).ok());
  EXPECT_EQ(b.call().name(), a.call().name());
  EXPECT_EQ(b.call().etag(), "1");
  EXPECT_EQ(w_.EventsOfType("salesops.forecast.v1.ForecastCallSubmitted").size(), 1u);
  // The same request_id for another call of the same caller.
  req.mutable_call()->set_category(v1::FORECAST_CATEGORY_PIPELINE);
  absl::Status reused = api_.SubmitForecastCall(r1_, req, &b);
  EXPECT_EQ(reused.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrorReason(reused), "REQUEST_ID_REUSED");
  // Another caller's request_id space is their own.
  EXPECT_TRUE(Submit(s1_, "t1", "", 1, v1::FORECAST_CALL_KIND_SUBMITTED, "rid-1").ok());
  // Replace with the right etag, then a stale one.
  v1::SubmitForecastCallResponse c;
  ASSERT_TRUE(Submit(r1_, "", "r1", 130'00, v1::FORECAST_CALL_KIND_SUBMITTED, "", &c, "1").ok());
  EXPECT_EQ(c.call().etag(), "2");
  absl::Status stale = Submit(r1_, "", "r1", 140'00, v1::FORECAST_CALL_KIND_SUBMITTED, "", &c, "1");
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ErrorReason(stale), "ETAG_MISMATCH");
}

// A replayed request_id goes through the same access check as a fresh call:
// once the caller may no longer submit for that scope, the replay is refused.
TEST_F(ForecastApiTest, ReplayChecksAccessAgain) {
  ASSERT_TRUE(Submit(mgr_, "t1", "", 10, v1::FORECAST_CALL_KIND_ADJUSTED, "rid-9").ok());
  // The same member, now a supervisor elsewhere (token re-issued).
  CallContext demoted = As(Role::kSupervisor, "mgr", "t3");
  EXPECT_EQ(Submit(demoted, "t1", "", 10, v1::FORECAST_CALL_KIND_ADJUSTED, "rid-9").code(),
            absl::StatusCode::kPermissionDenied);
}

// After a closed quarter with weekly snapshots, GetAccuracy compares the
// model, each model compared and the people's calls, best first.
TEST_F(ForecastApiTest, AccuracyComparesModelAndCalls) {
  ASSERT_TRUE(Submit(s1_, "t1", "", 310'00, v1::FORECAST_CALL_KIND_SUBMITTED).ok());
  v1::SubmitForecastCallRequest pipeline_call;
  pipeline_call.mutable_call()->mutable_scope()->set_org_unit("orgUnits/t1");
  pipeline_call.mutable_call()->set_period(kQ4);
  pipeline_call.mutable_call()->set_category(v1::FORECAST_CATEGORY_PIPELINE);
  pipeline_call.mutable_call()->mutable_amount()->set_amount_minor(310'00);
  pipeline_call.set_kind(v1::FORECAST_CALL_KIND_SUBMITTED);
  v1::SubmitForecastCallResponse ignored;
  ASSERT_TRUE(api_.SubmitForecastCall(s1_, pipeline_call, &ignored).ok());
  ASSERT_TRUE(w_.jobs.TakeSnapshots(w_.clock.Now()).ok());
  ASSERT_TRUE(w_.Apply(w_.Won("o-1", absl::CivilDay(2026, 12, 1))).ok());
  w_.clock.Set(testing::At(absl::CivilDay(2027, 1, 3)));
  ASSERT_TRUE(w_.jobs.ClosePeriods(w_.clock.Now()).ok());

  v1::GetAccuracyRequest req;
  req.mutable_scope()->set_org_unit("orgUnits/t1");
  req.set_category(v1::FORECAST_CATEGORY_PIPELINE);
  v1::GetAccuracyResponse resp;
  ASSERT_TRUE(api_.GetAccuracy(s1_, req, &resp).ok());
  EXPECT_EQ(resp.accuracy().snapshot_count(), 1);
  EXPECT_THAT(resp.accuracy().periods(), UnorderedElementsAre(kQ4));
  ASSERT_GE(resp.comparison_size(), 2);
  // The call (310 against an actual of 300) beat the model, which expected less.
  EXPECT_EQ(resp.most_accurate_source(), v1::FORECAST_SOURCE_SUBMITTED_CALL);
  EXPECT_EQ(resp.comparison(0).mape_basis_points(), 333);
  bool has_model = false;
  for (const v1::ForecastAccuracy& a : resp.comparison()) {
    if (a.source() == v1::FORECAST_SOURCE_MODEL) {
      has_model = true;
    }
  }
  EXPECT_TRUE(has_model);
  // A rep cannot ask about the team.
  EXPECT_EQ(api_.GetAccuracy(r1_, req, &resp).code(), absl::StatusCode::kPermissionDenied);
  // Snapshots list newest first for a scope.
  v1::ListForecastSnapshotsRequest sreq;
  *sreq.mutable_scope() = req.scope();
  v1::ListForecastSnapshotsResponse sresp;
  ASSERT_TRUE(api_.ListForecastSnapshots(s1_, sreq, &sresp).ok());
  EXPECT_EQ(sresp.snapshots_size(), 3);  // one per category
}

}  // namespace
}  // namespace salesops::forecast
