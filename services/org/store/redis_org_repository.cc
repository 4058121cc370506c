#include "services/org/store/redis_org_repository.h"

#include <limits>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "services/org/domain/reasons.h"
#include "services/org/domain/reorg.h"

namespace salesops::org {
namespace {

constexpr long long kRequestTtlSeconds = 24 * 3600;

std::string UnitKey(const std::string& id) { return OrgKey(absl::StrCat("unit:", id)); }
std::string MemberKey(const std::string& id) { return OrgKey(absl::StrCat("member:", id)); }
std::string ChildrenKey(const std::string& id) { return OrgKey(absl::StrCat("children:", id)); }
std::string UnitMembersKey(const std::string& id) {
  return OrgKey(absl::StrCat("unit_members:", id));
}
std::string EmailKey(const std::string& email) {
  return OrgKey(absl::StrCat("email:", absl::AsciiStrToLower(email)));
}
std::string RequestKey(const std::string& rid) { return OrgKey(absl::StrCat("req:", rid)); }

std::string HistoryKey(const std::string& id) { return OrgKey(absl::StrCat("history:", id)); }
std::string ReorgKey(const std::string& id) { return OrgKey(absl::StrCat("reorg:", id)); }
std::string ReorgsOfKey(const std::string& unit) {
  return OrgKey(absl::StrCat("reorgs_of:", unit));
}

const char* DocKindName(DocKind k) {
  switch (k) {
    case DocKind::kPosition:
      return "position";
    case DocKind::kTalentConfig:
      return "talent_config";
    case DocKind::kAssessment:
      return "assessment";
    case DocKind::kDevelopmentPlan:
      return "dev_plan";
    case DocKind::kPromotionTrack:
      return "promo_track";
    case DocKind::kPromotionRequest:
      return "promo_request";
    case DocKind::kTeamTarget:
      return "team_target";
    case DocKind::kPositionSlot:
      return "position_slot";
  }
  return "unknown";
}
// Org's documents are common/docstore documents in org's keyspace; a
// secondary index of a kind is "<kind>:<index>".
std::string DocIndexName(DocKind k, const std::string& index) {
  return index.empty() ? DocKindName(k) : absl::StrCat(DocKindName(k), ":", index);
}

double DayScore(absl::CivilDay d) { return static_cast<double>(d - absl::CivilDay(1970, 1, 1)); }

// A history entry as a sorted-set member: fields separated by the ASCII unit
// separator, which validated text (no control characters) never contains.
// The zero-padded record time first keeps same-day entries in recording order.
constexpr char kSep = '\x1f';
std::string EncodeEntry(const MembershipEntry& e) {
  return absl::StrCat(absl::Dec(absl::ToUnixMicros(e.record_time), absl::kZeroPad20),
                      std::string(1, kSep), e.unit_id, std::string(1, kSep),
                      static_cast<int>(e.role), std::string(1, kSep), absl::FormatCivilTime(e.from),
                      std::string(1, kSep), e.reorg_id, std::string(1, kSep), e.reason);
}
std::optional<MembershipEntry> DecodeEntry(const std::string& member_id, const std::string& s) {
  std::vector<std::string> f = absl::StrSplit(s, kSep);
  if (f.size() != 6) {
    return std::nullopt;
  }
  MembershipEntry e;
  e.member_id = member_id;
  int64_t micros = 0;
  int role = 0;
  if (!absl::SimpleAtoi(f[0], &micros) || !absl::SimpleAtoi(f[2], &role) ||
      !absl::ParseCivilTime(f[3], &e.from)) {
    return std::nullopt;
  }
  e.record_time = absl::FromUnixMicros(micros);
  e.unit_id = f[1];
  e.role = static_cast<Role>(role);
  e.reorg_id = f[4];
  e.reason = f[5];
  return e;
}

std::string Micros(absl::Time t) { return absl::StrCat(absl::ToUnixMicros(t)); }

int64_t ToInt(const std::string& s) {
  int64_t v = 0;
  (void)absl::SimpleAtoi(s, &v);
  return v;
}

std::vector<std::pair<std::string, std::string>> UnitFields(const OrgUnit& u) {
  return {{"id", u.id},
          {"display_name", u.display_name},
          {"kind", absl::StrCat(static_cast<int>(u.kind))},
          {"parent", u.parent_id},
          {"description", u.description},
          {"version", absl::StrCat(u.version)},
          {"create_us", Micros(u.create_time)},
          {"update_us", Micros(u.update_time)}};
}

std::vector<std::pair<std::string, std::string>> MemberFields(const Member& m) {
  return {{"id", m.id},
          {"display_name", m.display_name},
          {"email", m.email},
          {"phone", m.phone},
          {"role", absl::StrCat(static_cast<int>(m.role))},
          {"department", absl::StrCat(static_cast<int>(m.department))},
          {"org_unit", m.org_unit_id},
          {"version", absl::StrCat(m.version)},
          {"create_us", Micros(m.create_time)},
          {"update_us", Micros(m.update_time)}};
}

std::optional<OrgUnit> ParseUnit(const RedisValue& v) {
  if (!v.is_array() || v.elements.empty()) {
    return std::nullopt;
  }
  OrgUnit u;
  for (const auto& [f, val] : AsPairs(v)) {
    if (f == "id") {
      u.id = val;
    } else if (f == "display_name") {
      u.display_name = val;
    } else if (f == "kind") {
      u.kind = static_cast<UnitKind>(ToInt(val));
    } else if (f == "parent") {
      u.parent_id = val;
    } else if (f == "description") {
      u.description = val;
    } else if (f == "version") {
      u.version = ToInt(val);
    } else if (f == "create_us") {
      u.create_time = absl::FromUnixMicros(ToInt(val));
    } else if (f == "update_us") {
      u.update_time = absl::FromUnixMicros(ToInt(val));
    } else if (f == "members_rev") {
      u.members_rev = ToInt(val);
    }
  }
  return u;
}

std::optional<Member> ParseMember(const RedisValue& v) {
  if (!v.is_array() || v.elements.empty()) {
    return std::nullopt;
  }
  Member m;
  for (const auto& [f, val] : AsPairs(v)) {
    if (f == "id") {
      m.id = val;
    } else if (f == "display_name") {
      m.display_name = val;
    } else if (f == "email") {
      m.email = val;
    } else if (f == "phone") {
      m.phone = val;
    } else if (f == "role") {
      m.role = static_cast<Role>(ToInt(val));
    } else if (f == "department") {
      m.department = static_cast<Department>(ToInt(val));
    } else if (f == "org_unit") {
      m.org_unit_id = val;
    } else if (f == "version") {
      m.version = ToInt(val);
    } else if (f == "create_us") {
      m.create_time = absl::FromUnixMicros(ToInt(val));
    } else if (f == "update_us") {
      m.update_time = absl::FromUnixMicros(ToInt(val));
    }
  }
  return m;
}

absl::Status Conflict(const CommitResult& r) {
  // DocStore's guards are "<what>:<detail>"; org's own are bare.
  const absl::string_view what = absl::string_view(r.failed_tag).substr(0, r.failed_tag.find(':'));
  if (what == "version") {
    return Aborted(reason::kEtagMismatch,
                   "the resource changed since it was read (etag); re-read and retry");
  }
  if (r.failed_tag == "ancestry" || r.failed_tag == "reorg") {
    return Aborted(reason::kConcurrentReorganisation,
                   "the tree changed while this change was decided; re-read and retry");
  }
  if (what == "exists") {
    return AlreadyExists(reason::kResourceExists, "a resource with this id already exists", "");
  }
  if (r.failed_tag == "email") {
    return AlreadyExists(reason::kEmailTaken,
                         absl::StrCat("the e-mail belongs to members/", r.current),
                         absl::StrCat("members/", r.current));
  }
  if (r.failed_tag == "request") {
    return AlreadyExists(reason::kRequestReplayed, r.current, r.current);
  }
  if (r.failed_tag == "parent" || r.failed_tag == "unit") {
    return NotFound(reason::kOrgUnitNotFound, "the org unit no longer exists");
  }
  if (r.failed_tag == "present") {
    return NotFound("NOT_FOUND", "the resource no longer exists");
  }
  if (r.failed_tag == "children") {
    return FailedPrecondition(
        "ORG_UNIT_HAS_CHILDREN",
        absl::StrCat("the unit still has ", r.current, " child units; move or delete them first"));
  }
  if (r.failed_tag == "members") {
    return FailedPrecondition("ORG_UNIT_HAS_MEMBERS", absl::StrCat("the unit still has ", r.current,
                                                                   " members; move them first"));
  }
  return Aborted(reason::kWriteConflict, absl::StrCat("write guard failed: ", r.failed_tag));
}

}  // namespace

std::string OrgKey(absl::string_view suffix) { return absl::StrCat(kKeyPrefix, suffix); }
std::string RevenueKey(absl::string_view month) { return OrgKey(absl::StrCat("revenue:", month)); }
std::string CoverageKey(absl::string_view month, absl::string_view team) {
  return OrgKey(absl::StrCat("coverage:", month, ":", team));
}

absl::Status RedisOrgRepository::Commit(const WriteBatch& batch) {
  SALESOPS_ASSIGN_OR_RETURN(CommitResult r, outbox_.Commit(batch));
  if (!r.committed) {
    return Conflict(r);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<OrgUnit>> RedisOrgRepository::GetUnit(const std::string& id) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne({"HGETALL", UnitKey(id)}));
  return ParseUnit(v);
}

absl::StatusOr<std::optional<Member>> RedisOrgRepository::GetMember(const std::string& id) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne({"HGETALL", MemberKey(id)}));
  return ParseMember(v);
}

