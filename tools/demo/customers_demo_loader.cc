// Loads the demo customers dataset (demo_dataset.h: ~5,000 customers, ~20,000
// opportunities over the last 8 quarters with activities, contracts and
// payments) into a running customers service through its public gRPC API, as
// an admin, keeping the historical timestamps (backfill_time, sign_date,
// received_date). Run it after demo_loader: owners, regions and product lines
// are the demo organisation's.
//
// Idempotent: every resource has a fixed id and request_id; ALREADY_EXISTS on a
// create means done; stage changes are applied only where the opportunity is
// not there yet; activities and payments already present are not logged again.
// Customers load concurrently (each customer's history in order); calls that
// fail while the service has not yet learnt the org (FAILED_PRECONDITION with a
// *_UNKNOWN reason such as OWNER_UNKNOWN) or is unavailable are retried with
// backoff for up to --retry_for.
//
//   customers_demo_loader [--customers_addr=127.0.0.1:7103] [--concurrency=32]
//                         [--demo_scale=1.0] [--dry_run]
//   (token minted from SALESOPS_JWT_HS256_SECRET)
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/auth/jwt.h"
#include "common/config/config.h"
#include "common/server/client_credentials.h"
#include "common/status/grpc_status.h"
#include "google/rpc/error_details.pb.h"
#include "grpcpp/grpcpp.h"
#include "salesops/customers/v1/customers_service.grpc.pb.h"
#include "tools/demo/demo_dataset.h"
#include "tools/demo/demo_org.h"
#include "tools/demo/demo_requests.h"

ABSL_FLAG(std::string, customers_addr, "127.0.0.1:7103", "customers service address");
ABSL_FLAG(std::string, jwt_hs256_secret, "", "secret to mint the loader's admin token");
ABSL_FLAG(uint64_t, customers_demo_seed, salesops::demo::kDemoSeed, "dataset seed");
ABSL_FLAG(double, demo_scale, 1.0, "fraction of the full dataset (1.0 = 5,000 customers)");
ABSL_FLAG(int, concurrency, 32, "calls in flight (one customer's history per worker)");
ABSL_FLAG(absl::Duration, retry_for, absl::Seconds(60),
          "how long to retry a call that is UNAVAILABLE or waits for org data (*_UNKNOWN)");
ABSL_FLAG(int, max_errors, 50, "stop taking new customers after this many unexpected errors");
ABSL_FLAG(bool, dry_run, false, "generate and print counts and samples; call nothing");

namespace {

namespace v1 = salesops::customers::v1;
using salesops::demo::ActivitySpec;
using salesops::demo::ContractSpec;
using salesops::demo::CustomerSpec;
using salesops::demo::Dataset;
using salesops::demo::InstalmentSpec;
using salesops::demo::OpportunitySpec;
using salesops::demo::Stage;
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

const char* CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int c = static_cast<int>(code);
  return c >= 0 && c < static_cast<int>(std::size(kNames)) ? kNames[c] : "?";
}

// Worth retrying the same request: the server is (re)starting, overloaded,
// still processing the same request_id, or has not yet consumed the org events
// that name our owners, teams or product lines.
bool Retryable(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return true;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return absl::EndsWith(Reason(s), "_UNKNOWN");
    case grpc::StatusCode::INVALID_ARGUMENT:
      return Reason(s) == "UNKNOWN_PRODUCT_LINE";
    case grpc::StatusCode::ALREADY_EXISTS:
      return Reason(s) == "REQUEST_REPLAYED";
    default:
      return false;
  }
}

// ALREADY_EXISTS because `name` itself is there (loaded before), not because
// another resource holds its tax id, phone, number or request_id.
bool AlreadyThere(const grpc::Status& s, absl::string_view name) {
  if (s.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
    return false;
  }
  const std::string reason = Reason(s);
  if (reason == "REQUEST_REPLAYED" || reason == "REQUEST_ID_REUSED") {
    return false;
  }
  if (absl::StartsWith(reason, "DUPLICATE_")) {
    return absl::EndsWith(s.error_message(), name);
  }
  return true;
}

struct Counter {
  std::atomic<int64_t> created{0}, existing{0}, conflicts{0};
  void Add(bool fresh) { ++(fresh ? created : existing); }
};

