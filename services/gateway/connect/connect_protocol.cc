#include "services/gateway/connect/connect_protocol.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/status.pb.h"
#include "nlohmann/json.hpp"

namespace salesops::gateway {

std::optional<Codec> CodecOf(absl::string_view content_type) {
  std::string ct = absl::AsciiStrToLower(absl::StripAsciiWhitespace(content_type));
  absl::string_view rest = ct;
  if (absl::ConsumePrefix(&rest, "application/proto")) {
    return rest.empty() ? std::optional<Codec>(Codec::kProto) : std::nullopt;
  }
  if (!absl::ConsumePrefix(&rest, "application/json")) {
    return std::nullopt;
  }
  if (rest.empty()) {
    return Codec::kJson;
  }
  // Only the charset parameter, and only UTF-8 (JSON is UTF-8 by definition).
  absl::ConsumePrefix(&rest, ";");
  rest = absl::StripAsciiWhitespace(rest);
  if (rest == "charset=utf-8" || rest == "charset=utf8" || rest == "charset=\"utf-8\"") {
    return Codec::kJson;
  }
  return std::nullopt;
}

absl::string_view ContentTypeOf(Codec codec) {
  return codec == Codec::kJson ? "application/json" : "application/proto";
}

absl::StatusOr<std::optional<absl::Duration>> ParseTimeoutMs(absl::string_view header) {
  header = absl::StripAsciiWhitespace(header);
  if (header.empty()) {
    return std::optional<absl::Duration>();
  }
  int64_t ms = 0;
  bool digits = header.size() <= 10;
  for (char c : header) {
    digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
  }
  if (!digits || !absl::SimpleAtoi(header, &ms)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Connect-Timeout-Ms must be 1 to 10 digits, got '",
                     absl::CHexEscape(header.substr(0, 16)), "'"));
  }
  return std::optional<absl::Duration>(absl::Milliseconds(ms));
}

absl::string_view ConnectCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "ok";
    case grpc::StatusCode::CANCELLED:
      return "canceled";
    case grpc::StatusCode::UNKNOWN:
      return "unknown";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "invalid_argument";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "deadline_exceeded";
    case grpc::StatusCode::NOT_FOUND:
      return "not_found";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "already_exists";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "permission_denied";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "resource_exhausted";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "failed_precondition";
    case grpc::StatusCode::ABORTED:
      return "aborted";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "out_of_range";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "unimplemented";
    case grpc::StatusCode::INTERNAL:
      return "internal";
    case grpc::StatusCode::UNAVAILABLE:
      return "unavailable";
    case grpc::StatusCode::DATA_LOSS:
      return "data_loss";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "unauthenticated";
    default:
      return "unknown";
  }
}

int HttpStatusForCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    default:
      return 500;  // unknown, internal, data_loss
  }
}

std::string Base64Unpadded(absl::string_view bytes) {
  std::string out;
  absl::Base64Escape(bytes, &out);
  while (!out.empty() && out.back() == '=') {
    out.pop_back();
  }
  return out;
}

namespace {

// The detail decoded through the descriptors linked into this binary, as a
// JSON object; null when its type is not known here or does not parse.
nlohmann::json DebugJson(absl::string_view type, const std::string& value) {
  const google::protobuf::Descriptor* d =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(std::string(type));
  if (d == nullptr) {
    return nullptr;
  }
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(d);
  if (prototype == nullptr) {
    return nullptr;
  }
  std::unique_ptr<google::protobuf::Message> m(prototype->New());
  if (!m->ParseFromString(value)) {
    return nullptr;
  }
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(*m, &json).ok()) {
    return nullptr;
  }
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? nlohmann::json(nullptr) : parsed;
}

}  // namespace

std::string ConnectErrorJson(grpc::StatusCode code, absl::string_view message,
                             absl::string_view status_details) {
  nlohmann::json body = {{"code", std::string(ConnectCodeName(code))}};
  if (!message.empty()) {
    body["message"] = std::string(message);
  }
  google::rpc::Status rpc;
  if (!status_details.empty() &&
      rpc.ParseFromArray(status_details.data(), static_cast<int>(status_details.size()))) {
    nlohmann::json details = nlohmann::json::array();
    for (const auto& any : rpc.details()) {
      // Connect names the type without Any's "type.googleapis.com/" prefix.
      absl::string_view type = any.type_url();
      if (size_t slash = type.rfind('/'); slash != absl::string_view::npos) {
        type = type.substr(slash + 1);
      }
      nlohmann::json d = {{"type", std::string(type)}, {"value", Base64Unpadded(any.value())}};
      if (nlohmann::json debug = DebugJson(type, any.value()); !debug.is_null()) {
        d["debug"] = std::move(debug);
      }
      details.push_back(std::move(d));
    }
    if (!details.empty()) {
      body["details"] = std::move(details);
    }
  }
  // Error messages may quote untrusted bytes; never fail on invalid UTF-8.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace salesops::gateway
