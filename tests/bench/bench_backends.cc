#include "tests/bench/bench_backends.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/config/config.h"

ABSL_FLAG(std::string, redis_user, "", "Redis ACL user; empty = no AUTH");
ABSL_FLAG(std::string, redis_password_file, "", "File holding the Redis password");
ABSL_FLAG(std::string, kafka_sasl_mechanism, "", "PLAIN, SCRAM-SHA-256/512; empty = none");
ABSL_FLAG(std::string, kafka_user, "", "Kafka SASL user");
ABSL_FLAG(std::string, kafka_password_file, "", "File holding the Kafka SASL password");

namespace salesops::bench {

void ApplyRedisAuth(RedisOptions* options) {
  ConfigCheck check;
  options->user = absl::GetFlag(FLAGS_redis_user);
  if (const std::string file = absl::GetFlag(FLAGS_redis_password_file); !file.empty()) {
    options->password = check.SecretFile("redis_password_file", file);
  }
  check.ExitIfInvalid();
}

KafkaSasl KafkaAuth() {
  static const KafkaSasl* sasl = [] {
    auto* s = new KafkaSasl;
    ConfigCheck check;
    s->mechanism = absl::GetFlag(FLAGS_kafka_sasl_mechanism);
    s->username = absl::GetFlag(FLAGS_kafka_user);
    if (const std::string file = absl::GetFlag(FLAGS_kafka_password_file); !file.empty()) {
      s->password = check.SecretFile("kafka_password_file", file);
    }
    check.ExitIfInvalid();
    return s;
  }();
  return *sasl;
}

void ApplyKafkaAuth(RdKafka::Conf& conf) {
  std::string err;
  for (const auto& [k, v] : KafkaSaslProperties(KafkaAuth())) {
    conf.set(k, v, err);
  }
}

std::unique_ptr<RdKafka::KafkaConsumer> PlainConsumer(const std::string& bootstrap,
                                                      const std::string& group,
                                                      const std::string& topic,
                                                      const std::string& reset) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", bootstrap, err);
  ApplyKafkaAuth(*conf);
  conf->set("group.id", group, err);
  conf->set("auto.offset.reset", reset, err);
  conf->set("fetch.wait.max.ms", "5", err);
  std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf.get(), err));
  c->subscribe({topic});
  if (reset == "earliest") {
    return c;  // reads from the start: nothing may be dropped
  }
  // Join the group (and get partitions) before anything is timed.
  for (int i = 0; i < 100; ++i) {
    delete c->consume(100);
    std::vector<RdKafka::TopicPartition*> parts;
    c->assignment(parts);
    const bool assigned = !parts.empty();
    RdKafka::TopicPartition::destroy(parts);
    if (assigned && i > 10) {
      break;
    }
  }
  return c;
}

ConsumerOptions Group(const std::string& bootstrap, const std::string& group,
                      const std::string& topic, const std::string& dlq, const std::string& owner) {
  ConsumerOptions o;
  o.bootstrap = bootstrap;
  o.sasl = KafkaAuth();
  o.group_id = group;
  o.topics = {topic};
  o.topic_owners = {{topic, owner}};
  o.dlq_topic = dlq;
  return o;
}

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::pair<double, double> MachineCpuSeconds() {
  std::FILE* f = std::fopen("/proc/stat", "r");
  if (f == nullptr) {
    return {-1, -1};
  }
  unsigned long long v[8] = {};  // user nice system idle iowait irq softirq steal
  const int got = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                              &v[3], &v[4], &v[5], &v[6], &v[7]);
  std::fclose(f);
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  if (got != 8 || hz <= 0) {
    return {-1, -1};
  }
  double total = 0;
  for (unsigned long long x : v) {
    total += static_cast<double>(x);
  }
  return {(total - static_cast<double>(v[3] + v[4])) / hz, total / hz};
}

