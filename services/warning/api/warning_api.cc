#include "services/warning/api/warning_api.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/events/cloud_event.h"
#include "common/ids/ids.h"
#include "common/server/api_support.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/status/write_race.h"
#include "common/time/proto_time.h"
#include "common/validation/output_only.h"
#include "common/validation/validation.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "services/warning/domain/rules.h"

namespace salesops::warning {
namespace {

constexpr int kDefaultPage = 50;
constexpr int kMaxPage = 500;
// Index entries a list call reads at most before answering with a shorter page.
constexpr int kMaxScan = 5000;

std::string MemberName(const Principal& p) { return absl::StrCat("members/", p.member_id); }

void Emit(WriteBatch& b, const CallContext& call, const std::string& key,
          const std::string& subject, const google::protobuf::Message& payload, absl::Time t) {
  b.Emit(MakeCloudEvent(kWarningSource, key, subject, payload, t, call.trace_id), kWarningTopic);
}

std::string Caller(const CallContext& call) { return call.principal.member_id; }
void GuardRequest(WriteBatch& b, const CallContext& call, const std::string& rid,
                  const std::string& name) {
  DocStore::GuardRequestWith(kKeyPrefix, b, Caller(call), rid, name);
}

void CheckName(Violations& v, const std::string& field, const std::string& value,
               absl::string_view collection, bool required) {
  if (value.empty() && !required) {
    return;
  }
  (void)ParseResourceName(v, field, value, collection);
}

bool ActiveState(v1::WarningState s) {
  return s == v1::WARNING_STATE_OPEN || s == v1::WARNING_STATE_ACKNOWLEDGED;
}

// Fingerprint of a request's filter, so a page token only continues its own query.
std::string Fingerprint(const google::protobuf::Message& req) {
  std::unique_ptr<google::protobuf::Message> copy(req.New());
  copy->CopyFrom(req);
  const auto* d = copy->GetDescriptor();
  const auto* r = copy->GetReflection();
  for (const char* f : {"page_size", "page_token"}) {
    if (const auto* fd = d->FindFieldByName(f)) {
      r->ClearField(copy.get(), fd);
    }
  }
  return absl::StrCat(std::hash<std::string>{}(copy->SerializeAsString()));
}

// One page of a list: reads `index` after `after`, hands each stored document
// to `keep` (which filters it and may move it into the response; true = it
// was taken) until `page` are taken or kMaxScan entries were read, and
// returns the next page token ("" when the index is exhausted). A page can be
// short when many entries were filtered out; the token then continues.
template <typename Doc, typename Keep>
absl::StatusOr<std::string> ScanPage(WarningStore& store, absl::string_view kind,
                                     size_t name_prefix, const std::string& index,
                                     std::string after, int page, const std::string& fingerprint,
                                     Keep keep) {
  int scanned = 0;
  int taken = 0;
  while (taken < page && scanned < kMaxScan) {
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                              store.Range(index, after, std::min(kMaxScan - scanned, page * 2)));
    if (ids.empty()) {
      return std::string();
    }
    SALESOPS_ASSIGN_OR_RETURN(std::vector<Versioned<Doc>> docs, store.GetMany<Doc>(kind, ids));
    absl::flat_hash_map<std::string, Versioned<Doc>*> by_id;
    for (auto& d : docs) {
      by_id[d.doc.name().substr(name_prefix)] = &d;
    }
    for (const std::string& id : ids) {
      ++scanned;
      after = id;
      auto it = by_id.find(id);
      if (it == by_id.end()) {
        continue;
      }
      it->second->doc.set_etag(absl::StrCat(it->second->version));
      SALESOPS_ASSIGN_OR_RETURN(bool took, keep(it->second->doc));
      if (took && ++taken >= page) {
        break;
      }
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> more, store.Range(index, after, 1));
  return more.empty() ? std::string() : EncodePageToken({after, fingerprint});
}

}  // namespace

MethodPolicy WarningMethodPolicy() {
  MethodPolicy p;
  const auto all = {Role::kRep, Role::kSupervisor, Role::kManager, Role::kDirector, Role::kAdmin};
  const auto leads = {Role::kSupervisor, Role::kManager, Role::kDirector, Role::kAdmin};
  p.Allow("ListWarnings", all).Allow("GetWarning", all);
  p.Allow("AcknowledgeWarning", leads);
  p.Allow("ListRules", leads).Allow("GetRule", leads);
  p.Allow("CreateRule", {Role::kDirector, Role::kAdmin});
  p.Allow("UpdateRule", {Role::kManager, Role::kDirector, Role::kAdmin});
  p.Allow("CreateProposal", leads);
  p.Allow("GetProposal", all).Allow("ListProposals", all);
  p.Allow("CommentOnProposal", all).Allow("VoteOnProposal", all);
  p.Allow("DecideProposal", leads).Allow("AddAction", leads);
  p.Allow("UpdateAction", all);
  return p;
}

// ---------------------------------------------------------------- scope

absl::StatusOr<std::vector<std::string>> WarningApi::ChainOf(const std::string& unit) {
  if (unit.empty()) {
    return std::vector<std::string>{};
  }
  SALESOPS_ASSIGN_OR_RETURN(Routing r, engine_.Route(unit, ""));
  return r.units;
}

absl::StatusOr<bool> WarningApi::Covers(const Principal& who, const std::string& unit) {
  if (who.role >= Role::kDirector) {
    return true;
  }
  if (who.org_unit_id.empty() || unit.empty()) {
    return false;
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> chain, ChainOf(unit));
  const std::string mine = absl::StrCat("orgUnits/", who.org_unit_id);
  return std::find(chain.begin(), chain.end(), mine) != chain.end();
}

absl::StatusOr<bool> WarningApi::CanSee(const Principal& who, const v1::Warning& w) {
  if (who.role == Role::kRep) {
    return w.rep() == MemberName(who);
  }
  if (w.responsible_supervisor() == MemberName(who)) {
    return true;
  }
  return Covers(who, w.org_unit());
}

absl::StatusOr<Versioned<v1::Warning>> WarningApi::LoadWarning(const std::string& field,
                                                               const std::string& name) {
  Violations v;
  const std::string id = ParseResourceName(v, field, name, "warnings");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto got, store_.Get<v1::Warning>(kWarningDoc, id));
  if (!got) {
    return NotFound("WARNING_NOT_FOUND", absl::StrCat(name, " does not exist"));
  }
  got->doc.set_etag(absl::StrCat(got->version));
  return *std::move(got);
}