// The server could not be reached or would not take us: nothing to keep going for.
bool Unreachable(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::CANCELLED:
      return true;
    default:
      return false;
  }
}

// The server holds something else than the demo planned, because a user changed
// it (moved a deal, signed or cancelled a contract, released a customer): theirs
// to keep. Counted and reported, never a failure.
bool UserConflict(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::OUT_OF_RANGE:
      return true;
    default:
      return false;
  }
}

struct Stats {
  std::atomic<int64_t> customers_done{0}, calls{0}, retries{0}, errors{0}, unreachable{0},
      conflicts{0};
  Counter customers, opportunities, stage_changes, activities, contracts, signatures, payments,
      releases;
};

// Where one opportunity stands on the server, as far as this worker knows.
struct OppState {
  bool ok = false;  // false: created/read failed; skip its later steps
  std::string etag;
  Stage stage = Stage::kLead;
  int64_t activities_present = 0;  // already on the server (re-runs)
};

class Loader {
 public:
  Loader(const Dataset& data, std::vector<std::shared_ptr<grpc::Channel>> channels,
         std::string token, absl::Duration retry_for, int max_errors)
      : data_(data),
        channels_(std::move(channels)),
        token_(std::move(token)),
        retry_for_(retry_for),
        max_errors_(max_errors) {}

