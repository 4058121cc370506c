#include "services/gateway/store/directory_org_view.h"

#include <algorithm>

#include "salesops/org/v1/org_resources.pb.h"

namespace salesops::gateway {
namespace {

constexpr absl::Duration kUnknownTtl = absl::Seconds(1);
constexpr int kMaxDepth = 32;  // as OrgDirectory::RegionOf

}  // namespace

std::optional<DirectoryOrgView::Entry> DirectoryOrgView::Find(
    absl::flat_hash_map<std::string, Entry>& cache, const std::string& key, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = cache.find(key);
  if (it != cache.end() && it->second.expires > now) {
    return it->second;
  }
  return std::nullopt;
}

void DirectoryOrgView::Remember(absl::flat_hash_map<std::string, Entry>& cache,
                                const std::string& key, const Entry& e, absl::Time now) {
  if (e.expires <= now) {
    return;
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
  cache[key] = e;
}

template <typename Load>
std::string DirectoryOrgView::Cached(absl::flat_hash_map<std::string, Entry>& cache,
                                     const std::string& key, Load load) {
  const absl::Time now = clock_.Now();
  if (std::optional<Entry> e = Find(cache, key, now)) {
    return e->value;
  }
  absl::StatusOr<std::string> v = load();  // outside the lock: a Redis round trip
  if (!v.ok()) {
    return "";
  }
  Remember(cache, key, Entry{*v, now + (v->empty() ? kUnknownTtl : ttl_)}, now);
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
  return Region(unit_id, 0).value;
}

DirectoryOrgView::Entry DirectoryOrgView::Region(const std::string& unit_id, int depth) {
  const absl::Time now = clock_.Now();
  if (std::optional<Entry> e = Find(regions_, unit_id, now)) {
    return *e;
  }
  if (depth >= kMaxDepth) {
    return Entry{"", now + kUnknownTtl};  // a parent loop: kept as an unknown
  }
  absl::StatusOr<std::optional<org::DirectoryUnit>> u = directory_.Unit(unit_id);
  Entry e;
  if (!u.ok()) {
    return Entry{"", absl::InfinitePast()};  // not remembered, nor what was made from it
  }
  if (!u->has_value()) {
    e = Entry{"", now + kUnknownTtl};  // unknown
  } else if ((*u)->kind == org::v1::ORG_UNIT_KIND_REGION) {
    e = Entry{unit_id, now + ttl_};
  } else if ((*u)->parent.empty()) {
    e = Entry{"", now + ttl_};  // no region above it
  } else {
    // The parent's answer, cached or read: the units of a region share it.
    const Entry up = Region((*u)->parent, depth + 1);
    e = Entry{up.value, std::min(now + ttl_, up.expires)};
  }
  Remember(regions_, unit_id, e, now);
  return e;
}

}  // namespace salesops::gateway
