#include "common/docstore/in_memory_kv.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace salesops {
namespace {

RedisValue Nil() { return RedisValue{}; }
RedisValue Str(std::string s) {
  RedisValue v;
  v.type = RedisValue::Type::kString;
  v.str = std::move(s);
  return v;
}
RedisValue Int(long long i) {
  RedisValue v;
  v.type = RedisValue::Type::kInteger;
  v.integer = i;
  return v;
}
RedisValue Arr(std::vector<RedisValue> e) {
  RedisValue v;
  v.type = RedisValue::Type::kArray;
  v.elements = std::move(e);
  return v;
}

absl::Status WrongType() {
  return RedisErrorStatus("WRONGTYPE Operation against a key holding the wrong kind of value");
}

// The shortest text that reads back as the same double, as Redis 7 prints scores.
std::string ScoreText(double d) {
  for (int precision = 1; precision <= 17; ++precision) {
    std::string s = absl::StrFormat("%.*g", precision, d);
    if (std::strtod(s.c_str(), nullptr) == d) {
      return s;
    }
  }
  return absl::StrFormat("%.17g", d);
}

// A ZRANGEBYLEX bound: "-", "+", "[x" (inclusive) or "(x" (exclusive).
struct LexBound {
  enum { kMinusInf, kPlusInf, kValue } kind = kValue;
  std::string value;
  bool inclusive = true;
};
absl::StatusOr<LexBound> ParseLex(const std::string& s) {
  LexBound b;
  if (s == "-") {
    b.kind = LexBound::kMinusInf;
  } else if (s == "+") {
    b.kind = LexBound::kPlusInf;
  } else if (!s.empty() && (s[0] == '[' || s[0] == '(')) {
    b.value = s.substr(1);
    b.inclusive = s[0] == '[';
  } else {
    return RedisErrorStatus("ERR min or max not valid string range item");
  }
  return b;
}
bool AboveMin(const std::string& m, const LexBound& min) {
  switch (min.kind) {
    case LexBound::kMinusInf:
      return true;
    case LexBound::kPlusInf:
      return false;
    default:
      return min.inclusive ? m >= min.value : m > min.value;
  }
}
bool BelowMax(const std::string& m, const LexBound& max) {
  switch (max.kind) {
    case LexBound::kMinusInf:
      return false;
    case LexBound::kPlusInf:
      return true;
    default:
      return max.inclusive ? m <= max.value : m < max.value;
  }
}

// A ZRANGEBYSCORE bound: "-inf", "+inf", "x" or "(x".
struct ScoreBound {
  double value = 0;
  bool exclusive = false;
};
absl::StatusOr<ScoreBound> ParseScore(const std::string& s) {
  ScoreBound b;
  std::string t = s;
  if (!t.empty() && t[0] == '(') {
    b.exclusive = true;
    t = t.substr(1);
  }
  const std::string lower = absl::AsciiStrToLower(t);
  if (lower == "-inf") {
    b.value = -INFINITY;
  } else if (lower == "+inf" || lower == "inf") {
    b.value = INFINITY;
  } else if (!absl::SimpleAtod(t, &b.value) || std::isnan(b.value)) {
    return RedisErrorStatus("ERR min or max is not a float");
  }
  return b;
}

// Members in Redis' sorted-set order: by score, then bytewise.
std::vector<std::pair<double, std::string>> Ordered(const std::map<std::string, double>& z) {
  std::vector<std::pair<double, std::string>> out;
  out.reserve(z.size());
  for (const auto& [m, score] : z) {
    out.emplace_back(score, m);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

void InMemoryKv::FailNextCommit(int n, int after) {
  absl::MutexLock lock(&mu_);
  fail_next_ = n;
  fail_after_ = after;
}

void InMemoryKv::BeforeNextCommit(std::function<void()> writer) {
  absl::MutexLock lock(&mu_);
  before_next_ = std::move(writer);
}

std::vector<std::pair<CloudEvent, std::string>> InMemoryKv::Events() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::pair<CloudEvent, std::string>> out;
  for (const auto& fields : events_) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      pairs.emplace_back(fields[i], fields[i + 1]);
    }
    absl::StatusOr<std::pair<CloudEvent, std::string>> e = FromOutboxFields(pairs);
    if (e.ok()) {
      out.push_back(*std::move(e));
    }
  }
  return out;
}

