// A forecast service in memory for unit tests of the engine, the projection,
// the jobs and the API: InMemoryForecastRepository, an InMemoryOrgView with a
// small org (company acme → region east → teams t1 and t2, region west → team
// t3; reps r1, r2 in t1, r3 in t2, r4 in t3; supervisors s1 (t1), s2 (t2);
// manager mgr (east); director dir), a FakeClock, and builders for the
// customers and targets events the projection consumes. Header-only; tests only.
//
//   ForecastTestWorld w;                     // business day 2026-11-10 (FY2026-Q4)
//   ASSERT_TRUE(w.Apply(w.Created("o-1", "r1", "pl-a", 1000'00, Stage::kNegotiation)).ok());
//   ASSERT_TRUE(w.Apply(w.Won("o-1", 1000'00)).ok());
//   v1::Forecast team = w.Forecast("FY2026-Q4", {"t1", "", ""}, Category::kPipeline);
#pragma once

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/events/cloud_event.h"
#include "common/time/clock.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/targets/v1/targets_events.pb.h"
#include "services/forecast/engine/forecast_engine.h"
#include "services/forecast/events/forecast_projection.h"
#include "services/forecast/jobs/forecast_jobs.h"
#include "services/forecast/store/in_memory_forecast_repository.h"

namespace salesops::forecast::testing {

namespace cv1 = ::salesops::customers::v1;
namespace tv1 = ::salesops::targets::v1;

inline absl::TimeZone Shanghai() { return absl::FixedTimeZone(8 * 3600); }
inline absl::Time At(absl::CivilDay day) {
  return absl::FromCivil(day, Shanghai()) + absl::Hours(10);
}

struct ForecastTestWorld {
  ForecastTestWorld() : clock(At(absl::CivilDay(2026, 11, 10))) {
    org.AddUnit("acme", kKindCompany, "");
    org.AddUnit("east", kKindRegion, "acme");
    org.AddUnit("west", kKindRegion, "acme");
    org.AddUnit("t1", kKindTeam, "east");
    org.AddUnit("t2", kKindTeam, "east");
    org.AddUnit("t3", kKindTeam, "west");
    org.AddUnit("pl-a", kKindProductLine, "acme");
    org.AddUnit("pl-b", kKindProductLine, "acme");
    org.AddMember("r1", "t1", 1);
    org.AddMember("r2", "t1", 1);
    org.AddMember("s1", "t1", 2);
    org.AddMember("r3", "t2", 1);
    org.AddMember("s2", "t2", 2);
    org.AddMember("r4", "t3", 1);
    org.AddMember("mgr", "east", 3);
    org.AddMember("dir", "acme", 4);
    options.stats_refresh = absl::ZeroDuration();
    options.min_sample = 5;
  }

  absl::Status Apply(const CloudEvent& e) { return projection.Handle(e); }

  template <typename M>
  CloudEvent Event(const std::string& source, const std::string& key, const M& m,
                   std::optional<absl::Time> at = std::nullopt) {
    return MakeCloudEvent(source, key, key, m, at.value_or(clock.Now()));
  }

  std::string TeamOf(const std::string& rep) {
    absl::StatusOr<std::optional<OrgMember>> m = org.Member(rep);
    return m.ok() && *m ? (*m)->team : "";
  }

  CloudEvent Created(const std::string& opp, const std::string& rep, const std::string& line,
                     int64_t amount, Stage stage = Stage::kLead,
                     std::optional<absl::CivilDay> expected = std::nullopt,
                     std::optional<absl::Time> at = std::nullopt) {
    cv1::OpportunityCreated e;
    e.set_opportunity("opportunities/" + opp);
    e.set_owner("members/" + rep);
    e.set_team("orgUnits/" + TeamOf(rep));
    e.set_product_line("orgUnits/" + line);
    e.set_stage(static_cast<cv1::OpportunityStage>(static_cast<int>(stage)));
    e.mutable_amount()->set_amount_minor(amount);
    e.mutable_amount()->set_currency_code("CNY");
    if (expected) {
      *e.mutable_expected_close_date() = ToDate(*expected);
    }
    deals[opp] = {rep, line, amount};
    return Event("/salesops/customers", "c-" + opp, e, at);
  }

  CloudEvent Moved(const std::string& opp, Stage to, std::optional<absl::Time> at = std::nullopt) {
    const DealFacts& f = deals[opp];
    cv1::OpportunityStageChanged e;
    e.set_opportunity("opportunities/" + opp);
    e.set_owner("members/" + f.rep);
    e.set_team("orgUnits/" + TeamOf(f.rep));
    e.set_product_line("orgUnits/" + f.line);
    e.set_to_stage(static_cast<cv1::OpportunityStage>(static_cast<int>(to)));
    e.mutable_amount()->set_amount_minor(f.amount);
    e.mutable_amount()->set_currency_code("CNY");
    return Event("/salesops/customers", "c-" + opp, e, at);
  }

