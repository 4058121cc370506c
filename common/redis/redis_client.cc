#include "common/redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <openssl/sha.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"

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

int RedisConnection::socket_fd() const { return ctx_ == nullptr ? -1 : ctx_->fd; }

RedisValue RedisValueFromReply(const redisReply* reply) { return Convert(reply); }

namespace {

size_t Digits(uint64_t n) {
  size_t d = 1;
  for (; n >= 10; n /= 10) {
    ++d;
  }
  return d;
}

// "<tag><n>\r\n" at p; returns the end.
char* WriteLine(char* p, char tag, uint64_t n) {
  *p++ = tag;
  char* end = p + Digits(n);
  char* q = end;
  do {
    *--q = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  end[0] = '\r';
  end[1] = '\n';
  return end + 2;
}

size_t BulkSize(std::string_view s) { return 1 + Digits(s.size()) + 2 + s.size() + 2; }

char* WriteBulk(char* p, std::string_view s) {
  p = WriteLine(p, '$', s.size());
  if (!s.empty()) {
    std::memcpy(p, s.data(), s.size());
  }
  p += s.size();
  p[0] = '\r';
  p[1] = '\n';
  return p + 2;
}

}  // namespace

void AppendArrayHeader(std::string* out, size_t n) {
  const size_t at = out->size();
  out->resize(at + 1 + Digits(n) + 2);
  WriteLine(out->data() + at, '*', n);
}

void AppendBulk(std::string* out, std::string_view s) {
  const size_t at = out->size();
  out->resize(at + BulkSize(s));  // grown once
  WriteBulk(out->data() + at, s);
}

void AppendCommand(std::string* out,
                   std::initializer_list<absl::Span<const std::string_view>> args) {
  size_t argc = 0, size = 0;
  for (absl::Span<const std::string_view> part : args) {
    argc += part.size();
    for (std::string_view a : part) {
      size += BulkSize(a);
    }
  }
  const size_t at = out->size();
  out->resize(at + 1 + Digits(argc) + 2 + size);  // grown once, then written
  char* p = WriteLine(out->data() + at, '*', argc);
  for (absl::Span<const std::string_view> part : args) {
    for (std::string_view a : part) {
      p = WriteBulk(p, a);
    }
  }
}

std::string EncodeCommands(const std::vector<std::vector<std::string>>& commands) {
  size_t size = 0;
  for (const auto& cmd : commands) {
    size += 16;
    for (const auto& a : cmd) {
      size += a.size() + 16;
    }
  }
  std::string bytes;
  bytes.reserve(size);
  for (const auto& cmd : commands) {
    AppendArrayHeader(&bytes, cmd.size());
    for (const auto& a : cmd) {
      AppendBulk(&bytes, a);
    }
  }
  return bytes;
}

void RedisConnection::Drop() {
  if (ctx_ != nullptr) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  unanswered_ = 0;
}

bool RedisConnection::ClosedWhileIdle() const {
  char byte;
  ssize_t n = ::recv(ctx_->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

namespace {

// One command on a raw context (connection set-up only); nullptr on I/O error.
ReplyPtr RunRaw(redisContext* c, const std::vector<std::string>& cmd) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : cmd) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return ReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
}

// Connects to host:port with the timeouts and authenticates (no AUTH when
// user and password are both empty).
absl::Status Open(const std::string& host, int port, const std::string& user,
                  const std::string& password, absl::Duration connect_timeout,
                  absl::Duration command_timeout, redisContext** out) {
  timeval tv = absl::ToTimeval(connect_timeout);
  redisContext* c = redisConnectWithTimeout(host.c_str(), port, tv);
  if (c == nullptr || c->err) {
    std::string why = c ? c->errstr : "out of memory";
    if (c) {
      redisFree(c);
    }
    return Unavailable(reason::kRedisUnavailable,
                       absl::StrCat("redis ", host, ":", port, ": ", why));
  }
  timeval ctv = absl::ToTimeval(command_timeout);
  if (redisSetTimeout(c, ctv) != REDIS_OK) {
    redisFree(c);
    return Unavailable(reason::kRedisUnavailable, "redis: cannot set timeout");
  }
  if (!user.empty() || !password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!user.empty()) {
      auth.push_back(user);
    }
    auth.push_back(password);
    ReplyPtr reply = RunRaw(c, auth);
    if (reply == nullptr) {
      std::string why = c->errstr;
      redisFree(c);
      return Unavailable(reason::kRedisUnavailable,
                         absl::StrCat("redis ", host, ":", port, ": AUTH: ", why));
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      // Never echo the password; the user name and Redis' reason are enough.
      std::string why(reply->str, reply->len);
      redisFree(c);
      return Unavailable(reason::kRedisAuthFailed,
                         absl::StrCat("redis ", host, ":", port, " refused user '",
                                      user.empty() ? "default" : user, "': ", why));
    }
  }
  *out = c;
  return absl::OkStatus();
}

}  // namespace