namespace {

std::vector<std::vector<std::string>> UnitWithHeadcountReads(const std::string& id) {
  return {{"HGETALL", UnitKey(id)}, {"HGET", OrgKey("headcount"), id}};
}

OrgRepository::UnitWithHeadcount ParseUnitWithHeadcount(absl::StatusOr<std::vector<RedisValue>> v) {
  if (!v.ok()) {
    return v.status();
  }
  std::optional<OrgUnit> unit = ParseUnit((*v)[0]);
  if (!unit) {
    return std::nullopt;
  }
  return std::make_pair(*std::move(unit), (*v)[1].is_nil() ? int64_t{0} : ToInt((*v)[1].str));
}

}  // namespace

absl::StatusOr<std::optional<std::pair<OrgUnit, int64_t>>> RedisOrgRepository::GetUnitWithHeadcount(
    const std::string& id) {
  return ParseUnitWithHeadcount(kv_.Read(UnitWithHeadcountReads(id)));
}

void RedisOrgRepository::GetUnitWithHeadcountAsync(const std::string& id,
                                                   std::function<void(UnitWithHeadcount)> done) {
  kv_.ReadAsync(UnitWithHeadcountReads(id),
                [done = std::move(done)](absl::StatusOr<std::vector<RedisValue>> v) {
                  done(ParseUnitWithHeadcount(std::move(v)));
                });
}

