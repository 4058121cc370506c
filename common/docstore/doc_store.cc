#include "common/docstore/doc_store.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"

namespace salesops {
namespace {

int64_t ToInt(const std::string& s) {
  int64_t v = 0;
  (void)absl::SimpleAtoi(s, &v);
  return v;
}

}  // namespace

std::string DocStore::DocKeyWith(absl::string_view prefix, absl::string_view kind,
                                 absl::string_view id) {
  return absl::StrCat(prefix, "doc:", kind, ":", id);
}

std::string DocStore::IndexWith(absl::string_view prefix, absl::string_view name,
                                absl::string_view value) {
  return absl::StrCat(prefix, "ix:", name, value);
}

absl::StatusOr<std::optional<int64_t>> DocStore::GetRaw(absl::string_view kind,
                                                        absl::string_view id,
                                                        google::protobuf::Message* out) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<int64_t> versions,
                            GetManyRaw(kind, {std::string(id)}, {out}));
  if (versions[0] == 0) {
    return std::nullopt;
  }
  return versions[0];
}

absl::StatusOr<std::vector<std::optional<DocStore::Bytes>>> DocStore::GetManyBytes(
    absl::string_view kind, const std::vector<std::string>& ids) {
  std::vector<std::optional<Bytes>> out(ids.size());
  if (ids.empty()) {
    return out;
  }
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(ids.size());
  for (const std::string& id : ids) {
    cmds.push_back({"HMGET", DocKeyWith(prefix_, kind, id), "v", "pb"});
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> replies, kv_.Read(cmds));
  for (size_t i = 0; i < ids.size() && i < replies.size(); ++i) {
    RedisValue& v = replies[i];
    if (v.elements.size() != 2 || v.elements[0].is_nil()) {
      continue;
    }
    out[i] = Bytes{ToInt(v.elements[0].str), std::move(v.elements[1].str)};
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>> DocStore::GetDocs(const std::vector<DocRef>& refs) {
  std::vector<int64_t> versions(refs.size(), 0);
  if (refs.empty()) {
    return versions;
  }
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(refs.size());
  for (const DocRef& r : refs) {
    cmds.push_back(GetDocCommand(r.kind, r.id));
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> replies, kv_.Read(cmds));
  for (size_t i = 0; i < refs.size() && i < replies.size(); ++i) {
    const RedisValue& v = replies[i];
    if (v.elements.size() != 2 || v.elements[0].is_nil()) {
      continue;  // absent
    }
    if (!refs[i].out->ParseFromString(v.elements[1].str)) {
      return Internal("CORRUPT_DOCUMENT",
                      absl::StrCat("stored ", refs[i].kind, " ", refs[i].id, " does not parse"));
    }
    versions[i] = ToInt(v.elements[0].str);
  }
  return versions;
}

absl::StatusOr<std::vector<int64_t>> DocStore::GetManyRaw(
    absl::string_view kind, const std::vector<std::string>& ids,
    const std::vector<google::protobuf::Message*>& out) {
  std::vector<DocRef> refs;
  refs.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    refs.push_back({kind, ids[i], out[i]});
  }
  return GetDocs(refs);
}

absl::StatusOr<std::vector<std::string>> DocStore::Range(const std::string& index,
                                                         const std::string& after, int limit) {
  SALESOPS_ASSIGN_OR_RETURN(
      RedisValue v,
      kv_.ReadOne({"ZRANGEBYLEX", index, after.empty() ? "-" : absl::StrCat("(", after), "+",
                   "LIMIT", "0", absl::StrCat(limit)}));
  std::vector<std::string> ids;
  for (const RedisValue& e : v.elements) {
    ids.push_back(e.str);
  }
  return ids;
}

absl::StatusOr<std::vector<std::vector<std::string>>> DocStore::RangeMany(
    const std::vector<std::string>& indexes, int limit) {
  std::vector<std::vector<std::string>> out(indexes.size());
  if (indexes.empty()) {
    return out;
  }
  std::vector<std::vector<std::string>> cmds;
  for (const auto& index : indexes) {
    cmds.push_back({"ZRANGEBYLEX", index, "-", "+", "LIMIT", "0", absl::StrCat(limit)});
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> values, kv_.Read(cmds));
  for (size_t i = 0; i < values.size() && i < out.size(); ++i) {
    for (const RedisValue& e : values[i].elements) {
      out[i].push_back(e.str);
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> DocStore::RangeFrom(const std::string& index,
                                                             const std::string& min, int limit) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne({"ZRANGEBYLEX", index, min, "+", "LIMIT", "0",
                                                       absl::StrCat(limit)}));
  std::vector<std::string> ids;
  for (const RedisValue& e : v.elements) {
    ids.push_back(e.str);
  }
  return ids;
}

absl::StatusOr<std::vector<std::string>> DocStore::Due(const std::string& schedule, int64_t until,
                                                       int limit) {
  SALESOPS_ASSIGN_OR_RETURN(
      RedisValue v, kv_.ReadOne({"ZRANGEBYSCORE", schedule, "-inf", absl::StrCat(until), "LIMIT",
                                 "0", absl::StrCat(limit)}));
  std::vector<std::string> ids;
  for (const RedisValue& e : v.elements) {
    ids.push_back(e.str);
  }
  return ids;
}

absl::StatusOr<std::vector<std::string>> DocStore::DueBetween(const std::string& schedule,
                                                              int64_t after, int64_t until,
                                                              int limit) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v,
                            kv_.ReadOne({"ZRANGEBYSCORE", schedule, absl::StrCat("(", after),
                                         absl::StrCat(until), "LIMIT", "0", absl::StrCat(limit)}));
  return Strings(v);
}