absl::Status RedisConnection::ResolvePrimary(std::string* host, int* port) {
  std::string errors;
  for (const std::string& sentinel : options_.sentinels) {
    const size_t colon = sentinel.rfind(':');
    int sport = 0;
    if (colon == std::string::npos || !absl::SimpleAtoi(sentinel.substr(colon + 1), &sport)) {
      absl::StrAppend(&errors, " ", sentinel, ": not host:port;");
      continue;
    }
    redisContext* c = nullptr;
    absl::Status s = Open(sentinel.substr(0, colon), sport, "", options_.sentinel_password,
                          options_.connect_timeout, options_.connect_timeout, &c);
    if (!s.ok()) {
      absl::StrAppend(&errors, " ", s.message(), ";");
      continue;
    }
    ReplyPtr r = RunRaw(c, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", options_.master_name});
    redisFree(c);
    if (r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        absl::SimpleAtoi(absl::string_view(r->element[1]->str, r->element[1]->len), port)) {
      host->assign(r->element[0]->str, r->element[0]->len);
      return absl::OkStatus();
    }
    absl::StrAppend(&errors, " ", sentinel, ": does not know '", options_.master_name, "';");
  }
  return Unavailable(reason::kRedisUnavailable,
                     absl::StrCat("no sentinel named the redis primary:", errors));
}

absl::Status RedisConnection::EnsureConnected() {
  if (ctx_ != nullptr) {
    return absl::OkStatus();
  }
  std::string host = options_.host;
  int port = options_.port;
  if (!options_.sentinels.empty()) {
    if (absl::Status s = ResolvePrimary(&host, &port); !s.ok()) {
      return s;
    }
  }
  redisContext* c = nullptr;
  if (absl::Status s = Open(host, port, options_.user, options_.password, options_.connect_timeout,
                            command_timeout_, &c);
      !s.ok()) {
    return s;
  }
  if (!options_.sentinels.empty()) {
    // The sentinels may still name a primary that was just demoted (or not
    // yet name the new one): write only to a server that says it is primary.
    ReplyPtr role = RunRaw(c, {"ROLE"});
    if (role == nullptr || role->type != REDIS_REPLY_ARRAY || role->elements == 0 ||
        absl::string_view(role->element[0]->str, role->element[0]->len) != "master") {
      redisFree(c);
      return Unavailable(
          reason::kRedisUnavailable,
          absl::StrCat("redis ", host, ":", port, " is not the primary (failover in progress)"));
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
  SALESOPS_RETURN_IF_ERROR(Send(commands));
  return Receive(commands.size());
}

absl::Status RedisConnection::Send(const std::vector<std::vector<std::string>>& commands) {
  return SendEncoded(EncodeCommands(commands), commands.size());
}

absl::Status RedisConnection::SendEncoded(std::string_view bytes, size_t commands) {
  if (ctx_ != nullptr && unanswered_ == 0 && ClosedWhileIdle()) {
    Drop();  // nothing of ours was on it: reopened below, as for a first use
  }
  if (absl::Status s = EnsureConnected(); !s.ok()) {
    return s;
  }
  if (redisAppendFormattedCommand(ctx_, bytes.data(), bytes.size()) != REDIS_OK) {
    std::string why = ctx_->errstr;
    Drop();
    return Unavailable(reason::kRedisUnavailable, absl::StrCat("redis append: ", why));
  }
  for (int done = 0; !done;) {
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) {
      std::string why = ctx_->errstr;
      Drop();
      return Unavailable(reason::kRedisUnavailable, absl::StrCat("redis write: ", why));
    }
  }
  unanswered_ += commands;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RedisValue>> RedisConnection::Receive(size_t n) {
  std::vector<RedisValue> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    void* raw = nullptr;
    if (ctx_ == nullptr || redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      std::string why = ctx_ == nullptr ? "connection closed" : ctx_->errstr;
      Drop();
      return MakeError(absl::StatusCode::kDeadlineExceeded, "REDIS_OUTCOME_UNKNOWN",
                       absl::StrCat("redis: no reply (", why, "); the command may have run"));
    }
    ReplyPtr reply(static_cast<redisReply*>(raw));
    out.push_back(Convert(reply.get()));
    if (unanswered_ > 0) {
      --unanswered_;
    }
  }
  for (const RedisValue& v : out) {
    if (v.type == RedisValue::Type::kError && absl::StartsWith(v.str, "READONLY")) {
      // A demoted primary (failover): the next connection finds the new one.
      Drop();
      break;
    }
  }
  return out;
}

namespace {

// WAIT's reply: OK when at least `wait_replicas` acknowledged the writes before it.
absl::Status Replicated(const RedisOptions& options, const RedisValue& acked) {
  if (acked.type == RedisValue::Type::kInteger && acked.integer >= options.wait_replicas) {
    return absl::OkStatus();
  }
  return Unavailable(
      "REDIS_NOT_REPLICATED",
      absl::StrCat(
          "the write reached the redis primary but ",
          acked.type == RedisValue::Type::kInteger ? std::to_string(acked.integer) : acked.str,
          " of ", options.wait_replicas, " replicas within ",
          absl::FormatDuration(options.wait_timeout),
          "; it may not survive a failover (retry with the same request id)"));
}

// A write every replica must receive (SET always propagates), so WAIT after it
// covers every write before it on any connection.
std::vector<std::string> BarrierCommand(std::string_view key) {
  return {"SET", ReplicationBarrierKey(key), "1"};
}

std::vector<std::string> WaitCommand(const RedisOptions& options) {
  return {"WAIT", std::to_string(options.wait_replicas),
          std::to_string(absl::ToInt64Milliseconds(options.wait_timeout))};
}

}  // namespace

absl::StatusOr<RedisValue> RedisConnection::Eval(const LuaScript& script,
                                                 const std::vector<std::string>& keys,
                                                 const std::vector<std::string>& args) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(3);  // `argv` below must stay valid when the barrier and WAIT are added
  std::vector<std::string>& argv = commands.emplace_back();
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1());
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  if (options_.wait_replicas > 0) {
    // Same round trip: the barrier and WAIT run right after the script, on
    // this connection (the barrier also covers a script that wrote nothing).
    if (!keys.empty()) {
      commands.push_back(BarrierCommand(keys.front()));
    }
    commands.push_back(WaitCommand(options_));
  }
  auto r = Pipeline(commands);
  if (!r.ok()) {
    return r.status();
  }
  if (r->front().type == RedisValue::Type::kError && absl::StartsWith(r->front().str, "NOSCRIPT")) {
    // Not loaded (first use, SCRIPT FLUSH or a restarted server): EVAL loads it.
    argv[0] = "EVAL";
    argv[1] = script.source();
    r = Pipeline(commands);
    if (!r.ok()) {
      return r.status();
    }
  }
  RedisValue v = std::move(r->front());
  if (v.type == RedisValue::Type::kError) {
    return RedisErrorStatus(v.str);
  }
  if (options_.wait_replicas > 0) {
    if (r->size() == 3 && (*r)[1].type == RedisValue::Type::kError) {
      return RedisErrorStatus((*r)[1].str);  // the barrier: WAIT covered our writes only
    }
    SALESOPS_RETURN_IF_ERROR(Replicated(options_, r->back()));
  }
  return v;
}