// ---------------------------------------------------------------- warnings

absl::Status WarningApi::ListWarnings(const CallContext& call, const v1::ListWarningsRequest& req,
                                      v1::ListWarningsResponse* resp) {
  Violations v;
  const int page = CheckPageSize(v, "page_size", req.page_size(), kDefaultPage, kMaxPage);
  std::optional<PageCursor> cursor =
      DecodePageToken(v, "page_token", req.page_token(), Fingerprint(req));
  for (int i = 0; i < req.states_size(); ++i) {
    if (!v1::WarningState_IsValid(req.states(i)) || req.states(i) == 0) {
      v.Add(absl::StrCat("states[", i, "]"), "must be OPEN, ACKNOWLEDGED or RESOLVED");
    }
  }
  if (!v1::ConditionKind_IsValid(req.condition())) {
    v.Add("condition", "unknown condition");
  }
  if (!v1::Severity_IsValid(req.min_severity())) {
    v.Add("min_severity", "unknown severity");
  }
  CheckName(v, "org_unit", req.org_unit(), "orgUnits", false);
  CheckName(v, "responsible_supervisor", req.responsible_supervisor(), "members", false);
  CheckName(v, "rep", req.rep(), "members", false);
  CheckName(v, "period", req.period(), "fiscalPeriods", false);
  if (!req.subject().empty() && req.subject().find('/') == std::string::npos) {
    v.Add("subject", "must be a resource name such as opportunities/{id}");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());

  const Principal& who = call.principal;
  if (!req.org_unit().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(bool ok, Covers(who, req.org_unit()));
    if (!ok && who.role != Role::kRep) {
      return PermissionDenied("OUTSIDE_SCOPE",
                              absl::StrCat(req.org_unit(), " is outside your org scope"));
    }
  }
  if (who.role == Role::kRep && !req.rep().empty() && req.rep() != MemberName(who)) {
    return PermissionDenied("OUTSIDE_SCOPE", "a rep lists only their own warnings");
  }
  bool active_only = req.states_size() > 0;
  for (int s : req.states()) {
    active_only = active_only && ActiveState(static_cast<v1::WarningState>(s));
  }
  if (req.states_size() == 0) {
    active_only = true;
  }

  // The most selective index the caller may read; every entry is filtered again below.
  std::string index;
  if (who.role == Role::kRep) {
    index =
        WarningStore::WarningIndex(WarningStore::WarningsBy::kRep, MemberName(who), active_only);
  } else if (!req.subject().empty()) {
    index =
        WarningStore::WarningIndex(WarningStore::WarningsBy::kSubject, req.subject(), active_only);
  } else if (!req.rep().empty()) {
    index = WarningStore::WarningIndex(WarningStore::WarningsBy::kRep, req.rep(), active_only);
  } else if (!req.responsible_supervisor().empty()) {
    index = WarningStore::WarningIndex(WarningStore::WarningsBy::kSupervisor,
                                       req.responsible_supervisor(), active_only);
  } else if (!req.org_unit().empty()) {
    index =
        WarningStore::WarningIndex(WarningStore::WarningsBy::kUnit, req.org_unit(), active_only);
  } else if (who.role >= Role::kDirector) {
    index = WarningStore::WarningIndex(WarningStore::WarningsBy::kAll, "", active_only);
  } else {
    index = WarningStore::WarningIndex(WarningStore::WarningsBy::kUnit,
                                       absl::StrCat("orgUnits/", who.org_unit_id), active_only);
  }

  std::optional<absl::Time> raised_after;
  if (req.has_raised_after()) {
    raised_after = FromTs(req.raised_after());
  }
  auto keep = [&](v1::Warning& w) -> absl::StatusOr<bool> {
    const bool state_ok =
        req.states_size() == 0
            ? ActiveState(w.state())
            : std::find(req.states().begin(), req.states().end(), w.state()) != req.states().end();
    if (!state_ok) {
      return false;
    }
    if (req.condition() != 0 && w.condition() != req.condition()) {
      return false;
    }
    if (req.min_severity() != 0 && w.severity() < req.min_severity()) {
      return false;
    }
    if (!req.responsible_supervisor().empty() &&
        w.responsible_supervisor() != req.responsible_supervisor()) {
      return false;
    }
    if (!req.rep().empty() && w.rep() != req.rep()) {
      return false;
    }
    if (!req.subject().empty() && w.subject() != req.subject()) {
      return false;
    }
    if (!req.period().empty() && w.period() != req.period()) {
      return false;
    }
    if (raised_after && FromTs(w.raise_time()) < *raised_after) {
      return false;
    }
    if (!req.org_unit().empty()) {
      SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> chain, ChainOf(w.org_unit()));
      if (std::find(chain.begin(), chain.end(), req.org_unit()) == chain.end()) {
        return false;
      }
    }
    SALESOPS_ASSIGN_OR_RETURN(bool visible, CanSee(who, w));
    if (!visible) {
      return false;
    }
    *resp->add_warnings() = std::move(w);
    return true;
  };
  SALESOPS_ASSIGN_OR_RETURN(std::string next, ScanPage<v1::Warning>(store_, kWarningDoc, 9, index,
                                                                    cursor ? cursor->after : "",
                                                                    page, Fingerprint(req), keep));
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status WarningApi::GetWarning(const CallContext& call, const v1::GetWarningRequest& req,
                                    v1::GetWarningResponse* resp) {
  SALESOPS_ASSIGN_OR_RETURN(Versioned<v1::Warning> w, LoadWarning("name", req.name()));
  SALESOPS_ASSIGN_OR_RETURN(bool visible, CanSee(call.principal, w.doc));
  if (!visible) {
    return PermissionDenied("OUTSIDE_SCOPE", absl::StrCat(req.name(), " is not yours"));
  }
  *resp->mutable_warning() = std::move(w.doc);
  return absl::OkStatus();
}