std::vector<CloudEvent> InMemoryKv::EventsOfType(const std::string& type) const {
  std::vector<CloudEvent> out;
  for (auto& [e, topic] : Events()) {
    if (e.type == type) {
      out.push_back(std::move(e));
    }
  }
  return out;
}

absl::StatusOr<const InMemoryKv::Value*> InMemoryKv::Find(const std::string& key,
                                                          Value::Type type) const {
  auto it = data_.find(key);
  if (it == data_.end()) {
    return nullptr;
  }
  if (it->second.type != type) {
    return WrongType();
  }
  return &it->second;
}

absl::StatusOr<InMemoryKv::Value*> InMemoryKv::Upsert(const std::string& key, Value::Type type) {
  auto [it, inserted] = data_.try_emplace(key);
  if (inserted) {
    it->second.type = type;
  } else if (it->second.type != type) {
    return WrongType();
  }
  return &it->second;
}

void InMemoryKv::DropIfEmpty(const std::string& key) {
  auto it = data_.find(key);
  if (it == data_.end()) {
    return;
  }
  const Value& v = it->second;
  if ((v.type == Value::Type::kHash && v.hash.empty()) ||
      (v.type == Value::Type::kSet && v.set.empty()) ||
      (v.type == Value::Type::kZSet && v.zset.empty())) {
    data_.erase(it);
  }
}

absl::StatusOr<std::vector<RedisValue>> InMemoryKv::DoRead(
    const std::vector<std::vector<std::string>>& commands) {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<RedisValue> out;
  out.reserve(commands.size());
  for (const auto& c : commands) {
    SALESOPS_ASSIGN_OR_RETURN(RedisValue v, ReadLocked(c));
    out.push_back(std::move(v));
  }
  return out;
}

absl::StatusOr<RedisValue> InMemoryKv::ReadLocked(const std::vector<std::string>& c) const {
  using T = Value::Type;
  const std::string name = absl::AsciiStrToUpper(c[0]);
  const std::string& key = c[1];
  if (name == "EXISTS") {
    return Int(data_.count(key));
  }
  if (name == "GET") {
    SALESOPS_ASSIGN_OR_RETURN(const Value* v, Find(key, T::kString));
    return v ? Str(v->str) : Nil();
  }
  if (name == "MGET") {  // a key that holds no string reads as nil, as in Redis
    std::vector<RedisValue> e;
    for (size_t i = 1; i < c.size(); ++i) {
      auto it = data_.find(c[i]);
      e.push_back(it != data_.end() && it->second.type == T::kString ? Str(it->second.str) : Nil());
    }
    return Arr(std::move(e));
  }
  if (name == "HGET" || name == "HMGET" || name == "HGETALL") {
    SALESOPS_ASSIGN_OR_RETURN(const Value* v, Find(key, T::kHash));
    auto field = [&](const std::string& f) {
      if (v == nullptr) {
        return Nil();
      }
      auto it = v->hash.find(f);
      return it == v->hash.end() ? Nil() : Str(it->second);
    };
    if (name == "HGET") {
      return field(c[2]);
    }
    std::vector<RedisValue> e;
    if (name == "HMGET") {
      for (size_t i = 2; i < c.size(); ++i) {
        e.push_back(field(c[i]));
      }
    } else if (v != nullptr) {
      for (const auto& [f, val] : v->hash) {
        e.push_back(Str(f));
        e.push_back(Str(val));
      }
    }
    return Arr(std::move(e));
  }
  if (name == "SMEMBERS" || name == "SCARD") {
    SALESOPS_ASSIGN_OR_RETURN(const Value* v, Find(key, T::kSet));
    if (name == "SCARD") {
      return Int(v ? v->set.size() : 0);
    }
    std::vector<RedisValue> e;
    if (v != nullptr) {
      for (const std::string& m : v->set) {
        e.push_back(Str(m));
      }
    }
    return Arr(std::move(e));
  }
  SALESOPS_ASSIGN_OR_RETURN(const Value* z, Find(key, T::kZSet));
  if (name == "ZCARD") {
    return Int(z ? z->zset.size() : 0);
  }
  if (name == "ZSCORE") {
    if (z == nullptr) {
      return Nil();
    }
    auto it = z->zset.find(c[2]);
    return it == z->zset.end() ? Nil() : Str(ScoreText(it->second));
  }
  // ZRANGEBYLEX / ZRANGEBYSCORE key min max [LIMIT offset count]
  long long offset = 0, count = -1;
  if (c.size() == 7 && (!absl::SimpleAtoi(c[5], &offset) || !absl::SimpleAtoi(c[6], &count))) {
    return RedisErrorStatus("ERR value is not an integer or out of range");
  }
  std::vector<std::pair<double, std::string>> members;
  if (z != nullptr) {
    members = Ordered(z->zset);
  }
  std::vector<RedisValue> e;
  if (name == "ZRANGEBYLEX") {
    SALESOPS_ASSIGN_OR_RETURN(LexBound min, ParseLex(c[2]));
    SALESOPS_ASSIGN_OR_RETURN(LexBound max, ParseLex(c[3]));
    for (const auto& [score, m] : members) {
      if (AboveMin(m, min) && BelowMax(m, max)) {
        e.push_back(Str(m));
      }
    }
  } else {
    SALESOPS_ASSIGN_OR_RETURN(ScoreBound min, ParseScore(c[2]));
    SALESOPS_ASSIGN_OR_RETURN(ScoreBound max, ParseScore(c[3]));
    for (const auto& [score, m] : members) {
      const bool above = min.exclusive ? score > min.value : score >= min.value;
      const bool below = max.exclusive ? score < max.value : score <= max.value;
      if (above && below) {
        e.push_back(Str(m));
      }
    }
  }
  if (offset < 0) {
    return Arr({});  // Redis answers an empty list to a negative offset
  }
  std::vector<RedisValue> page;
  for (size_t i = static_cast<size_t>(offset); i < e.size(); ++i) {
    if (count >= 0 && static_cast<long long>(page.size()) >= count) {
      break;
    }
    page.push_back(std::move(e[i]));
  }
  return Arr(std::move(page));
}