  // Loads every customer's history with `workers` threads; returns when done.
  void Run(int workers) {
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([this, w] {
        std::unique_ptr<Stub> stub =
            v1::CustomersService::NewStub(channels_[static_cast<size_t>(w) % channels_.size()]);
        for (;;) {
          const size_t i = next_.fetch_add(1);
          // A dead or misconfigured server: stop rather than wait out every customer.
          if (i >= data_.customers.size() || stats_.errors.load() >= max_errors_) {
            break;
          }
          LoadCustomer(*stub, i);
          ++stats_.customers_done;
        }
      });
    }
    for (std::thread& t : threads) {
      t.join();
    }
  }

  const Stats& stats() const { return stats_; }

 private:
  enum class Kind { kOpportunity, kStage, kActivity, kContract, kRelease };
  struct Step {
    absl::Time time;
    Kind kind;
    size_t opp;    // position in the customer's opportunity list
    size_t index;  // path step or activity
  };

  template <typename Req, typename Resp>
  using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Req&, Resp*);

  // One call, retried while Retryable() for up to retry_for_ (same request,
  // so creates stay idempotent through their request_id).
  // `replayed`, when given, is set when the server answered a request_id it had
  // seen before (trailer salesops-replayed): the resource was already there.
  template <typename Req, typename Resp>
  grpc::Status Call(Stub& stub, Method<Req, Resp> method, const Req& req, Resp* resp,
                    bool* replayed = nullptr) {
    const absl::Time give_up = absl::Now() + retry_for_;
    absl::Duration backoff = absl::Milliseconds(50);
    for (;;) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + token_);
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
      ++stats_.calls;
      grpc::Status s = (stub.*method)(&ctx, req, resp);
      if (replayed != nullptr) {
        *replayed = s.ok() && ctx.GetServerTrailingMetadata().count("salesops-replayed") > 0;
      }
      if (s.ok() || !Retryable(s) || absl::Now() + backoff > give_up) {
        return s;
      }
      ++stats_.retries;
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, absl::Seconds(2));
    }
  }

  // A failure: a user's change is a conflict (counted, the first ones printed);
  // an unreachable server or anything else an error.
  void Fail(absl::string_view what, const grpc::Status& s, Counter* counter = nullptr) {
    if (UserConflict(s)) {
      if (counter != nullptr) {
        ++counter->conflicts;
      }
      const int64_t n = ++stats_.conflicts;
      if (n <= 10) {
        std::fprintf(stderr, "customers_demo_loader: kept as changed: %s: %s %s: %s\n",
                     std::string(what).c_str(), CodeName(s.error_code()), Reason(s).c_str(),
                     s.error_message().c_str());
      } else if (n == 11) {
        std::fprintf(stderr, "customers_demo_loader: more changed data kept, not printed\n");
      }
      return;
    }
    if (Unreachable(s)) {
      ++stats_.unreachable;
    }
    const int64_t n = ++stats_.errors;
    if (n <= 20) {
      const std::string reason = Reason(s);
      std::fprintf(stderr, "customers_demo_loader: %s: %s%s%s: %s\n", std::string(what).c_str(),
                   CodeName(s.error_code()), reason.empty() ? "" : " ", reason.c_str(),
                   s.error_message().c_str());
    } else if (n == 21) {
      std::fprintf(stderr, "customers_demo_loader: more errors, not printed\n");
    }
  }

  // Position of `stage` on the opportunity's planned path (0 = LEAD), or -1
  // when the server has it somewhere the plan never goes.
  static int PathPosition(const OpportunitySpec& o, Stage stage) {
    if (stage == Stage::kLead) {
      return 0;
    }
    for (size_t i = 0; i < o.path.size(); ++i) {
      if (o.path[i].stage == stage) {
        return static_cast<int>(i) + 1;
      }
    }
    if (stage == Stage::kWon && o.has_contract) {
      return static_cast<int>(o.path.size()) + 1;
    }
    return -1;
  }

  bool Refresh(Stub& stub, const OpportunitySpec& o, OppState& st) {
    v1::GetOpportunityRequest req;
    req.set_name(salesops::demo::OpportunityName(o.id));
    v1::GetOpportunityResponse resp;
    grpc::Status s = Call(stub, &Stub::GetOpportunity, req, &resp);
    if (!s.ok()) {
      Fail(absl::StrCat("GetOpportunity ", o.id), s);
      return false;
    }
    st.etag = resp.opportunity().etag();
    st.stage = salesops::demo::FromProto(resp.opportunity().stage());
    return true;
  }

  void CreateOpportunity(Stub& stub, const CustomerSpec& c, const OpportunitySpec& o,
                         OppState& st) {
    v1::CreateOpportunityResponse resp;
    bool replayed = false;
    grpc::Status s = Call(stub, &Stub::CreateOpportunity,
                          salesops::demo::CreateOpportunityRequestFor(o, c), &resp, &replayed);
    if (s.ok() && !replayed) {
      stats_.opportunities.Add(true);
      st.ok = true;
      st.etag = resp.opportunity().etag();
      st.stage = salesops::demo::FromProto(resp.opportunity().stage());
      return;
    }
    if (!s.ok() && !AlreadyThere(s, salesops::demo::OpportunityName(o.id))) {
      Fail(absl::StrCat("CreateOpportunity ", o.id), s, &stats_.opportunities);
      return;
    }
    // Loaded before (maybe partly): read where it stands and what it has.
    stats_.opportunities.Add(false);
    if (!Refresh(stub, o, st)) {
      return;
    }
    v1::ListActivitiesRequest list;
    list.set_opportunity(salesops::demo::OpportunityName(o.id));
    list.set_page_size(100);
    for (;;) {
      v1::ListActivitiesResponse page;
      s = Call(stub, &Stub::ListActivities, list, &page);
      if (!s.ok()) {
        Fail(absl::StrCat("ListActivities ", o.id), s);
        return;
      }
      st.activities_present += page.activities_size();
      if (page.next_page_token().empty()) {
        break;
      }
      list.set_page_token(page.next_page_token());
    }
    st.ok = true;
  }

  void ChangeStage(Stub& stub, const OpportunitySpec& o, size_t k, OppState& st) {
    for (int attempt = 0; attempt < 4; ++attempt) {
      const int at = PathPosition(o, st.stage);
      if (at < 0) {
        Fail(absl::StrCat("ChangeOpportunityStage ", o.id),
             grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("opportunity is ", salesops::demo::StageName(st.stage),
                                       ", which its planned path does not reach")),
             &stats_.stage_changes);
        st.ok = false;
        return;
      }
      if (at > static_cast<int>(k)) {
        stats_.stage_changes.Add(false);
        return;
      }
      v1::ChangeOpportunityStageRequest req = salesops::demo::ChangeStageRequestFor(o, o.path[k]);
      req.set_etag(st.etag);
      v1::ChangeOpportunityStageResponse resp;
      bool replayed = false;
      grpc::Status s = Call(stub, &Stub::ChangeOpportunityStage, req, &resp, &replayed);
      if (s.ok()) {
        stats_.stage_changes.Add(!replayed);
        st.etag = resp.opportunity().etag();
        st.stage = salesops::demo::FromProto(resp.opportunity().stage());
        return;
      }
      // A stale etag, or an earlier attempt that did apply: read and re-decide.
      const bool reread = s.error_code() == grpc::StatusCode::ABORTED ||
                          s.error_code() == grpc::StatusCode::FAILED_PRECONDITION || Retryable(s);
      if (!reread || attempt == 3) {
        Fail(absl::StrCat("ChangeOpportunityStage ", o.id, " to ",
                          salesops::demo::StageName(o.path[k].stage)),
             s, &stats_.stage_changes);
        st.ok = false;
        return;
      }
      if (!Refresh(stub, o, st)) {
        st.ok = false;
        return;
      }
    }
  }

  void LogActivity(Stub& stub, const CustomerSpec& c, const OpportunitySpec& o, size_t index,
                   OppState& st) {
    if (static_cast<int64_t>(index) < st.activities_present) {
      stats_.activities.Add(false);
      return;
    }
    v1::LogActivityResponse resp;
    bool replayed = false;
    grpc::Status s =
        Call(stub, &Stub::LogActivity,
             salesops::demo::LogActivityRequestFor(o.activities[index], o, c), &resp, &replayed);
    if (s.ok() || AlreadyThere(s, "")) {
      stats_.activities.Add(s.ok() && !replayed);
    } else {
      Fail(absl::StrCat("LogActivity ", o.activities[index].id), s, &stats_.activities);
    }
  }

  // Create (at CONTRACT stage) → sign (the server marks the opportunity WON) →
  // the paid instalments.
  void Contract(Stub& stub, const CustomerSpec& c, const OpportunitySpec& o, OppState& st) {
    const ContractSpec& k = o.contract;
    v1::Contract contract;
    {
      v1::CreateContractResponse resp;
      bool replayed = false;
      grpc::Status s = Call(stub, &Stub::CreateContract,
                            salesops::demo::CreateContractRequestFor(o, c), &resp, &replayed);
      if (s.ok()) {
        stats_.contracts.Add(!replayed);
        contract = resp.contract();
      } else if (AlreadyThere(s, salesops::demo::ContractName(k.id))) {
        stats_.contracts.Add(false);
        if (!GetContract(stub, k, &contract)) {
          return;
        }
      } else {
        Fail(absl::StrCat("CreateContract ", k.id), s, &stats_.contracts);
        return;
      }
    }
    bool signed_now = false;
    for (int attempt = 0; contract.state() == v1::CONTRACT_STATE_DRAFT; ++attempt) {
      v1::SignContractRequest req = salesops::demo::SignContractRequestFor(k);
      req.set_etag(contract.etag());
      v1::SignContractResponse resp;
      grpc::Status s = Call(stub, &Stub::SignContract, req, &resp);
      if (s.ok()) {
        stats_.signatures.Add(true);
        signed_now = true;
        contract = resp.contract();
        st.stage = salesops::demo::FromProto(resp.opportunity().stage());
        st.etag = resp.opportunity().etag();
        break;
      }
      if (attempt == 3 || (s.error_code() != grpc::StatusCode::ABORTED && !Retryable(s))) {
        Fail(absl::StrCat("SignContract ", k.id), s, &stats_.signatures);
        return;
      }
      if (!GetContract(stub, k, &contract)) {
        return;
      }
    }
    if (!signed_now && contract.state() != v1::CONTRACT_STATE_DRAFT) {
      stats_.signatures.Add(false);  // signed on an earlier run
    }
    std::vector<std::string> present;
    for (const v1::Payment& p : contract.payments()) {
      present.push_back(p.payment_id());
    }
    for (const InstalmentSpec& in : k.instalments) {
      if (!in.paid) {
        continue;
      }
      if (std::find(present.begin(), present.end(), salesops::demo::PaymentIdFor(in)) !=
          present.end()) {
        stats_.payments.Add(false);
        continue;
      }
      v1::RecordPaymentResponse resp;
      bool replayed = false;
      grpc::Status s = Call(stub, &Stub::RecordPayment,
                            salesops::demo::RecordPaymentRequestFor(k, in), &resp, &replayed);
      if (s.ok() || AlreadyThere(s, "")) {
        stats_.payments.Add(s.ok() && !replayed);
      } else {
        Fail(absl::StrCat("RecordPayment ", k.id, " instalment ", in.instalment_id), s,
             &stats_.payments);
      }
    }
  }

  bool GetContract(Stub& stub, const ContractSpec& k, v1::Contract* out) {
    v1::GetContractRequest req;
    req.set_name(salesops::demo::ContractName(k.id));
    v1::GetContractResponse resp;
    grpc::Status s = Call(stub, &Stub::GetContract, req, &resp);
    if (!s.ok()) {
      Fail(absl::StrCat("GetContract ", k.id), s);
      return false;
    }
    *out = resp.contract();
    return true;
  }

  // Pool customers were owned once; the owner let them go.
  void Release(Stub& stub, const CustomerSpec& c) {
    for (int attempt = 0; attempt < 4; ++attempt) {
      v1::GetCustomerRequest get;
      get.set_name(salesops::demo::CustomerName(c.id));
      v1::GetCustomerResponse got;
      grpc::Status s = Call(stub, &Stub::GetCustomer, get, &got);
      if (!s.ok()) {
        Fail(absl::StrCat("GetCustomer ", c.id), s);
        return;
      }
      if (got.customer().pool_state() == v1::POOL_STATE_PUBLIC_POOL) {
        stats_.releases.Add(false);
        return;
      }
      v1::ReleaseCustomerRequest req;
      req.set_name(get.name());
      req.set_etag(got.customer().etag());
      req.set_reason("长期未跟进，释放到公海");
      v1::ReleaseCustomerResponse resp;
      s = Call(stub, &Stub::ReleaseCustomer, req, &resp);
      if (s.ok()) {
        stats_.releases.Add(true);
        return;
      }
      if (s.error_code() != grpc::StatusCode::ABORTED || attempt == 3) {
        Fail(absl::StrCat("ReleaseCustomer ", c.id), s, &stats_.releases);
        return;
      }
    }
  }

  void LoadCustomer(Stub& stub, size_t ci) {
    const CustomerSpec& c = data_.customers[ci];
    {
      v1::CreateCustomerResponse resp;
      bool replayed = false;
      grpc::Status s = Call(stub, &Stub::CreateCustomer,
                            salesops::demo::CreateCustomerRequestFor(c), &resp, &replayed);
      if (s.ok() || AlreadyThere(s, salesops::demo::CustomerName(c.id))) {
        stats_.customers.Add(s.ok() && !replayed);
      } else {
        Fail(absl::StrCat("CreateCustomer ", c.id), s, &stats_.customers);
        return;
      }
    }
    // The customer's history in time order, so "last activity" and stage
    // times on the server come out as they happened.
    std::vector<Step> steps;
    for (size_t j = 0; j < c.opportunities.size(); ++j) {
      const OpportunitySpec& o = data_.opportunities[static_cast<size_t>(c.opportunities[j])];
      steps.push_back({o.create_time, Kind::kOpportunity, j, 0});
      for (size_t k = 0; k < o.path.size(); ++k) {
        steps.push_back({o.path[k].time, Kind::kStage, j, k});
      }
      for (size_t a = 0; a < o.activities.size(); ++a) {
        steps.push_back({o.activities[a].occur_time, Kind::kActivity, j, a});
      }
      if (o.has_contract) {
        steps.push_back({o.contract.sign_time, Kind::kContract, j, 0});
      }
    }
    if (c.in_pool) {
      steps.push_back({absl::InfiniteFuture(), Kind::kRelease, 0, 0});
    }
    std::stable_sort(steps.begin(), steps.end(),
                     [](const Step& a, const Step& b) { return a.time < b.time; });

    std::vector<OppState> opps(c.opportunities.size());
    for (const Step& step : steps) {
      if (step.kind == Kind::kRelease) {
        Release(stub, c);
        continue;
      }
      const OpportunitySpec& o =
          data_.opportunities[static_cast<size_t>(c.opportunities[step.opp])];
      OppState& st = opps[step.opp];
      if (step.kind == Kind::kOpportunity) {
        CreateOpportunity(stub, c, o, st);
        continue;
      }
      if (!st.ok) {
        continue;  // its creation failed (reported)
      }
      switch (step.kind) {
        case Kind::kStage:
          ChangeStage(stub, o, step.index, st);
          break;
        case Kind::kActivity:
          LogActivity(stub, c, o, step.index, st);
          break;
        case Kind::kContract:
          Contract(stub, c, o, st);
          break;
        default:
          break;
      }
    }
  }

  const Dataset& data_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::string token_;
  absl::Duration retry_for_;
  int max_errors_;
  std::atomic<size_t> next_{0};
  Stats stats_;
};

