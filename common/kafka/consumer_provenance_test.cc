// The shared consumer's provenance check: on a topic owned by a service, only
// events whose ce_source and ce_type are that service's reach the handler;
// the rest are dead-lettered with the reason and the consumer goes on; a
// record its handler calls bad is dead-lettered after one attempt; a stop
// during a batch's one-by-one pass leaves the rest of the batch for later.
// Runs against librdkafka's in-process mock cluster (no real Kafka needed).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/events/cloud_event.h"
#include "common/kafka/consumer.h"
#include "common/kafka/producer.h"
#include "common/status/errors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace salesops {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kOrgTopic[] = "salesops.org.events.v1";
constexpr char kDlq[] = "salesops.test-provenance.dlq.v1";

CloudEvent Event(std::string id, std::string source, std::string type) {
  CloudEvent e;
  e.id = std::move(id);
  e.source = std::move(source);
  e.type = std::move(type);
  e.subject = "orgUnits/u1";
  e.key = "u1";
  e.time = absl::Now();
  e.data = "payload";
  return e;
}

// Topic owners follow the topic naming convention; other names have none.
TEST(ProvenanceTest, ConventionalTopicOwner) {
  EXPECT_EQ(ConventionalTopicOwner("salesops.org.events.v1"), "org");
  EXPECT_EQ(ConventionalTopicOwner("salesops.customers.events.v1"), "customers");
  EXPECT_EQ(ConventionalTopicOwner("salesops.org-headcount.dlq.v1"), "");
  EXPECT_EQ(ConventionalTopicOwner("salesops.share.customers.v1"), "");
  EXPECT_EQ(ConventionalTopicOwner("salesops..events.v1"), "");
  EXPECT_EQ(ConventionalTopicOwner("other.org.events.v1"), "");
}

// Source and type must both be the owner's; the status names the attribute.
TEST(ProvenanceTest, CheckProvenance) {
  EXPECT_TRUE(
      CheckProvenance(Event("1", "/salesops/org", "salesops.org.v1.OrgUnitCreated"), "org").ok());

  absl::Status s =
      CheckProvenance(Event("2", "/salesops/customers", "salesops.org.v1.OrgUnitCreated"), "org");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReason(s), "EVENT_PROVENANCE");
  EXPECT_THAT(std::string(s.message()), HasSubstr("ce_source '/salesops/customers'"));

  s = CheckProvenance(Event("3", "/salesops/org", "salesops.customers.v1.OpportunityWon"), "org");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("ce_type 'salesops.customers.v1.OpportunityWon'"));

  // A prefix match on the service name is not enough ("org" vs "organisation").
  EXPECT_FALSE(
      CheckProvenance(Event("4", "/salesops/organisation", "salesops.organisation.v1.X"), "org")
          .ok());
  EXPECT_FALSE(CheckProvenance(Event("5", "/salesops/org", "salesops.org.v1."), "org").ok());
}

