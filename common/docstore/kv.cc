#include "common/docstore/kv.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace salesops {
namespace {

// Arity of each allowed read: exact, or at least `min` when `variadic`.
absl::Status CheckRead(const std::vector<std::string>& c) {
  if (c.empty()) {
    return InvalidField("command", "empty read command");
  }
  const std::string name = absl::AsciiStrToUpper(c[0]);
  auto need = [&](size_t n, bool at_least = false) -> absl::Status {
    if (at_least ? c.size() >= n : c.size() == n) {
      return absl::OkStatus();
    }
    return InvalidField("command", absl::StrCat(name, " with ", c.size() - 1, " arguments"));
  };
  if (name == "GET" || name == "EXISTS" || name == "HGETALL" || name == "SMEMBERS" ||
      name == "SCARD" || name == "ZCARD") {
    return need(2);
  }
  if (name == "HGET" || name == "ZSCORE") {
    return need(3);
  }
  if (name == "HMGET") {
    return need(3, /*at_least=*/true);
  }
  if (name == "MGET") {
    return need(2, /*at_least=*/true);
  }
  if (name == "ZRANGEBYLEX" || name == "ZRANGEBYSCORE") {
    if (c.size() == 4) {
      return absl::OkStatus();
    }
    if (c.size() == 7 && absl::AsciiStrToUpper(c[4]) == "LIMIT") {
      return absl::OkStatus();
    }
    return InvalidField("command", absl::StrCat(name, " takes key min max [LIMIT offset count]"));
  }
  return InvalidField("command", absl::StrCat(name, " is not a read a store may issue"));
}

}  // namespace

absl::StatusOr<std::vector<RedisValue>> KvReader::Read(
    const std::vector<std::vector<std::string>>& commands) {
  for (const auto& c : commands) {
    SALESOPS_RETURN_IF_ERROR(CheckRead(c));
  }
  if (commands.empty()) {
    return std::vector<RedisValue>{};
  }
  return DoRead(commands);
}

void KvReader::ReadAsync(const std::vector<std::vector<std::string>>& commands, ReadDone done) {
  for (const auto& c : commands) {
    if (absl::Status s = CheckRead(c); !s.ok()) {
      done(s);
      return;
    }
  }
  if (commands.empty()) {
    done(std::vector<RedisValue>{});
    return;
  }
  DoReadAsync(commands, std::move(done));
}

absl::StatusOr<RedisValue> KvReader::ReadOne(std::vector<std::string> command) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> r, Read({std::move(command)}));
  return std::move(r[0]);
}

absl::StatusOr<std::optional<std::string>> KvReader::HGet(const std::string& key,
                                                          const std::string& field) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, ReadOne({"HGET", key, field}));
  if (v.is_nil()) {
    return std::nullopt;
  }
  return std::move(v.str);
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> KvReader::HGetAll(
    const std::string& key) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, ReadOne({"HGETALL", key}));
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i + 1 < v.elements.size(); i += 2) {
    out.emplace_back(std::move(v.elements[i].str), std::move(v.elements[i + 1].str));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> KvReader::SMembers(const std::string& key) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, ReadOne({"SMEMBERS", key}));
  return Strings(v);
}

namespace {

// An error reply (WRONGTYPE...) fails the whole read, as InMemoryKv does.
absl::StatusOr<std::vector<RedisValue>> WithoutErrorReplies(
    absl::StatusOr<std::vector<RedisValue>> out) {
  if (out.ok()) {
    for (const RedisValue& v : *out) {
      if (v.type == RedisValue::Type::kError) {
        return RedisErrorStatus(v.str);
      }
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<RedisValue>> RedisKvReader::DoRead(
    const std::vector<std::vector<std::string>>& commands) {
  return WithoutErrorReplies(redis_.Pipeline(commands));
}

void RedisKvReader::DoReadAsync(const std::vector<std::vector<std::string>>& commands,
                                ReadDone done) {
  if (mux_ == nullptr) {
    done(DoRead(commands));
    return;
  }
  mux_->Send(commands, [done = std::move(done)](absl::StatusOr<std::vector<RedisValue>> out) {
    done(WithoutErrorReplies(std::move(out)));
  });
}

std::vector<std::string> Strings(const RedisValue& v) {
  std::vector<std::string> out;
  out.reserve(v.elements.size());
  for (const RedisValue& e : v.elements) {
    out.push_back(e.str);
  }
  return out;
}

}  // namespace salesops
