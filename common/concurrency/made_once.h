// A value made on first use, once, by whichever thread asks first; the others
// wait for it and share it. For work that is often not needed at all: an SSE
// frame no connection takes, a roll-up event a later one supersedes.
//
//   auto frame = std::make_shared<const MadeOnce<std::string>>([=] { return Render(e); });
//   Write(frame->get());   // rendered here, at most once
#pragma once

#include <atomic>
#include <functional>
#include <utility>

#include "absl/base/call_once.h"

namespace salesops {

template <typename T>
class MadeOnce {
 public:
  // Made already.
  explicit MadeOnce(T value) : value_(std::move(value)), made_(true) {
    absl::call_once(once_, [] {});
  }
  // Made by `make` on the first get(); `make` is dropped once it has run.
  explicit MadeOnce(std::function<T()> make) : make_(std::move(make)) {}

  const T& get() const {
    absl::call_once(once_, [this] {
      value_ = make_();
      make_ = nullptr;  // what it captured is not needed any more
      made_ = true;
    });
    return value_;
  }
  bool made() const { return made_; }

 private:
  mutable absl::once_flag once_;
  mutable std::function<T()> make_;
  mutable T value_{};
  mutable std::atomic<bool> made_{false};
};

}  // namespace salesops
