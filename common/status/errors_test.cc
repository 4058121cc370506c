// Tests for errors.h (details carried inside absl::Status), grpc_status.h (the
// one absl -> grpc mapping) and status_macros.h.
#include "common/status/errors.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/status/write_race.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

auto IsViolation(const std::string& field, const std::string& description) {
  return AllOf(Field(&FieldViolation::field, Eq(field)),
               Field(&FieldViolation::description, Eq(description)));
}

// Decodes the ErrorInfo payload directly (not through ErrorReason) so the
// stored wire form is checked too.
google::rpc::ErrorInfo ErrorInfoOf(const absl::Status& status) {
  google::rpc::ErrorInfo info;
  auto payload = status.GetPayload(kErrorInfoPayload);
  EXPECT_TRUE(payload.has_value());
  if (payload) {
    EXPECT_TRUE(info.ParseFromString(std::string(*payload)));
  }
  return info;
}

// Finds the detail of type T in a google.rpc.Status, failing the test when absent.
template <typename T>
T UnpackDetail(const google::rpc::Status& rpc) {
  T out;
  int found = 0;
  for (const auto& any : rpc.details()) {
    if (any.Is<T>()) {
      EXPECT_TRUE(any.UnpackTo(&out));
      ++found;
    }
  }
  EXPECT_EQ(found, 1) << "expected exactly one " << T::descriptor()->full_name();
  return out;
}

// InvalidArgument stores every violation as BadRequest and defaults the reason to INVALID_ARGUMENT.
TEST(ErrorsTest, InvalidArgumentCarriesViolationsAndReason) {
  absl::Status s = InvalidArgument(
      {{"org_unit.display_name", "must not be empty"}, {"org_unit.parent", "required"}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(s), "INVALID_ARGUMENT");
  EXPECT_THAT(FieldViolations(s),
              ElementsAre(IsViolation("org_unit.display_name", "must not be empty"),
                          IsViolation("org_unit.parent", "required")));
  EXPECT_THAT(s.message(), HasSubstr("org_unit.display_name: must not be empty"));
  EXPECT_THAT(s.message(), HasSubstr("org_unit.parent: required"));
}

// A custom reason replaces the default, and ErrorInfo names the first bad field and the domain.
TEST(ErrorsTest, InvalidArgumentCustomReasonAndMetadata) {
  absl::Status s = InvalidArgument({{"member.email", "taken"}}, "EMAIL_TAKEN");
  EXPECT_EQ(ErrorReason(s), "EMAIL_TAKEN");
  google::rpc::ErrorInfo info = ErrorInfoOf(s);
  EXPECT_EQ(info.domain(), "salesops");
  EXPECT_EQ(info.metadata().at("field"), "member.email");
}

// InvalidField is a single-violation InvalidArgument.
TEST(ErrorsTest, InvalidFieldIsOneViolation) {
  absl::Status s = InvalidField("page_size", "must not be negative");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(FieldViolations(s), ElementsAre(IsViolation("page_size", "must not be negative")));
}

// Violations::Finish is OK when empty and INVALID_ARGUMENT with every added field otherwise.
TEST(ErrorsTest, ViolationsFinish) {
  Violations none;
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(none.Finish().ok());

  Violations v;
  v.Add("a.b", "bad");
  v.Add("c", "worse");
  EXPECT_FALSE(v.empty());
  absl::Status s = v.Finish("MALFORMED_THING");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(s), "MALFORMED_THING");
  EXPECT_THAT(FieldViolations(s),
              ElementsAre(IsViolation("a.b", "bad"), IsViolation("c", "worse")));
}

// Each helper sets its own status code and the given reason, with no field violations.
TEST(ErrorsTest, HelpersSetCodeAndReason) {
  struct Case {
    absl::Status status;
    absl::StatusCode code;
  };
  std::vector<Case> cases = {
      {NotFound("R1", "m"), absl::StatusCode::kNotFound},
      {AlreadyExists("R2", "m", "orgUnits/x"), absl::StatusCode::kAlreadyExists},
      {FailedPrecondition("R3", "m"), absl::StatusCode::kFailedPrecondition},
      {Aborted("R4", "m"), absl::StatusCode::kAborted},
      {Unavailable("R5", "m"), absl::StatusCode::kUnavailable},
      {PermissionDenied("R6", "m"), absl::StatusCode::kPermissionDenied},
      {Unauthenticated("R7", "m"), absl::StatusCode::kUnauthenticated},
      {Internal("R8", "m"), absl::StatusCode::kInternal},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(cases[i].status.code(), cases[i].code);
    EXPECT_EQ(ErrorReason(cases[i].status), "R" + std::to_string(i + 1));
    EXPECT_EQ(cases[i].status.message(), "m");
    EXPECT_THAT(FieldViolations(cases[i].status), IsEmpty());
  }
}

