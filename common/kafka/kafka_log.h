// Routes librdkafka's log lines and client errors into our JSON logs instead of
// its own "%4|…" lines on stderr. Set on a Conf as "event_cb"; may be called
// from librdkafka's internal threads (Log is thread-safe).
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <functional>
#include <string>

#include "common/log/log.h"

namespace salesops {

class KafkaLogger final : public RdKafka::EventCb {
 public:
  // `on_fatal` runs once when librdkafka reports a fatal error (e.g. the
  // idempotent producer lost its guarantees): the client is unusable after it.
  explicit KafkaLogger(std::function<void(const std::string&)> on_fatal = nullptr)
      : on_fatal_(std::move(on_fatal)) {}

  void event_cb(RdKafka::Event& event) override {
    switch (event.type()) {
      case RdKafka::Event::EVENT_LOG: {
        // syslog levels: 0..3 error, 4 warning, 5..6 info, 7 debug.
        int sev = static_cast<int>(event.severity());
        LogLevel level = sev <= 3   ? LogLevel::kError
                         : sev == 4 ? LogLevel::kWarning
                         : sev <= 6 ? LogLevel::kInfo
                                    : LogLevel::kDebug;
        Log(level, "kafka client", {{"facility", event.fac()}, {"detail", event.str()}});
        break;
      }
      case RdKafka::Event::EVENT_ERROR:
        Log(event.fatal() ? LogLevel::kError : LogLevel::kWarning, "kafka client error",
            {{"error", RdKafka::err2str(event.err())}, {"detail", event.str()}});
        if (event.fatal() && on_fatal_ && !fatal_seen_.exchange(true)) {
          on_fatal_(event.str());
        }
        break;
      default:
        break;
    }
  }

 private:
  std::function<void(const std::string&)> on_fatal_;
  std::atomic<bool> fatal_seen_{false};
};

}  // namespace salesops
