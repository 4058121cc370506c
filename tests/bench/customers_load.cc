// Load client for the customers service's pipeline writes, driven like
// grpc_load (async unary calls on one completion queue, a fixed number in
// flight, a warm-up, then a fixed measured time) so its numbers compare with
// the echo baseline measured by grpc_load in the same run.
//
// Set-up (not measured): creates --customers customers from the demo dataset
// generator (fresh ids and tax ids per run; owners, regions and product lines
// are the demo organisation's, so load it with demo_loader first, or override
// them with --owner / --product_line). Then two phases, one JSON line each:
//   customers_create_opportunity  CreateOpportunity (with request_id) on those customers
//   customers_change_stage        ChangeOpportunityStage: every slot walks its own
//                                 opportunity LEAD → QUALIFIED → … → CONTRACT, one call
//                                 in flight per opportunity, passing the etag of the
//                                 previous response; then takes the next opportunity
//                                 (those the first phase created; more are created,
//                                 unmeasured, if they run out)
//   {"target":…,"qps":…,"p50_us":…,"p99_us":…,"errors":…,…}
//
//   customers_load --addr=127.0.0.1:P --token=JWT [--concurrency=32 --duration=5s]
//   (or no --token and SALESOPS_JWT_HS256_SECRET set: mints an admin token)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/auth/jwt.h"
#include "common/config/config.h"
#include "common/server/client_credentials.h"
#include "common/status/grpc_status.h"
#include "google/rpc/error_details.pb.h"
#include "grpcpp/grpcpp.h"
#include "salesops/customers/v1/customers_service.grpc.pb.h"
#include "tests/bench/load_report.h"
#include "tools/demo/demo_dataset.h"
#include "tools/demo/demo_requests.h"

ABSL_FLAG(std::string, addr, "127.0.0.1:7103",
          "customers service address, or several replicas' \"a,b,c\" (channel i goes to the "
          "(i mod n)-th; set-up goes to the first)");
ABSL_FLAG(std::string, token, "", "bearer token (admin); minted from --jwt_hs256_secret if empty");
ABSL_FLAG(std::string, jwt_hs256_secret, "", "secret to mint an admin token when --token is empty");
ABSL_FLAG(int, concurrency, 32, "RPCs in flight");
ABSL_FLAG(int, channels, 4, "gRPC channels (connections) the calls are spread over");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "measured time per phase");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "unmeasured time first, per phase");
ABSL_FLAG(int, customers, 20, "customers created for the run (set-up, not measured)");
ABSL_FLAG(std::string, owner, "", "owner \"members/{id}\" of every customer (default: dataset's)");
ABSL_FLAG(std::string, product_line, "",
          "product line \"orgUnits/{id}\" of every opportunity (default: dataset's)");
ABSL_FLAG(std::string, phases, "create,stage", "phases to run: create, stage");
ABSL_FLAG(bool, stage_to_won, false, "walk opportunities on to WON (not just CONTRACT)");
ABSL_FLAG(absl::Duration, setup_retry_for, absl::Seconds(60),
          "how long set-up retries while the service learns the org (*_UNKNOWN) or starts");

namespace {

namespace v1 = salesops::customers::v1;
using Stub = v1::CustomersService::Stub;

std::string Reason(const grpc::Status& s) {
  google::rpc::Status details = salesops::RpcStatusDetails(s);
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) {
      return info.reason();
    }
  }
  return "";
}

// What a phase measured: calls started after the warm-up and finished before
// the end; later completions only drain.
struct Window {
  absl::Time measure_from, stop_at;
  std::vector<int64_t> latencies_us;
  int64_t errors = 0;
  std::string first_error;

  explicit Window(absl::Time now)
      : measure_from(now + absl::GetFlag(FLAGS_warmup)),
        stop_at(measure_from + absl::GetFlag(FLAGS_duration)) {
    latencies_us.reserve(1 << 20);
  }
  void Record(absl::Time start, absl::Time now, const grpc::Status& s) {
    if (start < measure_from || now > stop_at) {
      return;
    }
    if (s.ok()) {
      latencies_us.push_back(absl::ToInt64Microseconds(now - start));
      return;
    }
    if (first_error.empty()) {
      first_error = absl::StrCat(s.error_code(), " ", Reason(s), " ", s.error_message());
    }
    ++errors;
  }
  void Print(const std::string& target, int concurrency, const std::string& extra) {
    salesops::bench::PrintLoadLine(target, concurrency,
                                   absl::ToDoubleSeconds(absl::GetFlag(FLAGS_duration)),
                                   latencies_us, errors, first_error, extra);
  }
};

