#include "services/sync/store/redis_sync_repository.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/projection/projection_store.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"

namespace salesops::sync {
namespace {

constexpr long long kRequestTtlSeconds = 24 * 3600;

std::string IndexKey(const std::string& index) { return SyncKey(absl::StrCat("ix:", index)); }
std::string ScheduleKey(const std::string& s) { return SyncKey(absl::StrCat("sch:", s)); }
std::string CounterKey(const std::string& c) { return SyncKey(absl::StrCat("cnt:", c)); }
std::string DocKey(DocKind kind, const std::string& id) {
  return DocStore::DocKeyWith(kKeyPrefix, DocKindName(kind), id);
}

int64_t ToInt(const std::string& s) {
  int64_t v = 0;
  (void)absl::SimpleAtoi(s, &v);
  return v;
}

// The failed guard of a commit as the status SyncRepository promises.
absl::Status Failure(const CommitResult& r) {
  std::vector<std::string> parts = absl::StrSplit(r.failed_tag, absl::MaxSplits(':', 1));
  const std::string& what = parts[0];
  const std::string detail = parts.size() > 1 ? parts[1] : "";
  if (what == "version") {
    return Aborted(reason::kEtagMismatch,
                   absl::StrCat(detail, " changed since it was read (etag); re-read and retry"));
  }
  if (what == "exists") {
    return AlreadyExists(reason::kResourceExists, absl::StrCat(detail, " already exists"), detail);
  }
  if (what == "request") {
    return AlreadyExists(reason::kRequestReplayed, r.current, r.current);
  }
  return Aborted(reason::kWriteConflict, absl::StrCat("write guard failed: ", r.failed_tag));
}

}  // namespace

std::string SyncKey(absl::string_view suffix) { return absl::StrCat(kKeyPrefix, suffix); }

RedisSyncRepository::RedisSyncRepository(RedisClient& redis, TransactionalOutbox& outbox,
                                         const Clock& clock)
    : redis_(redis), outbox_(outbox), clock_(clock), docs_(redis, outbox, kKeyPrefix) {}

absl::StatusOr<std::optional<StoredDoc>> RedisSyncRepository::Get(DocKind kind,
                                                                  const std::string& id) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, redis_.Command({"HMGET", DocKey(kind, id), "v", "pb"}));
  if (v.elements.size() != 2 || v.elements[0].is_nil()) {
    return std::nullopt;
  }
  return StoredDoc{v.elements[1].str, ToInt(v.elements[0].str)};
}

