// google.protobuf.Timestamp ⇔ absl::Time, exact to the nanosecond (times
// before 1970 normalised as the proto requires: nanos in [0, 1e9)).
//
//   *doc.mutable_update_time() = ToTs(clock.Now());
//   absl::Time t = FromTs(doc.update_time());
#pragma once

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace salesops {

inline google::protobuf::Timestamp ToTs(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t seconds = absl::ToUnixSeconds(t);  // floors
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return ts;
}

inline absl::Time FromTs(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace salesops