struct Opp {
  std::string name;
  std::string etag;
  v1::OpportunityStage stage = v1::OPPORTUNITY_STAGE_UNSPECIFIED;
};

struct Call {
  grpc::ClientContext ctx;
  grpc::Status status;
  absl::Time start;
  int slot = 0;
  bool refill = false;  // an unmeasured create for the stage phase
  v1::CreateOpportunityResponse create_resp;
  v1::ChangeOpportunityStageResponse stage_resp;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::CreateOpportunityResponse>> create;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::ChangeOpportunityStageResponse>> stage;
};

class LoadClient {
 public:
  LoadClient(std::vector<std::unique_ptr<Stub>> stubs, std::string token, std::string run_id)
      : stubs_(std::move(stubs)), token_(std::move(token)), run_id_(std::move(run_id)) {}

  // Creates the customers and keeps their opportunity templates. False when
  // none could be created.
  bool SetUp(const salesops::demo::Dataset& data) {
    const std::string owner = absl::GetFlag(FLAGS_owner);
    const std::string product_line = absl::GetFlag(FLAGS_product_line);
    std::vector<bool> created(data.customers.size(), false);
    int ok = 0;
    for (size_t i = 0; i < data.customers.size(); ++i) {
      v1::CreateCustomerRequest req = salesops::demo::CreateCustomerRequestFor(data.customers[i]);
      req.clear_backfill_time();  // the normal path, not a migration
      if (!owner.empty()) {
        req.mutable_customer()->set_owner(owner);
      }
      v1::CreateCustomerResponse resp;
      grpc::Status s = Waiting(&Stub::CreateCustomer, req, &resp);
      if (s.ok()) {
        created[i] = true;
        ++ok;
      } else {
        std::fprintf(stderr, "customers_load: set-up CreateCustomer %s: %d %s %s\n",
                     data.customers[i].id.c_str(), static_cast<int>(s.error_code()),
                     Reason(s).c_str(), s.error_message().c_str());
      }
    }
    for (const salesops::demo::OpportunitySpec& o : data.opportunities) {
      if (!created[static_cast<size_t>(o.customer)]) {
        continue;
      }
      v1::CreateOpportunityRequest req = salesops::demo::CreateOpportunityRequestFor(
          o, data.customers[static_cast<size_t>(o.customer)]);
      req.clear_backfill_time();
      // Historical close dates would predate a deal created now.
      req.mutable_opportunity()->clear_expected_close_date();
      req.clear_opportunity_id();
      req.clear_request_id();
      if (!owner.empty()) {
        req.mutable_opportunity()->set_owner(owner);
      }
      if (!product_line.empty()) {
        req.mutable_opportunity()->set_product_line(product_line);
      }
      templates_.push_back(std::move(req));
    }
    std::fprintf(stderr, "customers_load: %d customers, %zu opportunity templates\n", ok,
                 templates_.size());
    if (ok == 0 || templates_.empty()) {
      return false;
    }
    // One opportunity first, so the measured phase does not start before the
    // service knows the product lines.
    v1::CreateOpportunityRequest probe = templates_[0];
    probe.set_opportunity_id(absl::StrCat("b", run_id_, "-probe"));
    probe.set_request_id(probe.opportunity_id());
    v1::CreateOpportunityResponse resp;
    grpc::Status s = Waiting(&Stub::CreateOpportunity, probe, &resp);
    if (!s.ok()) {
      std::fprintf(stderr, "customers_load: set-up CreateOpportunity: %d %s %s\n",
                   static_cast<int>(s.error_code()), Reason(s).c_str(), s.error_message().c_str());
      return false;
    }
    return true;
  }