absl::StatusOr<std::vector<std::string>> DocStore::RangeBetween(const std::string& index,
                                                                const std::string& min,
                                                                const std::string& max, int limit) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne({"ZRANGEBYLEX", index, min, max, "LIMIT", "0",
                                                       absl::StrCat(limit)}));
  return Strings(v);
}

absl::StatusOr<std::optional<std::string>> DocStore::HGet(const std::string& key,
                                                          const std::string& field) {
  return kv_.HGet(key, field);
}

absl::StatusOr<std::vector<std::optional<std::string>>> DocStore::HMGet(
    const std::string& key, const std::vector<std::string>& fields) {
  std::vector<std::optional<std::string>> out(fields.size());
  if (fields.empty()) {
    return out;
  }
  std::vector<std::string> argv = {"HMGET", key};
  argv.insert(argv.end(), fields.begin(), fields.end());
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne(std::move(argv)));
  for (size_t i = 0; i < fields.size() && i < v.elements.size(); ++i) {
    if (!v.elements[i].is_nil()) {
      out[i] = std::move(v.elements[i].str);
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> DocStore::HGetAll(
    const std::string& key) {
  return kv_.HGetAll(key);
}

absl::StatusOr<std::vector<std::string>> DocStore::Members(const std::string& key) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> m, kv_.SMembers(key));
  std::sort(m.begin(), m.end());
  return m;
}

absl::StatusOr<int64_t> DocStore::Count(const std::string& index) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne({"ZCARD", index}));
  return v.integer;
}

absl::StatusOr<std::optional<std::string>> DocStore::GetString(const std::string& key) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne({"GET", key}));
  if (v.is_nil()) {
    return std::nullopt;
  }
  return v.str;
}

absl::StatusOr<int64_t> DocStore::HGetInt(const std::string& key, const std::string& field) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne({"HGET", key, field}));
  return v.is_nil() ? 0 : ToInt(v.str);
}

absl::StatusOr<bool> DocStore::Exists(const std::string& key) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne({"EXISTS", key}));
  return v.integer > 0;
}

void DocStore::PutDocWith(absl::string_view prefix, WriteBatch& b, absl::string_view kind,
                          absl::string_view id, const google::protobuf::Message& doc,
                          int64_t expect_version, absl::string_view version_tag) {
  PutBytesWith(prefix, b, kind, id, doc.SerializeAsString(), expect_version, version_tag);
}

void DocStore::PutBytesWith(absl::string_view prefix, WriteBatch& b, absl::string_view kind,
                            absl::string_view id, std::string bytes, int64_t expect_version,
                            absl::string_view version_tag) {
  const std::string key = DocKeyWith(prefix, kind, id);
  if (expect_version == 0) {
    b.ExpectAbsent(key, absl::StrCat("exists:", kind, ":", id));
  } else {
    b.ExpectHashField(key, "v", absl::StrCat(expect_version),
                      absl::StrCat(version_tag, ":", kind, ":", id));
  }
  b.HSet(key, {{"v", absl::StrCat(expect_version + 1)}, {"pb", std::move(bytes)}});
}

void DocStore::TouchDocWith(absl::string_view prefix, WriteBatch& b, absl::string_view kind,
                            absl::string_view id, int64_t expect_version) {
  const std::string key = DocKeyWith(prefix, kind, id);
  b.ExpectHashField(key, "v", absl::StrCat(expect_version),
                    absl::StrCat("version:", kind, ":", id));
  b.HSet(key, {{"v", absl::StrCat(expect_version + 1)}});
}

std::string DocStore::RequestKeyWith(absl::string_view prefix, absl::string_view caller,
                                     absl::string_view request_id) {
  return absl::StrCat(prefix, "req:", caller, "/", request_id);
}

void DocStore::GuardRequestWith(absl::string_view prefix, WriteBatch& b, absl::string_view caller,
                                absl::string_view request_id, const std::string& resource) {
  if (request_id.empty()) {
    return;
  }
  const std::string key = RequestKeyWith(prefix, caller, request_id);
  b.ExpectAbsent(key, "request:");
  b.Set(key, resource, 24 * 3600);
}

std::vector<std::string> DocStore::GetDocCommand(absl::string_view kind,
                                                 absl::string_view id) const {
  return {"HMGET", DocKeyWith(prefix_, kind, id), "v", "pb"};
}

std::vector<std::string> DocStore::SeenRequestCommand(absl::string_view caller,
                                                      absl::string_view request_id) const {
  if (request_id.empty()) {
    return {};
  }
  return {"GET", RequestKeyWith(prefix_, caller, request_id)};
}

absl::StatusOr<std::optional<std::string>> DocStore::SeenRequest(absl::string_view caller,
                                                                 absl::string_view request_id) {
  if (request_id.empty()) {
    return std::nullopt;
  }
  const std::string key = RequestKeyWith(prefix_, caller, request_id);
  SALESOPS_ASSIGN_OR_RETURN(std::optional<std::string> seen, GetString(key));
  if (seen) {
    // The caller answers from it: only once it would survive a failover.
    SALESOPS_RETURN_IF_ERROR(kv_.AwaitReplicated(key));
  }
  return seen;
}

absl::Status DocStore::Commit(const WriteBatch& batch) {
  SALESOPS_ASSIGN_OR_RETURN(CommitResult r, outbox_.Commit(batch));
  if (r.committed) {
    return absl::OkStatus();
  }
  // Tags are "<what>:<detail>"; see PutDoc and the API's guards.
  std::vector<std::string> parts = absl::StrSplit(r.failed_tag, absl::MaxSplits(':', 1));
  const std::string what = parts[0];
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
  if (mapper_) {
    return mapper_(what, detail, r.current);
  }
  return Aborted(reason::kWriteConflict, absl::StrCat("write guard failed: ", r.failed_tag));
}

}  // namespace salesops
