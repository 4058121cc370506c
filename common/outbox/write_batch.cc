#include "common/outbox/write_batch.h"

#include <cmath>
#include <deque>
#include <iterator>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "salesops/common/v1/outbox_entry.pb.h"

namespace salesops {
namespace {

// KEYS[1] is the outbox stream; every other key is referenced by index.
// ARGV is a small program: guards, then writes, then stream entries. Arguments
// are passed on straight from ARGV (unpack with bounds), never copied into
// tables, but for one thing: the keys of the absent guards (a combined chunk's
// seen markers, one per event) are first checked with one EXISTS of them all,
// and one by one only when one exists, to name the first. An HINCRBY of several
// fields (Combine's) is one HINCRBY per field.
const LuaScript& CommitScript() {
  static const LuaScript script(R"lua(
local ng = tonumber(ARGV[1])
local none_exist = false
if ng > 1 and ng <= 4000 then
  local ks = {}
  for g = 2, 4 * ng - 2, 4 do
    if ARGV[g] == 'absent' then ks[#ks + 1] = KEYS[tonumber(ARGV[g + 1])] end
  end
  none_exist = #ks > 1 and redis.call('EXISTS', unpack(ks)) == 0
end
local a = 2
for i = 1, ng do
  local kind = ARGV[a]; local k = KEYS[tonumber(ARGV[a + 1])]; local p1 = ARGV[a + 2]
  local p2 = ARGV[a + 3]
  a = a + 4
  if kind == 'hf' then
    local cur = redis.call('HGET', k, p1)
    if cur == false then cur = '' end
    if cur ~= p2 then return {0, i, cur} end
  elseif kind == 'absent' then
    if not none_exist and redis.call('EXISTS', k) == 1 then
      local cur = ''
      if redis.call('TYPE', k)['ok'] == 'string' then cur = redis.call('GET', k) end
      return {0, i, cur}
    end
  elseif kind == 'present' then
    if redis.call('EXISTS', k) == 0 then return {0, i, ''} end
  elseif kind == 'setempty' then
    local n = redis.call('SCARD', k)
    if n ~= 0 then return {0, i, tostring(n)} end
  else
    return redis.error_reply('unknown guard ' .. kind)
  end
end
local no = tonumber(ARGV[a]); a = a + 1
for i = 1, no do
  local n = tonumber(ARGV[a + 2])
  if n > 2 and ARGV[a] == 'HINCRBY' then
    local k = KEYS[tonumber(ARGV[a + 1])]
    for j = a + 3, a + 1 + n, 2 do redis.call('HINCRBY', k, ARGV[j], ARGV[j + 1]) end
  else
    redis.call(ARGV[a], KEYS[tonumber(ARGV[a + 1])], unpack(ARGV, a + 3, a + 2 + n))
  end
  a = a + 3 + n
end
local ne = tonumber(ARGV[a]); a = a + 1
local ids = {}
for i = 1, ne do
  local n = tonumber(ARGV[a])
  ids[i] = redis.call('XADD', KEYS[1], '*', unpack(ARGV, a + 1, a + n))
  a = a + 1 + n
end
return {1, ids}
)lua");
  return script;
}

}  // namespace

void WriteBatch::ExpectHashField(std::string key, std::string field, std::string value,
                                 std::string tag) {
  guards_.push_back({"hf", std::move(key), std::move(field), std::move(value), std::move(tag)});
}
void WriteBatch::ExpectAbsent(std::string key, std::string tag) {
  guards_.push_back({"absent", std::move(key), "", "", std::move(tag)});
}
void WriteBatch::ExpectPresent(std::string key, std::string tag) {
  guards_.push_back({"present", std::move(key), "", "", std::move(tag)});
}
void WriteBatch::ExpectSetEmpty(std::string key, std::string tag) {
  guards_.push_back({"setempty", std::move(key), "", "", std::move(tag)});
}

void WriteBatch::HSet(std::string key, std::vector<std::pair<std::string, std::string>> fields) {
  if (fields.empty()) {
    return;  // HSET with no field is an error that would stop the script
  }
  std::vector<std::string> args;
  for (auto& [f, v] : fields) {
    args.push_back(std::move(f));
    args.push_back(std::move(v));
  }
  ops_.push_back({"HSET", std::move(key), std::move(args)});
}
void WriteBatch::HDel(std::string key, std::vector<std::string> fields) {
  if (fields.empty()) {
    return;
  }
  ops_.push_back({"HDEL", std::move(key), std::move(fields)});
}
void WriteBatch::HIncrBy(std::string key, std::string field, long long by) {
  ops_.push_back({"HINCRBY", std::move(key), {std::move(field), std::to_string(by)}});
}
void WriteBatch::HIncrBy(std::string key,
                         std::vector<std::pair<std::string, long long>> increments) {
  if (increments.empty()) {
    return;  // HINCRBY needs a field
  }
  std::vector<std::string> args;
  args.reserve(2 * increments.size());
  for (auto& [field, by] : increments) {
    args.push_back(std::move(field));
    args.push_back(std::to_string(by));
  }
  ops_.push_back({"HINCRBY", std::move(key), std::move(args)});
}
void WriteBatch::Set(std::string key, std::string value, long long ttl_seconds) {
  std::vector<std::string> args = {std::move(value)};
  if (ttl_seconds > 0) {
    args.push_back("EX");
    args.push_back(std::to_string(ttl_seconds));
  }
  ops_.push_back({"SET", std::move(key), std::move(args)});
}
void WriteBatch::Del(std::string key) { ops_.push_back({"DEL", std::move(key), {}}); }
void WriteBatch::SAdd(std::string key, std::string member) {
  ops_.push_back({"SADD", std::move(key), {std::move(member)}});
}
void WriteBatch::SRem(std::string key, std::string member) {
  ops_.push_back({"SREM", std::move(key), {std::move(member)}});
}
void WriteBatch::ZAdd(std::string key, double score, std::string member) {
  // Whole scores (0, Unix seconds) as integers: what %.17g prints for them, without printf.
  const bool whole = score == std::floor(score) && std::abs(score) < 1e15 &&
                     !(score == 0 && std::signbit(score));  // printf writes -0
  std::string text =
      whole ? absl::StrCat(static_cast<int64_t>(score)) : absl::StrFormat("%.17g", score);
  ops_.push_back({"ZADD", std::move(key), {std::move(text), std::move(member)}});
}
void WriteBatch::ZRem(std::string key, std::string member) {
  ops_.push_back({"ZREM", std::move(key), {std::move(member)}});
}

void WriteBatch::Prepend(WriteBatch first) {
  guards_.insert(guards_.begin(), std::make_move_iterator(first.guards_.begin()),
                 std::make_move_iterator(first.guards_.end()));
  ops_.insert(ops_.begin(), std::make_move_iterator(first.ops_.begin()),
              std::make_move_iterator(first.ops_.end()));
  events_.insert(events_.begin(), std::make_move_iterator(first.events_.begin()),
                 std::make_move_iterator(first.events_.end()));
}

namespace {

// Writes whose arguments are a list of members or field/value pairs, applied
// in order, so that two of them on one key are one with both lists.
bool Joinable(std::string_view command) {
  return command == "ZADD" || command == "ZREM" || command == "HSET" || command == "HDEL" ||
         command == "SADD" || command == "SREM";
}

// Well under what the script's unpack() and redis.call can pass (Lua's
// LUAI_MAXCSTACK, 8,000 values).
constexpr size_t kMaxJoinedArguments = 1024;

}  // namespace

std::optional<WriteBatch> WriteBatch::Combine(const std::vector<WriteBatch>& batches,
                                              std::vector<size_t>* published) {
  WriteBatch out;
  size_t guard_total = 0, ops = 0, events = 0;
  // Each state key's last event: (batch, index in its events_).
  absl::flat_hash_map<std::string_view, std::pair<size_t, size_t>> latest;
  // The keys some guard reads (hf: a hash field of them): only writes to these
  // can decide whether the batches combine, so only theirs are tracked below.
  absl::flat_hash_set<std::string_view> guarded, field_guarded;
  for (size_t i = 0; i < batches.size(); ++i) {
    const WriteBatch& b = batches[i];
    guard_total += b.guards_.size();
    ops += b.ops_.size();
    events += b.events_.size();
    for (const Guard& g : b.guards_) {
      guarded.insert(g.key);
      if (g.kind == "hf") {
        field_guarded.insert(g.key);
      }
    }
    for (size_t k = 0; k < b.events_.size(); ++k) {
      if (!b.events_[k].state_key.empty()) {
        latest.insert_or_assign(b.events_[k].state_key, std::make_pair(i, k));
      }
    }
  }
  if (published != nullptr) {
    published->assign(batches.size(), 0);
  }
  out.ops_.reserve(ops);
  out.events_.reserve(events);
  // What the batches so far write of the guarded keys: any part of a key,
  // and single hash fields of the field-guarded ones (a whole-key write such
  // as SET or DEL is in `whole`). Views into `batches`. A field's value as the
  // last write left it ("" deleted), nullopt where not known here (incremented).
  absl::flat_hash_set<std::string_view> touched;
  absl::flat_hash_set<std::string_view> whole;
  absl::flat_hash_map<std::pair<std::string_view, std::string_view>,
                      std::optional<std::string_view>>
      fields;
  absl::flat_hash_set<
      std::tuple<std::string_view, std::string_view, std::string_view, std::string_view>>
      guards;
  touched.reserve(guarded.size());
  guards.reserve(guard_total);
  // Increments that later ones may join, per key: each field's (index in
  // out.ops_, place in its arguments, sum), and the increment a new field joins.
  // A sum's text is written into its argument once, at the end (`joined`:
  // it took more than its first increment).
  struct Sum {
    size_t op, at;
    long long sum;
    bool joined = false;
  };
  std::vector<Sum> sums;
  struct OpenIncrements {
    absl::flat_hash_map<std::string_view, size_t> fields;  // → sums
    size_t into = 0;
  };
  absl::flat_hash_map<std::string_view, OpenIncrements> open;
  // Per key, the last write to it in out.ops_ when it is one that later writes
  // of the same command may join (their members or fields appended: one
  // redis.call instead of one per event, the indexes' ZADDs above all).
  absl::flat_hash_map<std::string_view, size_t> joinable;
  for (size_t i = 0; i < batches.size(); ++i) {
    const WriteBatch& b = batches[i];
    for (const Guard& g : b.guards_) {
      if (g.kind == "hf" && !whole.contains(g.key)) {
        if (auto it = fields.find(std::pair<std::string_view, std::string_view>(g.key, g.a));
            it != fields.end()) {
          // An earlier batch wrote the field. One by one, this guard would read
          // that write: it holds when the earlier batches committed (then
          // dropped: a version chain, one document moved by several events)
          // or never (not combinable).
          if (it->second.has_value() && *it->second == g.b) {
            continue;
          }
          return std::nullopt;
        }
      } else if (g.kind == "hf" || touched.contains(g.key)) {
        return std::nullopt;
      }
      if (guards.emplace(g.kind, g.key, g.a, g.b).second) {
        out.guards_.push_back(g);
      }
    }
    for (const Op& op : b.ops_) {
      const bool is_guarded = guarded.contains(op.key);
      const bool is_field_guarded = is_guarded && field_guarded.contains(op.key);
      if (is_guarded) {
        touched.insert(op.key);
      }
      if (op.command == "HINCRBY" && op.args.size() % 2 == 0 && !op.args.empty()) {
        if (is_field_guarded) {
          for (size_t j = 0; j < op.args.size(); j += 2) {
            fields.insert_or_assign(
                std::pair<std::string_view, std::string_view>(op.key, op.args[j]), std::nullopt);
          }
        }
        if (!joinable.empty()) {
          joinable.erase(op.key);
        }
        // Each field's increment, parsed once.
        absl::InlinedVector<long long, 8> bys(op.args.size() / 2);
        bool integers = true;
        for (size_t j = 1; j < op.args.size() && integers; j += 2) {
          integers = absl::SimpleAtoi(op.args[j], &bys[j / 2]);
        }
        if (!integers) {
          open.erase(op.key);  // Redis refuses it; nothing may move across it
          out.ops_.push_back(op);
          continue;
        }
        auto [per_key, opened] = open.try_emplace(op.key);
        OpenIncrements& inc = per_key->second;
        bool can_join = !opened;  // into inc.into
        for (size_t j = 0; j < op.args.size(); j += 2) {
          const long long by = bys[j / 2];
          auto [it, fresh] = inc.fields.try_emplace(op.args[j], sums.size());
          long long sum = 0;
          if (!fresh && !__builtin_add_overflow(sums[it->second].sum, by, &sum)) {
            sums[it->second].sum = sum;
            sums[it->second].joined = true;
            continue;
          }
          it->second = sums.size();
          if (can_join && fresh && out.ops_[inc.into].args.size() + 2 <= kMaxJoinedArguments) {
            // Another field of a hash nothing else wrote since: one call for both.
            Op& into = out.ops_[inc.into];
            sums.push_back({inc.into, into.args.size(), by});
            into.args.push_back(op.args[j]);
            into.args.push_back(op.args[j + 1]);
            continue;
          }
          // A call of its own (the key's first, a sum that would overflow, a
          // full one); the key's next new fields join it.
          sums.push_back({out.ops_.size(), 0, by});
          inc.into = out.ops_.size();
          out.ops_.push_back({op.command, op.key, {op.args[j], op.args[j + 1]}});
          can_join = true;
        }
        continue;
      }
      if (!open.empty()) {
        open.erase(op.key);
      }
      if (!is_field_guarded) {
        // Nothing reads its fields or asks whether it was written whole.
      } else if (op.command == "HSET") {
        for (size_t i = 0; i + 1 < op.args.size(); i += 2) {
          fields.insert_or_assign(std::pair<std::string_view, std::string_view>(op.key, op.args[i]),
                                  std::string_view(op.args[i + 1]));
        }
      } else if (op.command == "HDEL") {
        for (const std::string& f : op.args) {
          fields.insert_or_assign(std::pair<std::string_view, std::string_view>(op.key, f),
                                  std::string_view());
        }
      } else {
        whole.insert(op.key);
      }
      if (Joinable(op.command)) {
        auto [it, first] = joinable.try_emplace(op.key, out.ops_.size());
        if (!first) {
          Op& into = out.ops_[it->second];
          if (into.command == op.command &&
              into.args.size() + op.args.size() <= kMaxJoinedArguments) {
            // Nothing wrote the key since `into`, so applying these members
            // there instead of here changes nothing but the call count.
            into.args.insert(into.args.end(), op.args.begin(), op.args.end());
            continue;
          }
          it->second = out.ops_.size();
        }
      } else {
        joinable.erase(op.key);
      }
      out.ops_.push_back(op);
    }
    for (size_t k = 0; k < b.events_.size(); ++k) {
      const Event& e = b.events_[k];
      if (!e.state_key.empty() && latest.at(e.state_key) != std::make_pair(i, k)) {
        continue;  // a later event states the key anew
      }
      out.events_.push_back(e);
      if (published != nullptr) {
        ++(*published)[i];
      }
    }
  }
  for (const Sum& s : sums) {
    if (s.joined) {
      out.ops_[s.op].args[s.at + 1] = std::to_string(s.sum);
    }
  }
  return out;
}

void WriteBatch::Emit(const CloudEvent& event, std::string topic) {
  events_.push_back({std::make_shared<const Entry>(ToOutboxFields(event, topic)), ""});
}

void WriteBatch::EmitLatest(const CloudEvent& event, std::string topic, std::string state_key) {
  events_.push_back(
      {std::make_shared<const Entry>(ToOutboxFields(event, topic)), std::move(state_key)});
}

void WriteBatch::EmitLatest(std::function<CloudEvent()> make, std::string topic,
                            std::string state_key) {
  events_.push_back({std::make_shared<const Entry>(std::function<std::vector<std::string>()>(
                         [make = std::move(make), topic = std::move(topic)] {
                           return ToOutboxFields(make(), topic);
                         })),
                     std::move(state_key)});
}

std::vector<std::string> ToOutboxFields(const CloudEvent& e, const std::string& topic) {
  common::v1::OutboxEntry entry;
  entry.set_id(e.id);
  entry.set_source(e.source);
  entry.set_type(e.type);
  entry.set_subject(e.subject);
  entry.set_key(e.key);
  entry.set_time_micros(absl::ToUnixMicros(e.time));
  entry.set_trace_id(e.trace_id);
  entry.set_topic(topic);
  entry.set_data(e.data);
  return {outbox_fields::kEntry, entry.SerializeAsString()};
}

namespace {

// An entry as written before 2026-12-07: a field per attribute.
absl::Status FromAttributeFields(const std::vector<std::pair<std::string, std::string>>& fields,
                                 CloudEvent& e, std::string& topic) {
  namespace f = outbox_fields;
  int64_t micros = 0;
  for (const auto& [name, value] : fields) {
    if (name == f::kId) {
      e.id = value;
    } else if (name == f::kSource) {
      e.source = value;
    } else if (name == f::kType) {
      e.type = value;
    } else if (name == f::kSubject) {
      e.subject = value;
    } else if (name == f::kKey) {
      e.key = value;
    } else if (name == f::kTime) {
      if (!absl::SimpleAtoi(value, &micros)) {
        return InvalidField("outbox.time", "not an integer");
      }
    } else if (name == f::kTrace) {
      e.trace_id = value;
    } else if (name == f::kTopic) {
      topic = value;
    } else if (name == f::kData) {
      e.data = value;
    }
  }
  e.time = absl::FromUnixMicros(micros);
  return absl::OkStatus();
}

// An entry's event and topic, once it names all an event needs.
absl::StatusOr<std::pair<CloudEvent, std::string>> Complete(CloudEvent e, std::string topic) {
  if (e.id.empty() || e.type.empty() || topic.empty()) {
    return InvalidField("outbox", "entry lacks id, type or topic");
  }
  return std::make_pair(std::move(e), std::move(topic));
}

absl::StatusOr<std::pair<CloudEvent, std::string>> EventOf(common::v1::OutboxEntry& entry) {
  CloudEvent e;
  e.id = std::move(*entry.mutable_id());
  e.source = std::move(*entry.mutable_source());
  e.type = std::move(*entry.mutable_type());
  e.subject = std::move(*entry.mutable_subject());
  e.key = std::move(*entry.mutable_key());
  e.time = absl::FromUnixMicros(entry.time_micros());
  e.trace_id = std::move(*entry.mutable_trace_id());
  std::string topic = std::move(*entry.mutable_topic());
  e.data = std::move(*entry.mutable_data());
  return Complete(std::move(e), std::move(topic));
}

}  // namespace

absl::StatusOr<std::pair<CloudEvent, std::string>> FromOutboxFields(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  if (fields.size() == 1 && fields[0].first == outbox_fields::kEntry) {
    common::v1::OutboxEntry entry;
    if (!entry.ParseFromString(fields[0].second)) {
      return InvalidField("outbox", "entry is not an OutboxEntry");
    }
    return EventOf(entry);
  }
  if (fields.size() == 1 && fields[0].first == outbox_fields::kEntries) {
    return InvalidField("outbox", "an entry of several events (read it with FromOutboxEntry)");
  }
  CloudEvent e;
  std::string topic;
  SALESOPS_RETURN_IF_ERROR(FromAttributeFields(fields, e, topic));
  return Complete(std::move(e), std::move(topic));
}

absl::StatusOr<std::vector<std::pair<CloudEvent, std::string>>> FromOutboxEntry(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<std::pair<CloudEvent, std::string>> out;
  if (fields.size() != 1 || fields[0].first != outbox_fields::kEntries) {
    SALESOPS_ASSIGN_OR_RETURN(auto one, FromOutboxFields(fields));
    out.push_back(std::move(one));
    return out;
  }
  common::v1::OutboxEntries entries;
  if (!entries.ParseFromString(fields[0].second) || entries.entries().empty()) {
    return InvalidField("outbox", "entry is not a non-empty OutboxEntries");
  }
  out.reserve(entries.entries_size());
  for (common::v1::OutboxEntry& entry : *entries.mutable_entries()) {
    SALESOPS_ASSIGN_OR_RETURN(auto one, EventOf(entry));
    out.push_back(std::move(one));
  }
  return out;
}

std::string OutboxEntriesOf(const std::vector<std::string_view>& serialized_entries) {
  // Each as OutboxEntries' field 1, length-delimited: what serializing the
  // message would write, without parsing the entries back first.
  std::string out;
  {
    google::protobuf::io::StringOutputStream raw(&out);
    google::protobuf::io::CodedOutputStream coded(&raw);
    // Field number, wire type 2 (length-delimited).
    constexpr uint32_t kTag = (common::v1::OutboxEntries::kEntriesFieldNumber << 3) | 2;
    for (std::string_view e : serialized_entries) {
      coded.WriteTag(kTag);
      coded.WriteVarint32(static_cast<uint32_t>(e.size()));
      coded.WriteRaw(e.data(), static_cast<int>(e.size()));
    }
  }
  return out;
}

void TransactionalOutbox::Arguments(const WriteBatch& batch, CommitArgs* out) const {
  CommitArgs& c = *out;
  size_t args = 3 + 4 * batch.guards_.size();
  for (const auto& op : batch.ops_) {
    args += 3 + op.args.size();
  }
  for (const auto& e : batch.events_) {
    args += 1 + e.entry->get().size();  // at most: several share an entry
  }
  c.args.reserve(args);
  c.keys.reserve(1 + batch.guards_.size() + batch.ops_.size());
  c.keys.push_back(stream_key_);
  absl::flat_hash_map<std::string_view, int> index;
  index.reserve(c.keys.capacity());
  index.emplace(stream_key_, 1);
  auto number = [&](size_t n) -> std::string_view {
    return c.numbers.emplace_back(absl::StrCat(n));
  };
  // A key is named by its place in KEYS; a batch often writes one key several
  // times in a row (a hash's fields, then its index entries).
  std::string_view last_key;
  std::string_view last_ref;
  auto key_ref = [&](const std::string& key) {
    if (!last_ref.empty() && key == last_key) {
      return last_ref;
    }
    auto [it, inserted] = index.try_emplace(key, static_cast<int>(c.keys.size()) + 1);
    if (inserted) {
      c.keys.push_back(key);
    }
    last_key = key;
    last_ref = number(it->second);
    return last_ref;
  };
  c.args.push_back(number(batch.guards_.size()));
  for (const auto& g : batch.guards_) {
    c.args.insert(c.args.end(), {g.kind, key_ref(g.key), g.a, g.b});
  }
  c.args.push_back(number(batch.ops_.size()));
  for (const auto& op : batch.ops_) {
    c.args.insert(c.args.end(), {op.command, key_ref(op.key), number(op.args.size())});
    c.args.insert(c.args.end(), op.args.begin(), op.args.end());
  }
  // One event: its entry as it is. Several: kEventsPerEntry at a time as one
  // entry (an entry made otherwise, which Emit never does, goes on its own).
  std::vector<std::vector<std::string_view>> entries;  // each: its fields
  std::vector<std::string_view> bundle;
  auto close_bundle = [&] {
    if (!bundle.empty()) {
      entries.push_back({outbox_fields::kEntries, c.bundles.emplace_back(OutboxEntriesOf(bundle))});
      bundle.clear();
    }
  };
  for (const auto& e : batch.events_) {
    const std::vector<std::string>& fields = e.entry->get();
    if (batch.events_.size() > 1 && fields.size() == 2 && fields[0] == outbox_fields::kEntry) {
      bundle.push_back(fields[1]);
      if (bundle.size() == kEventsPerEntry) {
        close_bundle();
      }
      continue;
    }
    close_bundle();
    entries.emplace_back(fields.begin(), fields.end());
  }
  close_bundle();
  c.args.push_back(number(entries.size()));
  for (const auto& fields : entries) {
    c.args.push_back(number(fields.size()));
    c.args.insert(c.args.end(), fields.begin(), fields.end());
  }
}

absl::StatusOr<CommitResult> TransactionalOutbox::Decode(const WriteBatch& batch,
                                                         const RedisValue& v) {
  if (v.type == RedisValue::Type::kError) {
    return RedisErrorStatus(v.str);
  }
  if (!v.is_array() || v.elements.empty()) {
    return Internal("OUTBOX_BAD_REPLY", "unexpected commit script reply");
  }
  CommitResult result;
  if (v.elements[0].integer == 1) {
    result.committed = true;
    if (v.elements.size() > 1) {
      for (const auto& id : v.elements[1].elements) {
        result.outbox_ids.push_back(id.str);
      }
    }
    return result;
  }
  long long guard = v.elements.size() > 1 ? v.elements[1].integer : 0;
  if (guard >= 1 && guard <= static_cast<long long>(batch.guards_.size())) {
    result.failed_tag = batch.guards_[guard - 1].tag;
  }
  if (v.elements.size() > 2) {
    result.current = v.elements[2].str;
  }
  return result;
}

absl::StatusOr<CommitResult> TransactionalOutbox::Commit(const WriteBatch& batch) {
  std::string bytes;
  AppendCommitCommand(batch, &bytes);
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> replies, Send(bytes, 1));
  if (replies.size() != 1) {
    return Internal("OUTBOX_BAD_REPLY", "one commit, not one reply");
  }
  if (replies[0].type == RedisValue::Type::kError && absl::StartsWith(replies[0].str, "NOSCRIPT")) {
    return CommitByEval(batch);  // not loaded yet: EVAL loads it
  }
  return Decode(batch, replies[0]);
}

absl::StatusOr<CommitResult> TransactionalOutbox::CommitByEval(const WriteBatch& batch) {
  CommitArgs c;
  Arguments(batch, &c);
  absl::StatusOr<RedisValue> reply =
      redis_.Eval(CommitScript(), std::vector<std::string>(c.keys.begin(), c.keys.end()),
                  std::vector<std::string>(c.args.begin(), c.args.end()));
  if (!reply.ok()) {
    return reply.status();
  }
  return Decode(batch, *reply);
}

absl::StatusOr<std::vector<RedisValue>> TransactionalOutbox::Send(std::string_view encoded,
                                                                  size_t count) {
  std::unique_ptr<RedisClient::Stream> stream = redis_.OpenStream();
  SALESOPS_RETURN_IF_ERROR(stream->Send(encoded, count));
  return stream->Finish(stream_key_);
}

void TransactionalOutbox::AppendCommitCommand(const WriteBatch& batch, std::string* out) const {
  // Written in Redis' protocol straight from the batch's arguments (views into it).
  CommitArgs c;
  Arguments(batch, &c);
  const std::string keys = absl::StrCat(c.keys.size());
  const std::string_view head[] = {"EVALSHA", CommitScript().sha1(), keys};
  AppendCommand(out, {head, c.keys, c.args});
}

std::vector<std::string> TransactionalOutbox::CommitCommand(const WriteBatch& batch) const {
  CommitArgs c;
  Arguments(batch, &c);
  std::vector<std::string> cmd = {"EVALSHA", CommitScript().sha1(), absl::StrCat(c.keys.size())};
  cmd.reserve(cmd.size() + c.keys.size() + c.args.size());
  cmd.insert(cmd.end(), c.keys.begin(), c.keys.end());
  cmd.insert(cmd.end(), c.args.begin(), c.args.end());
  return cmd;
}

std::vector<absl::StatusOr<CommitResult>> TransactionalOutbox::CommitMany(
    const std::vector<WriteBatch>& batches) {
  std::vector<absl::StatusOr<CommitResult>> out;
  if (batches.empty()) {
    return out;
  }
  std::string bytes;
  for (const auto& b : batches) {
    AppendCommitCommand(b, &bytes);
  }
  // Acknowledged like Commit: with --redis_wait_replicas, only once the
  // replicas have the whole pipeline.
  return Answer(batches, Send(bytes, batches.size()));
}

std::vector<absl::StatusOr<CommitResult>> TransactionalOutbox::Answer(
    const std::vector<WriteBatch>& batches, absl::StatusOr<std::vector<RedisValue>> replies) {
  std::vector<absl::StatusOr<CommitResult>> out;
  if (replies.ok() && replies->size() != batches.size()) {
    replies = Internal("OUTBOX_BAD_REPLY", "replies do not match the batches");
  }
  if (!replies.ok()) {
    // Nothing is known about which ran (or whether it survives a failover):
    // report the error for every batch. The callers' guards (event ids,
    // versions) make a retry safe.
    out.assign(batches.size(), replies.status());
    return out;
  }
  out.reserve(batches.size());
  for (size_t i = 0; i < batches.size(); ++i) {
    const RedisValue& v = (*replies)[i];
    if (v.type == RedisValue::Type::kError && absl::StartsWith(v.str, "NOSCRIPT")) {
      out.push_back(CommitByEval(batches[i]));  // not loaded yet: EVAL loads it
    } else {
      out.push_back(Decode(batches[i], v));
    }
  }
  return out;
}

namespace {

class BufferedStream final : public CommitStream {
 public:
  explicit BufferedStream(BatchCommitter& committer) : committer_(committer) {}
  void Add(WriteBatch batch) override { batches_.push_back(std::move(batch)); }
  std::vector<absl::StatusOr<CommitResult>> Finish() override {
    return committer_.CommitMany(batches_);
  }

