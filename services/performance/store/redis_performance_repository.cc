#include "services/performance/store/redis_performance_repository.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"

namespace salesops::performance {
namespace {

constexpr char kSeenTag[] = "seen";
// Guards of PutOtherDoc and ExpectOtherField: WRITE_CONFLICT, not ETAG_MISMATCH.
constexpr char kOtherTag[] = "also_changed";

int64_t ToInt(const std::string& s) {
  int64_t v = 0;
  (void)absl::SimpleAtoi(s, &v);
  return v;
}

// ZRANGEBYLEX bounds for members starting with `prefix` after `after`.
std::pair<std::string, std::string> LexBounds(const std::string& prefix, const std::string& after) {
  std::string min = "-";
  if (!after.empty() && after >= prefix) {
    min = absl::StrCat("(", after);
  } else if (!prefix.empty()) {
    min = absl::StrCat("[", prefix);
  }
  // "\xff" sorts after every UTF-8 byte, so "[prefix\xff" bounds the prefix.
  std::string max = prefix.empty() ? "+" : absl::StrCat("[", prefix, "\xff");
  return {min, max};
}

}  // namespace

std::string PerfKey(absl::string_view suffix) { return absl::StrCat(kKeyPrefix, suffix); }

std::string RedisPerformanceRepository::DocKey(DocKind kind, absl::string_view id) {
  return absl::StrCat(kKeyPrefix, "doc:", DocKindName(kind), ":", id);
}

std::string RedisPerformanceRepository::MapKey(MapKind map, absl::string_view id) {
  if (id.empty()) {
    return absl::StrCat(kKeyPrefix, MapKindName(map));
  }
  return absl::StrCat(kKeyPrefix, MapKindName(map), ":", id);
}

std::string RedisPerformanceRepository::IndexKey(absl::string_view index) {
  return absl::StrCat(kKeyPrefix, "ix:", index);
}

std::string RedisPerformanceRepository::SeenKey(const CloudEvent& event) {
  // (source, id) identifies an event.
  return absl::StrCat(kKeyPrefix, "seen:", event.source, ":", event.id);
}

absl::StatusOr<std::optional<Doc>> RedisPerformanceRepository::GetDoc(DocKind kind,
                                                                      const std::string& id) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs, GetDocs(kind, {id}));
  return std::move(docs[0]);
}

absl::StatusOr<std::vector<std::optional<Doc>>> RedisPerformanceRepository::GetDocs(
    DocKind kind, const std::vector<std::string>& ids) {
  std::vector<std::optional<Doc>> out(ids.size());
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
    out[i] = Doc{ids[i], ToInt(v.elements[0].str), v.elements[1].str};
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> RedisPerformanceRepository::Range(
    const std::string& index, const std::string& prefix, const std::string& after, int limit) {
  const auto [min, max] = LexBounds(prefix, after);
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v,
                            redis_.Command({"ZRANGEBYLEX", IndexKey(index), min, max, "LIMIT", "0",
                                            absl::StrCat(std::max(limit, 0))}));
  std::vector<std::string> out;
  out.reserve(v.elements.size());
  for (const RedisValue& e : v.elements) {
    out.push_back(e.str);
  }
  return out;
}

absl::StatusOr<std::vector<std::optional<std::string>>> RedisPerformanceRepository::GetFields(
    MapKind map, const std::string& id, const std::vector<std::string>& fields) {
  std::vector<std::optional<std::string>> out(fields.size());
  if (fields.empty()) {
    return out;
  }
  std::vector<std::string> cmd = {"HMGET", MapKey(map, id)};
  cmd.insert(cmd.end(), fields.begin(), fields.end());
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, redis_.Command(cmd));
  for (size_t i = 0; i < fields.size() && i < v.elements.size(); ++i) {
    if (!v.elements[i].is_nil()) {
      out[i] = v.elements[i].str;
    }
  }
  return out;
}