// Records the events handed to it; thread-safe.
class RecordingHandler : public EventHandler {
 public:
  absl::Status Handle(const CloudEvent& event) override {
    absl::MutexLock lock(&mu_);
    ids_.push_back(event.id);
    return absl::OkStatus();
  }
  // Waits (bounded) until `n` events were handled; returns their ids.
  std::vector<std::string> WaitFor(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ids_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return ids_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> ids_ ABSL_GUARDED_BY(mu_);
};

// An in-process mock cluster with the org topic and a dead-letter topic.
class MockCluster {
 public:
  MockCluster() {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    mcluster_ = rd_kafka_mock_cluster_new(rk_, 1);
    rd_kafka_mock_topic_create(mcluster_, kOrgTopic, 1, 1);
    rd_kafka_mock_topic_create(mcluster_, kDlq, 1, 1);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(mcluster_);
    rd_kafka_destroy(rk_);
  }
  std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(mcluster_); }
  // A producer's options for this cluster, lingering `linger` (1 ms: at once).
  ProducerOptions producer_options(absl::Duration linger = absl::Milliseconds(1)) const {
    ProducerOptions o;
    o.bootstrap = bootstrap();
    o.linger = linger;
    o.message_timeout = absl::Seconds(10);
    return o;
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* mcluster_ = nullptr;
};

struct DlqRecord {
  std::string id;
  std::map<std::string, std::string> headers;
};

// Reads `n` records of the dead-letter topic from its beginning (bounded wait).
std::vector<DlqRecord> ReadDlq(const std::string& bootstrap, size_t n) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", bootstrap, err);
  conf->set("group.id", "provenance-test-reader", err);
  std::unique_ptr<RdKafka::KafkaConsumer> reader(RdKafka::KafkaConsumer::create(conf.get(), err));
  std::vector<RdKafka::TopicPartition*> parts = {
      RdKafka::TopicPartition::create(kDlq, 0, RdKafka::Topic::OFFSET_BEGINNING)};
  reader->assign(parts);
  RdKafka::TopicPartition::destroy(parts);
  std::vector<DlqRecord> out;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (out.size() < n && absl::Now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(reader->consume(200));
    if (m->err() != RdKafka::ERR_NO_ERROR) {
      continue;
    }
    DlqRecord r;
    for (const auto& h : m->headers()->get_all()) {
      r.headers[h.key()] = std::string(static_cast<const char*>(h.value()), h.value_size());
    }
    r.id = r.headers["ce_id"];
    out.push_back(std::move(r));
  }
  reader->close();
  return out;
}

// Forged records on the org topic go to the dead-letter topic with the reason;
// the genuine ones before and after them are handled, in order.
TEST(ProvenanceMockTest, ForeignEventsAreDeadLettered) {
  MockCluster cluster;
  KafkaProducer producer(cluster.producer_options());
  ASSERT_TRUE(producer.Start().ok());
  const std::vector<CloudEvent> events = {
      Event("good-1", "/salesops/org", "salesops.org.v1.OrgUnitCreated"),
      Event("forged-source", "/salesops/customers", "salesops.org.v1.OrgUnitCreated"),
      Event("forged-type", "/salesops/org", "salesops.customers.v1.OpportunityWon"),
      Event("good-2", "/salesops/org", "salesops.org.v1.MemberJoined"),
  };
  for (const CloudEvent& e : events) {
    ASSERT_TRUE(
        producer.ProduceSync(kOrgTopic, e.key, e.data, ToKafkaHeaders(e), absl::Seconds(10)).ok());
  }

  RecordingHandler handler;
  ConsumerOptions copts;
  copts.bootstrap = cluster.bootstrap();
  copts.group_id = "org-provenance-test";
  copts.topics = {kOrgTopic};  // owner "org" by the topic's name
  copts.dlq_topic = kDlq;
  copts.retry_backoff = absl::Milliseconds(10);
  KafkaEventConsumer consumer(copts, handler, producer);
  ASSERT_TRUE(consumer.Start().ok());

  EXPECT_THAT(handler.WaitFor(2, absl::Seconds(20)), ElementsAre("good-1", "good-2"));
  std::vector<DlqRecord> dlq = ReadDlq(cluster.bootstrap(), 2);
  ASSERT_EQ(dlq.size(), 2u);
  EXPECT_EQ(dlq[0].id, "forged-source");
  EXPECT_EQ(dlq[0].headers["x-salesops-dlq-code"], "PERMISSION_DENIED");
  EXPECT_THAT(dlq[0].headers["x-salesops-dlq-reason"], HasSubstr("ce_source"));
  EXPECT_EQ(dlq[0].headers["x-salesops-dlq-topic"], kOrgTopic);
  EXPECT_EQ(dlq[1].id, "forged-type");
  EXPECT_THAT(dlq[1].headers["x-salesops-dlq-reason"], HasSubstr("ce_type"));

  consumer.Stop();  // joins the loop: the counters are final
  EXPECT_EQ(consumer.stats().dead_lettered.load(), 2);
  EXPECT_EQ(consumer.stats().processed.load(), 2);
  producer.Stop();
}