  // Phase (a). The opportunities it creates feed phase (b).
  void CreatePhase(int concurrency) {
    const int64_t started_before = started_;
    Window w(absl::Now());
    for (int i = 0; i < concurrency; ++i) {
      StartCreate(i, false);
    }
    int in_flight = concurrency;
    void* tag;
    bool ok;
    while (in_flight > 0 && cq_.Next(&tag, &ok)) {
      std::unique_ptr<Call> c(static_cast<Call*>(tag));
      const absl::Time now = absl::Now();
      w.Record(c->start, now, c->status);
      if (c->status.ok()) {
        if (resp_bytes_ == 0) {
          resp_bytes_ = c->create_resp.ByteSizeLong();
        }
        pool_.push_back(FromResponse(c->create_resp.opportunity()));
      }
      --in_flight;
      if (now < w.stop_at) {
        StartCreate(c->slot, false);
        ++in_flight;
      }
    }
    w.Print(
        "customers_create_opportunity", concurrency,
        absl::StrCat(",\"resp_bytes\":", resp_bytes_, ",\"started\":", started_ - started_before));
  }

  // Phase (b): each slot walks one opportunity at a time up the stages.
  void StagePhase(int concurrency) {
    const v1::OpportunityStage last = absl::GetFlag(FLAGS_stage_to_won)
                                          ? v1::OPPORTUNITY_STAGE_WON
                                          : v1::OPPORTUNITY_STAGE_CONTRACT;
    std::vector<Opp> slots(static_cast<size_t>(concurrency));
    int64_t refills = 0, refill_errors = 0, walked = 0;
    const int64_t started_before = started_;
    Window w(absl::Now());
    // Starts the slot's next call: a stage change, or a refill create when it
    // needs a new opportunity and the pool is empty.
    auto next = [&](int slot) {
      Opp& opp = slots[static_cast<size_t>(slot)];
      if (opp.name.empty() || opp.stage >= last) {
        if (!opp.name.empty()) {
          ++walked;
        }
        opp = Opp();
        if (pool_.empty()) {
          ++refills;
          StartCreate(slot, true);
          return;
        }
        opp = std::move(pool_.back());
        pool_.pop_back();
      }
      auto* c = new Call;
      c->slot = slot;
      Prepare(c->ctx);
      ++started_;
      c->start = absl::Now();
      v1::ChangeOpportunityStageRequest req;
      req.set_name(opp.name);
      req.set_etag(opp.etag);
      req.set_stage(static_cast<v1::OpportunityStage>(opp.stage + 1));
      c->stage = StubFor(slot).AsyncChangeOpportunityStage(&c->ctx, req, &cq_);
      c->stage->Finish(&c->stage_resp, &c->status, c);
    };
    for (int i = 0; i < concurrency; ++i) {
      next(i);
    }
    int in_flight = concurrency;
    void* tag;
    bool ok;
    while (in_flight > 0 && cq_.Next(&tag, &ok)) {
      std::unique_ptr<Call> c(static_cast<Call*>(tag));
      const absl::Time now = absl::Now();
      Opp& opp = slots[static_cast<size_t>(c->slot)];
      if (c->refill) {
        if (c->status.ok()) {
          opp = FromResponse(c->create_resp.opportunity());
        } else {
          ++refill_errors;
        }
      } else {
        w.Record(c->start, now, c->status);
        if (c->status.ok()) {
          opp = FromResponse(c->stage_resp.opportunity());
        } else {
          opp = Opp();  // drop it; the slot takes another
        }
      }
      --in_flight;
      if (now < w.stop_at) {
        next(c->slot);
        ++in_flight;
      }
    }
    w.Print("customers_change_stage", concurrency,
            absl::StrCat(",\"opportunities_walked\":", walked, ",\"refills\":", refills,
                         ",\"refill_errors\":", refill_errors,
                         ",\"started\":", started_ - started_before));
  }

