#include "services/sync/notify/webhook_client.h"

#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace salesops::sync {
namespace {

constexpr size_t kMaxIdlePerOrigin = 8;

// "https://host:port/path?q" → ("https://host:port", "/path?q").
std::pair<std::string, std::string> SplitUrl(const std::string& url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return {"", ""};
  }
  const size_t path = url.find_first_of("/?", scheme_end + 3);
  if (path == std::string::npos) {
    return {url, "/"};
  }
  std::string rest = url.substr(path);
  if (rest[0] == '?') {
    rest = "/" + rest;
  }
  return {url.substr(0, path), rest};
}

std::string ErrorText(httplib::Error e) {
  switch (e) {
    case httplib::Error::Read:
      return "timeout or connection lost reading the answer";
    case httplib::Error::Write:
      return "connection lost sending the request";
    case httplib::Error::Connection:
      return "cannot connect";
    case httplib::Error::ConnectionTimeout:
      return "connect timeout";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLServerVerification:
      return "TLS server certificate not trusted";
    default:
      return absl::StrCat("HTTP client error ", httplib::to_string(e));
  }
}

}  // namespace

HttplibTransport::HttplibTransport(HttpOptions options) : options_(std::move(options)) {}
HttplibTransport::~HttplibTransport() = default;

std::unique_ptr<httplib::Client> HttplibTransport::Take(const std::string& origin) {
  {
    absl::MutexLock lock(&mu_);
    auto& pool = idle_[origin];
    if (!pool.empty()) {
      std::unique_ptr<httplib::Client> c = std::move(pool.back());
      pool.pop_back();
      return c;
    }
  }
  auto c = std::make_unique<httplib::Client>(origin);
  auto us = [](absl::Duration d) { return absl::ToInt64Microseconds(d); };
  c->set_tcp_nodelay(true);  // one small POST each: no Nagle delay
  c->set_connection_timeout(us(options_.connect_timeout) / 1000000,
                            us(options_.connect_timeout) % 1000000);
  c->set_read_timeout(us(options_.read_timeout) / 1000000, us(options_.read_timeout) % 1000000);
  c->set_write_timeout(us(options_.write_timeout) / 1000000, us(options_.write_timeout) % 1000000);
  c->set_keep_alive(true);
  if (absl::StartsWith(origin, "https://")) {
    c->enable_server_certificate_verification(true);
    c->set_ca_cert_path(options_.ca_file.empty() ? "/etc/ssl/certs/ca-certificates.crt"
                                                 : options_.ca_file);
  }
  return c;
}

void HttplibTransport::Give(const std::string& origin, std::unique_ptr<httplib::Client> client) {
  absl::MutexLock lock(&mu_);
  auto& pool = idle_[origin];
  if (pool.size() < kMaxIdlePerOrigin) {
    pool.push_back(std::move(client));
  }
}

HttpResult HttplibTransport::Post(const std::string& url, const std::string& json_body) {
  HttpResult out;
  auto [origin, path] = SplitUrl(url);
  if (origin.empty()) {
    out.error = "malformed webhook URL";
    return out;
  }
  std::unique_ptr<httplib::Client> client = Take(origin);
  httplib::Result r = client->Post(path, json_body, "application/json; charset=utf-8");
  if (!r) {
    out.error = ErrorText(r.error());
    return out;  // a failed connection is not reused
  }
  out.status = r->status;
  out.body = r->body.substr(0, 4096);
  Give(origin, std::move(client));
  return out;
}

}  // namespace salesops::sync
