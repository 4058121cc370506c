// Checks a verified token's claims against who the caller is *now*. A JWT is
// a snapshot: a member who left, was demoted or moved keeps a valid signature
// until the token expires. Each service asks its view of the org (the org
// service its own store, the others their org directory projection) and
// refuses a token whose member has left or whose role or unit no longer
// matches; a member the view does not know yet (the directory lags the org
// service by moments) is accepted on the token's word.
//
//   DirectoryPrincipalResolver resolver(directory);          // services/org/directory
//   CachingPrincipalResolver cached(resolver, clock, absl::Seconds(2));
//   rpc_runner.SetPrincipalResolver(&cached);
#pragma once

#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/time/clock.h"

namespace salesops {

// What the org currently says about a member; nullopt = not known (yet).
struct CurrentMember {
  Role role = Role::kRep;
  std::string org_unit_id;
  bool left = false;
};

class MemberLookup {
 public:
  virtual ~MemberLookup() = default;
  virtual absl::StatusOr<std::optional<CurrentMember>> Lookup(const std::string& member_id) = 0;
};

// The rule shared by every service: OK, or UNAUTHENTICATED MEMBER_LEFT /
// TOKEN_STALE (sign in again to get a token with the current role and unit).
absl::Status CheckAgainst(const Principal& claimed, const std::optional<CurrentMember>& current);

class PrincipalResolver {
 public:
  virtual ~PrincipalResolver() = default;
  // OK when the token's principal still holds; the error otherwise.
  virtual absl::Status Check(const Principal& claimed) = 0;
  // Check's answer when it needs no I/O (nullopt: it would have to look the
  // member up), so a handler that must not block can run the guard inline.
  virtual std::optional<absl::Status> CheckCached(const Principal& claimed) { return std::nullopt; }
};

// Looks members up through a MemberLookup and remembers the answer for `ttl`,
// so a demotion or departure takes effect within `ttl` while a busy caller
// costs one lookup per `ttl`. Bounded (cleared when full). Thread-safe.
class CachingPrincipalResolver final : public PrincipalResolver {
 public:
  CachingPrincipalResolver(MemberLookup& lookup, const Clock& clock, absl::Duration ttl,
                           size_t max_entries = 10000)
      : lookup_(lookup), clock_(clock), ttl_(ttl), max_entries_(max_entries) {}
  absl::Status Check(const Principal& claimed) override;
  std::optional<absl::Status> CheckCached(const Principal& claimed) override;

 private:
  struct Entry {
    std::optional<CurrentMember> member;
    absl::Time expires;
  };
  MemberLookup& lookup_;
  const Clock& clock_;
  const absl::Duration ttl_;
  const size_t max_entries_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace salesops