absl::StatusOr<Ancestry> RedisOrgRepository::GetAncestry(const std::string& unit_id) {
  Ancestry a;
  std::string id = unit_id;
  while (!id.empty()) {
    if (std::find(a.ids.begin(), a.ids.end(), id) != a.ids.end() || a.ids.size() > 64) {
      return Internal("ORG_TREE_CORRUPT", absl::StrCat("loop in the tree at ", id));
    }
    SALESOPS_ASSIGN_OR_RETURN(RedisValue v,
                              kv_.ReadOne({"HMGET", UnitKey(id), "parent", "version"}));
    if (v.elements.size() != 2 || v.elements[1].is_nil()) {
      return NotFound(reason::kOrgUnitNotFound, absl::StrCat("orgUnits/", id, " does not exist"));
    }
    a.ids.push_back(id);
    a.versions.push_back(ToInt(v.elements[1].str));
    id = v.elements[0].str;
  }
  return a;
}

absl::StatusOr<UnitPage> RedisOrgRepository::ScanUnits(const std::string& after, int scan_limit) {
  std::string from = after.empty() ? "-" : absl::StrCat("(", after);
  SALESOPS_ASSIGN_OR_RETURN(RedisValue ids, kv_.ReadOne({"ZRANGEBYLEX", OrgKey("units"), from, "+",
                                                         "LIMIT", "0", absl::StrCat(scan_limit)}));
  UnitPage page;
  if (ids.elements.empty()) {
    return page;
  }
  std::vector<std::vector<std::string>> cmds;
  for (const auto& id : ids.elements) {
    cmds.push_back({"HGETALL", UnitKey(id.str)});
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> values, kv_.Read(cmds));
  for (const auto& v : values) {
    if (auto u = ParseUnit(v)) {
      page.units.push_back(*std::move(u));
    }
  }
  if (static_cast<int>(ids.elements.size()) == scan_limit) {
    page.last_scanned = ids.elements.back().str;
  }
  return page;
}

