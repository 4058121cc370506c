#include "common/docstore/hash_snapshot.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace salesops {
namespace {

absl::Status NotRead(const std::string& key, const std::string& field) {
  return FailedPrecondition(kNotInSnapshot,
                            absl::StrCat("hash ", key, " field '", field, "' was not read"));
}

}  // namespace

void HashSnapshot::PutWhole(const std::string& key, const RedisValue& hgetall) {
  Hash& h = hashes_[key];
  h.whole = true;
  h.fields.clear();
  for (size_t i = 0; i + 1 < hgetall.elements.size(); i += 2) {
    h.fields[hgetall.elements[i].str] = hgetall.elements[i + 1].str;
  }
}

void HashSnapshot::PutFields(const std::string& key, const std::vector<std::string>& fields,
                             const RedisValue& hmget) {
  Hash& h = hashes_[key];
  for (size_t i = 0; i < fields.size(); ++i) {
    const RedisValue* v = i < hmget.elements.size() ? &hmget.elements[i] : nullptr;
    h.fields[fields[i]] =
        v == nullptr || v->is_nil() ? std::nullopt : std::optional<std::string>(v->str);
  }
}

absl::StatusOr<std::optional<std::string>> HashSnapshot::Get(const std::string& key,
                                                             const std::string& field) const {
  auto h = hashes_.find(key);
  if (h == hashes_.end()) {
    return NotRead(key, field);
  }
  auto f = h->second.fields.find(field);
  if (f != h->second.fields.end()) {
    return f->second;
  }
  if (h->second.whole) {
    return std::optional<std::string>();
  }
  return NotRead(key, field);
}

absl::StatusOr<std::vector<std::optional<std::string>>> HashSnapshot::GetMany(
    const std::string& key, const std::vector<std::string>& fields) const {
  std::vector<std::optional<std::string>> out;
  out.reserve(fields.size());
  for (const std::string& f : fields) {
    absl::StatusOr<std::optional<std::string>> v = Get(key, f);
    if (!v.ok()) {
      return v.status();
    }
    out.push_back(*std::move(v));
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> HashSnapshot::GetAll(
    const std::string& key) const {
  auto h = hashes_.find(key);
  if (h == hashes_.end() || !h->second.whole) {
    return NotRead(key, "*");
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [f, v] : h->second.fields) {
    if (v) {
      out.emplace_back(f, *v);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void HashSnapshot::Apply(const WriteBatch& batch) {
  batch.ForEachWrite([this](const std::string& command, const std::string& key,
                            const std::vector<std::string>& args) {
    auto h = hashes_.find(key);
    if (h == hashes_.end()) {
      return;  // not read: nothing here to keep current
    }
    Hash& hash = h->second;
    if (command == "HSET") {
      for (size_t i = 0; i + 1 < args.size(); i += 2) {
        hash.fields[args[i]] = args[i + 1];
      }
    } else if (command == "HDEL") {
      for (const std::string& f : args) {
        hash.fields[f] = std::nullopt;
      }
    } else if (command == "HINCRBY") {
      for (size_t i = 0; i + 1 < args.size(); i += 2) {  // several fields from Combine
        auto f = hash.fields.find(args[i]);
        if (f == hash.fields.end() && !hash.whole) {
          continue;  // its value before is unknown, so is its value after
        }
        long long before = 0, by = 0;
        if (f != hash.fields.end() && f->second) {
          (void)absl::SimpleAtoi(*f->second, &before);
        }
        (void)absl::SimpleAtoi(args[i + 1], &by);
        if (f == hash.fields.end()) {
          f = hash.fields.try_emplace(args[i]).first;
        }
        f->second = absl::StrCat(before + by);
      }
    } else if (command == "DEL") {
      hash.whole = true;
      hash.fields.clear();
    }
  });
}

}  // namespace salesops
