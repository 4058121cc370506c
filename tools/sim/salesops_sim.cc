// salesops-sim: a sales floor at work, through the public API, so that the
// dashboard, the warning engine and the forecasts move while you watch
// (issue 17 item 4). Each step, one of: a rep opens a deal for one of their
// customers, moves a deal a stage on, wins or loses one, logs a visit or a
// call, or finance records a payment on a signed contract. Deals are acted on
// by their owner (a rep's token for their team), so events carry who did it.
//
//   salesops-sim --rate=2            two actions a second until Ctrl-C
//   salesops-sim --rate=20 --steps=500 --seed=7
//
// Exit 0 when done or interrupted, 2 when the customers service cannot be
// reached. Needs the tools' mTLS client certificate and the HS256 secret
// (SALESOPS_* environment, as make run sets up).
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/jwt.h"
#include "common/config/config.h"
#include "common/server/client_credentials.h"
#include "grpcpp/grpcpp.h"
#include "salesops/customers/v1/customers_service.grpc.pb.h"

ABSL_FLAG(std::string, customers_addr, "127.0.0.1:7103", "customers service address");
ABSL_FLAG(std::string, jwt_hs256_secret, "", "secret to mint the actors' tokens");
ABSL_FLAG(double, rate, 1.0, "actions per second");
ABSL_FLAG(int64_t, steps, 0, "stop after this many actions (0: until interrupted)");
ABSL_FLAG(uint64_t, seed, 0, "random seed (0: from the clock)");
ABSL_FLAG(bool, quiet, false, "no line per action, only the summary");

