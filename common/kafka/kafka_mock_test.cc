// Unit tests of KafkaProducer's delivery and error handling, against
// librdkafka's built-in mock cluster (test.mock.num.brokers) or an address
// where nothing listens. No real Kafka is needed.
#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/kafka/producer.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

using ::testing::HasSubstr;

const KafkaHeaders kHeaders = {{"ce_id", "1"}, {"content-type", "application/protobuf"}};

// A producer talking to an in-process mock cluster with one broker (it
// auto-creates topics on first use).
ProducerOptions MockOptions() {
  ProducerOptions o;
  o.bootstrap = "mock";
  o.message_timeout = absl::Seconds(5);
  o.linger = absl::Milliseconds(1);
  o.extra = {{"test.mock.num.brokers", "1"}};
  return o;
}

// A producer whose broker address has nothing listening.
ProducerOptions UnreachableOptions() {
  ProducerOptions o;
  o.bootstrap = "127.0.0.1:1";
  o.message_timeout = absl::Seconds(2);
  o.linger = absl::Milliseconds(1);
  return o;
}

// Records every delivery result per record index, thread-safe.
class Deliveries {
 public:
  explicit Deliveries(int n) : calls_(n, 0), statuses_(n) {}

  KafkaProducer::DeliveryCallback For(int i) {
    return [this, i](absl::Status s) {
      absl::MutexLock lock(&mu_);
      ++calls_[i];
      statuses_[i] = std::move(s);
    };
  }
  int calls(int i) const {
    absl::MutexLock lock(&mu_);
    return calls_[i];
  }
  absl::Status status(int i) const {
    absl::MutexLock lock(&mu_);
    return statuses_[i];
  }
  int total() const {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (int c : calls_) {
      n += c;
    }
    return n;
  }
  // Waits (bounded) until `n` callbacks have run in total.
  bool WaitForTotal(int n, absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      int t = 0;
      for (int c : calls_) {
        t += c;
      }
      return t >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<int> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Status> statuses_ ABSL_GUARDED_BY(mu_);
};

// ProduceSync returns OK once the (mock) broker has acknowledged the record.
TEST(KafkaProducerMockTest, ProduceSyncSucceeds) {
  KafkaProducer producer(MockOptions());
  ASSERT_TRUE(producer.Start().ok());
  absl::Status s =
      producer.ProduceSync("salesops.test.v1", "key-1", "value-1", kHeaders, absl::Seconds(5));
  EXPECT_TRUE(s.ok()) << s;
  producer.Stop();
}

// librdkafka reports a DUPLICATE_SEQUENCE_NUMBER answer as a success without an
// offset, though the broker did not store the record (here it is the first
// send). That is no delivery: UNAVAILABLE, KAFKA_DELIVERY_UNCONFIRMED, so the
// caller produces again, and the next record is delivered as usual.
TEST(KafkaProducerMockTest, AnAckWithoutAnOffsetIsNotADelivery) {
  KafkaProducer producer(MockOptions());
  ASSERT_TRUE(producer.Start().ok());
  producer.InjectProduceErrorsForTest({RdKafka::ERR_DUPLICATE_SEQUENCE_NUMBER});
  absl::Status s =
      producer.ProduceSync("salesops.test.v1", "key-1", "value-1", kHeaders, absl::Seconds(5));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(ErrorReason(s), "KAFKA_DELIVERY_UNCONFIRMED") << s;
  EXPECT_THAT(s.message(), HasSubstr("without an offset"));
  s = producer.ProduceSync("salesops.test.v1", "key-1", "value-1", kHeaders, absl::Seconds(5));
  EXPECT_TRUE(s.ok()) << s;
  producer.Stop();
}

// Every Produce gets exactly one successful callback, also across Flush and Stop.
TEST(KafkaProducerMockTest, CallbackRunsExactlyOncePerRecord) {
  constexpr int kRecords = 50;
  Deliveries d(kRecords);
  {
    KafkaProducer producer(MockOptions());
    ASSERT_TRUE(producer.Start().ok());
    for (int i = 0; i < kRecords; ++i) {
      ASSERT_TRUE(producer
                      .Produce("salesops.test.v1", "key-" + std::to_string(i % 5),
                               "value-" + std::to_string(i), kHeaders, d.For(i))
                      .ok());
    }
    EXPECT_TRUE(producer.Flush(absl::Seconds(5)).ok());
    EXPECT_TRUE(d.WaitForTotal(kRecords, absl::Seconds(5)));
    EXPECT_EQ(producer.OutQueueLength(), 0);
    producer.Stop();
  }  // and the destructor must not report anything again
  for (int i = 0; i < kRecords; ++i) {
    EXPECT_EQ(d.calls(i), 1) << "record " << i;
    EXPECT_TRUE(d.status(i).ok()) << "record " << i << ": " << d.status(i);
  }
}

// Stop() fails records still queued for an unreachable broker: one failure callback each.
TEST(KafkaProducerUnreachableTest, StopFailsQueuedRecords) {
  constexpr int kRecords = 5;
  Deliveries d(kRecords);
  KafkaProducer producer(UnreachableOptions());
  ASSERT_TRUE(producer.Start().ok());
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_TRUE(producer.Produce("salesops.test.v1", "k", "v", kHeaders, d.For(i)).ok());
  }
  EXPECT_EQ(d.total(), 0);  // nothing can have been delivered
  const absl::Time start = absl::Now();
  producer.Stop(absl::Milliseconds(200));  // shorter than message_timeout: purge path
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  for (int i = 0; i < kRecords; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(d.calls(i), 1);
    EXPECT_EQ(d.status(i).code(), absl::StatusCode::kUnavailable) << d.status(i);
    EXPECT_EQ(ErrorReason(d.status(i)), "KAFKA_DELIVERY_FAILED");
  }
}