absl::StatusOr<MemberPage> RedisOrgRepository::ScanMembers(const std::string& after,
                                                           int scan_limit) {
  std::string from = after.empty() ? "-" : absl::StrCat("(", after);
  SALESOPS_ASSIGN_OR_RETURN(RedisValue ids,
                            kv_.ReadOne({"ZRANGEBYLEX", OrgKey("members"), from, "+", "LIMIT", "0",
                                         absl::StrCat(scan_limit)}));
  MemberPage page;
  if (ids.elements.empty()) {
    return page;
  }
  std::vector<std::vector<std::string>> cmds;
  for (const auto& id : ids.elements) {
    cmds.push_back({"HGETALL", MemberKey(id.str)});
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> values, kv_.Read(cmds));
  for (const auto& v : values) {
    if (auto m = ParseMember(v)) {
      page.members.push_back(*std::move(m));
    }
  }
  if (static_cast<int>(ids.elements.size()) == scan_limit) {
    page.last_scanned = ids.elements.back().str;
  }
  return page;
}

absl::StatusOr<std::vector<std::string>> RedisOrgRepository::MemberIdsOfUnit(
    const std::string& unit_id) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne({"SMEMBERS", UnitMembersKey(unit_id)}));
  std::vector<std::string> ids;
  for (const auto& e : v.elements) {
    ids.push_back(e.str);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::StatusOr<int64_t> RedisOrgRepository::Headcount(const std::string& unit_id) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne({"HGET", OrgKey("headcount"), unit_id}));
  return v.is_nil() ? 0 : ToInt(v.str);
}

absl::StatusOr<std::vector<int64_t>> RedisOrgRepository::Headcounts(
    const std::vector<std::string>& unit_ids) {
  std::vector<int64_t> out;
  if (unit_ids.empty()) {
    return out;
  }
  std::vector<std::string> cmd = {"HMGET", OrgKey("headcount")};
  cmd.insert(cmd.end(), unit_ids.begin(), unit_ids.end());
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne(cmd));
  for (const auto& e : v.elements) {
    out.push_back(e.is_nil() ? 0 : ToInt(e.str));
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> RedisOrgRepository::FindRequest(
    const std::string& request_id) {
  const std::string key = RequestKey(request_id);
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v, kv_.ReadOne({"GET", key}));
  if (v.is_nil()) {
    return std::nullopt;
  }
  // The caller answers from it: only once it would survive a failover.
  SALESOPS_RETURN_IF_ERROR(kv_.AwaitReplicated(key));
  return v.str;
}