namespace {

namespace v1 = salesops::customers::v1;
using Stub = v1::CustomersService::Stub;

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

std::string Strip(const std::string& name) {
  const size_t slash = name.find('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

const char* StageZh(v1::OpportunityStage s) {
  switch (s) {
    case v1::OPPORTUNITY_STAGE_LEAD:
      return "线索";
    case v1::OPPORTUNITY_STAGE_QUALIFIED:
      return "已确认";
    case v1::OPPORTUNITY_STAGE_PROPOSAL:
      return "方案";
    case v1::OPPORTUNITY_STAGE_NEGOTIATION:
      return "谈判";
    case v1::OPPORTUNITY_STAGE_CONTRACT:
      return "合同";
    case v1::OPPORTUNITY_STAGE_WON:
      return "赢单";
    case v1::OPPORTUNITY_STAGE_LOST:
      return "丢单";
    default:
      return "?";
  }
}

class Sim {
 public:
  Sim(std::shared_ptr<grpc::Channel> channel, std::string secret, uint64_t seed, bool quiet)
      : stub_(v1::CustomersService::NewStub(std::move(channel))),
        secret_(std::move(secret)),
        rng_(seed),
        quiet_(quiet) {}

  // The open deals and signed contracts to act on; false when unreachable.
  bool Refresh() {
    deals_.clear();
    std::string page;
    for (int i = 0; i < 10; ++i) {
      v1::ListOpportunitiesRequest req;
      for (auto s : {v1::OPPORTUNITY_STAGE_LEAD, v1::OPPORTUNITY_STAGE_QUALIFIED,
                     v1::OPPORTUNITY_STAGE_PROPOSAL, v1::OPPORTUNITY_STAGE_NEGOTIATION,
                     v1::OPPORTUNITY_STAGE_CONTRACT}) {
        req.add_stages(s);
      }
      req.set_page_size(500);
      req.set_page_token(page);
      v1::ListOpportunitiesResponse resp;
      grpc::ClientContext ctx;
      Prepare(ctx, Admin());
      grpc::Status st = stub_->ListOpportunities(&ctx, req, &resp);
      if (!st.ok()) {
        return Failed("ListOpportunities", st);
      }
      for (const auto& o : resp.opportunities()) {
        deals_.push_back(o);
      }
      page = resp.next_page_token();
      if (page.empty()) {
        break;
      }
    }
    contracts_.clear();
    for (auto state : {v1::CONTRACT_STATE_SIGNED, v1::CONTRACT_STATE_ACTIVE}) {
      v1::ListContractsRequest req;
      req.set_state(state);
      req.set_page_size(500);
      v1::ListContractsResponse resp;
      grpc::ClientContext ctx;
      Prepare(ctx, Admin());
      grpc::Status st = stub_->ListContracts(&ctx, req, &resp);
      if (!st.ok()) {
        return Failed("ListContracts", st);
      }
      for (const auto& c : resp.contracts()) {
        contracts_.push_back(c);
      }
    }
    return true;
  }

  // One action; false when the service cannot be reached.
  bool Step() {
    if (deals_.empty()) {
      return Refresh() && !deals_.empty() ? Step() : !unreachable_;
    }
    std::discrete_distribution<int> pick({25, 35, 8, 7, 18, 7});
    switch (pick(rng_)) {
      case 0:
        return NewDeal();
      case 1:
        return Advance();
      case 2:
        return Win();
      case 3:
        return Lose();
      case 4:
        return Activity();
      default:
        return Payment();
    }
  }

  void Summary() const {
    std::printf(
        "salesops-sim: %lld actions (%lld new deals, %lld stage moves, %lld won, %lld lost, "
        "%lld activities, %lld payments), %lld refused\n",
        static_cast<long long>(total_), static_cast<long long>(created_),
        static_cast<long long>(moved_), static_cast<long long>(won_), static_cast<long long>(lost_),
        static_cast<long long>(activities_), static_cast<long long>(payments_),
        static_cast<long long>(refused_));
  }

 private:
  std::string Token(const std::string& sub, salesops::Role role, const std::string& unit) {
    const std::string key = absl::StrCat(sub, "|", unit);
    auto it = tokens_.find(key);
    if (it != tokens_.end() && it->second.second > absl::Now() + absl::Minutes(5)) {
      return it->second.first;
    }
    auto t = salesops::MintJwt({.key = secret_}, {sub, role, unit}, absl::Hours(1), absl::Now());
    if (!t.ok()) {
      return "";
    }
    tokens_[key] = {*t, absl::Now() + absl::Hours(1)};
    return *t;
  }
  std::string Admin() { return Token("salesops-sim", salesops::Role::kAdmin, ""); }
  std::string OwnerOf(const v1::Opportunity& o) {
    return Token(Strip(o.owner()), salesops::Role::kRep, Strip(o.team()));
  }
  static void Prepare(grpc::ClientContext& ctx, const std::string& token) {
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }
  bool Failed(const char* what, const grpc::Status& st) {
    if (st.error_code() == grpc::StatusCode::UNAVAILABLE ||
        st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      std::fprintf(stderr, "salesops-sim: %s: %s\n", what, st.error_message().c_str());
      unreachable_ = true;
      return false;
    }
    // A deal someone else moved meanwhile, a rule the step broke: the floor
    // goes on; the next refresh sees the current state.
    ++refused_;
    std::fprintf(stderr, "  refused %s: %s\n", what, st.error_message().c_str());
    return true;
  }
  size_t Any(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  void Say(const std::string& line) {
    ++total_;
    if (!quiet_) {
      std::printf("  %s\n", line.c_str());
    }
    std::fflush(stdout);
  }

  bool NewDeal() {
    const v1::Opportunity& like = deals_[Any(deals_.size())];  // a customer with an owner
    static const char* const kWhat[] = {"扩容", "续费", "二期", "升级", "试点", "采购"};
    v1::CreateOpportunityRequest req;
    auto* o = req.mutable_opportunity();
    o->set_customer(like.customer());
    o->set_display_name(absl::StrCat(
        like.display_name().substr(0, like.display_name().rfind("项目")), kWhat[Any(6)], "项目"));
    o->mutable_amount()->set_amount_minor(
        static_cast<int64_t>(std::uniform_int_distribution<int>(20, 800)(rng_)) * 10'000'00);
    o->mutable_amount()->set_currency_code("CNY");
    o->set_product_line(like.product_line());
    o->set_channel(like.channel().empty() ? "direct" : like.channel());
    const absl::CivilDay close = absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()) +
                                 std::uniform_int_distribution<int>(14, 120)(rng_);
    o->mutable_expected_close_date()->set_year(static_cast<int>(close.year()));
    o->mutable_expected_close_date()->set_month(close.month());
    o->mutable_expected_close_date()->set_day(close.day());
    std::string owner;
    const std::string token = CustomerOwner(like.customer(), &owner);
    if (token.empty()) {
      return Activity();
    }
    v1::CreateOpportunityResponse resp;
    grpc::ClientContext ctx;
    Prepare(ctx, token);
    grpc::Status st = stub_->CreateOpportunity(&ctx, req, &resp);
    if (!st.ok()) {
      return Failed("CreateOpportunity", st);
    }
    deals_.push_back(resp.opportunity());
    ++created_;
    Say(absl::StrFormat("%s 新建商机 %s ¥%.0f", owner, resp.opportunity().display_name(),
                        resp.opportunity().amount().amount_minor() / 100.0));
    return true;
  }

  bool Move(size_t i, v1::OpportunityStage to, const std::string& reason,
            const std::string& competitor) {
    v1::Opportunity& o = deals_[i];
    v1::ChangeOpportunityStageRequest req;
    req.set_name(o.name());
    req.set_etag(o.etag());
    req.set_stage(to);
    req.set_reason(reason);
    req.set_lost_to_competitor(competitor);
    v1::ChangeOpportunityStageResponse resp;
    grpc::ClientContext ctx;
    Prepare(ctx, OwnerOf(o));
    grpc::Status st = stub_->ChangeOpportunityStage(&ctx, req, &resp);
    if (!st.ok()) {
      deals_.erase(deals_.begin() + static_cast<long>(i));  // stale: forget it until the refresh
      return Failed("ChangeOpportunityStage", st);
    }
    Say(absl::StrFormat("%s %s: %s → %s", Strip(o.owner()), o.display_name(), StageZh(o.stage()),
                        StageZh(to)));
    if (to == v1::OPPORTUNITY_STAGE_WON || to == v1::OPPORTUNITY_STAGE_LOST) {
      deals_.erase(deals_.begin() + static_cast<long>(i));
    } else {
      o = resp.opportunity();
    }
    return true;
  }

  bool Advance() {
    const size_t i = Any(deals_.size());
    const v1::OpportunityStage s = deals_[i].stage();
    if (s == v1::OPPORTUNITY_STAGE_CONTRACT) {
      ++won_;
      return Move(i, v1::OPPORTUNITY_STAGE_WON, "", "");
    }
    ++moved_;
    return Move(i, static_cast<v1::OpportunityStage>(s + 1), "", "");
  }

  // The token of whoever owns `customer` now (a deal's customer may have been
  // handed over or released to the pool since); "" when nobody does.
  std::string CustomerOwner(const std::string& customer, std::string* owner) {
    v1::GetCustomerRequest req;
    req.set_name(customer);
    v1::GetCustomerResponse resp;
    grpc::ClientContext ctx;
    Prepare(ctx, Admin());
    if (!stub_->GetCustomer(&ctx, req, &resp).ok() || resp.customer().owner().empty()) {
      return "";
    }
    *owner = Strip(resp.customer().owner());
    return Token(*owner, salesops::Role::kRep, Strip(resp.customer().team()));
  }

  // Wins a deal at the contract stage (the only stage a deal is won from);
  // with none there, moves one on instead.
  bool Win() {
    std::vector<size_t> ready;
    for (size_t j = 0; j < deals_.size(); ++j) {
      if (deals_[j].stage() == v1::OPPORTUNITY_STAGE_CONTRACT) {
        ready.push_back(j);
      }
    }
    if (ready.empty()) {
      const size_t i = Any(deals_.size());
      ++moved_;
      return Move(i, static_cast<v1::OpportunityStage>(deals_[i].stage() + 1), "", "");
    }
    ++won_;
    return Move(ready[Any(ready.size())], v1::OPPORTUNITY_STAGE_WON, "", "");
  }

  bool Lose() {
    static const char* const kWhy[] = {"价格高于竞品", "预算冻结", "需求变更", "决策人更换"};
    static const char* const kWho[] = {"", "竞品A", "竞品B", ""};
    const size_t k = Any(4);
    ++lost_;
    return Move(Any(deals_.size()), v1::OPPORTUNITY_STAGE_LOST, kWhy[k], kWho[k]);
  }

  bool Activity() {
    const v1::Opportunity& o = deals_[Any(deals_.size())];
    static const char* const kSummary[] = {"上门拜访，演示方案", "电话沟通报价",
                                           "与技术负责人确认需求", "商务谈判，讨论付款条件"};
    v1::LogActivityRequest req;
    auto* a = req.mutable_activity();
    a->set_customer(o.customer());
    a->set_opportunity(o.name());
    const int k = static_cast<int>(Any(4));
    a->set_kind(k == 1 ? v1::ACTIVITY_KIND_CALL : v1::ACTIVITY_KIND_VISIT);
    a->set_outcome(Any(3) == 0 ? v1::ACTIVITY_OUTCOME_NEUTRAL : v1::ACTIVITY_OUTCOME_POSITIVE);
    a->set_summary(kSummary[k]);
    a->set_duration_minutes(k == 1 ? 15 : 60);
    const absl::Time now = absl::Now();
    a->mutable_occur_time()->set_seconds(absl::ToUnixSeconds(now) - 60);
    std::string owner;
    const std::string token = CustomerOwner(o.customer(), &owner);
    if (token.empty()) {
      return true;  // a pool customer: nobody visits it
    }
    v1::LogActivityResponse resp;
    grpc::ClientContext ctx;
    Prepare(ctx, token);
    grpc::Status st = stub_->LogActivity(&ctx, req, &resp);
    if (!st.ok()) {
      return Failed("LogActivity", st);
    }
    ++activities_;
    Say(absl::StrFormat("%s 跟进 %s：%s", owner, o.display_name(), kSummary[k]));
    return true;
  }

  bool Payment() {
    if (contracts_.empty()) {
      return Activity();
    }
    const size_t i = Any(contracts_.size());
    const v1::Contract& c = contracts_[i];
    for (const auto& inst : c.payment_schedule().instalments()) {
      if (inst.state() == v1::INSTALMENT_STATE_RECEIVED) {
        continue;
      }
      const int64_t left = inst.amount().amount_minor() - inst.received_amount().amount_minor();
      if (left <= 0) {
        continue;
      }
      v1::RecordPaymentRequest req;
      req.set_contract(c.name());
      auto* p = req.mutable_payment();
      p->set_instalment_id(inst.instalment_id());
      p->mutable_amount()->set_amount_minor(left);
      p->mutable_amount()->set_currency_code(inst.amount().currency_code());
      const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::LocalTimeZone());
      p->mutable_received_date()->set_year(static_cast<int>(today.year()));
      p->mutable_received_date()->set_month(today.month());
      p->mutable_received_date()->set_day(today.day());
      p->set_reference(absl::StrCat("SIM-", absl::ToUnixMillis(absl::Now())));
      v1::RecordPaymentResponse resp;
      grpc::ClientContext ctx;
      Prepare(ctx, Admin());
      grpc::Status st = stub_->RecordPayment(&ctx, req, &resp);
      contracts_.erase(contracts_.begin() + static_cast<long>(i));  // refreshed later
      if (!st.ok()) {
        return Failed("RecordPayment", st);
      }
      ++payments_;
      Say(absl::StrFormat("回款 %s ¥%.0f", c.title().empty() ? c.name() : c.title(), left / 100.0));
      return true;
    }
    contracts_.erase(contracts_.begin() + static_cast<long>(i));
    return Activity();
  }

  std::unique_ptr<Stub> stub_;
  std::string secret_;
  std::mt19937_64 rng_;
  bool quiet_;
  bool unreachable_ = false;
  std::vector<v1::Opportunity> deals_;
  std::vector<v1::Contract> contracts_;
  std::map<std::string, std::pair<std::string, absl::Time>> tokens_;
  int64_t total_ = 0, created_ = 0, moved_ = 0, won_ = 0, lost_ = 0, activities_ = 0, payments_ = 0,
          refused_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "Simulates a sales floor through the public API");
  salesops::ConfigCheck check;
  check.HostPort("customers_addr", absl::GetFlag(FLAGS_customers_addr));
  check.NonEmpty("jwt_hs256_secret", absl::GetFlag(FLAGS_jwt_hs256_secret));
  check.Positive("rate", absl::GetFlag(FLAGS_rate));
  if (absl::GetFlag(FLAGS_steps) < 0) {
    check.Fail("steps", "must be 0 (no limit) or more");
  }
  check.ExitIfInvalid();

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  uint64_t seed = absl::GetFlag(FLAGS_seed);
  if (seed == 0) {
    seed = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  }
  Sim sim(grpc::CreateChannel(absl::GetFlag(FLAGS_customers_addr),
                              salesops::ChannelCredentialsFromFlagsOrDie()),
          absl::GetFlag(FLAGS_jwt_hs256_secret), seed, absl::GetFlag(FLAGS_quiet));
  if (!sim.Refresh()) {
    return 2;
  }

  const absl::Duration every = absl::Seconds(1.0 / absl::GetFlag(FLAGS_rate));
  const int64_t steps = absl::GetFlag(FLAGS_steps);
  absl::Time next = absl::Now();
  absl::Time refresh = absl::Now() + absl::Minutes(1);
  for (int64_t i = 0; !g_stop && (steps == 0 || i < steps); ++i) {
    if (!sim.Step()) {
      sim.Summary();
      return 2;
    }
    if (absl::Now() >= refresh) {
      if (!sim.Refresh()) {
        sim.Summary();
        return 2;
      }
      refresh = absl::Now() + absl::Minutes(1);
    }
    next += every;
    const absl::Duration wait = next - absl::Now();
    if (wait > absl::ZeroDuration()) {
      absl::SleepFor(wait);  // the pace asked for, not a wait on anything
    }
  }
  sim.Summary();
  return 0;
}