  CloudEvent Won(const std::string& opp, std::optional<absl::CivilDay> day = std::nullopt) {
    const DealFacts& f = deals[opp];
    cv1::OpportunityWon e;
    e.set_opportunity("opportunities/" + opp);
    e.set_owner("members/" + f.rep);
    e.set_team("orgUnits/" + TeamOf(f.rep));
    e.set_product_line("orgUnits/" + f.line);
    e.mutable_amount()->set_amount_minor(f.amount);
    e.mutable_amount()->set_currency_code("CNY");
    const absl::CivilDay d = day.value_or(absl::ToCivilDay(clock.Now(), Shanghai()));
    *e.mutable_won_date() = ToDate(d);
    return Event("/salesops/customers", "c-" + opp, e, At(d));
  }

  CloudEvent Lost(const std::string& opp, std::optional<absl::CivilDay> day = std::nullopt) {
    const DealFacts& f = deals[opp];
    cv1::OpportunityLost e;
    e.set_opportunity("opportunities/" + opp);
    e.set_owner("members/" + f.rep);
    e.set_team("orgUnits/" + TeamOf(f.rep));
    e.set_product_line("orgUnits/" + f.line);
    e.mutable_amount()->set_amount_minor(f.amount);
    const absl::Time t = At(day.value_or(absl::ToCivilDay(clock.Now(), Shanghai())));
    *e.mutable_close_time() = ToTsForTest(t);
    return Event("/salesops/customers", "c-" + opp, e, t);
  }

  CloudEvent Quarter(const std::string& id, absl::CivilDay start, absl::CivilDay end) {
    tv1::FiscalPeriodCreated e;
    tv1::FiscalPeriod* p = e.mutable_fiscal_period();
    p->set_name("fiscalPeriods/" + id);
    p->set_kind(tv1::FISCAL_PERIOD_KIND_QUARTER);
    *p->mutable_start_date() = ToDate(start);
    *p->mutable_end_date() = ToDate(end);
    return Event("/salesops/targets", id, e);
  }

  // A roll-up target: level TEAM/REGION/COMPANY for a unit, REP for a member.
  CloudEvent Target(const std::string& period, tv1::AttainmentLevel level, const std::string& who,
                    int64_t target) {
    tv1::AttainmentUpdated e;
    e.set_plan("plans/p-1");
    e.set_period("fiscalPeriods/" + period);
    e.set_level(level);
    if (level == tv1::ATTAINMENT_LEVEL_REP) {
      e.set_subject("members/" + who);
      e.set_rep("members/" + who);
      e.set_team("orgUnits/" + TeamOf(who));
    } else {
      e.set_subject("orgUnits/" + who);
    }
    e.mutable_target()->set_amount_minor(target);
    e.mutable_target()->set_currency_code("CNY");
    return Event("/salesops/targets", "p-1", e);
  }

  std::optional<v1::Forecast> Forecast(const std::string& period, const ScopeId& scope,
                                       Category category) {
    absl::StatusOr<std::optional<Doc>> d =
        repo.GetDoc(DocKind::kForecast, ForecastId(period, scope, category));
    if (!d.ok() || !*d) {
      return std::nullopt;
    }
    v1::Forecast f;
    if (!f.ParseFromString((*d)->data)) {
      return std::nullopt;
    }
    return f;
  }
  int64_t Amount(const std::string& period, const ScopeId& scope, Category category) {
    std::optional<v1::Forecast> f = Forecast(period, scope, category);
    return f ? f->amount().amount_minor() : -1;
  }
  std::vector<CloudEvent> EventsOfType(absl::string_view type) {
    std::vector<CloudEvent> out;
    for (const CloudEvent& e : repo.events()) {
      if (e.type == type) {
        out.push_back(e);
      }
    }
    return out;
  }

  static google::protobuf::Timestamp ToTsForTest(absl::Time t) {
    google::protobuf::Timestamp ts;
    ts.set_seconds(absl::ToUnixSeconds(t));
    return ts;
  }

  struct DealFacts {
    std::string rep, line;
    int64_t amount = 0;
  };
  std::map<std::string, DealFacts> deals;

  FakeClock clock;
  InMemoryForecastRepository repo;
  InMemoryOrgView org;
  EngineOptions options;
  StatsCache stats{repo, clock, options};
  ForecastEngine engine{repo, org, stats, options};
  ForecastProjection projection{repo, engine, clock};
  ForecastJobs jobs{repo, engine, stats, clock, JobOptions{}};
};

}  // namespace salesops::forecast::testing