absl::StatusOr<std::vector<FieldMap>> RedisPerformanceRepository::GetMaps(
    MapKind map, const std::vector<std::string>& ids) {
  std::vector<FieldMap> out(ids.size());
  if (ids.empty()) {
    return out;
  }
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(ids.size());
  for (const std::string& id : ids) {
    cmds.push_back({"HGETALL", MapKey(map, id)});
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> replies, redis_.Pipeline(cmds));
  for (size_t i = 0; i < ids.size() && i < replies.size(); ++i) {
    const auto& e = replies[i].elements;
    FieldMap& m = out[i];
    m.reserve(e.size() / 2);
    for (size_t j = 0; j + 1 < e.size(); j += 2) {
      m.emplace_back(e[j].str, e[j + 1].str);
    }
    std::sort(m.begin(), m.end());
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> RedisPerformanceRepository::FindRequest(
    const std::string& caller, const std::string& request_id) {
  if (request_id.empty()) {
    return std::nullopt;
  }
  const std::string key = PerfKey(absl::StrCat("req:", caller, "/", request_id));
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, redis_.Command({"GET", key}));
  if (v.is_nil()) {
    return std::nullopt;
  }
  // The caller answers from it: only once it would survive a failover.
  SALESOPS_RETURN_IF_ERROR(redis_.AwaitReplicated(key));
  return v.str;
}

absl::StatusOr<std::vector<bool>> RedisPerformanceRepository::Applied(
    const std::vector<const CloudEvent*>& events) {
  std::vector<bool> out(events.size(), false);
  if (events.empty()) {
    return out;
  }
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(events.size());
  for (const CloudEvent* e : events) {
    cmds.push_back({"EXISTS", SeenKey(*e)});
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> replies, redis_.Pipeline(cmds));
  bool any = false;
  for (size_t i = 0; i < events.size() && i < replies.size(); ++i) {
    out[i] = replies[i].integer > 0;
    any = any || out[i];
  }
  if (any) {
    // The consumer skips these and moves its offset past them: only once the
    // earlier attempt's writes would survive a failover.
    SALESOPS_RETURN_IF_ERROR(redis_.AwaitReplicated(cmds.front()[1]));
  }
  return out;
}

absl::Status RedisPerformanceRepository::Commit(const Change& change,
                                                const std::vector<const CloudEvent*>& applying) {
  WriteBatch b;
  // Guards first (a failed guard writes nothing).
  for (const CloudEvent* e : applying) {
    b.ExpectAbsent(SeenKey(*e), kSeenTag);
  }
  if (!change.request_id.empty()) {
    b.ExpectAbsent(PerfKey(absl::StrCat("req:", change.request_caller, "/", change.request_id)),
                   "request:");
  }
  for (const Change::DocPut& d : change.docs) {
    const std::string key = DocKey(d.kind, d.id);
    if (d.expect_version == 0) {
      b.ExpectAbsent(key, absl::StrCat("exists:", DocResourceName(d.kind, d.id)));
    } else {
      b.ExpectHashField(
          key, "v", absl::StrCat(d.expect_version),
          absl::StrCat(d.other ? kOtherTag : "version", ":", DocResourceName(d.kind, d.id)));
    }
  }
  for (const Change::FieldOp& f : change.fields) {
    if (f.op == Change::FieldOp::kExpect) {
      b.ExpectHashField(
          MapKey(f.map, f.id), f.field, f.value,
          f.other ? absl::StrCat(kOtherTag, ":", MapKindName(f.map), ":", f.id, ":", f.field)
                  : absl::StrCat("field:", MapKindName(f.map), ":", f.id));
    }
  }
  // Writes. A batch of events repeats itself (the same counter, work item or
  // index entry for many events): field writes are folded to their final
  // effect and additions summed, which keeps the script short.
  for (const CloudEvent* e : applying) {
    b.Set(SeenKey(*e), "1", absl::ToInt64Seconds(seen_ttl_));
  }
  if (!change.request_id.empty()) {
    b.Set(PerfKey(absl::StrCat("req:", change.request_caller, "/", change.request_id)),
          change.request_resource, 24 * 3600);
  }
  for (const Change::DocPut& d : change.docs) {
    b.HSet(DocKey(d.kind, d.id), {{"v", absl::StrCat(d.expect_version + 1)}, {"pb", d.data}});
  }
  struct Folded {
    size_t order = 0;       // first appearance, so writes keep a stable order
    bool assigned = false;  // a set or delete happened: later adds apply after it
    bool deleted = false;
    std::string value;
    int64_t added = 0;
  };
  std::map<std::tuple<MapKind, std::string, std::string>, Folded> fields;
  size_t order = 0;
  for (const Change::FieldOp& f : change.fields) {
    if (f.op == Change::FieldOp::kExpect) {
      continue;
    }
    auto [it, fresh] = fields.try_emplace({f.map, f.id, f.field});
    Folded& x = it->second;
    if (fresh) {
      x.order = order++;
    }
    if (f.op == Change::FieldOp::kAdd) {
      x.added += f.by;
    } else {
      x.assigned = true;
      x.deleted = f.op == Change::FieldOp::kDel;
      x.value = f.value;
      x.added = 0;
    }
  }
  std::vector<std::pair<size_t, const std::tuple<MapKind, std::string, std::string>*>> in_order;
  for (const auto& [key, x] : fields) {
    in_order.push_back({x.order, &key});
  }
  std::sort(in_order.begin(), in_order.end());
  for (const auto& [unused, key] : in_order) {
    const auto& [map, id, field] = *key;
    const Folded& x = fields.at(*key);
    const std::string k = MapKey(map, id);
    if (x.assigned && x.deleted) {
      b.HDel(k, {field});
    } else if (x.assigned) {
      b.HSet(k, {{field, x.value}});
    }
    if (x.added != 0) {
      b.HIncrBy(k, field, x.added);
    }
  }
  // Index entries: the last operation on a member decides.
  std::map<std::pair<std::string, std::string>, std::pair<size_t, bool>> members;
  order = 0;
  for (const Change::IndexOp& i : change.indexes) {
    auto [it, fresh] = members.try_emplace({i.index, i.member}, order, i.remove);
    if (fresh) {
      ++order;
    }
    it->second.second = i.remove;
  }
  std::vector<std::pair<size_t, const std::pair<std::string, std::string>*>> index_order;
  for (const auto& [key, v] : members) {
    index_order.push_back({v.first, &key});
  }
  std::sort(index_order.begin(), index_order.end());
  for (const auto& [unused, key] : index_order) {
    if (members.at(*key).second) {
      b.ZRem(IndexKey(key->first), key->second);
    } else {
      b.ZAdd(IndexKey(key->first), 0, key->second);
    }
  }
  for (const CloudEvent& e : change.events) {
    b.Emit(e, kPerformanceTopic);
  }
  if (b.empty()) {
    return absl::OkStatus();
  }
  SALESOPS_ASSIGN_OR_RETURN(CommitResult r, outbox_.Commit(b));
  if (r.committed) {
    return absl::OkStatus();
  }
  std::vector<std::string> parts = absl::StrSplit(r.failed_tag, absl::MaxSplits(':', 1));
  const std::string& what = parts[0];
  const std::string detail = parts.size() > 1 ? parts[1] : "";
  if (what == kSeenTag) {
    return Aborted("EVENT_ALREADY_APPLIED", "an event of this change was applied meanwhile");
  }
  if (what == "exists") {
    return AlreadyExists(reason::kResourceExists, absl::StrCat(detail, " already exists"), detail);
  }
  if (what == "request") {
    return AlreadyExists(reason::kRequestReplayed, r.current, r.current);
  }
  if (what == kOtherTag) {
    return Aborted(reason::kWriteConflict, absl::StrCat(detail, " changed meanwhile; run again"));
  }
  return Aborted(reason::kEtagMismatch,
                 absl::StrCat(detail, " changed since it was read (etag); re-read and retry"));
}

}  // namespace salesops::performance