// AlreadyExists names the existing resource in ErrorInfo metadata.
TEST(ErrorsTest, AlreadyExistsNamesExistingResource) {
  absl::Status s = AlreadyExists("ORG_UNIT_EXISTS", "exists", "orgUnits/acme");
  EXPECT_EQ(ErrorInfoOf(s).metadata().at("existing_resource"), "orgUnits/acme");
}

// Statuses built without our helpers read back as no reason and no violations.
TEST(ErrorsTest, PlainStatusHasNoDetails) {
  absl::Status s = absl::NotFoundError("nope");
  EXPECT_EQ(ErrorReason(s), "");
  EXPECT_THAT(FieldViolations(s), IsEmpty());
  EXPECT_EQ(ErrorReason(absl::OkStatus()), "");
}

// A corrupt payload reads as absent instead of crashing or returning garbage.
TEST(ErrorsTest, CorruptPayloadReadsAsAbsent) {
  absl::Status s = absl::InvalidArgumentError("x");
  s.SetPayload(kErrorInfoPayload, absl::Cord("\xff\xff\xff"));
  s.SetPayload(kBadRequestPayload, absl::Cord("\xff\xff\xff"));
  EXPECT_EQ(ErrorReason(s), "");
  EXPECT_THAT(FieldViolations(s), IsEmpty());
}

// Only UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED are worth retrying.
TEST(ErrorsTest, IsRetryable) {
  EXPECT_TRUE(IsRetryable(Unavailable("X", "down")));
  EXPECT_TRUE(IsRetryable(absl::DeadlineExceededError("slow")));
  EXPECT_TRUE(IsRetryable(absl::ResourceExhaustedError("full")));
  EXPECT_FALSE(IsRetryable(absl::OkStatus()));
  EXPECT_FALSE(IsRetryable(Aborted("ETAG_MISMATCH", "retry the read-modify-write")));
  EXPECT_FALSE(IsRetryable(InvalidField("f", "bad")));
  EXPECT_FALSE(IsRetryable(Internal("X", "bug")));
}

// RetryWriteRace runs `attempt` again for a lost race, except the caller's own
// ETAG_MISMATCH when it sent an etag; `outcomes` are the attempts' results in turn.
int AttemptsUntilDone(bool caller_sent_etag, const std::vector<absl::Status>& outcomes,
                      absl::Status* last) {
  size_t i = 0;
  *last = RetryWriteRace(caller_sent_etag,
                         [&] { return outcomes[std::min(i++, outcomes.size() - 1)]; });
  return static_cast<int>(i);
}

TEST(WriteRaceTest, WhoseRaceDecidesWhetherItRunsAgain) {
  const absl::Status mismatch = Aborted(reason::kEtagMismatch, "deal changed");
  const absl::Status conflict = Aborted(reason::kWriteConflict, "write guard failed: clock");
  const absl::Status claim = Aborted("CONCURRENT_CLAIM", "another claim");
  absl::Status last;
  // No etag: any lost race runs again, until it commits.
  EXPECT_EQ(AttemptsUntilDone(false, {mismatch, conflict, absl::OkStatus()}, &last), 3);
  EXPECT_TRUE(last.ok()) << last;
  // An etag: its own mismatch goes back at once ...
  EXPECT_EQ(AttemptsUntilDone(true, {mismatch, absl::OkStatus()}, &last), 1);
  EXPECT_EQ(ErrorReason(last), reason::kEtagMismatch);
  // ... a race on anything else runs again.
  EXPECT_EQ(AttemptsUntilDone(true, {conflict, claim, absl::OkStatus()}, &last), 3);
  EXPECT_TRUE(last.ok()) << last;
  // ... and stops at its own mismatch found on a later attempt.
  EXPECT_EQ(AttemptsUntilDone(true, {conflict, mismatch, absl::OkStatus()}, &last), 2);
  EXPECT_EQ(ErrorReason(last), reason::kEtagMismatch);
  // Not a race (ABORTED for another reason, or another code): back at once.
  EXPECT_EQ(AttemptsUntilDone(false, {Aborted("CONCURRENT_PUBLISH", "x"), absl::OkStatus()}, &last),
            1);
  EXPECT_EQ(AttemptsUntilDone(false, {Unavailable("REDIS_UNAVAILABLE", "x")}, &last), 1);
  EXPECT_EQ(last.code(), absl::StatusCode::kUnavailable);
  // A race that keeps being lost gives up after kWriteRaceAttempts, with the last error.
  EXPECT_EQ(AttemptsUntilDone(true, {conflict}, &last), kWriteRaceAttempts);
  EXPECT_EQ(ErrorReason(last), reason::kWriteConflict);
}