absl::Status WarningApi::AcknowledgeWarning(const CallContext& call,
                                            const v1::AcknowledgeWarningRequest& req,
                                            v1::AcknowledgeWarningResponse* resp) {
  Violations v;
  CheckText(v, "note", req.note(), 0, 2000);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(Versioned<v1::Warning> cur, LoadWarning("name", req.name()));
  SALESOPS_ASSIGN_OR_RETURN(bool covers, CanSee(call.principal, cur.doc));
  if (!covers) {
    return PermissionDenied("OUTSIDE_SCOPE",
                            absl::StrCat(req.name(), " is for another team's supervisor"));
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, req.name()));
  if (cur.doc.state() == v1::WARNING_STATE_ACKNOWLEDGED &&
      cur.doc.acknowledged_by() == MemberName(call.principal) &&
      cur.doc.acknowledge_note() == req.note()) {
    *resp->mutable_warning() = std::move(cur.doc);  // a retry: already done
    return absl::OkStatus();
  }
  if (cur.doc.state() != v1::WARNING_STATE_OPEN) {
    return FailedPrecondition(
        "WARNING_NOT_OPEN",
        absl::StrCat(req.name(), " is not open (", v1::WarningState_Name(cur.doc.state()), ")"));
  }
  const absl::Time now = clock_.Now();
  v1::Warning next = cur.doc;
  next.clear_etag();
  next.set_state(v1::WARNING_STATE_ACKNOWLEDGED);
  *next.mutable_acknowledge_time() = ToTs(now);
  next.set_acknowledged_by(MemberName(call.principal));
  next.set_acknowledge_note(req.note());
  WriteBatch b;
  WarningStore::PutDoc(b, kWarningDoc, next.name().substr(9), next, cur.version);
  v1::WarningAcknowledged e;
  *e.mutable_warning() = next;
  e.mutable_warning()->set_etag(absl::StrCat(cur.version + 1));
  e.set_note(req.note());
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, next.name().substr(9), next.name(), e, now);
  SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  next.set_etag(absl::StrCat(cur.version + 1));
  *resp->mutable_warning() = std::move(next);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- rules

