#include "services/forecast/store/redis_forecast_repository.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace salesops::forecast {
namespace {

absl::string_view KindName(DocKind kind) {
  switch (kind) {
    case DocKind::kDeal:
      return "deal";
    case DocKind::kPeriod:
      return "period";
    case DocKind::kForecast:
      return "fc";
    case DocKind::kCall:
      return "call";
    case DocKind::kSnapshot:
      return "snap";
    case DocKind::kStageProbability:
      return "stageprob";
    case DocKind::kScopeModel:
      return "model";
  }
  return "unknown";
}

}  // namespace

// As ProjectionStore's default: the consumed topics' retention (14 days) and a margin.
constexpr long long kSeenTtlSeconds = 15 * 24 * 3600;

std::string FcstKey(absl::string_view suffix) { return absl::StrCat(kKeyPrefix, suffix); }

RedisForecastRepository::RedisForecastRepository(RedisClient& redis, TransactionalOutbox& outbox)
    : redis_(redis),
      outbox_(outbox),
      docs_(redis, outbox, kKeyPrefix),
      seen_(outbox, FcstKey("seen:")) {}

std::string RedisForecastRepository::DocKey(DocKind kind, absl::string_view id) {
  return DocStore::DocKeyWith(kKeyPrefix, KindName(kind), id);
}
std::string RedisForecastRepository::IndexKey(absl::string_view name) {
  return absl::StrCat(kKeyPrefix, "ix:", name);
}
std::string RedisForecastRepository::HashKey(absl::string_view name) {
  return absl::StrCat(kKeyPrefix, "h:", name);
}

absl::StatusOr<std::vector<ReadResult>> RedisForecastRepository::Read(
    const std::vector<ReadOp>& ops) {
  std::vector<std::vector<std::string>> cmds;
  for (const ReadOp& op : ops) {
    switch (op.kind) {
      case ReadOp::kDocs:
        for (const std::string& id : op.keys) {
          cmds.push_back({"HMGET", DocKey(op.doc_kind, id), "v", "pb"});
        }
        break;
      case ReadOp::kRange:
        cmds.push_back({"ZRANGEBYLEX", IndexKey(op.name), DocStore::After(op.after), "+", "LIMIT",
                        "0", absl::StrCat(op.limit)});
        break;
      case ReadOp::kFields: {
        std::vector<std::string> argv = {"HMGET", HashKey(op.name)};
        argv.insert(argv.end(), op.keys.begin(), op.keys.end());
        if (op.keys.empty()) {
          argv.push_back("-");  // HMGET needs a field
        }
        cmds.push_back(std::move(argv));
        break;
      }
      case ReadOp::kAllFields:
        cmds.push_back({"HGETALL", HashKey(op.name)});
        break;
    }
  }
  std::vector<RedisValue> replies;
  if (!cmds.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(replies, redis_.Pipeline(cmds));
  }
  std::vector<ReadResult> out(ops.size());
  size_t next = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    const ReadOp& op = ops[i];
    ReadResult& r = out[i];
    switch (op.kind) {
      case ReadOp::kDocs:
        for (const std::string& id : op.keys) {
          const RedisValue& v = replies[next++];
          if (v.elements.size() != 2 || v.elements[0].is_nil()) {
            r.docs.push_back(std::nullopt);
            continue;
          }
          Doc d;
          d.id = id;
          (void)absl::SimpleAtoi(v.elements[0].str, &d.version);
          d.data = v.elements[1].str;
          r.docs.push_back(std::move(d));
        }
        break;
      case ReadOp::kRange:
        for (const RedisValue& e : replies[next++].elements) {
          r.ids.push_back(e.str);
        }
        break;
      case ReadOp::kFields: {
        const RedisValue& v = replies[next++];
        for (size_t k = 0; k < op.keys.size(); ++k) {
          r.values.push_back(k < v.elements.size() && !v.elements[k].is_nil() ? v.elements[k].str
                                                                              : "");
        }
        break;
      }
      case ReadOp::kAllFields: {
        const RedisValue& v = replies[next++];
        for (size_t k = 0; k + 1 < v.elements.size(); k += 2) {
          r.fields.emplace_back(v.elements[k].str, v.elements[k + 1].str);
        }
        break;
      }
    }
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> RedisForecastRepository::SeenRequest(
    const std::string& caller, const std::string& request_id) {
  return docs_.SeenRequest(caller, request_id);
}

absl::StatusOr<CommitOutcome> RedisForecastRepository::CommitOnce(
    const ForecastChange& change, absl::Span<const CloudEvent* const> causes) {
  WriteBatch b;
  for (const auto& g : change.guards()) {
    b.ExpectHashField(HashKey(g.hash), g.field, g.value, g.tag);
  }
  for (const auto& p : change.puts()) {
    const std::string key = DocKey(p.kind, p.id);
    if (p.expect_version == kAnyVersion) {
      b.HIncrBy(key, "v", 1);
      b.HSet(key, {{"pb", p.data}});
    } else if (p.expect_version == 0) {
      b.ExpectAbsent(key, absl::StrCat("exists:", KindName(p.kind), ":", p.id));
      b.HSet(key, {{"v", "1"}, {"pb", p.data}});
    } else {
      b.ExpectHashField(key, "v", absl::StrCat(p.expect_version),
                        absl::StrCat("version:", KindName(p.kind), ":", p.id));
      b.HSet(key, {{"v", absl::StrCat(p.expect_version + 1)}, {"pb", p.data}});
    }
  }
  for (const auto& f : change.fields()) {
    switch (f.op) {
      case ForecastChange::FieldWrite::kSet:
        b.HSet(HashKey(f.hash), {{f.field, f.value}});
        break;
      case ForecastChange::FieldWrite::kIncrement:
        b.HIncrBy(HashKey(f.hash), f.field, f.by);
        break;
      case ForecastChange::FieldWrite::kDelete:
        b.HDel(HashKey(f.hash), {f.field});
        break;
    }
  }
  for (const auto& ix : change.indexes()) {
    if (ix.add) {
      b.ZAdd(IndexKey(ix.index), 0, ix.id);
    } else {
      b.ZRem(IndexKey(ix.index), ix.id);
    }
  }
  if (!change.request_id().empty()) {
    DocStore::GuardRequestWith(kKeyPrefix, b, change.request_caller(), change.request_id(),
                               change.request_resource());
  }
  for (const CloudEvent& e : change.events()) {
    b.Emit(e, kForecastTopic);
  }
  CommitResult r;
  if (causes.size() == 1) {
    SALESOPS_ASSIGN_OR_RETURN(r, seen_.TryApplyOnce(*causes[0], std::move(b)));
  } else {
    // Several events applied together (a consumer catching up): each id
    // guarded and recorded as ProjectionStore does for one.
    for (const CloudEvent* cause : causes) {
      b.ExpectAbsent(seen_.SeenKey(*cause), ProjectionStore::kSeenTag);
      b.Set(seen_.SeenKey(*cause), "1", kSeenTtlSeconds);
    }
    if (b.empty()) {
      return CommitOutcome{true, "", ""};
    }
    SALESOPS_ASSIGN_OR_RETURN(r, outbox_.Commit(b));
  }
  CommitOutcome out;
  out.committed = r.committed;
  out.failed_tag = r.failed_tag == ProjectionStore::kSeenTag ? "seen" : r.failed_tag;
  out.current = r.current;
  return out;
}

}  // namespace salesops::forecast
