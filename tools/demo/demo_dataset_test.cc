// The demo dataset is what `make run` loads and what the customers benchmark
// drives, so it must be reproducible (same seed ⇒ same data, also when loaded
// again later: only the times move with `now`), consistent with the service's
// rules (unique tax ids and phones, schedules that sum to the amount, history
// in order and in the past), and about the size the issue asks for.
#include "tools/demo/demo_dataset.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace salesops::demo {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'795'000'000);  // 2026-11-18

// Everything but the absolute times (those are offsets from `now`).
std::string Shape(const Dataset& d, absl::Time now) {
  std::string s;
  auto ago = [&](absl::Time t) { return absl::StrCat(absl::ToInt64Seconds(now - t), ";"); };
  for (const CustomerSpec& c : d.customers) {
    absl::StrAppend(&s, c.id, c.display_name, c.tax_id, c.phone, c.address, c.customer_type,
                    c.industry, c.size, c.source, c.region_id, c.owner_id, c.team_id, c.in_pool,
                    ago(c.create_time));
    for (const auto& [k, v] : c.labels) {
      absl::StrAppend(&s, k, "=", v, ";");
    }
    for (const ContactSpec& ct : c.contacts) {
      absl::StrAppend(&s, ct.contact_id, ct.display_name, ct.title, ct.phone, ct.email,
                      ct.wechat_id, ct.primary, ";");
    }
  }
  for (const OpportunitySpec& o : d.opportunities) {
    absl::StrAppend(&s, o.id, o.customer, o.display_name, o.product_line_id, o.channel, o.owner_id,
                    o.amount_minor, o.next_step, ago(o.create_time), o.has_contract);
    for (const StageStep& st : o.path) {
      absl::StrAppend(&s, static_cast<int>(st.stage), ago(st.time), st.amount_minor, st.reason,
                      st.lost_to_competitor);
    }
    for (const ActivitySpec& a : o.activities) {
      absl::StrAppend(&s, a.id, static_cast<int>(a.kind), static_cast<int>(a.outcome), a.summary,
                      ago(a.occur_time), a.duration_minutes, a.contact_id, a.location);
    }
    if (o.has_contract) {
      absl::StrAppend(&s, o.contract.id, o.contract.title, o.contract.amount_minor,
                      ago(o.contract.sign_time));
      for (const InstalmentSpec& in : o.contract.instalments) {
        absl::StrAppend(&s, in.instalment_id, in.amount_minor, ";");
      }
    }
  }
  return s;
}

std::string DateText(const Date& d) { return absl::StrCat(d.year, "-", d.month, "-", d.day); }