// Fails events by id: "bad-*" with INVALID_ARGUMENT (the record is bad),
// "stubborn-*" with FAILED_PRECONDITION (not retryable, but not known to be
// the record's fault); the rest are recorded.
class FailingHandler : public RecordingHandler {
 public:
  absl::Status Handle(const CloudEvent& event) override {
    if (absl::StartsWith(event.id, "bad-")) {
      return InvalidField("data", "cannot be decoded");
    }
    if (absl::StartsWith(event.id, "stubborn-")) {
      return absl::FailedPreconditionError("not yet");
    }
    return RecordingHandler::Handle(event);
  }
};

// A record its handler calls bad (INVALID_ARGUMENT) is dead-lettered after one
// attempt, so it does not hold its partition back through the backoff; other
// non-retryable failures get max_attempts tries. The good records around them
// are handled in order.
TEST(ProvenanceMockTest, BadRecordsAreDeadLetteredAtOnceOthersAfterMaxAttempts) {
  MockCluster cluster;
  KafkaProducer producer(cluster.producer_options());
  ASSERT_TRUE(producer.Start().ok());
  for (const char* id : {"good-1", "bad-1", "stubborn-1", "good-2"}) {
    CloudEvent e = Event(id, "/salesops/org", "salesops.org.v1.OrgUnitCreated");
    ASSERT_TRUE(
        producer.ProduceSync(kOrgTopic, e.key, e.data, ToKafkaHeaders(e), absl::Seconds(10)).ok());
  }
  FailingHandler handler;
  ConsumerOptions copts;
  copts.bootstrap = cluster.bootstrap();
  copts.group_id = "org-dead-letter-test";
  copts.topics = {kOrgTopic};
  copts.dlq_topic = kDlq;
  copts.max_attempts = 3;
  copts.retry_backoff = absl::Milliseconds(10);
  KafkaEventConsumer consumer(copts, handler, producer);
  ASSERT_TRUE(consumer.Start().ok());

  EXPECT_THAT(handler.WaitFor(2, absl::Seconds(20)), ElementsAre("good-1", "good-2"));
  std::vector<DlqRecord> dlq = ReadDlq(cluster.bootstrap(), 2);
  ASSERT_EQ(dlq.size(), 2u);
  EXPECT_EQ(dlq[0].id, "bad-1");
  EXPECT_EQ(dlq[0].headers["x-salesops-dlq-code"], "INVALID_ARGUMENT");
  EXPECT_EQ(dlq[0].headers["x-salesops-dlq-attempts"], "1");
  EXPECT_EQ(dlq[1].id, "stubborn-1");
  EXPECT_EQ(dlq[1].headers["x-salesops-dlq-code"], "FAILED_PRECONDITION");
  EXPECT_EQ(dlq[1].headers["x-salesops-dlq-attempts"], "3");
  consumer.Stop();
  EXPECT_EQ(consumer.stats().dead_lettered.load(), 2);
  producer.Stop();
}

// Asks, as each record is handled, whether its consumer is behind (Behind
// with no lag allowed): what the warning engine asks before judging a period.
class BehindProbe : public RecordingHandler {
 public:
  absl::Status Handle(const CloudEvent& event) override {
    {
      absl::MutexLock lock(&mu_);
      behind_.push_back(stats_ != nullptr && Behind(*stats_, 0));
    }
    return RecordingHandler::Handle(event);
  }
  void Watch(const ConsumerStats& stats) { stats_ = &stats; }
  std::vector<bool> behind() {
    absl::MutexLock lock(&mu_);
    return behind_;
  }

 private:
  const ConsumerStats* stats_ = nullptr;
  absl::Mutex mu_;
  std::vector<bool> behind_ ABSL_GUARDED_BY(mu_);
};