absl::Status WarningApi::ListRules(const CallContext& call, const v1::ListRulesRequest& req,
                                   v1::ListRulesResponse* resp) {
  Violations v;
  const int page = CheckPageSize(v, "page_size", req.page_size(), kDefaultPage, kMaxPage);
  std::optional<PageCursor> cursor =
      DecodePageToken(v, "page_token", req.page_token(), Fingerprint(req));
  if (!v1::ConditionKind_IsValid(req.condition())) {
    v.Add("condition", "unknown condition");
  }
  CheckName(v, "org_unit", req.org_unit(), "orgUnits", false);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  std::vector<std::string> chain;
  if (!req.org_unit().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(chain, ChainOf(req.org_unit()));
    if (chain.empty()) {
      chain.push_back(req.org_unit());
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(RuleList rules, engine_.rules().LoadAll());
  const std::string after = cursor ? cursor->after : "";
  for (v1::Rule& r : rules) {
    if (!after.empty() && r.name() <= after) {
      continue;
    }
    if (req.condition() != 0 && r.condition() != req.condition()) {
      continue;
    }
    if (req.enabled_only() && !r.enabled()) {
      continue;
    }
    if (!req.org_unit().empty()) {
      // The rule as it applies there (scope and overrides).
      if (!EffectiveRule(r, chain).enabled() && req.enabled_only()) {
        continue;
      }
      if (!r.scope().empty() && std::find(chain.begin(), chain.end(), r.scope()) == chain.end()) {
        continue;
      }
    }
    if (resp->rules_size() == page) {
      resp->set_next_page_token(EncodePageToken({resp->rules(page - 1).name(), Fingerprint(req)}));
      break;
    }
    *resp->add_rules() = std::move(r);
  }
  return absl::OkStatus();
}

absl::Status WarningApi::GetRule(const CallContext&, const v1::GetRuleRequest& req,
                                 v1::GetRuleResponse* resp) {
  Violations v;
  const std::string id = ParseResourceName(v, "name", req.name(), "rules");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto got, store_.Get<v1::Rule>(kRuleDoc, id));
  if (!got) {
    return NotFound("RULE_NOT_FOUND", absl::StrCat(req.name(), " does not exist"));
  }
  got->doc.set_etag(absl::StrCat(got->version));
  *resp->mutable_rule() = std::move(got->doc);
  return absl::OkStatus();
}

absl::Status WarningApi::CreateRule(const CallContext& call, const v1::CreateRuleRequest& req,
                                    v1::CreateRuleResponse* resp) {
  Violations v;
  if (!req.rule_id().empty() && !IsValidId(req.rule_id())) {
    v.Add("rule_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  if (!req.request_id().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto seen, store_.SeenRequest(Caller(call), req.request_id()));
    if (seen) {
      call.replayed = true;  // a retry: the rule the first request created
      SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(*seen, "rules/"));
      v1::GetRuleRequest g;
      g.set_name(*seen);
      v1::GetRuleResponse got;
      SALESOPS_RETURN_IF_ERROR(GetRule(call, g, &got));
      *resp->mutable_rule() = std::move(*got.mutable_rule());
      return absl::OkStatus();
    }
  }
  const absl::Time now = clock_.Now();
  v1::Rule rule = req.rule();
  ClearOutputOnly(&rule);
  const std::string id = req.rule_id().empty() ? NewUuid() : req.rule_id();
  rule.set_name(absl::StrCat("rules/", id));
  rule.clear_etag();
  *rule.mutable_create_time() = ToTs(now);
  *rule.mutable_update_time() = ToTs(now);
  SALESOPS_RETURN_IF_ERROR(ValidateRule(rule));
  WriteBatch b;
  GuardRequest(b, call, req.request_id(), rule.name());
  WarningStore::PutDoc(b, kRuleDoc, id, rule, 0);
  b.ZAdd(WarningStore::RulesIndex(), 0, id);
  b.HIncrBy(WarningStore::RulesVersionKey(), "v", 1);
  v1::RuleCreated e;
  *e.mutable_rule() = rule;
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, id, rule.name(), e, now);
  SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  engine_.rules().Invalidate();
  if (on_rules_changed_) {
    on_rules_changed_();
  }
  rule.set_etag("1");
  *resp->mutable_rule() = std::move(rule);
  return absl::OkStatus();
}

absl::Status WarningApi::UpdateRule(const CallContext& call, const v1::UpdateRuleRequest& req,
                                    v1::UpdateRuleResponse* resp) {
  static const std::vector<std::string> kPaths = {"display_name", "scope",
                                                  "enabled",      "threshold",
                                                  "severity",     "message_template",
                                                  "overrides",    "renotify_after_hours"};
  Violations v;
  const std::string id = ParseResourceName(v, "rule.name", req.rule().name(), "rules");
  if (req.update_mask().paths_size() == 0) {
    v.Add("update_mask", "name the fields to change");
  }
  for (int i = 0; i < req.update_mask().paths_size(); ++i) {
    if (std::find(kPaths.begin(), kPaths.end(), req.update_mask().paths(i)) == kPaths.end()) {
      v.Add(absl::StrCat("update_mask.paths[", i, "]"),
            absl::StrCat("must be one of ", absl::StrJoin(kPaths, ", ")));
    }
  }
  CheckText(v, "reason", req.reason(), 0, 2000);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, store_.Get<v1::Rule>(kRuleDoc, id));
  if (!cur) {
    return NotFound("RULE_NOT_FOUND", absl::StrCat(req.rule().name(), " does not exist"));
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.rule().etag(), cur->version, req.rule().name()));
  v1::Rule next = cur->doc;
  google::protobuf::util::FieldMaskUtil::MergeOptions merge;
  merge.set_replace_repeated_fields(true);
  merge.set_replace_message_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(req.rule(), req.update_mask(), merge,
                                                        &next);
  next.set_name(cur->doc.name());
  next.clear_etag();
  const absl::Time now = clock_.Now();
  *next.mutable_update_time() = ToTs(now);
  SALESOPS_RETURN_IF_ERROR(ValidateRule(next));

  // A manager may change only overrides, and only for units in their region.
  if (call.principal.role == Role::kManager) {
    for (const std::string& p : req.update_mask().paths()) {
      if (p != "overrides") {
        return PermissionDenied("OVERRIDES_ONLY", "a manager may change only rule overrides");
      }
    }
    auto touched = [&](const v1::Rule& a, const v1::Rule& b2, std::vector<std::string>* out) {
      for (const v1::RuleOverride& o : a.overrides()) {
        bool same = false;
        for (const v1::RuleOverride& p : b2.overrides()) {
          if (google::protobuf::util::MessageDifferencer::Equals(o, p)) {
            same = true;
          }
        }
        if (!same) {
          out->push_back(o.org_unit());
        }
      }
    };
    std::vector<std::string> units;
    touched(next, cur->doc, &units);
    touched(cur->doc, next, &units);
    for (const std::string& u : units) {
      SALESOPS_ASSIGN_OR_RETURN(bool ok, Covers(call.principal, u));
      if (!ok) {
        return PermissionDenied("OUTSIDE_SCOPE",
                                absl::StrCat("the override for ", u, " is outside your region"));
      }
    }
  }
  WriteBatch b;
  WarningStore::PutDoc(b, kRuleDoc, id, next, cur->version);
  b.HIncrBy(WarningStore::RulesVersionKey(), "v", 1);
  v1::RuleUpdated e;
  *e.mutable_rule() = next;
  *e.mutable_previous() = cur->doc;
  for (const std::string& p : req.update_mask().paths()) {
    e.add_changed_fields(p);
  }
  e.set_reason(req.reason());
  *e.mutable_actor() = ActorOf(call);
  Emit(b, call, id, next.name(), e, now);
  SALESOPS_RETURN_IF_ERROR(store_.Commit(b));
  engine_.rules().Invalidate();
  if (on_rules_changed_) {
    on_rules_changed_();
  }
  next.set_etag(absl::StrCat(cur->version + 1));
  *resp->mutable_rule() = std::move(next);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- proposals

