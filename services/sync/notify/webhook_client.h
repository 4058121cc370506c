// Posting a message to a group robot's webhook: the HTTP client is an
// interface (WebhookTransport) so the dispatcher can be tested with a fake;
// HttplibTransport is the real one — cpp-httplib with OpenSSL for https
// (server certificates verified against the system CAs, or --sync_webhook_ca_file),
// connection, read and write time-outs, kept-alive connections per origin.
//
//   HttplibTransport http({.connect_timeout = absl::Seconds(3), .read_timeout = absl::Seconds(5)});
//   HttpResult r = http.Post(request.url, request.body);
//   // r.status == 0 → r.error says why ("timeout", "connection refused", …)
//
// Thread-safe. The URL is never logged or put in an error (it carries the token).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace httplib {
class Client;
}

namespace salesops::sync {

struct HttpResult {
  int status = 0;  // 0: no HTTP answer
  std::string body;
  std::string error;  // when status == 0
};

class WebhookTransport {
 public:
  virtual ~WebhookTransport() = default;
  virtual HttpResult Post(const std::string& url, const std::string& json_body) = 0;
};

struct HttpOptions {
  absl::Duration connect_timeout = absl::Seconds(3);
  absl::Duration read_timeout = absl::Seconds(5);
  absl::Duration write_timeout = absl::Seconds(5);
  // PEM bundle to verify https servers with; "" = the system's.
  std::string ca_file;
};

class HttplibTransport final : public WebhookTransport {
 public:
  explicit HttplibTransport(HttpOptions options);
  ~HttplibTransport() override;
  HttpResult Post(const std::string& url, const std::string& json_body) override;

 private:
  std::unique_ptr<httplib::Client> Take(const std::string& origin);
  void Give(const std::string& origin, std::unique_ptr<httplib::Client> client);

  HttpOptions options_;
  absl::Mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<httplib::Client>>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops::sync