void InMemoryKv::RunBeforeNextCommit() {
  std::function<void()> writer;
  {
    absl::MutexLock lock(&mu_);
    writer.swap(before_next_);
  }
  if (writer) {
    writer();
  }
}

absl::StatusOr<CommitResult> InMemoryKv::Commit(const WriteBatch& batch) {
  RunBeforeNextCommit();
  absl::MutexLock lock(&mu_);
  return CommitLocked(batch);
}

std::vector<absl::StatusOr<CommitResult>> InMemoryKv::CommitMany(
    const std::vector<WriteBatch>& batches) {
  RunBeforeNextCommit();
  absl::MutexLock lock(&mu_);
  std::vector<absl::StatusOr<CommitResult>> out;
  for (const WriteBatch& b : batches) {
    out.push_back(CommitLocked(b));
  }
  return out;
}

absl::StatusOr<CommitResult> InMemoryKv::CommitLocked(const WriteBatch& batch) {
  using T = Value::Type;
  if (fail_after_ > 0) {
    --fail_after_;
  } else if (fail_next_ > 0) {
    --fail_next_;
    return Unavailable("REDIS_UNAVAILABLE", "in-memory store told to fail this commit");
  }
  CommitResult result;
  // Guards first; a failed one writes nothing.
  for (const WriteBatch::Guard& g : batch.guards_) {
    auto it = data_.find(g.key);
    std::string current;
    bool ok = true;
    if (g.kind == "hf") {
      SALESOPS_ASSIGN_OR_RETURN(const Value* v, Find(g.key, T::kHash));
      if (v != nullptr) {
        auto f = v->hash.find(g.a);
        current = f == v->hash.end() ? "" : f->second;
      }
      ok = current == g.b;
    } else if (g.kind == "absent") {
      if (it != data_.end()) {
        ok = false;
        current = it->second.type == T::kString ? it->second.str : "";
      }
    } else if (g.kind == "present") {
      ok = it != data_.end();
    } else if (g.kind == "setempty") {
      SALESOPS_ASSIGN_OR_RETURN(const Value* v, Find(g.key, T::kSet));
      const size_t n = v ? v->set.size() : 0;
      ok = n == 0;
      current = absl::StrCat(n);
    } else {
      return Internal("UNKNOWN_GUARD", g.kind);
    }
    if (!ok) {
      result.committed = false;
      result.failed_tag = g.tag;
      result.current = current;
      return result;
    }
  }
  // Then the writes, in order. Like the Lua script, a write against a key of
  // the wrong type stops the batch where it is (keep each key's type fixed).
  for (const WriteBatch::Op& op : batch.ops_) {
    const std::vector<std::string>& a = op.args;
    if (op.command == "HSET") {
      SALESOPS_ASSIGN_OR_RETURN(Value * v, Upsert(op.key, T::kHash));
      for (size_t i = 0; i + 1 < a.size(); i += 2) {
        v->hash[a[i]] = a[i + 1];
      }
    } else if (op.command == "HDEL") {
      SALESOPS_ASSIGN_OR_RETURN(const Value* found, Find(op.key, T::kHash));
      if (found != nullptr) {
        Value& v = data_[op.key];
        for (const std::string& f : a) {
          v.hash.erase(f);
        }
        DropIfEmpty(op.key);
      }
    } else if (op.command == "HINCRBY") {
      SALESOPS_ASSIGN_OR_RETURN(Value * v, Upsert(op.key, T::kHash));
      for (size_t i = 0; i + 1 < a.size(); i += 2) {  // several fields from Combine
        long long cur = 0, by = 0;
        std::string& field = v->hash[a[i]];
        if ((!field.empty() && !absl::SimpleAtoi(field, &cur)) ||
            !absl::SimpleAtoi(a[i + 1], &by)) {
          return RedisErrorStatus("ERR hash value is not an integer");
        }
        field = absl::StrCat(cur + by);
      }
    } else if (op.command == "SET") {
      Value& v = data_[op.key];  // SET replaces whatever the key held
      v = Value{};
      v.type = T::kString;
      v.str = a[0];
    } else if (op.command == "DEL") {
      data_.erase(op.key);
    } else if (op.command == "SADD") {
      SALESOPS_ASSIGN_OR_RETURN(Value * v, Upsert(op.key, T::kSet));
      v->set.insert(a.begin(), a.end());
    } else if (op.command == "SREM") {
      SALESOPS_ASSIGN_OR_RETURN(const Value* found, Find(op.key, T::kSet));
      if (found != nullptr) {
        for (const std::string& m : a) {
          data_[op.key].set.erase(m);
        }
        DropIfEmpty(op.key);
      }
    } else if (op.command == "ZADD") {
      // Score/member pairs, in order (a member twice: the later score stays).
      if (a.empty() || a.size() % 2 != 0) {
        return RedisErrorStatus("ERR syntax error");
      }
      std::vector<double> scores(a.size() / 2);  // all checked before any is added
      for (size_t i = 0; i < scores.size(); ++i) {
        if (!absl::SimpleAtod(a[2 * i], &scores[i])) {
          return RedisErrorStatus("ERR value is not a valid float");
        }
      }
      SALESOPS_ASSIGN_OR_RETURN(Value * v, Upsert(op.key, T::kZSet));
      for (size_t i = 0; i < scores.size(); ++i) {
        v->zset[a[2 * i + 1]] = scores[i];
      }
    } else if (op.command == "ZREM") {
      SALESOPS_ASSIGN_OR_RETURN(const Value* found, Find(op.key, T::kZSet));
      if (found != nullptr) {
        for (const std::string& m : a) {
          data_[op.key].zset.erase(m);
        }
        DropIfEmpty(op.key);
      }
    } else {
      return Internal("UNKNOWN_WRITE", op.command);
    }
  }
  // As Redis keeps them: up to kEventsPerEntry events to an entry (kept here
  // one by one, for Events()).
  for (size_t k = 0; k < batch.events_.size(); ++k) {
    events_.push_back(batch.events_[k].entry->get());
    if (k % kEventsPerEntry == 0) {
      result.outbox_ids.push_back(absl::StrCat(events_.size(), "-0"));
    }
  }
  result.committed = true;
  return result;
}

}  // namespace salesops