absl::StatusOr<ProposalContext> WarningApi::ContextOf(const std::string& unit) {
  ProposalContext ctx;
  ctx.time_zone = tz_;
  SALESOPS_ASSIGN_OR_RETURN(ctx.unit_and_ancestors, ChainOf(unit));
  if (ctx.unit_and_ancestors.empty()) {
    ctx.unit_and_ancestors.push_back(unit);
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> members,
                            directory_.MembersOf(unit.substr(unit.find('/') + 1)));
  for (const std::string& m : members) {
    ctx.members.push_back(absl::StrCat("members/", m));
  }
  std::sort(ctx.members.begin(), ctx.members.end());
  return ctx;
}

absl::StatusOr<Versioned<v1::StrategyProposal>> WarningApi::LoadProposal(const CallContext& call,
                                                                         const std::string& field,
                                                                         const std::string& name) {
  Violations v;
  const std::string id = ParseResourceName(v, field, name, "proposals");
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto got, store_.Get<v1::StrategyProposal>(kProposalDoc, id));
  if (!got) {
    return NotFound("PROPOSAL_NOT_FOUND", absl::StrCat(name, " does not exist"));
  }
  SALESOPS_ASSIGN_OR_RETURN(bool ok, Covers(call.principal, got->doc.org_unit()));
  if (!ok) {
    return PermissionDenied("OUTSIDE_SCOPE", absl::StrCat(name, " belongs to another unit"));
  }
  got->doc.set_etag(absl::StrCat(got->version));
  return *std::move(got);
}

absl::Status WarningApi::SaveProposal(const CallContext& call, const v1::StrategyProposal& p,
                                      int64_t version, const google::protobuf::Message& event,
                                      WriteBatch b) {
  v1::StrategyProposal doc = p;
  doc.clear_etag();
  const std::string id = doc.name().substr(10);  // "proposals/"
  WarningStore::PutDoc(b, kProposalDoc, id, doc, version);
  Emit(b, call, id, doc.name(), event, clock_.Now());
  return store_.Commit(b);
}