absl::StatusOr<std::vector<std::optional<StoredDoc>>> RedisSyncRepository::GetMany(
    DocKind kind, const std::vector<std::string>& ids) {
  std::vector<std::optional<StoredDoc>> out(ids.size());
  if (ids.empty()) {
    return out;
  }
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(ids.size());
  for (const std::string& id : ids) {
    cmds.push_back({"HMGET", DocKey(kind, id), "v", "pb"});
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> replies, redis_.Pipeline(cmds));
  for (size_t i = 0; i < ids.size() && i < replies.size(); ++i) {
    const RedisValue& v = replies[i];
    if (v.elements.size() != 2 || v.elements[0].is_nil()) {
      continue;
    }
    out[i] = StoredDoc{v.elements[1].str, ToInt(v.elements[0].str)};
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> RedisSyncRepository::Range(const std::string& index,
                                                                    const std::string& after,
                                                                    int limit) {
  return docs_.Range(IndexKey(index), after, limit);
}

absl::StatusOr<std::vector<std::string>> RedisSyncRepository::Due(const std::string& schedule,
                                                                  int64_t until, int limit) {
  return docs_.Due(ScheduleKey(schedule), until, limit);
}

absl::StatusOr<std::map<std::string, int64_t>> RedisSyncRepository::Counters(
    const std::string& hash) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, redis_.Command({"HGETALL", CounterKey(hash)}));
  std::map<std::string, int64_t> out;
  for (size_t i = 0; i + 1 < v.elements.size(); i += 2) {
    out[v.elements[i].str] = ToInt(v.elements[i + 1].str);
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> RedisSyncRepository::FindRequest(
    const std::string& caller, const std::string& request_id) {
  return docs_.SeenRequest(caller, request_id);
}

WriteBatch RedisSyncRepository::ToBatch(const Change& c) const {
  WriteBatch b;
  if (!c.request_id.empty()) {
    DocStore::GuardRequestWith(kKeyPrefix, b, c.request_caller, c.request_id, c.request_resource);
  }
  for (const DocPut& p : c.puts) {
    const std::string key = DocKey(p.kind, p.id);
    if (p.expect_version == 0) {
      b.ExpectAbsent(key, absl::StrCat("exists:", DocKindName(p.kind), "/", p.id));
    } else {
      // "also_changed:" is no tag Failure knows: WRITE_CONFLICT.
      b.ExpectHashField(
          key, "v", absl::StrCat(p.expect_version),
          absl::StrCat(p.other ? "also_changed:" : "version:", DocKindName(p.kind), "/", p.id));
    }
    b.HSet(key, {{"v", absl::StrCat(p.expect_version + 1)}, {"pb", p.data}});
  }
  for (const IndexOp& op : c.indexes) {
    if (op.add) {
      b.ZAdd(IndexKey(op.index), 0, op.member);
    } else {
      b.ZRem(IndexKey(op.index), op.member);
    }
  }
  for (const ScheduleOp& op : c.schedules) {
    if (op.add) {
      b.ZAdd(ScheduleKey(op.schedule), static_cast<double>(op.score), op.member);
    } else {
      b.ZRem(ScheduleKey(op.schedule), op.member);
    }
  }
  for (const CounterOp& op : c.counters) {
    b.HIncrBy(CounterKey(op.hash), op.field, op.delta);
  }
  const int64_t now_ms = absl::ToUnixMillis(clock_.Now());
  for (const std::string& customer : c.dirty_shares) {
    b.HIncrBy(SyncKey("share:seq"), customer, 1);
    b.ZAdd(SyncKey("share:dirty"), static_cast<double>(now_ms), customer);
  }
  for (const OutEvent& e : c.events) {
    b.Emit(e.event, e.topic);
  }
  return b;
}

absl::Status RedisSyncRepository::Commit(const Change& change) {
  SALESOPS_ASSIGN_OR_RETURN(CommitResult r, outbox_.Commit(ToBatch(change)));
  return r.committed ? absl::OkStatus() : Failure(r);
}

absl::StatusOr<ApplyOutcome> RedisSyncRepository::ApplyOnce(const std::string& consumer,
                                                            const CloudEvent& cause,
                                                            const Change& change) {
  ProjectionStore seen(outbox_, SyncKey(absl::StrCat("seen:", consumer, ":")));
  SALESOPS_ASSIGN_OR_RETURN(CommitResult r, seen.TryApplyOnce(cause, ToBatch(change)));
  if (r.committed) {
    return ApplyOutcome::kApplied;
  }
  if (r.failed_tag == ProjectionStore::kSeenTag) {
    return ApplyOutcome::kSeen;
  }
  return Failure(r);
}

absl::StatusOr<std::vector<DirtyShare>> RedisSyncRepository::DirtyShares(int limit) {
  SALESOPS_ASSIGN_OR_RETURN(
      std::vector<std::string> customers,
      docs_.Due(SyncKey("share:dirty"), std::numeric_limits<int64_t>::max(), limit));
  std::vector<DirtyShare> out;
  if (customers.empty()) {
    return out;
  }
  std::vector<std::string> cmd = {"HMGET", SyncKey("share:seq")};
  cmd.insert(cmd.end(), customers.begin(), customers.end());
  SALESOPS_ASSIGN_OR_RETURN(RedisValue seqs, redis_.Command(cmd));
  for (size_t i = 0; i < customers.size(); ++i) {
    const int64_t seq = i < seqs.elements.size() ? ToInt(seqs.elements[i].str) : 0;
    out.push_back({customers[i], seq});
  }
  return out;
}

absl::StatusOr<bool> RedisSyncRepository::ClearDirtyShare(const DirtyShare& d) {
  WriteBatch b;
  b.ExpectHashField(SyncKey("share:seq"), d.customer, absl::StrCat(d.seq), "seq");
  b.ZRem(SyncKey("share:dirty"), d.customer);
  SALESOPS_ASSIGN_OR_RETURN(CommitResult r, outbox_.Commit(b));
  return r.committed;
}

}  // namespace salesops::sync
