#include "common/docstore/prefetched_kv.h"

#include "absl/strings/str_cat.h"

namespace salesops {

std::string PrefetchedKv::Key(const std::vector<std::string>& command) {
  std::string key;
  for (const std::string& part : command) {
    absl::StrAppend(&key, part.size(), ":", part);  // length-prefixed: no two commands alike
  }
  return key;
}

void PrefetchedKv::Prefetch(const std::vector<std::vector<std::string>>& commands) {
  std::vector<std::vector<std::string>> reads;
  for (const std::vector<std::string>& c : commands) {
    if (!c.empty()) {
      reads.push_back(c);
    }
  }
  if (reads.empty()) {
    return;
  }
  ++round_trips_;
  absl::StatusOr<std::vector<RedisValue>> got = underneath_.Read(reads);
  if (!got.ok() && (absl::IsUnavailable(got.status()) || absl::IsDeadlineExceeded(got.status()))) {
    // Redis away or slow: the call's reads of these commands fail the same way at
    // once, instead of each waiting out another timeout.
    failure_ = got.status();
    for (const std::vector<std::string>& c : reads) {
      failed_.insert(Key(c));
    }
    return;
  }
  if (!got.ok() || got->size() != reads.size()) {
    return;  // nothing kept: each read goes underneath and meets the failure there
  }
  for (size_t i = 0; i < reads.size(); ++i) {
    kept_.emplace(Key(reads[i]), std::move((*got)[i]));
  }
}

absl::StatusOr<std::vector<RedisValue>> PrefetchedKv::DoRead(
    const std::vector<std::vector<std::string>>& commands) {
  std::vector<std::string> keys;
  keys.reserve(commands.size());
  for (const std::vector<std::string>& c : commands) {
    keys.push_back(Key(c));
    if (failed_.erase(keys.back()) > 0) {
      return failure_;
    }
    if (!kept_.contains(keys.back())) {
      ++round_trips_;
      return underneath_.Read(commands);
    }
  }
  std::vector<RedisValue> out;
  out.reserve(commands.size());
  for (const std::string& k : keys) {
    auto it = kept_.find(k);
    if (it == kept_.end()) {  // the same command twice in one read: once from the prefetch
      ++round_trips_;
      return underneath_.Read(commands);
    }
    out.push_back(std::move(it->second));
    kept_.erase(it);
  }
  answered_ += static_cast<int64_t>(out.size());
  return out;
}

}  // namespace salesops