// A restarted consumer whose group has read everything is caught up at once,
// though it consumes nothing (its partitions have no position until a record
// arrives: the committed offsets stand in for it). The first one, starting on
// a backlog, is behind as it handles its first record: right after the
// assignment nothing is known of the partition's end, and its lag once known
// counts that record; caught up, it is no longer behind.
TEST(ProvenanceMockTest, ARestartedConsumerWithNothingNewIsCaughtUp) {
  MockCluster cluster;
  KafkaProducer producer(cluster.producer_options());
  ASSERT_TRUE(producer.Start().ok());
  for (const char* id : {"e-1", "e-2", "e-3"}) {
    CloudEvent e = Event(id, "/salesops/org", "salesops.org.v1.OrgUnitCreated");
    ASSERT_TRUE(
        producer.ProduceSync(kOrgTopic, e.key, e.data, ToKafkaHeaders(e), absl::Seconds(10)).ok());
  }
  ConsumerOptions copts;
  copts.bootstrap = cluster.bootstrap();
  copts.group_id = "org-restart-test";
  copts.topics = {kOrgTopic};
  copts.dlq_topic = kDlq;
  auto caught_up = [](const KafkaEventConsumer& c) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      if (c.stats().caught_up.load() == 1) {
        return true;
      }
      absl::SleepFor(absl::Milliseconds(50));  // polling the gauge
    }
    return false;
  };
  {
    BehindProbe handler;
    KafkaEventConsumer first(copts, handler, producer);
    handler.Watch(first.stats());
    ASSERT_TRUE(first.Start().ok());
    EXPECT_THAT(handler.WaitFor(3, absl::Seconds(20)), ElementsAre("e-1", "e-2", "e-3"));
    ASSERT_FALSE(handler.behind().empty());
    EXPECT_TRUE(handler.behind()[0]);
    EXPECT_TRUE(caught_up(first));
    EXPECT_FALSE(Behind(first.stats(), 0));
    first.Stop();  // commits the stored offsets
  }
  RecordingHandler handler;
  KafkaEventConsumer second(copts, handler, producer);
  ASSERT_TRUE(second.Start().ok());
  EXPECT_TRUE(caught_up(second)) << "lag " << second.stats().lag.load();
  EXPECT_EQ(second.stats().lag.load(), 0);
  EXPECT_FALSE(Behind(second.stats(), 0));
  second.Stop();
  EXPECT_EQ(second.stats().processed.load(), 0) << "nothing was read again";
  producer.Stop();
}

// PatientFetch's properties, which librdkafka accepts, and a consumer using
// them still gets a lone event; zero asks for no wait. (librdkafka's mock broker
// does not hold a fetch for fetch.min.bytes: the real broker's bounded hold is
// what the integration tests' directory barriers wait through.)
TEST(ProvenanceMockTest, APatientConsumerStillGetsALoneEvent) {
  EXPECT_TRUE(PatientFetch(absl::ZeroDuration()).empty());
  EXPECT_THAT(PatientFetch(absl::Milliseconds(50)),
              ::testing::UnorderedElementsAre(::testing::Pair("fetch.wait.max.ms", "50"),
                                              ::testing::Pair("fetch.min.bytes", "65536")));
  MockCluster cluster;
  KafkaProducer producer(cluster.producer_options());
  ASSERT_TRUE(producer.Start().ok());
  ConsumerOptions copts;
  copts.bootstrap = cluster.bootstrap();
  copts.group_id = "org-patient-test";
  copts.topics = {kOrgTopic};
  copts.dlq_topic = kDlq;
  copts.extra = PatientFetch(absl::Milliseconds(50));
  RecordingHandler handler;
  KafkaEventConsumer consumer(copts, handler, producer);
  ASSERT_TRUE(consumer.Start().ok());
  CloudEvent e = Event("lone-1", "/salesops/org", "salesops.org.v1.OrgUnitCreated");
  ASSERT_TRUE(
      producer.ProduceSync(kOrgTopic, e.key, e.data, ToKafkaHeaders(e), absl::Seconds(10)).ok());
  EXPECT_THAT(handler.WaitFor(1, absl::Seconds(20)), ElementsAre("lone-1"));
  consumer.Stop();
  producer.Stop();
}

// Fails every batch at once (so each record goes one by one) and asks its
// consumer to stop while handling the first record on its own.
class StopOnFirstHandler : public RecordingHandler {
 public:
  std::vector<absl::Status> HandleBatch(const std::vector<const CloudEvent*>& events) override {
    absl::MutexLock lock(&mu_);
    batch_sizes_.push_back(events.size());
    return std::vector<absl::Status>(events.size(), absl::UnavailableError("batch refused"));
  }
  absl::Status Handle(const CloudEvent& event) override {
    consumer->RequestStop();
    return RecordingHandler::Handle(event);
  }
  std::vector<size_t> batch_sizes() {
    absl::MutexLock lock(&mu_);
    return batch_sizes_;
  }
  KafkaEventConsumer* consumer = nullptr;