absl::Status WarningApi::CreateProposal(const CallContext& call,
                                        const v1::CreateProposalRequest& req,
                                        v1::CreateProposalResponse* resp) {
  Violations v;
  if (!req.proposal_id().empty() && !IsValidId(req.proposal_id())) {
    v.Add("proposal_id", "letters, digits and '-', 3..63 characters");
  }
  CheckRequestId(v, req.request_id());
  if (req.proposal().warnings_size() == 0) {
    v.Add("proposal.warnings", "name the warning the proposal is about");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  // The warning changing meanwhile (the engine, an acknowledgement, another
  // proposal) is a lost race: run again, request_id and warning read afresh.
  return RetryWriteRace(/*caller_sent_etag=*/false,
                        [&] { return CreateProposalOnce(call, req, resp); });
}

absl::Status WarningApi::CreateProposalOnce(const CallContext& call,
                                            const v1::CreateProposalRequest& req,
                                            v1::CreateProposalResponse* resp) {
  resp->Clear();
  if (!req.request_id().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto seen, store_.SeenRequest(Caller(call), req.request_id()));
    if (seen) {
      call.replayed = true;
      SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(*seen, "proposals/"));
      SALESOPS_ASSIGN_OR_RETURN(auto p, LoadProposal(call, "request_id", *seen));
      *resp->mutable_proposal() = std::move(p.doc);
      return absl::OkStatus();
    }
  }
  SALESOPS_ASSIGN_OR_RETURN(Versioned<v1::Warning> warning,
                            LoadWarning("proposal.warnings[0]", req.proposal().warnings(0)));
  const std::string unit =
      req.proposal().org_unit().empty() ? warning.doc.org_unit() : req.proposal().org_unit();
  SALESOPS_ASSIGN_OR_RETURN(ProposalContext ctx, ContextOf(unit));
  v1::StrategyProposal draft = req.proposal();
  ClearOutputOnly(&draft);
  const absl::Time now = clock_.Now();
  const std::string id = req.proposal_id().empty() ? NewDescendingId(now) : req.proposal_id();
  draft.set_name(absl::StrCat("proposals/", id));
  SALESOPS_ASSIGN_OR_RETURN(v1::StrategyProposal p,
                            OpenProposal(draft, warning.doc, ctx, call.principal, now));
  WriteBatch b;
  GuardRequest(b, call, req.request_id(), p.name());
  v1::Warning w = warning.doc;
  w.clear_etag();
  w.add_proposals(p.name());
  WarningStore::PutOtherDoc(b, kWarningDoc, w.name().substr(9), w, warning.version);
  WarningStore::IndexProposal(b, id, p, warning.doc.name(), ctx.unit_and_ancestors);
  v1::ProposalOpened e;
  *e.mutable_proposal() = p;
  *e.mutable_actor() = ActorOf(call);
  SALESOPS_RETURN_IF_ERROR(SaveProposal(call, p, 0, e, std::move(b)));
  p.set_etag("1");
  *resp->mutable_proposal() = std::move(p);
  return absl::OkStatus();
}

absl::Status WarningApi::GetProposal(const CallContext& call, const v1::GetProposalRequest& req,
                                     v1::GetProposalResponse* resp) {
  SALESOPS_ASSIGN_OR_RETURN(auto p, LoadProposal(call, "name", req.name()));
  *resp->mutable_proposal() = std::move(p.doc);
  return absl::OkStatus();
}