 private:
  BatchCommitter& committer_;
  std::vector<WriteBatch> batches_;
};

}  // namespace

std::unique_ptr<CommitStream> BatchCommitter::OpenStream() {
  return std::make_unique<BufferedStream>(*this);
}

class TransactionalOutbox::RedisStream final : public CommitStream {
 public:
  explicit RedisStream(TransactionalOutbox& outbox)
      : outbox_(outbox), stream_(outbox.redis_.OpenStream()) {}

  void Add(WriteBatch batch) override {
    if (failed_.ok()) {  // after a failure nothing more is sent: Finish reports it for all
      outbox_.AppendCommitCommand(batch, &unsent_);
      ++unsent_count_;
    }
    batches_.push_back(std::move(batch));
    // A few scripts per write, or one large one (a combined chunk): Redis starts
    // on them now, without a syscall per small batch.
    if (unsent_count_ >= kSendEvery || unsent_.size() >= kSendBytes) {
      Flush();
    }
  }

  std::vector<absl::StatusOr<CommitResult>> Finish() override {
    Flush();
    return outbox_.Answer(batches_, failed_.ok() ? stream_->Finish(outbox_.stream_key_) : failed_);
  }

 private:
  static constexpr size_t kSendEvery = 8;
  static constexpr size_t kSendBytes = 32 * 1024;

  void Flush() {
    if (unsent_count_ > 0 && failed_.ok()) {
      failed_ = stream_->Send(unsent_, unsent_count_);
    }
    unsent_.clear();
    unsent_count_ = 0;
  }

  TransactionalOutbox& outbox_;
  std::unique_ptr<RedisClient::Stream> stream_;
  std::vector<WriteBatch> batches_;
  std::string unsent_;  // commands in Redis' protocol, not sent yet
  size_t unsent_count_ = 0;
  absl::Status failed_;
};

std::unique_ptr<CommitStream> TransactionalOutbox::OpenStream() {
  return std::make_unique<RedisStream>(*this);
}

}  // namespace salesops
