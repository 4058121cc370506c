#include "services/gateway/connect/grpc_backends.h"

#include "absl/time/clock.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/impl/rpc_method.h"
#include "grpcpp/support/byte_buffer.h"

namespace salesops::gateway {

GrpcBackends::GrpcBackends(const std::map<std::string, std::string>& addrs,
                           std::shared_ptr<grpc::ChannelCredentials> credentials,
                           int channels_per_backend) {
  for (const auto& [family, addr] : addrs) {
    if (addr.empty()) {
      continue;
    }
    auto backend = std::make_unique<Backend>();
    for (int i = 0; i < std::max(1, channels_per_backend); ++i) {
      grpc::ChannelArguments args;
      args.SetInt("salesops.gateway.channel", i);  // distinct args ⇒ distinct connections
      // A restarted service is found again within a second or two, not after
      // gRPC's default backoff of up to two minutes.
      args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
      args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
      args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
      args.SetMaxReceiveMessageSize(16 * 1024 * 1024);
      backend->channels.push_back(grpc::CreateCustomChannel(addr, credentials, args));
    }
    backends_.emplace(family, std::move(backend));
  }
}

bool GrpcBackends::Serves(absl::string_view family) const {
  return backends_.find(family) != backends_.end();
}

BackendResult GrpcBackends::Call(const BackendCall& call) {
  BackendResult out;
  auto it = backends_.find(call.method->family);
  if (it == backends_.end()) {
    out.status = grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no backend");
    return out;
  }
  Backend& b = *it->second;
  const std::shared_ptr<grpc::Channel>& channel =
      b.channels[b.next.fetch_add(1, std::memory_order_relaxed) % b.channels.size()];
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(call.deadline));
  for (const auto& [k, v] : call.metadata) {
    ctx.AddMetadata(k, v);
  }
  grpc::Slice slice(call.request);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  // The blocking call the generated sync stubs make, with raw bytes: the
  // calling (HTTP worker) thread drives it, no hand-off to another thread.
  out.status = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel.get(),
      grpc::internal::RpcMethod(call.method->path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC),
      &ctx, request, &response);
  if (out.status.ok()) {
    std::vector<grpc::Slice> slices;
    if (response.Dump(&slices).ok()) {
      size_t size = 0;
      for (const grpc::Slice& s : slices) {
        size += s.size();
      }
      out.response.reserve(size);
      for (const grpc::Slice& s : slices) {
        out.response.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
  }
  const auto& trailers = ctx.GetServerTrailingMetadata();
  if (auto t = trailers.find("x-trace-id"); t != trailers.end()) {
    out.trace_id.assign(t->second.data(), t->second.size());
  }
  return out;
}

}  // namespace salesops::gateway