TEST(SplitMix64Test, KnownSequenceOnEveryPlatform) {
  // Reference values of splitmix64 seeded with 0 (Vigna's reference code).
  SplitMix64 rng(0);
  EXPECT_EQ(rng.Next(), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(rng.Next(), 0x6E789E6AA1B965F4ULL);
  EXPECT_EQ(rng.Next(), 0x06C45D188009454FULL);
}

TEST(DemoDatasetTest, SameSeedGivesIdenticalData) {
  const DatasetOptions options{.seed = kDemoSeed, .scale = 0.2, .now = kNow};
  const Dataset a = GenerateDataset(DemoOrganisation(), options);
  const Dataset b = GenerateDataset(DemoOrganisation(), options);
  EXPECT_EQ(Shape(a, kNow), Shape(b, kNow));
}

TEST(DemoDatasetTest, LaterNowOnlyShiftsTimesSoReloadingLaterIsIdempotent) {
  const absl::Time later = kNow + absl::Hours(24 * 40) + absl::Minutes(17);
  const Dataset a = GenerateDataset(DemoOrganisation(), {.scale = 0.2, .now = kNow});
  const Dataset b = GenerateDataset(DemoOrganisation(), {.scale = 0.2, .now = later});
  EXPECT_EQ(Shape(a, kNow), Shape(b, later));
}

TEST(DemoDatasetTest, OtherSeedGivesOtherData) {
  const Dataset a = GenerateDataset(DemoOrganisation(), {.seed = 1, .scale = 0.05, .now = kNow});
  const Dataset b = GenerateDataset(DemoOrganisation(), {.seed = 2, .scale = 0.05, .now = kNow});
  EXPECT_NE(a.customers[0].tax_id, b.customers[0].tax_id);
}

TEST(DemoDatasetTest, FullSizeHasTheIssuesCountsAndMix) {
  const Dataset d = GenerateDataset(DemoOrganisation(), {.now = kNow});
  ASSERT_EQ(d.customers.size(), 5000u);
  ASSERT_EQ(d.opportunities.size(), 20000u);
  int pool = 0, won = 0, lost = 0, government = 0;
  for (const CustomerSpec& c : d.customers) {
    pool += c.in_pool;
    government += c.customer_type == "government";
    if (c.in_pool) {
      EXPECT_TRUE(c.opportunities.empty()) << c.id;
    }
  }
  for (const OpportunitySpec& o : d.opportunities) {
    won += o.FinalStage() == Stage::kWon;
    lost += o.FinalStage() == Stage::kLost;
  }
  EXPECT_NEAR(pool, 400, 80);
  EXPECT_NEAR(government, 500, 100);
  EXPECT_NEAR(won, 7000, 400);
  EXPECT_NEAR(lost, 5000, 400);
  EXPECT_GE(d.activity_count, 20000);
  EXPECT_LE(d.activity_count, 40000);
  EXPECT_GT(d.contract_count, 2500);
  EXPECT_LT(d.contract_count, 4500);
  EXPECT_EQ(d.customers[0].id, "demo-c-00001");
  EXPECT_EQ(d.opportunities[0].id, "demo-o-000001");
}

TEST(DemoDatasetTest, ScaleShrinksTheSet) {
  const Dataset d = GenerateDataset(DemoOrganisation(), {.scale = 0.01, .now = kNow});
  EXPECT_EQ(d.customers.size(), 50u);
  EXPECT_EQ(d.opportunities.size(), 200u);
}

TEST(DemoDatasetTest, TaxIdsPhonesAndNamesAreUniqueAndWellFormed) {
  const Dataset d = GenerateDataset(DemoOrganisation(), {.now = kNow});
  std::set<std::string> tax_ids, phones, names;
  for (const CustomerSpec& c : d.customers) {
    EXPECT_TRUE(tax_ids.insert(c.tax_id).second) << c.tax_id;
    EXPECT_TRUE(phones.insert(c.phone).second) << c.phone;
    EXPECT_TRUE(names.insert(c.display_name).second) << c.display_name;
    ASSERT_EQ(c.tax_id.size(), 18u) << c.tax_id;
    // Check character of GB 32100-2015.
    const std::string chars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    const int weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    int sum = 0;
    for (int i = 0; i < 17; ++i) {
      ASSERT_NE(chars.find(c.tax_id[i]), std::string::npos) << c.tax_id;
      sum += static_cast<int>(chars.find(c.tax_id[i])) * weights[i];
    }
    EXPECT_EQ(c.tax_id[17], chars[(31 - sum % 31) % 31]) << c.tax_id;
    EXPECT_FALSE(c.owner_id.empty());
    ASSERT_FALSE(c.contacts.empty());
    EXPECT_TRUE(c.contacts[0].primary);
    for (const ContactSpec& ct : c.contacts) {
      EXPECT_EQ(ct.phone.size(), 11u);
      EXPECT_FALSE(ct.display_name.empty());
    }
  }
}

TEST(DemoDatasetTest, SchedulesSumExactlyAndPaymentsAreInThePast) {
  const Dataset d = GenerateDataset(DemoOrganisation(), {.now = kNow});
  const Date yesterday = ChinaDate(kNow - absl::Hours(24));
  int contracts = 0, paid = 0, instalments = 0;
  for (const OpportunitySpec& o : d.opportunities) {
    if (!o.has_contract) {
      continue;
    }
    ++contracts;
    const ContractSpec& k = o.contract;
    EXPECT_EQ(k.amount_minor, o.FinalAmountMinor());
    EXPECT_LE(k.sign_date, yesterday);
    EXPECT_GE(k.sign_time, kNow - absl::Hours(24 * 365));
    EXPECT_LE(k.sign_date, k.start_date);
    EXPECT_LT(k.start_date, k.end_date);
    ASSERT_GE(k.instalments.size(), 1u);
    ASSERT_LE(k.instalments.size(), 3u);
    int64_t sum = 0;
    for (size_t i = 0; i < k.instalments.size(); ++i) {
      const InstalmentSpec& in = k.instalments[i];
      EXPECT_GT(in.amount_minor, 0);
      sum += in.amount_minor;
      if (i > 0) {
        EXPECT_LT(k.instalments[i - 1].due_date, in.due_date);
      }
      ++instalments;
      if (in.paid) {
        ++paid;
        EXPECT_LE(in.received_date, yesterday) << DateText(in.received_date);
        EXPECT_GE(in.received_date, k.sign_date) << DateText(in.received_date);
      }
    }
    EXPECT_EQ(sum, k.amount_minor) << k.id;
    // Contract deals stop at CONTRACT; SignContract makes them WON.
    ASSERT_FALSE(o.path.empty());
    EXPECT_EQ(o.path.back().stage, Stage::kContract);
    EXPECT_LT(o.path.back().time, k.sign_time);
  }
  EXPECT_GT(contracts, 0);
  EXPECT_GT(paid * 2, instalments) << "most instalments are paid";
  EXPECT_EQ(paid, d.paid_instalment_count);
}

TEST(DemoDatasetTest, HistoryIsOrderedAllowedAndNotInTheFuture) {
  const Dataset d = GenerateDataset(DemoOrganisation(), {.now = kNow});
  const absl::Time window_start = kNow - absl::Hours(24 * 7 * 13 * 8);
  for (const OpportunitySpec& o : d.opportunities) {
    const CustomerSpec& c = d.customers[static_cast<size_t>(o.customer)];
    EXPECT_LT(c.create_time, o.create_time) << o.id;
    EXPECT_GE(o.create_time, window_start) << o.id;
    EXPECT_EQ(o.owner_id, c.owner_id);
    EXPECT_GE(o.amount_minor, 5'000'000);    // 5万 yuan
    EXPECT_LE(o.amount_minor, 200'000'000);  // 200万 yuan
    EXPECT_EQ(o.amount_minor % 100, 0);
    absl::Time prev = o.create_time;
    Stage prev_stage = Stage::kLead;
    for (const StageStep& s : o.path) {
      EXPECT_LT(prev, s.time) << o.id;
      // Forward one step at a time, or from any open stage to LOST.
      if (s.stage == Stage::kLost) {
        EXPECT_FALSE(s.reason.empty());
      } else {
        EXPECT_EQ(static_cast<int>(s.stage), static_cast<int>(prev_stage) + 1) << o.id;
      }
      EXPECT_NE(prev_stage, Stage::kWon);
      EXPECT_NE(prev_stage, Stage::kLost);
      prev = s.time;
      prev_stage = s.stage;
    }
    EXPECT_LT(prev, kNow);
    ASSERT_GE(o.activities.size(), 1u);
    ASSERT_LE(o.activities.size(), 2u);
    for (const ActivitySpec& a : o.activities) {
      EXPECT_GT(a.occur_time, o.create_time) << a.id;
      EXPECT_LT(a.occur_time, std::min(o.CloseTime(), kNow)) << a.id;
      EXPECT_FALSE(a.summary.empty());
    }
  }
  for (const CustomerSpec& c : d.customers) {
    EXPECT_LT(c.create_time, kNow);
    for (size_t i = 1; i < c.opportunities.size(); ++i) {
      EXPECT_LE(d.opportunities[static_cast<size_t>(c.opportunities[i - 1])].create_time,
                d.opportunities[static_cast<size_t>(c.opportunities[i])].create_time);
    }
  }
}

}  // namespace
}  // namespace salesops::demo