 private:
  absl::Mutex mu_;
  std::vector<size_t> batch_sizes_ ABSL_GUARDED_BY(mu_);
};

// A stop while a failed batch's records go one by one ends the pass after the
// record in hand, not after up to max_batch more; that record's offset is
// stored, so the next consumer of the group is handed the rest, in order.
TEST(ProvenanceMockTest, StopEndsABatchsOneByOnePassAndTheRestIsRedone) {
  MockCluster cluster;
  // The six in one record batch, fetched together.
  KafkaProducer producer(cluster.producer_options(absl::Milliseconds(100)));
  ASSERT_TRUE(producer.Start().ok());
  const std::vector<std::string> ids = {"e-1", "e-2", "e-3", "e-4", "e-5", "e-6"};
  for (const std::string& id : ids) {
    CloudEvent e = Event(id, "/salesops/org", "salesops.org.v1.OrgUnitCreated");
    ASSERT_TRUE(producer
                    .Produce(kOrgTopic, e.key, e.data, ToKafkaHeaders(e),
                             [](absl::Status s) { EXPECT_TRUE(s.ok()) << s; })
                    .ok());
  }
  ASSERT_TRUE(producer.Flush(absl::Seconds(10)).ok());
  ConsumerOptions copts;
  copts.bootstrap = cluster.bootstrap();
  copts.group_id = "org-stop-mid-batch-test";
  copts.topics = {kOrgTopic};
  copts.dlq_topic = kDlq;
  {
    StopOnFirstHandler handler;
    KafkaEventConsumer first(copts, handler, producer);
    handler.consumer = &first;
    ASSERT_TRUE(first.Start().ok());
    EXPECT_THAT(handler.WaitFor(1, absl::Seconds(20)), ElementsAre("e-1"));
    first.Stop();  // joins the loop: whatever it was going to handle, it has
    // All six were in one record batch before the consumer started: one batch.
    ASSERT_THAT(handler.batch_sizes(), ElementsAre(ids.size()));
    EXPECT_THAT(handler.WaitFor(1, absl::ZeroDuration()), ElementsAre("e-1"))
        << "records after the stop were handled";
    EXPECT_EQ(first.stats().processed.load(), 1);
  }
  RecordingHandler handler;
  KafkaEventConsumer second(copts, handler, producer);
  ASSERT_TRUE(second.Start().ok());
  const std::vector<std::string> rest(ids.begin() + 1, ids.end());
  EXPECT_THAT(handler.WaitFor(rest.size(), absl::Seconds(20)), ::testing::ElementsAreArray(rest));
  second.Stop();
  producer.Stop();
}

// A topic whose owner is neither declared nor in its name stops Start, naming the setting.
TEST(ProvenanceMockTest, TopicWithoutOwnerFailsStart) {
  MockCluster cluster;
  ProducerOptions popts;
  popts.bootstrap = cluster.bootstrap();
  KafkaProducer producer(popts);
  ASSERT_TRUE(producer.Start().ok());
  RecordingHandler handler;
  ConsumerOptions copts;
  copts.bootstrap = cluster.bootstrap();
  copts.group_id = "org-provenance-test-2";
  copts.topics = {"some.other.topic"};
  copts.dlq_topic = kDlq;
  KafkaEventConsumer consumer(copts, handler, producer);
  absl::Status s = consumer.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  std::vector<FieldViolation> v = FieldViolations(s);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].field, "topic_owners");
  EXPECT_THAT(v[0].description, HasSubstr("some.other.topic"));

  copts.topic_owners = {{"some.other.topic", "org"}};  // declared: fine
  KafkaEventConsumer declared(copts, handler, producer);
  EXPECT_TRUE(declared.Start().ok());
  declared.Stop();
  producer.Stop(absl::ZeroDuration());
}

}  // namespace
}  // namespace salesops