absl::Status WarningApi::ListProposals(const CallContext& call, const v1::ListProposalsRequest& req,
                                       v1::ListProposalsResponse* resp) {
  Violations v;
  const int page = CheckPageSize(v, "page_size", req.page_size(), kDefaultPage, kMaxPage);
  std::optional<PageCursor> cursor =
      DecodePageToken(v, "page_token", req.page_token(), Fingerprint(req));
  CheckName(v, "org_unit", req.org_unit(), "orgUnits", false);
  CheckName(v, "author", req.author(), "members", false);
  CheckName(v, "warning", req.warning(), "warnings", false);
  CheckName(v, "action_owner", req.action_owner(), "members", false);
  if (!v1::ProposalState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  const Principal& who = call.principal;
  if (!req.org_unit().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(bool ok, Covers(who, req.org_unit()));
    if (!ok) {
      return PermissionDenied("OUTSIDE_SCOPE", absl::StrCat(req.org_unit(), " is not yours"));
    }
  }
  std::string index;
  if (!req.warning().empty()) {
    index = WarningStore::ProposalIndex(WarningStore::ProposalsBy::kWarning, req.warning());
  } else if (!req.author().empty()) {
    index = WarningStore::ProposalIndex(WarningStore::ProposalsBy::kAuthor, req.author());
  } else if (!req.action_owner().empty()) {
    index =
        WarningStore::ProposalIndex(WarningStore::ProposalsBy::kActionOwner, req.action_owner());
  } else if (!req.org_unit().empty()) {
    index = WarningStore::ProposalIndex(WarningStore::ProposalsBy::kUnit, req.org_unit());
  } else if (who.role >= Role::kDirector) {
    index = WarningStore::ProposalIndex(WarningStore::ProposalsBy::kAll, "");
  } else {
    index = WarningStore::ProposalIndex(WarningStore::ProposalsBy::kUnit,
                                        absl::StrCat("orgUnits/", who.org_unit_id));
  }
  auto keep = [&](v1::StrategyProposal& p) -> absl::StatusOr<bool> {
    if (req.state() != 0 && p.state() != req.state()) {
      return false;
    }
    if (!req.author().empty() && p.author() != req.author()) {
      return false;
    }
    if (!req.action_owner().empty() &&
        std::none_of(p.actions().begin(), p.actions().end(), [&](const v1::FollowUpAction& a) {
          return a.owner() == req.action_owner() && (a.status() == v1::ACTION_STATUS_TODO ||
                                                     a.status() == v1::ACTION_STATUS_IN_PROGRESS);
        })) {
      return false;
    }
    SALESOPS_ASSIGN_OR_RETURN(bool ok, Covers(who, p.org_unit()));
    if (!ok) {
      return false;
    }
    *resp->add_proposals() = std::move(p);
    return true;
  };
  SALESOPS_ASSIGN_OR_RETURN(
      std::string next,
      ScanPage<v1::StrategyProposal>(store_, kProposalDoc, 10, index, cursor ? cursor->after : "",
                                     page, Fingerprint(req), keep));
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status WarningApi::CommentOnProposal(const CallContext& call,
                                           const v1::CommentOnProposalRequest& req,
                                           v1::CommentOnProposalResponse* resp) {
  Violations v;
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  // Someone else commenting meanwhile is a lost race: run again (write_race.h).
  return RetryWriteRace(/*caller_sent_etag=*/false, [&]() -> absl::Status {
    resp->Clear();
    SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadProposal(call, "proposal", req.proposal()));
    SALESOPS_ASSIGN_OR_RETURN(ProposalContext ctx, ContextOf(cur.doc.org_unit()));
    v1::ProposalComment c;
    // A retried request reuses its comment id, so it cannot add a second comment.
    c.set_comment_id(req.request_id().empty()
                         ? NewUuid()
                         : absl::StrCat("r-", call.principal.member_id, "-", req.request_id()));
    for (const v1::ProposalComment& existing : cur.doc.comments()) {
      if (existing.comment_id() == c.comment_id()) {
        *resp->mutable_proposal() = cur.doc;
        *resp->mutable_comment() = existing;
        return absl::OkStatus();
      }
    }
    c.set_text(req.text());
    c.set_reply_to(req.reply_to());
    SALESOPS_ASSIGN_OR_RETURN(v1::StrategyProposal next,
                              AddComment(cur.doc, c, ctx, call.principal, clock_.Now()));
    v1::ProposalComment added = next.comments(next.comments_size() - 1);
    v1::ProposalCommented e;
    e.set_proposal(next.name());
    e.set_title(next.title());
    e.set_org_unit(next.org_unit());
    *e.mutable_comment() = added;
    *e.mutable_actor() = ActorOf(call);
    SALESOPS_RETURN_IF_ERROR(SaveProposal(call, next, cur.version, e));
    next.set_etag(absl::StrCat(cur.version + 1));
    *resp->mutable_proposal() = std::move(next);
    *resp->mutable_comment() = std::move(added);
    return absl::OkStatus();
  });
}

absl::Status WarningApi::VoteOnProposal(const CallContext& call,
                                        const v1::VoteOnProposalRequest& req,
                                        v1::VoteOnProposalResponse* resp) {
  // Another vote landing first is a lost race: run again (write_race.h).
  return RetryWriteRace(/*caller_sent_etag=*/false, [&]() -> absl::Status {
    resp->Clear();
    SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadProposal(call, "proposal", req.proposal()));
    SALESOPS_ASSIGN_OR_RETURN(ProposalContext ctx, ContextOf(cur.doc.org_unit()));
    SALESOPS_ASSIGN_OR_RETURN(VoteResult r, CastVote(cur.doc, req.choice(), req.comment(), ctx,
                                                     call.principal, clock_.Now()));
    v1::ProposalVoted e;
    e.set_proposal(r.proposal.name());
    e.set_title(r.proposal.title());
    e.set_org_unit(r.proposal.org_unit());
    *e.mutable_vote() = r.vote;
    if (r.previous) {
      *e.mutable_previous_vote() = *r.previous;
    }
    *e.mutable_tally() = r.proposal.tally();
    *e.mutable_actor() = ActorOf(call);
    SALESOPS_RETURN_IF_ERROR(SaveProposal(call, r.proposal, cur.version, e));
    r.proposal.set_etag(absl::StrCat(cur.version + 1));
    *resp->mutable_proposal() = std::move(r.proposal);
    return absl::OkStatus();
  });
}

namespace {
v1::ActionUpdated ActionEvent(const ActionResult& r, const CallContext& call) {
  v1::ActionUpdated e;
  e.set_proposal(r.proposal.name());
  e.set_title(r.proposal.title());
  e.set_org_unit(r.proposal.org_unit());
  *e.mutable_action() = r.action;
  e.set_previous_status(r.previous_status);
  e.set_proposal_closed(r.proposal_closed);
  *e.mutable_actor() = ActorOf(call);
  return e;
}
// Action ids are "a<n>", numbered in the order actions were added.
std::string NextActionId(const v1::StrategyProposal& p, int offset) {
  return absl::StrCat("a", p.actions_size() + 1 + offset);
}
v1::FollowUpAction ToAction(const v1::ActionInput& in, std::string id) {
  v1::FollowUpAction a;
  a.set_action_id(std::move(id));
  a.set_description(in.description());
  a.set_owner(in.owner());
  *a.mutable_due_date() = in.due_date();
  return a;
}
}  // namespace

absl::Status WarningApi::DecideProposal(const CallContext& call,
                                        const v1::DecideProposalRequest& req,
                                        v1::DecideProposalResponse* resp) {
  if (req.etag().empty()) {
    return InvalidField("etag", "required: decide on the version you saw");
  }
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadProposal(call, "proposal", req.proposal()));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, req.proposal()));
  SALESOPS_ASSIGN_OR_RETURN(ProposalContext ctx, ContextOf(cur.doc.org_unit()));
  std::vector<ActionDraft> actions;
  for (int i = 0; i < req.actions_size(); ++i) {
    actions.push_back(ToAction(req.actions(i), NextActionId(cur.doc, i)));
  }
  SALESOPS_ASSIGN_OR_RETURN(
      v1::StrategyProposal next,
      Decide(cur.doc, req.outcome(), req.rationale(), actions, ctx, call.principal, clock_.Now()));
  v1::ProposalDecided e;
  *e.mutable_proposal() = next;
  *e.mutable_actor() = ActorOf(call);
  // The actions decided on are found by their owners, as AddAction's are.
  WriteBatch b;
  for (const ActionDraft& action : actions) {
    b.ZAdd(WarningStore::ProposalIndex(WarningStore::ProposalsBy::kActionOwner, action.owner()), 0,
           next.name().substr(10));
  }
  SALESOPS_RETURN_IF_ERROR(SaveProposal(call, next, cur.version, e, std::move(b)));
  next.set_etag(absl::StrCat(cur.version + 1));
  *resp->mutable_proposal() = std::move(next);
  return absl::OkStatus();
}