absl::Status RedisOrgRepository::CreateUnit(const OrgUnit& unit, UnitKind parent_kind,
                                            const std::string& request_id,
                                            const CloudEvent& event) {
  WriteBatch b;
  if (!request_id.empty()) {
    b.ExpectAbsent(RequestKey(request_id), "request");
  }
  b.ExpectAbsent(UnitKey(unit.id), "exists");
  if (!unit.parent_id.empty()) {
    // Present and still of the kind the placement was checked against.
    b.ExpectHashField(UnitKey(unit.parent_id), "kind", absl::StrCat(static_cast<int>(parent_kind)),
                      "parent");
    b.SAdd(ChildrenKey(unit.parent_id), unit.id);
  }
  b.HSet(UnitKey(unit.id), UnitFields(unit));
  b.ZAdd(OrgKey("units"), 0, unit.id);
  if (!request_id.empty()) {
    b.Set(RequestKey(request_id), absl::StrCat("orgUnits/", unit.id), kRequestTtlSeconds);
  }
  b.Emit(event, kOrgTopic);
  return Commit(b);
}

absl::Status RedisOrgRepository::UpdateUnit(const OrgUnit& before, const OrgUnit& after,
                                            const Ancestry* ancestry_of_new_parent,
                                            const CloudEvent& event) {
  WriteBatch b;
  b.ExpectHashField(UnitKey(before.id), "version", absl::StrCat(before.version), "version");
  if (ancestry_of_new_parent != nullptr) {
    // The cycle check was made on these versions; any re-parent above the new
    // parent since then bumps one of them and aborts this write.
    for (size_t i = 0; i < ancestry_of_new_parent->ids.size(); ++i) {
      b.ExpectHashField(UnitKey(ancestry_of_new_parent->ids[i]), "version",
                        absl::StrCat(ancestry_of_new_parent->versions[i]), "ancestry");
    }
  }
  b.HSet(UnitKey(after.id), UnitFields(after));
  if (before.parent_id != after.parent_id) {
    if (!before.parent_id.empty()) {
      b.SRem(ChildrenKey(before.parent_id), after.id);
    }
    if (!after.parent_id.empty()) {
      b.SAdd(ChildrenKey(after.parent_id), after.id);
    }
  }
  b.Emit(event, kOrgTopic);
  return Commit(b);
}

absl::Status RedisOrgRepository::DeleteUnit(const OrgUnit& unit, const CloudEvent& event) {
  WriteBatch b;
  b.ExpectHashField(UnitKey(unit.id), "version", absl::StrCat(unit.version), "version");
  b.ExpectSetEmpty(ChildrenKey(unit.id), "children");
  b.ExpectSetEmpty(UnitMembersKey(unit.id), "members");
  b.Del(UnitKey(unit.id));
  b.ZRem(OrgKey("units"), unit.id);
  if (!unit.parent_id.empty()) {
    b.SRem(ChildrenKey(unit.parent_id), unit.id);
  }
  b.Emit(event, kOrgTopic);
  return Commit(b);
}

absl::Status RedisOrgRepository::CreateMember(const Member& member, const std::string& request_id,
                                              const CloudEvent& event) {
  WriteBatch b;
  if (!request_id.empty()) {
    b.ExpectAbsent(RequestKey(request_id), "request");
  }
  b.ExpectAbsent(MemberKey(member.id), "exists");
  b.ExpectAbsent(EmailKey(member.email), "email");
  b.ExpectPresent(UnitKey(member.org_unit_id), "unit");
  b.HSet(MemberKey(member.id), MemberFields(member));
  b.ZAdd(OrgKey("members"), 0, member.id);
  b.SAdd(UnitMembersKey(member.org_unit_id), member.id);
  b.HIncrBy(UnitKey(member.org_unit_id), "members_rev", 1);
  const MembershipEntry joined{member.id,
                               member.org_unit_id,
                               member.role,
                               OrgDay(member.create_time),
                               member.create_time,
                               "",
                               "joined"};
  b.ZAdd(HistoryKey(member.id), DayScore(joined.from), EncodeEntry(joined));
  b.Set(EmailKey(member.email), member.id);
  if (!request_id.empty()) {
    b.Set(RequestKey(request_id), absl::StrCat("members/", member.id), kRequestTtlSeconds);
  }
  b.Emit(event, kOrgTopic);
  return Commit(b);
}

