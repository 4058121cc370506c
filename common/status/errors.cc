#include "common/status/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/rpc/error_details.pb.h"

namespace salesops {
namespace {

void AttachErrorInfo(absl::Status& status, absl::string_view reason,
                     const absl::flat_hash_map<std::string, std::string>& metadata) {
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kErrorDomain));
  for (const auto& [k, v] : metadata) {
    (*info.mutable_metadata())[k] = v;
  }
  status.SetPayload(kErrorInfoPayload, absl::Cord(info.SerializeAsString()));
}

}  // namespace

absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view message,
                       const absl::flat_hash_map<std::string, std::string>& metadata) {
  absl::Status status(code, message);
  AttachErrorInfo(status, reason, metadata);
  return status;
}

absl::Status InvalidArgument(std::vector<FieldViolation> violations, absl::string_view reason) {
  std::string message;
  google::rpc::BadRequest bad_request;
  for (const auto& v : violations) {
    absl::StrAppend(&message, message.empty() ? "" : "; ", v.field, ": ", v.description);
    auto* fv = bad_request.add_field_violations();
    fv->set_field(v.field);
    fv->set_description(v.description);
  }
  absl::Status status(absl::StatusCode::kInvalidArgument, message);
  absl::flat_hash_map<std::string, std::string> metadata;
  if (!violations.empty()) {
    metadata["field"] = violations.front().field;
  }
  AttachErrorInfo(status, reason, metadata);
  status.SetPayload(kBadRequestPayload, absl::Cord(bad_request.SerializeAsString()));
  return status;
}

absl::Status InvalidField(absl::string_view field, absl::string_view description) {
  return InvalidArgument({{std::string(field), std::string(description)}});
}

absl::Status NotFound(absl::string_view reason, absl::string_view message) {
  return MakeError(absl::StatusCode::kNotFound, reason, message);
}
absl::Status AlreadyExists(absl::string_view reason, absl::string_view message,
                           absl::string_view existing_resource) {
  return MakeError(absl::StatusCode::kAlreadyExists, reason, message,
                   {{"existing_resource", std::string(existing_resource)}});
}
absl::Status FailedPrecondition(absl::string_view reason, absl::string_view message) {
  return MakeError(absl::StatusCode::kFailedPrecondition, reason, message);
}
absl::Status Aborted(absl::string_view reason, absl::string_view message) {
  return MakeError(absl::StatusCode::kAborted, reason, message);
}
absl::Status Unavailable(absl::string_view reason, absl::string_view message) {
  return MakeError(absl::StatusCode::kUnavailable, reason, message);
}
absl::Status PermissionDenied(absl::string_view reason, absl::string_view message) {
  return MakeError(absl::StatusCode::kPermissionDenied, reason, message);
}
absl::Status Unauthenticated(absl::string_view reason, absl::string_view message) {
  return MakeError(absl::StatusCode::kUnauthenticated, reason, message);
}
absl::Status Internal(absl::string_view reason, absl::string_view message) {
  return MakeError(absl::StatusCode::kInternal, reason, message);
}

std::string ErrorReason(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorInfoPayload);
  if (!payload) {
    return "";
  }
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload))) {
    return "";
  }
  return info.reason();
}

std::vector<FieldViolation> FieldViolations(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(kBadRequestPayload);
  if (!payload) {
    return out;
  }
  google::rpc::BadRequest bad_request;
  if (!bad_request.ParseFromString(std::string(*payload))) {
    return out;
  }
  for (const auto& fv : bad_request.field_violations()) {
    out.push_back({fv.field(), fv.description()});
  }
  return out;
}

absl::Status Violations::Finish(absl::string_view reason) const {
  if (list_.empty()) {
    return absl::OkStatus();
  }
  return InvalidArgument(list_, reason);
}

std::string QuoteUntrusted(absl::string_view raw, size_t max) {
  const bool cut = raw.size() > max;
  absl::string_view part = raw.substr(0, max);
  bool plain = true;
  for (char c : part) {
    const unsigned char u = static_cast<unsigned char>(c);
    plain = plain && u >= 0x20 && u < 0x7f;
  }
  return absl::StrCat("'", plain ? std::string(part) : absl::CHexEscape(part), "'",
                      cut ? "..." : "");
}

bool IsRetryable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded ||
         status.code() == absl::StatusCode::kResourceExhausted;
}

}  // namespace salesops