absl::Status WarningApi::AddAction(const CallContext& call, const v1::AddActionRequest& req,
                                   v1::AddActionResponse* resp) {
  Violations v;
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadProposal(call, "proposal", req.proposal()));
  if (!req.request_id().empty()) {
    SALESOPS_ASSIGN_OR_RETURN(auto seen, store_.SeenRequest(Caller(call), req.request_id()));
    if (seen) {
      call.replayed = true;
      // Recorded as "<proposal>/actions/<action id>": only a retry on the same
      // proposal finds its action.
      const std::string prefix = absl::StrCat(cur.doc.name(), "/actions/");
      SALESOPS_RETURN_IF_ERROR(CheckReplayTarget(*seen, prefix));
      for (const v1::FollowUpAction& a : cur.doc.actions()) {
        if (absl::StrCat(prefix, a.action_id()) == *seen) {
          *resp->mutable_proposal() = cur.doc;
          *resp->mutable_action() = a;
          return absl::OkStatus();
        }
      }
      return RequestIdReused();
    }
  }
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, req.proposal()));
  SALESOPS_ASSIGN_OR_RETURN(ProposalContext ctx, ContextOf(cur.doc.org_unit()));
  SALESOPS_ASSIGN_OR_RETURN(
      ActionResult r, warning::AddAction(cur.doc, ToAction(req.action(), NextActionId(cur.doc, 0)),
                                         ctx, call.principal, clock_.Now()));
  const v1::ActionUpdated e = ActionEvent(r, call);
  WriteBatch b;
  GuardRequest(b, call, req.request_id(),
               absl::StrCat(r.proposal.name(), "/actions/", r.action.action_id()));
  b.ZAdd(WarningStore::ProposalIndex(WarningStore::ProposalsBy::kActionOwner, r.action.owner()), 0,
         r.proposal.name().substr(10));
  SALESOPS_RETURN_IF_ERROR(SaveProposal(call, r.proposal, cur.version, e, std::move(b)));
  r.proposal.set_etag(absl::StrCat(cur.version + 1));
  *resp->mutable_proposal() = std::move(r.proposal);
  *resp->mutable_action() = std::move(r.action);
  return absl::OkStatus();
}

absl::Status WarningApi::UpdateAction(const CallContext& call, const v1::UpdateActionRequest& req,
                                      v1::UpdateActionResponse* resp) {
  Violations v;
  if (req.action_id().empty()) {
    v.Add("action_id", "required");
  }
  if (req.update_mask().paths_size() == 0) {
    v.Add("update_mask", "name the fields to change");
  }
  ActionUpdate u;
  for (int i = 0; i < req.update_mask().paths_size(); ++i) {
    const std::string& p = req.update_mask().paths(i);
    if (p == "status") {
      u.status = req.action().status();
    } else if (p == "note") {
      u.note = req.action().note();
    } else if (p == "owner") {
      u.owner = req.action().owner();
    } else if (p == "due_date") {
      u.due_date = req.action().due_date();
    } else {
      v.Add(absl::StrCat("update_mask.paths[", i, "]"), "must be status, note, owner or due_date");
    }
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto cur, LoadProposal(call, "proposal", req.proposal()));
  SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), cur.version, req.proposal()));
  SALESOPS_ASSIGN_OR_RETURN(ProposalContext ctx, ContextOf(cur.doc.org_unit()));
  SALESOPS_ASSIGN_OR_RETURN(ActionResult r, warning::UpdateAction(cur.doc, req.action_id(), u, ctx,
                                                                  call.principal, clock_.Now()));
  if (!r.changed) {
    *resp->mutable_proposal() = std::move(cur.doc);
    *resp->mutable_action() = std::move(r.action);
    return absl::OkStatus();
  }
  const v1::ActionUpdated e = ActionEvent(r, call);
  WriteBatch b;
  if (u.owner) {
    b.ZAdd(WarningStore::ProposalIndex(WarningStore::ProposalsBy::kActionOwner, *u.owner), 0,
           r.proposal.name().substr(10));
  }
  SALESOPS_RETURN_IF_ERROR(SaveProposal(call, r.proposal, cur.version, e, std::move(b)));
  r.proposal.set_etag(absl::StrCat(cur.version + 1));
  *resp->mutable_proposal() = std::move(r.proposal);
  *resp->mutable_action() = std::move(r.action);
  return absl::OkStatus();
}

}  // namespace salesops::warning