absl::Status RedisOrgRepository::UpdateMember(const Member& before, const Member& after,
                                              const CloudEvent& event) {
  WriteBatch b;
  b.ExpectHashField(MemberKey(before.id), "version", absl::StrCat(before.version), "version");
  const bool email_changed =
      absl::AsciiStrToLower(before.email) != absl::AsciiStrToLower(after.email);
  if (email_changed) {
    b.ExpectAbsent(EmailKey(after.email), "email");
  }
  if (before.org_unit_id != after.org_unit_id) {
    b.ExpectPresent(UnitKey(after.org_unit_id), "unit");
    b.SRem(UnitMembersKey(before.org_unit_id), after.id);
    b.SAdd(UnitMembersKey(after.org_unit_id), after.id);
    b.HIncrBy(UnitKey(before.org_unit_id), "members_rev", 1);
    b.HIncrBy(UnitKey(after.org_unit_id), "members_rev", 1);
  }
  if (email_changed) {
    b.Del(EmailKey(before.email));
    b.Set(EmailKey(after.email), after.id);
  }
  b.HSet(MemberKey(after.id), MemberFields(after));
  b.Emit(event, kOrgTopic);
  return Commit(b);
}

absl::Status RedisOrgRepository::DeleteMember(const Member& member, const CloudEvent& event) {
  WriteBatch b;
  b.ExpectHashField(MemberKey(member.id), "version", absl::StrCat(member.version), "version");
  b.Del(MemberKey(member.id));
  b.ZRem(OrgKey("members"), member.id);
  b.SRem(UnitMembersKey(member.org_unit_id), member.id);
  b.HIncrBy(UnitKey(member.org_unit_id), "members_rev", 1);
  const absl::Time now = event.time;
  const MembershipEntry left{member.id, "", member.role, OrgDay(now), now, "", "left"};
  b.ZAdd(HistoryKey(member.id), DayScore(left.from), EncodeEntry(left));
  b.Del(EmailKey(member.email));
  b.Emit(event, kOrgTopic);
  return Commit(b);
}