absl::Status RedisConnection::AwaitReplicated(std::string_view key) {
  if (options_.wait_replicas <= 0) {
    return absl::OkStatus();
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> replies,
                            Pipeline({BarrierCommand(key), WaitCommand(options_)}));
  if (replies.front().type == RedisValue::Type::kError) {
    return RedisErrorStatus(replies.front().str);
  }
  return Replicated(options_, replies.back());
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

absl::StatusOr<std::vector<RedisValue>> RedisClient::PipelineReplicated(
    std::vector<std::vector<std::string>> commands, std::string_view barrier_key) {
  if (options_.wait_replicas <= 0 || commands.empty()) {
    return Pipeline(commands);
  }
  commands.push_back(BarrierCommand(barrier_key));
  commands.push_back(WaitCommand(options_));
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> replies, Pipeline(commands));
  const RedisValue& barrier = replies[replies.size() - 2];
  if (barrier.type == RedisValue::Type::kError) {
    return RedisErrorStatus(barrier.str);  // WAIT then covered this connection's writes only
  }
  SALESOPS_RETURN_IF_ERROR(Replicated(options_, replies.back()));
  replies.resize(replies.size() - 2);
  return replies;
}

absl::Status RedisClient::AwaitReplicated(std::string_view key) {
  if (options_.wait_replicas <= 0) {
    return absl::OkStatus();
  }
  absl::Status st;
  auto conn = Acquire(&st);
  if (!conn) {
    return st;
  }
  absl::Status s = conn->AwaitReplicated(key);
  Release(std::move(conn));
  return s;
}