double RedisCpuSeconds(RedisClient& redis) {
  absl::StatusOr<RedisValue> info = redis.Command({"INFO", "cpu"});
  if (!info.ok()) {
    return -1;
  }
  double total = 0;
  int found = 0;
  for (absl::string_view line : absl::StrSplit(info->str, absl::ByAnyChar("\r\n"))) {
    for (absl::string_view field : {"used_cpu_sys:", "used_cpu_user:"}) {
      double v = 0;
      if (absl::ConsumePrefix(&line, field) && absl::SimpleAtod(line, &v)) {
        total += v;
        ++found;
      }
    }
  }
  return found == 2 ? total : -1;
}

std::map<std::string, CommandStat> RedisCommandStats(RedisClient& redis) {
  std::map<std::string, CommandStat> out;
  absl::StatusOr<RedisValue> info = redis.Command({"INFO", "commandstats"});
  if (!info.ok()) {
    return out;
  }
  // cmdstat_hincrby:calls=219608,usec=98402,…
  for (absl::string_view line : absl::StrSplit(info->str, absl::ByAnyChar("\r\n"))) {
    if (!absl::ConsumePrefix(&line, "cmdstat_")) {
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      continue;
    }
    CommandStat stat;
    bool calls = false, usec = false;
    for (absl::string_view part : absl::StrSplit(line.substr(colon + 1), ',')) {
      if (absl::ConsumePrefix(&part, "calls=")) {
        calls = absl::SimpleAtoi(part, &stat.calls);
      } else if (absl::ConsumePrefix(&part, "usec=")) {
        usec = absl::SimpleAtoi(part, &stat.usec);
      }
    }
    if (calls && usec) {
      out[std::string(line.substr(0, colon))] = stat;
    }
  }
  return out;
}

std::string PerEventJson(const std::map<std::string, CommandStat>& before,
                         const std::map<std::string, CommandStat>& after, double n, bool usec) {
  std::string out = "{";
  for (const auto& [command, stat] : after) {
    auto it = before.find(command);
    const CommandStat was = it == before.end() ? CommandStat{} : it->second;
    const double per = (usec ? stat.usec - was.usec : stat.calls - was.calls) / n;
    if (command == "info" || per < 0.01) {
      continue;
    }
    absl::StrAppend(&out, out.size() > 1 ? "," : "", "\"", command,
                    "\":", absl::StrFormat("%.2f", per));
  }
  return out + "}";
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return -1;
  }
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

std::string Header(RdKafka::Message& m, const std::string& name) {
  const RdKafka::Headers* h = m.headers();
  if (h == nullptr) {
    return "";
  }
  for (const RdKafka::Headers::Header& x : h->get(name)) {
    return std::string(static_cast<const char*>(x.value()), x.value_size());
  }
  return "";
}

RawLatency::RawLatency(std::unique_ptr<RdKafka::KafkaConsumer> consumer, int n,
                       absl::Duration timeout)
    : consumer_(std::move(consumer)), n_(n) {
  const absl::Time end = absl::Now() + timeout;
  reader_ = std::thread([this, end] { Read(end); });
}

RawLatency::~RawLatency() { (void)Wait(); }

void RawLatency::Sent(const std::string& key) {
  absl::MutexLock lock(&mu_);
  sent_[key] = absl::Now();
}

void RawLatency::Read(absl::Time end) {
  while (!done_.load() && absl::Now() < end) {
    std::unique_ptr<RdKafka::Message> msg(consumer_->consume(50));
    if (msg->err() != RdKafka::ERR_NO_ERROR || msg->key() == nullptr) {
      continue;
    }
    const absl::Time now = absl::Now();
    absl::MutexLock lock(&mu_);
    auto it = sent_.find(*msg->key());
    if (it == sent_.end()) {
      continue;
    }
    ms_.push_back(absl::ToDoubleMilliseconds(now - it->second));
    sent_.erase(it);
    if (static_cast<int>(ms_.size()) == n_) {
      done_ = true;
    }
  }
}

std::vector<double> RawLatency::Wait() {
  if (reader_.joinable()) {
    reader_.join();
    consumer_->close();
  }
  absl::MutexLock lock(&mu_);
  return ms_;
}

}  // namespace salesops::bench
