// The UnaryBackend that calls the SalesOps services over gRPC (TLS/mTLS with
// common/server/client_credentials), by family, with the method's raw bytes:
// grpc::GenericStub-style calls on a few channels per service (distinct
// channel arguments, so distinct HTTP/2 connections: one connection's
// stream handling does not cap the gateway's throughput).
//
//   GrpcBackends backends({{"org", "127.0.0.1:7101"}, {"customers", "127.0.0.1:7103"}},
//                         *MakeChannelCredentials(ClientTlsOptionsFromFlags()), 2);
//   BackendResult r = backends.Call(call);   // blocking, bounded by call.deadline
//
// Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "services/gateway/connect/transcoder.h"

namespace salesops::gateway {

class GrpcBackends final : public UnaryBackend {
 public:
  // `addrs`: family → host:port; empty addresses are left out.
  GrpcBackends(const std::map<std::string, std::string>& addrs,
               std::shared_ptr<grpc::ChannelCredentials> credentials, int channels_per_backend);

  bool Serves(absl::string_view family) const override;
  BackendResult Call(const BackendCall& call) override;

 private:
  struct Backend {
    std::vector<std::shared_ptr<grpc::Channel>> channels;
    std::atomic<uint64_t> next{0};
  };
  std::map<std::string, std::unique_ptr<Backend>, std::less<>> backends_;
};

}  // namespace salesops::gateway
