#include "common/redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <openssl/sha.h>
#include <sys/time.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"

namespace salesops {
namespace {

RedisValue Convert(const redisReply* r) {
  RedisValue v;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      v.type = RedisValue::Type::kInteger;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      v.type = RedisValue::Type::kString;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      v.type = RedisValue::Type::kStatus;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      v.type = RedisValue::Type::kError;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      v.type = RedisValue::Type::kArray;
      v.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) {
        v.elements.push_back(Convert(r->element[i]));
      }
      break;
    default:
      v.type = RedisValue::Type::kNil;
  }
  return v;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

}  // namespace

LuaScript::LuaScript(std::string source) : source_(std::move(source)) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(source_.data()), source_.size(), digest);
  for (unsigned char c : digest) {
    absl::StrAppendFormat(&sha1_, "%02x", c);
  }
}

RedisConnection::RedisConnection(const RedisOptions& options, absl::Duration command_timeout)
    : options_(options), command_timeout_(command_timeout) {}

RedisConnection::~RedisConnection() { Drop(); }

void RedisConnection::Drop() {
  if (ctx_ != nullptr) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
}

absl::Status RedisConnection::EnsureConnected() {
  if (ctx_ != nullptr) {
    return absl::OkStatus();
  }
  timeval tv = absl::ToTimeval(options_.connect_timeout);
  redisContext* c = redisConnectWithTimeout(options_.host.c_str(), options_.port, tv);
  if (c == nullptr || c->err) {
    std::string why = c ? c->errstr : "out of memory";
    if (c) {
      redisFree(c);
    }
    return Unavailable(reason::kRedisUnavailable,
                       absl::StrCat("redis ", options_.host, ":", options_.port, ": ", why));
  }
  timeval ctv = absl::ToTimeval(command_timeout_);
  if (redisSetTimeout(c, ctv) != REDIS_OK) {
    redisFree(c);
    return Unavailable(reason::kRedisUnavailable, "redis: cannot set timeout");
  }
  if (!options_.user.empty() || !options_.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!options_.user.empty()) {
      auth.push_back(options_.user);
    }
    auth.push_back(options_.password);
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : auth) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    ReplyPtr reply(static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
    if (reply == nullptr) {
      std::string why = c->errstr;
      redisFree(c);
      return Unavailable(reason::kRedisUnavailable, absl::StrCat("redis ", options_.host, ":",
                                                                 options_.port, ": AUTH: ", why));
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      // Never echo the password; the user name and Redis' reason are enough.
      std::string why(reply->str, reply->len);
      redisFree(c);
      return Unavailable(
          reason::kRedisAuthFailed,
          absl::StrCat("redis ", options_.host, ":", options_.port, " refused user '",
                       options_.user.empty() ? "default" : options_.user, "': ", why));
    }
  }
  ctx_ = c;
  return absl::OkStatus();
}

absl::StatusOr<RedisValue> RedisConnection::Command(const std::vector<std::string>& argv) {
  auto values = Pipeline({argv});
  if (!values.ok()) {
    return values.status();
  }
  RedisValue v = std::move(values->front());
  if (v.type == RedisValue::Type::kError) {
    return RedisErrorStatus(v.str);
  }
  return v;
}

absl::StatusOr<std::vector<RedisValue>> RedisConnection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (absl::Status s = EnsureConnected(); !s.ok()) {
    return s;
  }
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& cmd : commands) {
    argv.clear();
    lens.clear();
    for (const auto& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
      std::string why = ctx_->errstr;
      Drop();
      return Unavailable(reason::kRedisUnavailable, absl::StrCat("redis append: ", why));
    }
  }
  // Send everything first: a failure here means nothing reached Redis.
  for (int done = 0; !done;) {
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) {
      std::string why = ctx_->errstr;
      Drop();
      return Unavailable(reason::kRedisUnavailable, absl::StrCat("redis write: ", why));
    }
  }
  std::vector<RedisValue> out;
  out.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      std::string why = ctx_->errstr;
      Drop();
      return MakeError(absl::StatusCode::kDeadlineExceeded, "REDIS_OUTCOME_UNKNOWN",
                       absl::StrCat("redis: no reply (", why, "); the command may have run"));
    }
    ReplyPtr reply(static_cast<redisReply*>(raw));
    out.push_back(Convert(reply.get()));
  }
  return out;
}

