// The demo customers dataset: ~5,000 customers (Chinese company names, unique
// unified social credit codes and phones, contacts, tags; ~8% in the public
// pool) and ~20,000 opportunities over the last 8 quarters with their stage
// paths, activities, and — for deals won in the last 4 quarters — contracts
// with payment schedules. Generated from a fixed seed with its own PRNG and
// integer arithmetic only, so it is identical on every platform; every time is
// an offset before `now`, so the shape depends on the seed and scale alone.
//
// Plain structs, no protos: demo_loader (make run) turns them into
// CustomersService calls, and the customers benchmark uses them at small scale.
//
//   DatasetOptions options{.seed = kDemoSeed, .scale = 1.0, .now = absl::Now()};
//   Dataset data = GenerateDataset(DemoOrganisation(), options);
//   for (const CustomerSpec& c : data.customers) …   // c.opportunities index data.opportunities
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tools/demo/demo_org.h"

namespace salesops::demo {

inline constexpr uint64_t kDemoSeed = 20261127;

// Full-size counts (scale 1.0).
inline constexpr int kDemoCustomers = 5000;
inline constexpr int kDemoOpportunities = 20000;

// splitmix64: tiny, fast, and the same sequence everywhere (unlike the
// std::*_distribution adaptors, whose output is implementation-defined).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n);
  // Uniform in [lo, hi], both inclusive.
  int64_t Between(int64_t lo, int64_t hi);
  // True with probability percent/100.
  bool Percent(int percent) { return Below(100) < static_cast<uint64_t>(percent); }
  // Index drawn with the given integer weights (not all zero).
  size_t Weighted(const std::vector<int>& weights);

 private:
  uint64_t state_;
};

// Values match salesops.customers.v1.OpportunityStage.
enum class Stage { kLead = 1, kQualified, kProposal, kNegotiation, kContract, kWon, kLost };
// Values match salesops.customers.v1.ActivityKind / ActivityOutcome.
enum class ActivityKind { kVisit = 1, kCall, kMeeting, kEmail };
enum class ActivityOutcome { kPositive = 1, kNeutral, kNegative, kNoContact };

// A calendar date in China (UTC+8, no daylight saving).
struct Date {
  int year = 0;
  int month = 0;
  int day = 0;
  friend bool operator==(const Date&, const Date&) = default;
  friend auto operator<=>(const Date&, const Date&) = default;
};
Date ChinaDate(absl::Time t);

struct ContactSpec {
  std::string contact_id;  // "ct-1", stable within the customer
  std::string display_name;
  std::string title;
  std::string phone;  // mobile
  std::string email;
  std::string wechat_id;
  bool primary = false;
};

struct CustomerSpec {
  std::string id;            // "demo-c-00001"
  std::string display_name;  // "杭州恒通科技有限公司"
  std::string short_name;    // "杭州恒通", used in opportunity and contract titles
  std::string tax_id;        // 18-char unified social credit code, unique
  std::string phone;         // landline "0571-86123456", unique
  std::string address;
  std::string customer_type;  // enterprise, smb, government
  std::string industry, size, source;
  std::string region_id;                                    // org unit id, e.g. "region-east"
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by key
  std::vector<ContactSpec> contacts;                        // the first is primary
  // Always a rep (the owner at creation). in_pool: released to the public
  // pool afterwards (the loader calls ReleaseCustomer); such customers have
  // no opportunities.
  std::string owner_id;
  std::string team_id;
  bool in_pool = false;
  absl::Time create_time;
  std::vector<int> opportunities;  // indices into Dataset::opportunities, by create_time
};

// One planned ChangeOpportunityStage.
struct StageStep {
  Stage stage = Stage::kQualified;
  absl::Time time;
  int64_t amount_minor = 0;  // new amount applied with this change; 0 = unchanged
  std::string reason;        // required for kLost
  std::string lost_to_competitor;
};

struct ActivitySpec {
  std::string id;  // "demo-a-0000001": the loader's request_id
  ActivityKind kind = ActivityKind::kCall;
  ActivityOutcome outcome = ActivityOutcome::kNeutral;
  std::string summary;
  absl::Time occur_time;
  int duration_minutes = 0;
  std::string contact_id;
  std::string location;  // visits only
};

struct InstalmentSpec {
  std::string instalment_id;  // "1", "2", "3"
  Date due_date;
  int64_t amount_minor = 0;
  bool paid = false;
  Date received_date;  // when paid; never after today
};

struct ContractSpec {
  std::string id;               // "demo-k-000001"
  std::string contract_number;  // "HT2026000001"
  std::string title;
  int64_t amount_minor = 0;  // == the opportunity's final amount
  absl::Time sign_time;      // the opportunity's close; sign_date is its China date
  Date sign_date, start_date, end_date;
  std::vector<InstalmentSpec> instalments;  // by due date; amounts sum to amount_minor
};

struct OpportunitySpec {
  std::string id;    // "demo-o-000001"
  int customer = 0;  // index into Dataset::customers
  std::string display_name;
  std::string product_line_id;  // org unit id, e.g. "pl-cloud"
  std::string channel;          // direct, partner, online
  std::string owner_id;         // the customer's owner
  int64_t amount_minor = 0;     // at creation, CNY fen
  Date expected_close_date;
  std::string next_step;
  absl::Time create_time;  // stage LEAD from here
  // Changes after LEAD, strictly later than create_time and each other, all
  // before now. Ends at kWon, kLost, an open stage, or — when `has_contract` —
  // at kContract: SignContract then makes it WON at contract.sign_time.
  std::vector<StageStep> path;
  bool has_contract = false;
  ContractSpec contract;
  std::vector<ActivitySpec> activities;  // by occur_time

  Stage FinalStage() const;
  int64_t FinalAmountMinor() const;
  // When it was WON or LOST; InfiniteFuture() while open.
  absl::Time CloseTime() const;
};

struct DatasetOptions {
  uint64_t seed = kDemoSeed;
  // Fraction of the full-size counts (1.0 = 5,000 customers, 20,000 opportunities).
  double scale = 1.0;
  absl::Time now = absl::UnixEpoch();
  // Prefix of every id ("demo" → "demo-c-00001"), so benchmarks can make fresh sets.
  std::string id_prefix = "demo";
};

struct Dataset {
  std::vector<CustomerSpec> customers;
  std::vector<OpportunitySpec> opportunities;
  int activity_count = 0;
  int contract_count = 0;
  int paid_instalment_count = 0;
};

// Deterministic: the same options give the same dataset.
Dataset GenerateDataset(const DemoOrg& org, const DatasetOptions& options);

// Stage name as in the proto enum suffix, e.g. "QUALIFIED" (for messages).
const char* StageName(Stage stage);

}  // namespace salesops::demo