// OK maps to grpc OK with no details.
TEST(GrpcStatusTest, OkMapsToOk) {
  grpc::Status g = ToGrpcStatus(absl::OkStatus());
  EXPECT_TRUE(g.ok());
  EXPECT_TRUE(g.error_details().empty());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

// ToGrpcStatus keeps code and message and packs ErrorInfo + BadRequest into a google.rpc.Status.
TEST(GrpcStatusTest, ToGrpcStatusPacksDetails) {
  absl::Status s = InvalidArgument({{"org_unit.parent", "cannot be a team"}}, "BAD_PARENT");
  grpc::Status g = ToGrpcStatus(s);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(g.error_message(), std::string(s.message()));
  ASSERT_FALSE(g.error_details().empty());

  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(g.error_details()));
  EXPECT_EQ(rpc.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(rpc.message(), std::string(s.message()));
  EXPECT_THAT(rpc.details(), SizeIs(2));
  auto info = UnpackDetail<google::rpc::ErrorInfo>(rpc);
  EXPECT_EQ(info.reason(), "BAD_PARENT");
  EXPECT_EQ(info.domain(), "salesops");
  auto bad_request = UnpackDetail<google::rpc::BadRequest>(rpc);
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "org_unit.parent");
  EXPECT_EQ(bad_request.field_violations(0).description(), "cannot be a team");

  // RpcStatusDetails decodes the same thing.
  EXPECT_EQ(RpcStatusDetails(g).SerializeAsString(), rpc.SerializeAsString());
}

// FromGrpcStatus(ToGrpcStatus(s)) preserves code, message, reason and violations.
TEST(GrpcStatusTest, RoundTrip) {
  absl::Status s = InvalidArgument({{"a", "x"}, {"b.c", "y"}}, "WHATEVER");
  absl::Status back = FromGrpcStatus(ToGrpcStatus(s));
  EXPECT_EQ(back.code(), s.code());
  EXPECT_EQ(back.message(), s.message());
  EXPECT_EQ(ErrorReason(back), "WHATEVER");
  EXPECT_THAT(FieldViolations(back), ElementsAre(IsViolation("a", "x"), IsViolation("b.c", "y")));

  absl::Status aborted = Aborted("ETAG_MISMATCH", "changed");
  absl::Status aborted_back = FromGrpcStatus(ToGrpcStatus(aborted));
  EXPECT_EQ(aborted_back.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ErrorReason(aborted_back), "ETAG_MISMATCH");
}

// An absl error without ErrorInfo still gets a reason: the code's name in UPPER_SNAKE_CASE.
TEST(GrpcStatusTest, UntaggedErrorGetsCodeAsReason) {
  grpc::Status g = ToGrpcStatus(absl::NotFoundError("no such unit"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::NOT_FOUND);
  google::rpc::Status rpc = RpcStatusDetails(g);
  auto info = UnpackDetail<google::rpc::ErrorInfo>(rpc);
  EXPECT_EQ(info.reason(), "NOT_FOUND");
  EXPECT_EQ(info.domain(), "salesops");
  EXPECT_EQ(ErrorReason(FromGrpcStatus(g)), "NOT_FOUND");

  // A multi-word code name becomes UPPER_SNAKE_CASE too.
  EXPECT_EQ(ErrorReason(FromGrpcStatus(ToGrpcStatus(absl::FailedPreconditionError("x")))),
            "FAILED_PRECONDITION");
  EXPECT_EQ(ErrorReason(FromGrpcStatus(ToGrpcStatus(absl::DeadlineExceededError("x")))),
            "DEADLINE_EXCEEDED");
}

// A grpc::Status without details converts to a plain absl status of the same code.
TEST(GrpcStatusTest, FromGrpcStatusWithoutDetails) {
  absl::Status s = FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "down");
  EXPECT_EQ(ErrorReason(s), "");
}

absl::Status ReturnIfError(absl::Status inner, bool* reached_end) {
  SALESOPS_RETURN_IF_ERROR(inner);
  *reached_end = true;
  return absl::OkStatus();
}

absl::StatusOr<int> AssignOrReturn(absl::StatusOr<int> inner) {
  SALESOPS_ASSIGN_OR_RETURN(int v, inner);
  return v + 1;
}

// SALESOPS_RETURN_IF_ERROR returns the error early and falls through on OK.
TEST(StatusMacrosTest, ReturnIfError) {
  bool reached = false;
  EXPECT_EQ(ReturnIfError(NotFound("R", "m"), &reached).code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(reached);
  EXPECT_TRUE(ReturnIfError(absl::OkStatus(), &reached).ok());
  EXPECT_TRUE(reached);
}

// SALESOPS_ASSIGN_OR_RETURN binds the value or returns the error unchanged.
TEST(StatusMacrosTest, AssignOrReturn) {
  EXPECT_EQ(*AssignOrReturn(41), 42);
  absl::StatusOr<int> err = AssignOrReturn(Aborted("ETAG_MISMATCH", "m"));
  EXPECT_EQ(err.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ErrorReason(err.status()), "ETAG_MISMATCH");
}

}  // namespace
}  // namespace salesops
