// Loads the demo coaching material through the performance service's public
// API, after the demo history (customers_demo_loader): a script library
// (price objections in two published versions, discovery, key-account
// negotiation, closing), uses of those scripts recorded on the closed deals
// of the east region's teams (every deal's outcome is the demo history's, so
// the win rates are what the history gives), the key-account negotiation
// training programme (rubric-scored modules, two sessions) with team-east-1
// enrolled, attendance, and two role-play drills per rep scored by their
// supervisor. Idempotent (fixed ids and request ids). Exits 2 when a service
// is unreachable, 1 when something was refused (printed), else 0.
//
//   coaching_demo_loader [--performance_addr=…] [--customers_addr=…]
//   (tokens minted from SALESOPS_JWT_HS256_SECRET)
#include <algorithm>
#include <cstdio>
#include <functional>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/jwt.h"
#include "common/config/config.h"
#include "common/server/client_credentials.h"
#include "grpcpp/grpcpp.h"
#include "salesops/customers/v1/customers_service.grpc.pb.h"
#include "salesops/performance/v1/performance_service.grpc.pb.h"
#include "tools/demo/demo_org.h"

ABSL_FLAG(std::string, performance_addr, "127.0.0.1:7104", "performance service address");
ABSL_FLAG(std::string, customers_addr, "127.0.0.1:7103", "customers service address");
ABSL_FLAG(std::string, jwt_hs256_secret, "", "secret to mint the loader's tokens");

namespace {

namespace v1 = salesops::performance::v1;
namespace cv1 = salesops::customers::v1;

// Calls with retries while a service is starting; UNAVAILABLE after that means unreachable.
template <typename Stub, typename Req, typename Resp>
grpc::Status CallWith(Stub& stub, const std::string& token,
                      grpc::Status (Stub::*m)(grpc::ClientContext*, const Req&, Resp*),
                      const Req& req, Resp* resp, bool* unreachable) {
  grpc::Status s;
  for (int attempt = 0; attempt < 150; ++attempt) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    s = (stub.*m)(&ctx, req, resp);
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE &&
        s.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
      return s;
    }
    absl::SleepFor(absl::Milliseconds(400));
  }
  *unreachable = true;
  return s;
}

// A stable small number from a string (which deals get which script).
uint32_t Mix(const std::string& s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h = (h ^ c) * 16777619u;
  }
  return h;
}

struct ScriptSpec {
  const char* id;
  const char* title;
  v1::ScriptScenario scenario;
  std::vector<const char*> bodies;  // one per version, all published
};

const std::vector<ScriptSpec>& Scripts() {
  static const auto* s = new std::vector<ScriptSpec>{
      {"demo-price-objection",
       "价格异议：先认同再拆解价值",
       v1::SCRIPT_SCENARIO_OBJECTION_HANDLING,
       {"1. 认同客户对价格的顾虑\n2. 询问比较的对象与口径\n3. 按总拥有成本拆解价值",
        "1. 认同顾虑并复述\n2. 用同行案例量化收益\n3. 给出分阶段采购方案\n4. 约定下一步"}},
      {"demo-discovery",
       "需求挖掘：SPIN 四问",
       v1::SCRIPT_SCENARIO_DISCOVERY,
       {"背景问题 → 难点问题 → 暗示问题 → 需求效益问题"}},
      {"demo-ka-negotiation",
       "大客户谈判：让步有条件",
       v1::SCRIPT_SCENARIO_NEGOTIATION,
       {"1. 先列出对方的全部诉求\n2. 每次让步换取一个条件\n3. 让步幅度递减"}},
      {"demo-closing",
       "促成签约：假设成交法",
       v1::SCRIPT_SCENARIO_CLOSING,
       {"确认无异议后，直接讨论实施时间表与签约流程"}},
  };
  return *s;
}

