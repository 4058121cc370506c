// The gateway's keyspace in Redis: the only data it keeps is its copy of the
// org directory (the projection of the org service's events that scopes the
// live stream and checks callers), under one prefix its ACL user is limited to.
#pragma once

#include <string>

namespace salesops::gateway {

inline constexpr char kKeyPrefix[] = "gw:{gw}:";

// The outbox stream of the projection's commits (it emits no events).
inline std::string OutboxKey() { return std::string(kKeyPrefix) + "outbox"; }
// Where the projection remembers the org events it applied (effectively once).
inline std::string DirectorySeenPrefix() { return std::string(kKeyPrefix) + "dir:seen:"; }

}  // namespace salesops::gateway
