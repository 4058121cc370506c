#include "common/server/health_check.h"

#include <future>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "grpcpp/generic/generic_stub.h"

namespace salesops {

absl::StatusOr<bool> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                 const std::string& service, absl::Duration timeout) {
  if (service.size() > 127) {
    return absl::InvalidArgumentError("service: too long");
  }
  const std::string request = "\x0a" + std::string(1, static_cast<char>(service.size())) + service;
  grpc::Slice slice(request.data(), request.size());
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request_buffer,
                 &response_buffer, [&done](grpc::Status s) { done.set_value(std::move(s)); });
  const grpc::Status s = done.get_future().get();
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }
  std::vector<grpc::Slice> slices;
  (void)response_buffer.Dump(&slices);
  std::string response;
  for (const auto& sl : slices) {
    response.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  }
  return response == std::string("\x08\x01", 2);
}

}  // namespace salesops