class Loader {
 public:
  Loader(std::shared_ptr<grpc::Channel> perf, std::shared_ptr<grpc::Channel> cust,
         std::string admin)
      : perf_(v1::PerformanceService::NewStub(perf)),
        cust_(cv1::CustomersService::NewStub(cust)),
        admin_(std::move(admin)) {}

  template <typename Req, typename Resp>
  grpc::Status P(const std::string& token,
                 grpc::Status (v1::PerformanceService::Stub::*m)(grpc::ClientContext*, const Req&,
                                                                 Resp*),
                 const Req& req, Resp* resp) {
    return CallWith(*perf_, token, m, req, resp, &unreachable);
  }

  void Note(const char* what, const grpc::Status& s) {
    if (s.ok()) {
      ++made;
    } else if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS ||
               s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      ++already;
    } else {
      ++conflicts;
      std::fprintf(stderr, "coaching demo: %s: %s\n", what, s.error_message().c_str());
    }
  }

  void Library() {
    for (const ScriptSpec& spec : Scripts()) {
      v1::CreateSalesScriptRequest cs;
      cs.set_script_id(spec.id);
      cs.set_request_id(absl::StrCat("demo-script-", spec.id));
      cs.mutable_script()->set_title(spec.title);
      cs.mutable_script()->set_scenario(spec.scenario);
      cs.set_body(spec.bodies[0]);
      v1::CreateSalesScriptResponse created;
      Note("script", P(admin_, &v1::PerformanceService::Stub::CreateSalesScript, cs, &created));
      for (size_t v = 1; v <= spec.bodies.size(); ++v) {
        if (v > 1) {
          v1::AddScriptVersionRequest add;
          add.set_script(absl::StrCat("scripts/", spec.id));
          add.set_body(spec.bodies[v - 1]);
          add.set_request_id(absl::StrCat("demo-script-", spec.id, "-v", v));
          v1::AddScriptVersionResponse added;
          Note("script version",
               P(admin_, &v1::PerformanceService::Stub::AddScriptVersion, add, &added));
        }
        for (v1::ScriptVersionState to :
             {v1::SCRIPT_VERSION_STATE_IN_REVIEW, v1::SCRIPT_VERSION_STATE_PUBLISHED}) {
          v1::SetScriptVersionStateRequest mv;
          mv.set_script(absl::StrCat("scripts/", spec.id));
          mv.set_version(static_cast<int>(v));
          mv.set_state(to);
          mv.set_note("演示数据");
          v1::SetScriptVersionStateResponse moved;
          Note("publish",
               P(admin_, &v1::PerformanceService::Stub::SetScriptVersionState, mv, &moved));
        }
      }
    }
  }

  // Uses on the closed deals of the east region: about two in three deals
  // used a price-objection version (by a stable hash), one in three discovery.
  void Uses(const salesops::demo::DemoOrg& org) {
    for (const auto& region : org.regions) {
      if (region.key != "east") {
        continue;
      }
      for (const auto& team : region.teams) {
        std::string page;
        for (int pages = 0; pages < 50 && !unreachable; ++pages) {
          cv1::ListOpportunitiesRequest req;
          req.set_team("orgUnits/" + team.id);
          req.add_stages(cv1::OPPORTUNITY_STAGE_WON);
          req.add_stages(cv1::OPPORTUNITY_STAGE_LOST);
          req.set_page_size(200);
          req.set_page_token(page);
          cv1::ListOpportunitiesResponse resp;
          grpc::Status s = CallWith(*cust_, admin_, &cv1::CustomersService::Stub::ListOpportunities,
                                    req, &resp, &unreachable);
          if (!s.ok()) {
            Note("listing deals", s);
            break;
          }
          for (const cv1::Opportunity& o : resp.opportunities()) {
            const uint32_t h = Mix(o.name());
            if (h % 3 != 2) {
              Use("demo-price-objection", h % 3 == 0 ? 1 : 2, o.name());
            }
            if (h % 3 == 1) {
              Use("demo-discovery", 1, o.name());
            }
          }
          page = resp.next_page_token();
          if (page.empty()) {
            break;
          }
        }
      }
    }
  }

  void Use(const std::string& script, int version, const std::string& opp) {
    v1::RecordScriptUseRequest req;
    req.set_script("scripts/" + script);
    req.set_version(version);
    req.set_opportunity(opp);
    v1::RecordScriptUseResponse resp;
    grpc::Status s = P(admin_, &v1::PerformanceService::Stub::RecordScriptUse, req, &resp);
    // A deal the performance service has not seen yet is skipped (NOT_FOUND).
    if (s.ok()) {
      ++uses;
    } else if (s.error_code() != grpc::StatusCode::NOT_FOUND) {
      Note("script use", s);
    }
  }

  void Training(const salesops::demo::DemoOrg& org,
                const std::function<std::string(const std::string&)>& sup_token) {
    v1::CreateTrainingProgrammeRequest cp;
    cp.set_programme_id("demo-ka-bootcamp");
    cp.set_request_id("demo-ka-bootcamp");
    v1::TrainingProgramme* p = cp.mutable_programme();
    p->set_title("大客户谈判训练营");
    p->set_description("面向销售代表：价格异议、需求挖掘与大客户谈判，每个模块以角色扮演考核。");
    p->add_roles("rep");
    struct M {
      const char* id;
      const char* title;
      const char* script;
      v1::ScriptScenario scenario;
    };
    for (const M& m : {M{"objections", "价格异议处理", "scripts/demo-price-objection",
                         v1::SCRIPT_SCENARIO_OBJECTION_HANDLING},
                       M{"negotiation", "大客户谈判", "scripts/demo-ka-negotiation",
                         v1::SCRIPT_SCENARIO_NEGOTIATION}}) {
      v1::TrainingModule* mod = p->add_modules();
      mod->set_module_id(m.id);
      mod->set_title(m.title);
      mod->add_scripts(m.script);
      mod->set_drill_scenario(m.scenario);
      mod->set_pass_score_basis_points(7'000);
      for (const auto& [criterion, weight] : std::vector<std::pair<const char*, int>>{
               {"需求挖掘", 4'000}, {"异议处理", 4'000}, {"促成", 2'000}}) {
        v1::RubricCriterion* c = mod->add_rubric();
        c->set_criterion(criterion);
        c->set_weight_basis_points(weight);
      }
    }
    const absl::Time monday = absl::Now() - absl::Hours(24 * 7);
    for (const auto& [id, title, module] :
         std::vector<std::tuple<const char*, const char*, const char*>>{
             {"s1", "第一课：价格异议的三步法", "objections"},
             {"s2", "第二课：有条件的让步", "negotiation"}}) {
      v1::TrainingSession* ss = p->add_sessions();
      ss->set_session_id(id);
      ss->set_title(title);
      ss->set_module_id(module);
      ss->mutable_start_time()->set_seconds(absl::ToUnixSeconds(monday));
      ss->set_location("杭州总部 3F 培训室");
    }
    v1::CreateTrainingProgrammeResponse prog;
    Note("programme", P(admin_, &v1::PerformanceService::Stub::CreateTrainingProgramme, cp, &prog));
    for (const auto& region : org.regions) {
      for (const auto& team : region.teams) {
        if (team.id != "team-east-1") {
          continue;
        }
        const std::string sup = sup_token(team.supervisor_id);
        for (size_t i = 0; i < team.rep_ids.size(); ++i) {
          const std::string& rep = team.rep_ids[i];
          v1::EnrolMemberRequest en;
          en.set_programme("trainingProgrammes/demo-ka-bootcamp");
          en.set_member("members/" + rep);
          en.set_request_id("demo-enrol-" + rep);
          v1::EnrolMemberResponse enrolled;
          Note("enrolment", P(sup, &v1::PerformanceService::Stub::EnrolMember, en, &enrolled));
          v1::RecordAttendanceRequest att;
          att.set_enrolment("trainingProgrammes/demo-ka-bootcamp/enrolments/" + rep);
          att.set_session_id("s1");
          att.set_attended(i % 4 != 3);
          v1::RecordAttendanceResponse attended;
          Note("attendance",
               P(sup, &v1::PerformanceService::Stub::RecordAttendance, att, &attended));
          // Two role plays a few days apart; most reps improve.
          for (int n = 0; n < 2; ++n) {
            const int base = 5'500 + static_cast<int>((Mix(rep) % 15) * 100) + n * 1'200;
            v1::RecordDrillRequest rd;
            rd.set_request_id(absl::StrCat("demo-drill-", rep, "-", n));
            v1::Drill* d = rd.mutable_drill();
            d->set_member("members/" + rep);
            d->set_kind(v1::DRILL_KIND_ROLE_PLAY);
            d->set_scenario(v1::SCRIPT_SCENARIO_OBJECTION_HANDLING);
            d->set_programme("trainingProgrammes/demo-ka-bootcamp");
            d->set_module_id("objections");
            d->set_script("scripts/demo-price-objection");
            d->mutable_drill_time()->set_seconds(
                absl::ToUnixSeconds(monday + absl::Hours(24 * (1 + 3 * n))));
            for (const auto& [criterion, delta] : std::vector<std::pair<const char*, int>>{
                     {"需求挖掘", 300}, {"异议处理", -400}, {"促成", 200}}) {
              v1::CriterionScore* c = d->add_criteria();
              c->set_criterion(criterion);
              c->set_score_basis_points(std::clamp(base + delta, 0, 10'000));
            }
            d->set_feedback(n == 0 ? "开场认同做得好，拆解价值时数据不够具体"
                                   : "能用案例量化收益，进步明显");
            v1::RecordDrillResponse drilled;
            Note("drill", P(sup, &v1::PerformanceService::Stub::RecordDrill, rd, &drilled));
          }
        }
      }
    }
  }

  int made = 0, already = 0, conflicts = 0, uses = 0;
  bool unreachable = false;

 private:
  std::unique_ptr<v1::PerformanceService::Stub> perf_;
  std::unique_ptr<cv1::CustomersService::Stub> cust_;
  std::string admin_;
};

}  // namespace

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "Loads the demo script library, training and drills");
  const std::string secret = absl::GetFlag(FLAGS_jwt_hs256_secret);
  auto mint = [&](const std::string& sub, salesops::Role role, const std::string& unit) {
    auto t = salesops::MintJwt({.key = secret}, {sub, role, unit}, absl::Hours(1), absl::Now());
    return t.ok() ? *t : std::string();
  };
  const std::string admin = mint("demo-loader", salesops::Role::kAdmin, "");
  if (admin.empty()) {
    std::fprintf(stderr, "coaching demo: cannot mint a token (SALESOPS_JWT_HS256_SECRET)\n");
    return 2;
  }
  const auto creds = salesops::ChannelCredentialsFromFlagsOrDie();
  Loader l(grpc::CreateChannel(absl::GetFlag(FLAGS_performance_addr), creds),
           grpc::CreateChannel(absl::GetFlag(FLAGS_customers_addr), creds), admin);
  const salesops::demo::DemoOrg& org = salesops::demo::DemoOrganisation();
  l.Library();
  if (!l.unreachable) {
    l.Uses(org);
  }
  if (!l.unreachable) {
    l.Training(org, [&](const std::string& sup) {
      // The supervisor coaches: drills name them as the coach.
      for (const auto& region : org.regions) {
        for (const auto& team : region.teams) {
          if (team.supervisor_id == sup) {
            return mint(sup, salesops::Role::kSupervisor, team.id);
          }
        }
      }
      return admin;
    });
  }
  if (l.unreachable) {
    std::fprintf(stderr, "coaching demo: a service is unreachable\n");
    return 2;
  }
  std::printf("coaching demo: %d created, %d already there, %d script uses, %d conflicts\n", l.made,
              l.already, l.uses, l.conflicts);
  return l.conflicts == 0 ? 0 : 1;
}