 private:
  void Prepare(grpc::ClientContext& ctx) {
    ctx.AddMetadata("authorization", "Bearer " + token_);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  // A set-up call, retried while the service starts or has not yet consumed
  // the org events that name the owners and product lines.
  template <typename Req, typename Resp>
  grpc::Status Waiting(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                       const Req& req, Resp* resp) {
    const absl::Time give_up = absl::Now() + absl::GetFlag(FLAGS_setup_retry_for);
    for (absl::Duration backoff = absl::Milliseconds(100);;
         backoff = std::min(backoff * 2, absl::Seconds(2))) {
      grpc::ClientContext ctx;
      Prepare(ctx);
      grpc::Status s = (stubs_[0].get()->*method)(&ctx, req, resp);
      const std::string reason = Reason(s);
      const bool wait = s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                        (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
                         absl::EndsWith(reason, "_UNKNOWN")) ||
                        reason == "UNKNOWN_PRODUCT_LINE" || reason == "REQUEST_REPLAYED";
      if (!wait || absl::Now() + backoff > give_up) {
        return s;
      }
      absl::SleepFor(backoff);
    }
  }

  Stub& StubFor(int slot) { return *stubs_[static_cast<size_t>(slot) % stubs_.size()]; }

  Opp FromResponse(const v1::Opportunity& o) { return Opp{o.name(), o.etag(), o.stage()}; }

  void StartCreate(int slot, bool refill) {
    auto* c = new Call;
    c->slot = slot;
    c->refill = refill;
    Prepare(c->ctx);
    v1::CreateOpportunityRequest req = templates_[static_cast<size_t>(seq_) % templates_.size()];
    const std::string id = absl::StrCat("b", run_id_, "-x-", seq_++);
    req.set_opportunity_id(id);
    req.set_request_id(id);
    ++started_;
    c->start = absl::Now();
    c->create = StubFor(slot).AsyncCreateOpportunity(&c->ctx, req, &cq_);
    c->create->Finish(&c->create_resp, &c->status, c);
  }

  std::vector<std::unique_ptr<Stub>> stubs_;
  std::string token_;
  std::string run_id_;
  grpc::CompletionQueue cq_;
  std::vector<v1::CreateOpportunityRequest> templates_;
  std::vector<Opp> pool_;  // created, at LEAD, not yet walked
  int64_t seq_ = 0;
  // Calls made (warm-up, refills and the last in-flight ones included): each phase's line
  // prints its own as "started", the work a server-side counter over the phase saw.
  int64_t started_ = 0;
  size_t resp_bytes_ = 0;  // of one CreateOpportunityResponse, to size the echo baseline
};

}  // namespace

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "Customers service load client");
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  salesops::ConfigCheck check;
  const std::vector<std::string> addrs = absl::StrSplit(absl::GetFlag(FLAGS_addr), ',');
  for (const std::string& addr : addrs) {
    check.HostPort("addr", addr);
  }
  check.Positive("concurrency", concurrency);
  check.Positive("customers", absl::GetFlag(FLAGS_customers));
  check.Positive("channels", absl::GetFlag(FLAGS_channels));
  std::string token = absl::GetFlag(FLAGS_token);
  if (token.empty()) {
    check.NonEmpty("jwt_hs256_secret", absl::GetFlag(FLAGS_jwt_hs256_secret));
  }
  check.ExitIfInvalid();
  if (token.empty()) {
    auto minted =
        salesops::MintJwt({.key = absl::GetFlag(FLAGS_jwt_hs256_secret)},
                          {"bench", salesops::Role::kAdmin, ""}, absl::Hours(1), absl::Now());
    if (!minted.ok()) {
      std::fprintf(stderr, "%s\n", std::string(minted.status().message()).c_str());
      return 2;
    }
    token = *minted;
  }

  // Fresh ids, tax ids and phones every run, so runs against one server do not collide.
  const int64_t run = absl::ToUnixMicros(absl::Now());
  const std::string run_id = absl::StrCat(run);
  const salesops::demo::Dataset data = salesops::demo::GenerateDataset(
      salesops::demo::DemoOrganisation(),
      {.seed = static_cast<uint64_t>(run),
       .scale =
           static_cast<double>(absl::GetFlag(FLAGS_customers)) / salesops::demo::kDemoCustomers,
       .now = absl::Now(),
       .id_prefix = "b" + run_id});

  const std::shared_ptr<grpc::ChannelCredentials> creds =
      salesops::ChannelCredentialsFromFlagsOrDie();
  std::vector<std::unique_ptr<Stub>> stubs;
  for (int i = 0; i < absl::GetFlag(FLAGS_channels); ++i) {
    grpc::ChannelArguments args;
    args.SetInt("salesops.bench.channel", i);  // distinct args ⇒ distinct connections
    stubs.push_back(v1::CustomersService::NewStub(
        grpc::CreateCustomChannel(addrs[static_cast<size_t>(i) % addrs.size()], creds, args)));
  }
  LoadClient client(std::move(stubs), token, run_id);
  if (!client.SetUp(data)) {
    std::fprintf(stderr, "customers_load: set-up failed\n");
    return 1;
  }
  const std::string phases = absl::GetFlag(FLAGS_phases);
  if (absl::StrContains(phases, "create")) {
    client.CreatePhase(concurrency);
  }
  if (absl::StrContains(phases, "stage")) {
    client.StagePhase(concurrency);
  }
  return 0;
}
