#include "services/gateway/connect/transcoder.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids/ids.h"
#include "common/status/errors.h"
#include "google/protobuf/util/json_util.h"
#include "services/gateway/connect/connect_protocol.h"

namespace salesops::gateway {
namespace {

bool IsTraceId(absl::string_view s) {
  if (s.size() != 32) {
    return false;
  }
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

bool IsBlank(absl::string_view s) { return absl::StripAsciiWhitespace(s).empty(); }

}  // namespace

ConnectReply ConnectTranscoder::Error(grpc::StatusCode code, absl::string_view message,
                                      absl::string_view status_details) {
  ConnectReply r;
  r.code = code;
  r.http_status = HttpStatusForCode(code);
  r.content_type = "application/json";
  r.body = ConnectErrorJson(code, message, status_details);
  return r;
}

ConnectReply ConnectTranscoder::Handle(const ConnectRequest& request) const {
  const MethodInfo* method = registry_.Find(request.path);
  if (method == nullptr) {
    // Not a route at all (HTTP 404); the body still says what a Connect client expects.
    ConnectReply r = Error(grpc::StatusCode::UNIMPLEMENTED,
                           absl::StrCat("no RPC ", QuoteUntrusted(request.path, 200),
                                        "; paths are /<package>.<Service>/<Method>"));
    r.http_status = 404;
    return r;
  }
  auto fail = [&](ConnectReply r) {
    r.method = method;
    return r;
  };
  if (request.http_method != "POST") {
    ConnectReply r =
        Error(grpc::StatusCode::UNIMPLEMENTED, "Connect unary calls are POST requests");
    r.http_status = 405;
    r.headers.emplace_back("Allow", "POST");
    return fail(std::move(r));
  }
  if (method->streaming) {
    return fail(Error(grpc::StatusCode::UNIMPLEMENTED,
                      "streaming RPCs are not served over HTTP; use gRPC"));
  }
  if (!backend_.Serves(method->family)) {
    return fail(Error(grpc::StatusCode::UNIMPLEMENTED,
                      absl::StrCat("this gateway does not route ", method->service, " (no --",
                                   method->family, "_addr)")));
  }
  if (!request.protocol_version.empty() && request.protocol_version != "1") {
    return fail(Error(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat("Connect-Protocol-Version must be 1, got ",
                                   QuoteUntrusted(request.protocol_version, 16))));
  }
  const std::optional<Codec> codec = CodecOf(request.content_type);
  if (!codec.has_value()) {
    ConnectReply r = Error(grpc::StatusCode::INVALID_ARGUMENT,
                           absl::StrCat("Content-Type ", QuoteUntrusted(request.content_type, 64),
                                        " is not application/json or application/proto"));
    r.http_status = 415;
    r.headers.emplace_back("Accept-Post", "application/json, application/proto");
    return fail(std::move(r));
  }
  absl::StatusOr<std::optional<absl::Duration>> timeout = ParseTimeoutMs(request.timeout_ms);
  if (!timeout.ok()) {
    return fail(Error(grpc::StatusCode::INVALID_ARGUMENT, timeout.status().message()));
  }
  absl::Duration budget = options_.max_deadline;
  if (timeout->has_value()) {
    budget = std::min(budget, **timeout);
  }

  BackendCall call;
  call.method = method;
  call.deadline = absl::Now() + budget;
  if (*codec == Codec::kJson) {
    std::unique_ptr<google::protobuf::Message> m(method->input_prototype->New());
    if (!IsBlank(request.body)) {
      google::protobuf::util::JsonParseOptions opts;
      // As connect-go does: fields this gateway's protos do not know yet are
      // dropped, so a newer client still works with an older gateway.
      opts.ignore_unknown_fields = true;
      if (auto s = google::protobuf::util::JsonStringToMessage(request.body, m.get(), opts);
          !s.ok()) {
        return fail(Error(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("the body is not a ", method->input->full_name(),
                         " in JSON: ", absl::string_view(s.message().data(), s.message().size()))));
      }
    }
    call.request = m->SerializeAsString();
  } else {
    // Checked here so a malformed body is the caller's INVALID_ARGUMENT, not
    // the service's INTERNAL; passed on as it came.
    std::unique_ptr<google::protobuf::Message> m(method->input_prototype->New());
    if (!m->ParseFromString(request.body)) {
      return fail(Error(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("the body is not a binary ", method->input->full_name())));
    }
    call.request = request.body;
  }
  const std::string trace_id = IsTraceId(request.trace_id) ? request.trace_id : NewTraceId();
  if (!request.authorization.empty()) {
    call.metadata.emplace_back("authorization", request.authorization);
  }
  call.metadata.emplace_back("x-trace-id", trace_id);
  if (!request.traceparent.empty()) {
    call.metadata.emplace_back("traceparent", request.traceparent);
  }

  BackendResult result = backend_.Call(call);
  ConnectReply r;
  if (!result.status.ok()) {
    r = Error(result.status.error_code(), result.status.error_message(),
              result.status.error_details());
  } else if (*codec == Codec::kProto) {
    r.content_type = std::string(ContentTypeOf(Codec::kProto));
    r.body = std::move(result.response);
  } else {
    std::unique_ptr<google::protobuf::Message> m(method->output_prototype->New());
    google::protobuf::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = false;  // lowerCamel, as Connect clients expect
    if (!m->ParseFromString(result.response)) {
      r = Error(grpc::StatusCode::INTERNAL,
                absl::StrCat("the service's reply is not a ", method->output->full_name(),
                             "; quote trace id ", trace_id));
    } else if (auto s = google::protobuf::util::MessageToJsonString(*m, &r.body, opts); !s.ok()) {
      r = Error(grpc::StatusCode::INTERNAL,
                absl::StrCat("the reply has no JSON form; quote trace id ", trace_id));
    } else {
      r.content_type = std::string(ContentTypeOf(Codec::kJson));
    }
  }
  r.method = method;
  r.headers.emplace_back("X-Trace-Id", result.trace_id.empty() ? trace_id : result.trace_id);
  return r;
}

}  // namespace salesops::gateway