void PrintDataset(const Dataset& d) {
  int pool = 0, won = 0, lost = 0, payments = 0;
  for (const CustomerSpec& c : d.customers) {
    pool += c.in_pool;
  }
  for (const OpportunitySpec& o : d.opportunities) {
    won += o.FinalStage() == Stage::kWon;
    lost += o.FinalStage() == Stage::kLost;
  }
  payments = d.paid_instalment_count;
  std::printf(
      "dataset: %zu customers (%d in the public pool), %zu opportunities (%d won, %d lost, %zu "
      "open), %d activities, %d contracts, %d payments\n",
      d.customers.size(), pool, d.opportunities.size(), won, lost,
      d.opportunities.size() - static_cast<size_t>(won + lost), d.activity_count, d.contract_count,
      payments);
}

void PrintSamples(const Dataset& d) {
  for (size_t i = 0; i < std::min<size_t>(3, d.customers.size()); ++i) {
    const CustomerSpec& c = d.customers[i];
    std::printf("  %s %s tax=%s phone=%s %s/%s/%s owner=%s contacts=%zu%s opps=%zu\n", c.id.c_str(),
                c.display_name.c_str(), c.tax_id.c_str(), c.phone.c_str(), c.customer_type.c_str(),
                c.industry.c_str(), c.size.c_str(), c.owner_id.c_str(), c.contacts.size(),
                c.in_pool ? " (pool)" : "", c.opportunities.size());
    for (int oi : c.opportunities) {
      const OpportunitySpec& o = d.opportunities[static_cast<size_t>(oi)];
      std::string path = "LEAD";
      for (const auto& s : o.path) {
        absl::StrAppend(&path, ">", salesops::demo::StageName(s.stage));
      }
      if (o.has_contract) {
        absl::StrAppend(&path, ">(sign)WON");
      }
      std::printf("    %s %s ¥%lld %s %s created %s\n", o.id.c_str(), o.display_name.c_str(),
                  static_cast<long long>(o.FinalAmountMinor() / 100), o.channel.c_str(),
                  path.c_str(),
                  absl::FormatTime("%Y-%m-%d", o.create_time, absl::UTCTimeZone()).c_str());
      for (const ActivitySpec& a : o.activities) {
        std::printf("      %s\n", a.summary.c_str());
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  salesops::ParseFlagsWithEnv(argc, argv, "Loads the SalesOps demo customers and pipeline");
  const salesops::demo::DatasetOptions options{.seed = absl::GetFlag(FLAGS_customers_demo_seed),
                                               .scale = absl::GetFlag(FLAGS_demo_scale),
                                               .now = absl::Now()};
  salesops::ConfigCheck check;
  check.HostPort("customers_addr", absl::GetFlag(FLAGS_customers_addr));
  check.Positive("demo_scale", options.scale);
  check.Positive("concurrency", absl::GetFlag(FLAGS_concurrency));
  if (!absl::GetFlag(FLAGS_dry_run)) {
    check.NonEmpty("jwt_hs256_secret", absl::GetFlag(FLAGS_jwt_hs256_secret));
  }
  check.ExitIfInvalid();

  const absl::Time t0 = absl::Now();
  const Dataset data = salesops::demo::GenerateDataset(salesops::demo::DemoOrganisation(), options);
  PrintDataset(data);
  if (absl::GetFlag(FLAGS_dry_run)) {
    PrintSamples(data);
    return 0;
  }

  auto token =
      salesops::MintJwt({.key = absl::GetFlag(FLAGS_jwt_hs256_secret)},
                        {"demo-loader", salesops::Role::kAdmin, ""}, absl::Hours(1), absl::Now());
  if (!token.ok()) {
    std::fprintf(stderr, "%s\n", std::string(token.status().message()).c_str());
    return 2;
  }
  // A few connections, so the server's threads share the load.
  const std::shared_ptr<grpc::ChannelCredentials> creds =
      salesops::ChannelCredentialsFromFlagsOrDie();
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < 4; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("salesops.demo.channel", i);  // distinct args ⇒ distinct connections
    channels.push_back(grpc::CreateCustomChannel(absl::GetFlag(FLAGS_customers_addr), creds, args));
  }
  Loader loader(data, channels, *token, absl::GetFlag(FLAGS_retry_for),
                absl::GetFlag(FLAGS_max_errors));

  // History is migrated with its real (old) timestamps, so the pool job would
  // release customers between their creation and their later deals. Like a
  // real migration, pause release while loading (reason recorded in the
  // PoolPolicyUpdated event), then set the demo's policy: customers idle for
  // longer than 90 days go to the public pool on the next job run.
  auto set_release_after = [&](int days, const char* reason) {
    auto stub = v1::CustomersService::NewStub(channels[0]);
    for (int attempt = 0; attempt < 50; ++attempt) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + *token);
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      v1::UpdatePoolPolicyRequest req;
      req.mutable_pool_policy()->set_release_after_days(days);
      req.mutable_update_mask()->add_paths("release_after_days");
      req.set_reason(reason);
      v1::UpdatePoolPolicyResponse resp;
      grpc::Status st = stub->UpdatePoolPolicy(&ctx, req, &resp);
      if (st.ok()) {
        return true;
      }
      if (st.error_code() != grpc::StatusCode::UNAVAILABLE &&
          st.error_code() != grpc::StatusCode::ABORTED) {
        std::fprintf(stderr, "UpdatePoolPolicy: %s\n", st.error_message().c_str());
        return false;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    return false;
  };
  if (!set_release_after(3650, "demo migration: pause release to the pool while loading")) {
    return 2;
  }

  absl::Notification done;
  std::thread progress([&] {
    while (!done.WaitForNotificationWithTimeout(absl::Seconds(5))) {
      const auto& s = loader.stats();
      const double secs = absl::ToDoubleSeconds(absl::Now() - t0);
      std::printf("  %lld/%zu customers, %lld calls (%.0f/s), %lld retries, %lld errors\n",
                  static_cast<long long>(s.customers_done.load()), data.customers.size(),
                  static_cast<long long>(s.calls.load()), s.calls.load() / secs,
                  static_cast<long long>(s.retries.load()),
                  static_cast<long long>(s.errors.load()));
      std::fflush(stdout);
    }
  });
  loader.Run(absl::GetFlag(FLAGS_concurrency));
  done.Notify();
  progress.join();
  if (!set_release_after(90, "demo migration done: customers idle for 90 days go to the pool")) {
    return 1;
  }

  const auto& s = loader.stats();
  auto line = [](const char* what, const Counter& c) {
    std::printf("  %-16s %7lld created, %7lld already there, %5lld changed by a user (kept)\n",
                what, static_cast<long long>(c.created.load()),
                static_cast<long long>(c.existing.load()),
                static_cast<long long>(c.conflicts.load()));
  };
  std::printf(
      "demo customers loaded in %.1f s (%lld calls, %lld retries, %lld conflicts kept, %lld "
      "errors):\n",
      absl::ToDoubleSeconds(absl::Now() - t0), static_cast<long long>(s.calls.load()),
      static_cast<long long>(s.retries.load()), static_cast<long long>(s.conflicts.load()),
      static_cast<long long>(s.errors.load()));
  line("customers", s.customers);
  line("opportunities", s.opportunities);
  line("stage changes", s.stage_changes);
  line("activities", s.activities);
  line("contracts", s.contracts);
  line("signatures", s.signatures);
  line("payments", s.payments);
  line("pool releases", s.releases);
  if (s.customers_done.load() < static_cast<int64_t>(data.customers.size())) {
    std::printf("stopped after %lld errors: %lld of %zu customers were not attempted\n",
                static_cast<long long>(s.errors.load()),
                static_cast<long long>(data.customers.size()) - s.customers_done.load(),
                data.customers.size());
  }
  // 0: loaded (a user's changes kept); 2: the service could not be reached;
  // 1: it answered with errors the loader did not expect (printed above).
  if (s.unreachable.load() > 0) {
    return 2;
  }
  return s.errors.load() == 0 ? 0 : 1;
}