std::unique_ptr<RedisClient::Stream> RedisClient::OpenStream() {
  return std::unique_ptr<Stream>(new Stream(*this));
}

RedisClient::Stream::~Stream() {
  if (conn_ == nullptr) {
    return;
  }
  if (pending_ > 0 && conn_->healthy()) {
    (void)conn_->Receive(pending_);  // not finished: the replies still come, before the next user's
  }
  client_.Release(std::move(conn_));
}

absl::Status RedisClient::Stream::Send(std::string_view encoded, size_t count) {
  if (!status_.ok()) {
    return status_;
  }
  if (finished_) {
    return Internal("REDIS_STREAM_FINISHED", "send after finish");
  }
  if (count == 0) {
    return absl::OkStatus();
  }
  if (conn_ == nullptr) {
    absl::Status st;
    conn_ = client_.Acquire(&st);
    if (conn_ == nullptr) {
      status_ = st;
      return status_;
    }
  }
  if (absl::Status s = conn_->SendEncoded(encoded, count); !s.ok()) {
    // The first part: nothing is known to have reached Redis, as with Pipeline. A
    // later one: the earlier parts may have run.
    status_ = sent_ == 0
                  ? s
                  : MakeError(absl::StatusCode::kDeadlineExceeded, "REDIS_OUTCOME_UNKNOWN",
                              absl::StrCat("redis: a pipeline was cut short after ", sent_,
                                           " commands (", s.message(), "); they may have run"));
    pending_ = 0;
    return status_;
  }
  sent_ += count;
  pending_ += count;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RedisValue>> RedisClient::Stream::Finish(std::string_view barrier_key) {
  if (!status_.ok()) {
    return status_;
  }
  if (finished_) {
    return Internal("REDIS_STREAM_FINISHED", "finished twice");
  }
  finished_ = true;
  if (sent_ == 0) {
    return std::vector<RedisValue>{};
  }
  const RedisOptions& options = client_.options_;
  const bool wait = options.wait_replicas > 0;
  if (wait) {
    if (absl::Status s = conn_->Send({BarrierCommand(barrier_key), WaitCommand(options)});
        !s.ok()) {
      pending_ = 0;
      status_ = MakeError(absl::StatusCode::kDeadlineExceeded, "REDIS_OUTCOME_UNKNOWN",
                          absl::StrCat("redis: ", s.message(), "; the pipeline may have run"));
      return status_;
    }
    pending_ += 2;
  }
  absl::StatusOr<std::vector<RedisValue>> replies = conn_->Receive(pending_);
  pending_ = 0;
  if (!replies.ok()) {
    status_ = replies.status();
    return status_;
  }
  if (wait) {
    const RedisValue& barrier = (*replies)[replies->size() - 2];
    if (barrier.type == RedisValue::Type::kError) {
      return RedisErrorStatus(barrier.str);  // WAIT then covered this connection's writes only
    }
    SALESOPS_RETURN_IF_ERROR(Replicated(options, replies->back()));
    replies->resize(replies->size() - 2);
  }
  return replies;
}

std::string ReplicationBarrierKey(std::string_view key) {
  size_t open = key.find('{');
  size_t close = open == std::string_view::npos ? open : key.find('}', open);
  if (close == std::string_view::npos) {
    return std::string(key) + ":replicated";
  }
  return std::string(key.substr(0, close + 1)) + ":replicated";
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