// Records that cannot be delivered within message_timeout fail on their own, once each.
TEST(KafkaProducerUnreachableTest, MessageTimeoutFailsRecords) {
  constexpr int kRecords = 3;
  Deliveries d(kRecords);
  KafkaProducer producer(UnreachableOptions());  // message_timeout 2 s
  ASSERT_TRUE(producer.Start().ok());
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_TRUE(producer.Produce("salesops.test.v1", "k", "v", kHeaders, d.For(i)).ok());
  }
  ASSERT_TRUE(d.WaitForTotal(kRecords, absl::Seconds(5)));
  for (int i = 0; i < kRecords; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(d.status(i).code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(std::string(d.status(i).message()), HasSubstr("salesops.test.v1"));
  }
  producer.Stop(absl::ZeroDuration());
  for (int i = 0; i < kRecords; ++i) {
    EXPECT_EQ(d.calls(i), 1);
  }
}

// ProduceSync gives up with UNAVAILABLE when no delivery report arrives in time.
TEST(KafkaProducerUnreachableTest, ProduceSyncTimesOut) {
  KafkaProducer producer(UnreachableOptions());
  ASSERT_TRUE(producer.Start().ok());
  absl::Status s =
      producer.ProduceSync("salesops.test.v1", "k", "v", kHeaders, absl::Milliseconds(200));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReason(s), "KAFKA_DELIVERY_TIMEOUT");
  producer.Stop(absl::ZeroDuration());  // the late callback must be safe to run
}

// Produce before Start (or after Stop) is FAILED_PRECONDITION and never calls back.
TEST(KafkaProducerTest, ProduceBeforeStartFails) {
  std::atomic<int> calls{0};
  KafkaProducer producer(MockOptions());
  absl::Status s =
      producer.Produce("t", "k", "v", kHeaders, [&](absl::Status) { calls.fetch_add(1); });
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReason(s), "KAFKA_NOT_STARTED");

  ASSERT_TRUE(producer.Start().ok());
  producer.Stop();
  s = producer.Produce("t", "k", "v", kHeaders, [&](absl::Status) { calls.fetch_add(1); });
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(producer.OutQueueLength(), 0);
}

// A bad librdkafka property fails Start with INVALID_ARGUMENT naming it.
TEST(KafkaProducerTest, BadPropertyFailsStart) {
  ProducerOptions o = MockOptions();
  o.extra["no.such.property"] = "1";
  KafkaProducer producer(o);
  absl::Status s = producer.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  std::vector<FieldViolation> v = FieldViolations(s);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].field, "kafka.no.such.property");
}

}  // namespace
}  // namespace salesops

namespace salesops {
namespace {

// A fatal client error reaches on_fatal exactly once, and produce fails after it.
TEST(KafkaProducerMockTest, FatalErrorIsReportedOnce) {
  ProducerOptions opts = MockOptions();
  std::atomic<int> fatal_calls{0};
  std::string reason;
  absl::Mutex mu;
  opts.on_fatal = [&](const std::string& why) {
    absl::MutexLock lock(&mu);
    reason = why;
    ++fatal_calls;
  };
  KafkaProducer producer(opts);
  ASSERT_TRUE(producer.Start().ok());
  ASSERT_TRUE(producer.ProduceSync("fatal-test", "k", "v", {}, absl::Seconds(10)).ok());
  producer.RaiseFatalErrorForTest("induced by the test");
  for (int i = 0; i < 100 && fatal_calls.load() == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(fatal_calls.load(), 1);
  {
    absl::MutexLock lock(&mu);
    EXPECT_NE(reason.find("induced by the test"), std::string::npos) << reason;
  }
  EXPECT_FALSE(producer.ProduceSync("fatal-test", "k", "v", {}, absl::Seconds(5)).ok());
  producer.Stop(absl::ZeroDuration());
  EXPECT_EQ(fatal_calls.load(), 1);
}

}  // namespace
}  // namespace salesops