absl::Status RedisOrgRepository::CommitReorg(const ReorgCommit& c) {
  WriteBatch b;
  for (const auto& u : c.units_before) {
    b.ExpectHashField(UnitKey(u.id), "version", absl::StrCat(u.version), "reorg");
  }
  for (const auto& u : c.removed_units) {
    b.ExpectHashField(UnitKey(u.id), "version", absl::StrCat(u.version), "reorg");
    // Every member it had when the command was decided is moved by it: a
    // member who joined or left since changes members_rev.
    b.ExpectHashField(UnitKey(u.id), "members_rev",
                      u.members_rev == 0 ? "" : absl::StrCat(u.members_rev), "reorg");
    b.ExpectSetEmpty(ChildrenKey(u.id), "children");
  }
  for (const auto& u : c.created_units) {
    b.ExpectAbsent(UnitKey(u.id), "exists");
  }
  for (const auto& [before, after] : c.members) {
    b.ExpectHashField(MemberKey(before.id), "version", absl::StrCat(before.version), "reorg");
    if (before.org_unit_id != after.org_unit_id) {
      bool created = false;
      for (const auto& u : c.created_units) {
        created = created || u.id == after.org_unit_id;
      }
      if (!created) {
        b.ExpectPresent(UnitKey(after.org_unit_id), "unit");
      }
    }
  }
  if (c.ancestry_of_new_parent) {
    for (size_t i = 0; i < c.ancestry_of_new_parent->ids.size(); ++i) {
      b.ExpectHashField(UnitKey(c.ancestry_of_new_parent->ids[i]), "version",
                        absl::StrCat(c.ancestry_of_new_parent->versions[i]), "ancestry");
    }
  }
  for (const auto& u : c.created_units) {
    b.HSet(UnitKey(u.id), UnitFields(u));
    b.ZAdd(OrgKey("units"), 0, u.id);
    if (!u.parent_id.empty()) {
      b.SAdd(ChildrenKey(u.parent_id), u.id);
    }
  }
  for (size_t i = 0; i < c.units_after.size(); ++i) {
    const OrgUnit& before = c.units_before[i];
    const OrgUnit& after = c.units_after[i];
    b.HSet(UnitKey(after.id), UnitFields(after));
    if (before.parent_id != after.parent_id) {
      if (!before.parent_id.empty()) {
        b.SRem(ChildrenKey(before.parent_id), after.id);
      }
      if (!after.parent_id.empty()) {
        b.SAdd(ChildrenKey(after.parent_id), after.id);
      }
    }
  }
  for (const auto& [before, after] : c.members) {
    if (before.org_unit_id != after.org_unit_id) {
      b.SRem(UnitMembersKey(before.org_unit_id), after.id);
      b.SAdd(UnitMembersKey(after.org_unit_id), after.id);
      b.HIncrBy(UnitKey(before.org_unit_id), "members_rev", 1);
      b.HIncrBy(UnitKey(after.org_unit_id), "members_rev", 1);
    }
    b.HSet(MemberKey(after.id), MemberFields(after));
  }
  // Removed last: the member moves above touched their hashes.
  for (const auto& u : c.removed_units) {
    b.Del(UnitKey(u.id));
    b.Del(UnitMembersKey(u.id));
    b.ZRem(OrgKey("units"), u.id);
    if (!u.parent_id.empty()) {
      b.SRem(ChildrenKey(u.parent_id), u.id);
    }
  }
  for (const auto& e : c.history) {
    b.ZAdd(HistoryKey(e.member_id), DayScore(e.from), EncodeEntry(e));
  }
  if (!c.reorg_id.empty()) {
    b.Set(ReorgKey(c.reorg_id), c.reorg_data);
    for (const auto& unit : c.reorg_unit_ids) {
      b.ZAdd(ReorgsOfKey(unit), DayScore(c.effective), c.reorg_id);
    }
  }
  for (const auto& e : c.events) {
    b.Emit(e, kOrgTopic);
  }
  return Commit(b);
}

absl::StatusOr<std::vector<MembershipEntry>> RedisOrgRepository::MemberHistory(
    const std::string& member_id) {
  SALESOPS_ASSIGN_OR_RETURN(RedisValue v,
                            kv_.ReadOne({"ZRANGEBYSCORE", HistoryKey(member_id), "-inf", "+inf"}));
  std::vector<MembershipEntry> out;
  for (const auto& e : v.elements) {
    if (auto entry = DecodeEntry(member_id, e.str)) {
      out.push_back(*std::move(entry));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const MembershipEntry& a, const MembershipEntry& b) {
    return a.record_time < b.record_time;
  });
  return out;
}

absl::StatusOr<std::vector<std::string>> RedisOrgRepository::ReorgsOfUnit(
    const std::string& unit_id, absl::CivilDay from, absl::CivilDay to) {
  SALESOPS_ASSIGN_OR_RETURN(
      RedisValue ids, kv_.ReadOne({"ZRANGEBYSCORE", ReorgsOfKey(unit_id),
                                   absl::StrCat(DayScore(from)), absl::StrCat(DayScore(to))}));
  std::vector<std::string> out;
  if (ids.elements.empty()) {
    return out;
  }
  std::vector<std::vector<std::string>> cmds;
  for (const auto& id : ids.elements) {
    cmds.push_back({"GET", ReorgKey(id.str)});
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> values, kv_.Read(cmds));
  for (const auto& v : values) {
    if (!v.is_nil()) {
      out.push_back(v.str);
    }
  }
  return out;
}

absl::StatusOr<std::optional<Doc>> RedisOrgRepository::GetDoc(DocKind kind, const std::string& id) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs, GetDocs(kind, {id}));
  return std::move(docs[0]);
}

