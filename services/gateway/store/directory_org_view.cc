#include "services/gateway/store/directory_org_view.h"

namespace salesops::gateway {

template <typename Load>
std::string DirectoryOrgView::Cached(absl::flat_hash_map<std::string, Entry>& cache,
                                     const std::string& key, Load load) {
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = cache.find(key);
    if (it != cache.end() && it->second.expires > now) {
      return it->second.value;
    }
  }
  absl::StatusOr<std::string> v = load();  // outside the lock: a Redis round trip
  if (!v.ok()) {
    return "";
  }
  absl::MutexLock lock(&mu_);
  if (cache.size() >= max_entries_) {
    // Full: the expired answers go first; if that is not a quarter, arbitrary
    // live ones too (a flat_hash_map's order), never the whole cache at once.
    absl::erase_if(cache, [&](const auto& kv) { return kv.second.expires <= now; });
    for (auto it = cache.begin(); it != cache.end() && cache.size() > max_entries_ * 3 / 4;) {
      cache.erase(it++);
    }
  }
  cache[key] = Entry{*v, now + (v->empty() ? absl::Seconds(1) : ttl_)};
  return *v;
}

std::string DirectoryOrgView::TeamOf(const std::string& member_id) {
  if (member_id.empty()) {
    return "";
  }
  return Cached(teams_, member_id, [&]() -> absl::StatusOr<std::string> {
    absl::StatusOr<std::optional<org::DirectoryMember>> m = directory_.Member(member_id);
    if (!m.ok()) {
      return m.status();
    }
    return m->has_value() && !(*m)->left ? (*m)->team : std::string();
  });
}

std::string DirectoryOrgView::RegionOf(const std::string& unit_id) {
  if (unit_id.empty()) {
    return "";
  }
  return Cached(regions_, unit_id, [&]() { return directory_.RegionOf(unit_id); });
}

}  // namespace salesops::gateway