absl::StatusOr<RedisValue> RedisConnection::Eval(const LuaScript& script,
                                                 const std::vector<std::string>& keys,
                                                 const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1());
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = Pipeline({argv});
  if (!r.ok()) {
    return r.status();
  }
  RedisValue v = std::move(r->front());
  if (v.type == RedisValue::Type::kError && absl::StartsWith(v.str, "NOSCRIPT")) {
    // Not loaded (first use, SCRIPT FLUSH or a restarted server): EVAL loads it.
    argv[0] = "EVAL";
    argv[1] = script.source();
    r = Pipeline({argv});
    if (!r.ok()) {
      return r.status();
    }
    v = std::move(r->front());
  }
  if (v.type == RedisValue::Type::kError) {
    return RedisErrorStatus(v.str);
  }
  return v;
}

RedisClient::RedisClient(RedisOptions options) : options_(std::move(options)) {}
RedisClient::~RedisClient() = default;

std::unique_ptr<RedisConnection> RedisClient::Acquire(absl::Status* status) {
  absl::MutexLock lock(&mu_);
  auto available = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return !idle_.empty() || open_ < options_.pool_size;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&available), options_.acquire_timeout)) {
    *status = Unavailable("REDIS_POOL_EXHAUSTED",
                          absl::StrCat("no free redis connection within ",
                                       absl::FormatDuration(options_.acquire_timeout)));
    return nullptr;
  }
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return conn;
  }
  ++open_;
  return std::make_unique<RedisConnection>(options_, options_.command_timeout);
}

void RedisClient::Release(std::unique_ptr<RedisConnection> conn) {
  absl::MutexLock lock(&mu_);
  if (conn->healthy()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;  // dropped after an error; a fresh one is made on demand
  }
}

absl::StatusOr<RedisValue> RedisClient::Command(const std::vector<std::string>& argv) {
  absl::Status st;
  auto conn = Acquire(&st);
  if (!conn) {
    return st;
  }
  auto r = conn->Command(argv);
  Release(std::move(conn));
  return r;
}

absl::StatusOr<std::vector<RedisValue>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  absl::Status st;
  auto conn = Acquire(&st);
  if (!conn) {
    return st;
  }
  auto r = conn->Pipeline(commands);
  Release(std::move(conn));
  return r;
}

absl::StatusOr<RedisValue> RedisClient::Eval(const LuaScript& script,
                                             const std::vector<std::string>& keys,
                                             const std::vector<std::string>& args) {
  absl::Status st;
  auto conn = Acquire(&st);
  if (!conn) {
    return st;
  }
  auto r = conn->Eval(script, keys, args);
  Release(std::move(conn));
  return r;
}

std::unique_ptr<RedisConnection> RedisClient::NewDedicatedConnection(
    absl::Duration command_timeout) const {
  return std::make_unique<RedisConnection>(options_, command_timeout);
}

absl::Status RedisErrorStatus(const std::string& reply) {
  if (absl::StartsWith(reply, "NOAUTH") || absl::StartsWith(reply, "WRONGPASS")) {
    return Unavailable(reason::kRedisAuthFailed, reply);
  }
  if (absl::StartsWith(reply, "NOPERM") ||
      absl::StrContains(reply, "can't access at least one of the keys")) {
    return Internal("REDIS_NOPERM", reply);
  }
  for (const char* transient : {"LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "READONLY", "OOM",
                                "NOREPLICAS", "CLUSTERDOWN"}) {
    if (absl::StartsWith(reply, transient)) {
      return Unavailable(reason::kRedisUnavailable, reply);
    }
  }
  return Internal("REDIS_ERROR", reply);
}

absl::StatusOr<long long> AsInteger(const RedisValue& v) {
  if (v.type == RedisValue::Type::kInteger) {
    return v.integer;
  }
  return Internal("REDIS_UNEXPECTED_REPLY", "expected an integer reply");
}

std::vector<std::pair<std::string, std::string>> AsPairs(const RedisValue& v) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i + 1 < v.elements.size(); i += 2) {
    out.emplace_back(v.elements[i].str, v.elements[i + 1].str);
  }
  return out;
}

absl::Status RedisClient::Ping() { return Command({"PING"}).status(); }

}  // namespace salesops