absl::StatusOr<std::vector<std::optional<Doc>>> RedisOrgRepository::GetDocs(
    DocKind kind, const std::vector<std::string>& ids) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<DocStore::Bytes>> stored,
                            docs_.GetManyBytes(DocKindName(kind), ids));
  std::vector<std::optional<Doc>> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (stored[i]) {
      out[i] = Doc{ids[i], stored[i]->version, std::move(stored[i]->data)};
    }
  }
  return out;
}

absl::StatusOr<std::vector<Doc>> RedisOrgRepository::ListDocs(DocKind kind,
                                                              const std::string& index) {
  SALESOPS_ASSIGN_OR_RETURN(
      std::vector<std::string> ids,
      docs_.RangeFrom(DocStore::IndexWith(kKeyPrefix, DocIndexName(kind, index)), "-",
                      std::numeric_limits<int>::max()));
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs, GetDocs(kind, ids));
  std::vector<Doc> out;
  for (std::optional<Doc>& d : docs) {
    if (d) {
      out.push_back(*std::move(d));
    }
  }
  return out;
}

absl::Status RedisOrgRepository::WriteDocs(const std::vector<DocWrite>& writes,
                                           const std::string& request_id,
                                           const std::string& request_resource,
                                           const std::vector<CloudEvent>& events) {
  WriteBatch b;
  if (!request_id.empty()) {
    b.ExpectAbsent(RequestKey(request_id), "request");
  }
  for (const auto& w : writes) {
    if (w.doc.version != w.expected_version + 1) {
      return Internal("DOC_VERSION_SKIPPED",
                      absl::StrCat(DocKindName(w.kind), " ", w.doc.id, " written at version ",
                                   w.doc.version, " over ", w.expected_version));
    }
    DocStore::PutBytesWith(kKeyPrefix, b, DocKindName(w.kind), w.doc.id, w.doc.data,
                           w.expected_version);
    b.ZAdd(DocStore::IndexWith(kKeyPrefix, DocIndexName(w.kind, "")), 0, w.doc.id);
    for (const auto& index : w.indexes) {
      b.ZAdd(DocStore::IndexWith(kKeyPrefix, DocIndexName(w.kind, index)), 0, w.doc.id);
    }
  }
  if (!request_id.empty()) {
    b.Set(RequestKey(request_id), request_resource, kRequestTtlSeconds);
  }
  for (const auto& e : events) {
    b.Emit(e, kOrgTopic);
  }
  return Commit(b);
}

absl::StatusOr<std::vector<TeamRevenue>> RedisOrgRepository::Revenue(
    const std::vector<std::string>& months) {
  std::vector<TeamRevenue> out;
  if (months.empty()) {
    return out;
  }
  std::vector<std::vector<std::string>> cmds;
  for (const auto& m : months) {
    cmds.push_back({"HGETALL", RevenueKey(m)});
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> values, kv_.Read(cmds));
  std::map<std::string, TeamRevenue> by_team;
  std::vector<std::vector<std::string>> coverage_cmds;
  std::vector<std::string> coverage_team;
  for (size_t i = 0; i < values.size(); ++i) {
    for (const auto& [field, val] : AsPairs(values[i])) {
      const size_t hash = field.find('#');
      const std::string team = field.substr(0, hash);
      TeamRevenue& t = by_team[team];
      t.team_id = team;
      if (hash == std::string::npos) {
        t.revenue_minor += ToInt(val);
        coverage_cmds.push_back({"SMEMBERS", CoverageKey(months[i], team)});
        coverage_team.push_back(team);
      } else {
        t.won_deals += ToInt(val);
      }
    }
  }
  if (!coverage_cmds.empty()) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<RedisValue> cells, kv_.Read(coverage_cmds));
    for (size_t i = 0; i < cells.size(); ++i) {
      for (const auto& c : cells[i].elements) {
        by_team[coverage_team[i]].coverage.insert(c.str);
      }
    }
  }
  for (auto& [id, t] : by_team) {
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace salesops::org
