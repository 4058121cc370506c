// Who sees which event on the live stream: the per-family scope readers
// (every event type of every linked family is classified on purpose), scope
// resolution through the org, and MaySee for each role.
#include "services/gateway/domain/event_scope.h"

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "salesops/forecast/v1/forecast_events.pb.h"
#include "salesops/org/v1/org_events.pb.h"
#include "salesops/targets/v1/targets_events.pb.h"
#include "salesops/warning/v1/warning_events.pb.h"

namespace salesops::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
namespace cv1 = salesops::customers::v1;

const Viewer kRep1{Role::kRep, "rep1", "t1", "r1"};
const Viewer kRep2{Role::kRep, "rep2", "t1", "r1"};
const Viewer kSup1{Role::kSupervisor, "sup1", "t1", "r1"};
const Viewer kSup2{Role::kSupervisor, "sup2", "t2", "r1"};
const Viewer kSup3{Role::kSupervisor, "sup3", "t3", "r2"};
const Viewer kMgr1{Role::kManager, "mgr1", "r1", "r1"};
const Viewer kMgr2{Role::kManager, "mgr2", "r2", "r2"};
const Viewer kDirector{Role::kDirector, "dir", "co", ""};
const Viewer kAdmin{Role::kAdmin, "admin", "", ""};

// Who of the cast above may see an event of `scope`.
std::set<std::string> Audience(const EventScope& scope) {
  std::set<std::string> out;
  for (const Viewer* v :
       {&kRep1, &kRep2, &kSup1, &kSup2, &kSup3, &kMgr1, &kMgr2, &kDirector, &kAdmin}) {
    if (MaySee(*v, scope)) {
      out.insert(v->member_id);
    }
  }
  return out;
}

// The org of the cast: teams t1, t2 in region r1, t3 in r2.
class FakeOrg final : public OrgView {
 public:
  std::string TeamOf(const std::string& m) override {
    static const std::map<std::string, std::string> teams = {
        {"rep1", "t1"}, {"rep2", "t1"}, {"sup1", "t1"}, {"rep3", "t3"}};
    auto it = teams.find(m);
    return it == teams.end() ? "" : it->second;
  }
  std::string RegionOf(const std::string& u) override {
    static const std::map<std::string, std::string> regions = {
        {"t1", "r1"}, {"t2", "r1"}, {"t3", "r2"}, {"r1", "r1"}, {"r2", "r2"}};
    auto it = regions.find(u);
    return it == regions.end() ? "" : it->second;
  }
};

EventScope Resolved(const Message& event) {
  FakeOrg org;
  EventScope s = ScopeOfEvent(event);
  ResolveScope(org, &s);
  return s;
}

cv1::OpportunityWon Won(const std::string& owner, const std::string& team,
                        const std::string& region) {
  cv1::OpportunityWon e;
  e.set_opportunity("opportunities/o-1");
  e.set_customer("customers/c-1");
  e.set_owner("members/" + owner);
  e.set_team("orgUnits/" + team);
  e.set_region("orgUnits/" + region);
  e.set_product_line("orgUnits/pl-1");
  e.mutable_actor()->set_member_id("someone-else");
  e.mutable_actor()->set_org_unit_id("t9");
  return e;
}

TEST(EventScopeTest, ADealEventNamesItsOwnerTeamAndRegionButNotItsProductLineOrActor) {
  EventScope s = ScopeOfEvent(Won("rep1", "t1", "r1"));
  EXPECT_THAT(s.members, ElementsAre("rep1"));
  EXPECT_THAT(s.units, ElementsAre("t1"));
  EXPECT_THAT(s.regions, ElementsAre("r1"));
  EXPECT_EQ(s.min_role, Role::kRep);
}

TEST(EventScopeTest, ADealIsSeenByItsOwnerTheTeamsSupervisorTheRegionsManagerAndAbove) {
  EXPECT_THAT(Audience(Resolved(Won("rep1", "t1", "r1"))),
              UnorderedElementsAre("rep1", "sup1", "mgr1", "dir", "admin"));
}

TEST(EventScopeTest, AnotherTeamsDealIsNotSeenByThisTeam) {
  EXPECT_THAT(Audience(Resolved(Won("rep3", "t3", "r2"))),
              UnorderedElementsAre("sup3", "mgr2", "dir", "admin"));
}

TEST(EventScopeTest, AHandOverIsSeenOnBothSides) {
  cv1::CustomerHandedOver e;
  e.set_customer("customers/c-1");
  e.set_from_owner("members/rep1");
  e.set_from_team("orgUnits/t1");
  e.set_to_owner("members/rep3");
  e.set_to_team("orgUnits/t3");
  EXPECT_THAT(Audience(Resolved(e)),
              UnorderedElementsAre("rep1", "sup1", "sup3", "mgr1", "mgr2", "dir", "admin"));
}

TEST(EventScopeTest, AnUpdatedCustomerIsSeenByItsPreviousOwnerToo) {
  cv1::CustomerUpdated e;
  e.mutable_customer()->set_owner("members/rep3");
  e.mutable_customer()->set_team("orgUnits/t3");
  e.mutable_previous()->set_owner("members/rep1");
  e.mutable_previous()->set_team("orgUnits/t1");
  EventScope s = ScopeOfEvent(e);
  EXPECT_THAT(s.members, UnorderedElementsAre("rep3", "rep1"));
  EXPECT_THAT(s.units, UnorderedElementsAre("t3", "t1"));
}

TEST(EventScopeTest, PoliciesAreCompanyWide) {
  cv1::TierPolicyUpdated e;
  e.mutable_actor()->set_member_id("admin");
  EXPECT_TRUE(ScopeOfEvent(e).company_wide());
  EXPECT_THAT(Audience(Resolved(e)), UnorderedElementsAre("dir", "admin"));
}

TEST(EventScopeTest, RepAttainmentIsTheRepsTeamAttainmentIsNotTheRepsCompanyAttainmentIsDirectors) {
  namespace tv1 = salesops::targets::v1;
  tv1::AttainmentUpdated rep;
  rep.set_subject("members/rep1");
  rep.set_rep("members/rep1");
  rep.set_team("orgUnits/t1");
  rep.set_region("orgUnits/r1");
  EXPECT_THAT(Audience(Resolved(rep)),
              UnorderedElementsAre("rep1", "sup1", "mgr1", "dir", "admin"));
  tv1::AttainmentUpdated team;
  team.set_subject("orgUnits/t1");
  team.set_team("orgUnits/t1");
  team.set_region("orgUnits/r1");
  EXPECT_THAT(Audience(Resolved(team)), UnorderedElementsAre("sup1", "mgr1", "dir", "admin"));
  tv1::AttainmentUpdated region;
  region.set_subject("orgUnits/r1");
  region.set_region("orgUnits/r1");
  EXPECT_THAT(Audience(Resolved(region)), UnorderedElementsAre("mgr1", "dir", "admin"));
  tv1::AttainmentUpdated company;
  company.set_subject("orgUnits/co");
  EXPECT_THAT(Audience(Resolved(company)), UnorderedElementsAre("dir", "admin"));
}

TEST(EventScopeTest, APublishedPlanDoesNotShowOneTeamsTargetsToAnother) {
  namespace tv1 = salesops::targets::v1;
  tv1::PlanPublished e;
  e.set_superseded_plan("plans/p-0");
  const Descriptor* cell = tv1::AllocationCell::descriptor();
  // Whatever a cell names (teams, reps), the plan stays company-wide.
  for (int i = 0; i < 2; ++i) {
    tv1::AllocationCell* c = e.add_cells();
    for (int f = 0; f < cell->field_count(); ++f) {
      const FieldDescriptor* fd = cell->field(f);
      if (fd->cpp_type() == FieldDescriptor::CPPTYPE_STRING && !fd->is_repeated()) {
        c->GetReflection()->SetString(c, fd, i == 0 ? "orgUnits/t1" : "members/rep3");
      }
    }
  }
  EXPECT_TRUE(ScopeOfEvent(e).company_wide());
}

TEST(EventScopeTest, AWarningGoesToItsRepSupervisorTeamAndRegionNotToWhatItsFactsQuote) {
  namespace wv1 = salesops::warning::v1;
  wv1::WarningRaised e;
  wv1::Warning* w = e.mutable_warning();
  w->set_subject("opportunities/o-1");
  w->set_org_unit("orgUnits/t1");
  w->set_responsible_supervisor("members/sup1");
  w->set_rep("members/rep1");
  w->set_acknowledged_by("members/rep3");
  EventScope s = ScopeOfEvent(e);
  EXPECT_THAT(s.members, UnorderedElementsAre("rep1", "sup1"));
  EXPECT_THAT(s.units, ElementsAre("t1"));
  EXPECT_THAT(Audience(Resolved(e)), UnorderedElementsAre("rep1", "sup1", "mgr1", "dir", "admin"));
}

TEST(EventScopeTest, ARegionWarningIsTheManagersNotTheSupervisors) {
  namespace wv1 = salesops::warning::v1;
  wv1::WarningRaised e;
  e.mutable_warning()->set_subject("orgUnits/r1");
  e.mutable_warning()->set_org_unit("orgUnits/r1");
  e.mutable_warning()->set_responsible_supervisor("members/mgr1");
  EXPECT_THAT(Audience(Resolved(e)), UnorderedElementsAre("mgr1", "dir", "admin"));
}

TEST(EventScopeTest, RulesAreCompanyWide) {
  EXPECT_TRUE(ScopeOfEvent(salesops::warning::v1::RuleCreated()).company_wide());
}

TEST(EventScopeTest, AnAssessmentIsForTheAssessorsNotTheAssessed) {
  namespace ov1 = salesops::org::v1;
  ov1::AssessmentRecorded e;
  e.mutable_assessment()->set_member("members/rep1");
  EventScope s = Resolved(e);
  EXPECT_EQ(s.min_role, Role::kSupervisor);
  EXPECT_THAT(Audience(s), UnorderedElementsAre("sup1", "mgr1", "dir", "admin"));
}

TEST(EventScopeTest, AMemberMoveIsSeenByTheMemberAndBothTeams) {
  namespace ov1 = salesops::org::v1;
  ov1::MemberMoved e;
  e.mutable_member()->set_name("members/rep1");
  e.mutable_member()->set_org_unit("orgUnits/t3");
  e.set_from_org_unit("orgUnits/t1");
  e.set_to_org_unit("orgUnits/t3");
  EXPECT_THAT(Audience(Resolved(e)),
              UnorderedElementsAre("rep1", "sup1", "sup3", "mgr1", "mgr2", "dir", "admin"));
}

// An OrgView that answers from FakeOrg and notes which units it was asked about.
class AskedOrg final : public OrgView {
 public:
  std::string TeamOf(const std::string& m) override { return org_.TeamOf(m); }
  std::string RegionOf(const std::string& u) override {
    asked.push_back(u);
    return org_.RegionOf(u);
  }
  std::vector<std::string> asked;

 private:
  FakeOrg org_;
};

// A unit's own events say where it is: the org (the gateway's directory, which
// may not have the unit yet) is asked about its parent, never about the unit.
TEST(EventScopeTest, AUnitsOwnEventPlacesItWithoutAskingTheOrgAboutIt) {
  namespace ov1 = salesops::org::v1;
  ov1::OrgUnitCreated team;
  team.mutable_org_unit()->set_name("orgUnits/t9");
  team.mutable_org_unit()->set_kind(ov1::ORG_UNIT_KIND_TEAM);
  team.mutable_org_unit()->set_parent("orgUnits/r2");
  team.mutable_actor()->set_member_id("admin");
  AskedOrg org;
  EventScope s = ScopeOfEvent(team);
  ResolveScope(org, &s);
  EXPECT_THAT(s.units, ElementsAre("t9", "r2"));
  EXPECT_THAT(s.regions, ElementsAre("r2"));
  EXPECT_THAT(org.asked, ::testing::Each(::testing::Ne("t9")));
  EXPECT_THAT(Audience(s), UnorderedElementsAre("mgr2", "dir", "admin"));

  // A new region is its own region.
  ov1::OrgUnitCreated region;
  region.mutable_org_unit()->set_name("orgUnits/r9");
  region.mutable_org_unit()->set_kind(ov1::ORG_UNIT_KIND_REGION);
  region.mutable_org_unit()->set_parent("orgUnits/co");
  org.asked.clear();
  s = ScopeOfEvent(region);
  ResolveScope(org, &s);
  EXPECT_THAT(s.regions, ElementsAre("r9"));
  EXPECT_THAT(org.asked, ElementsAre("co"));

  // A team moved from r1 to r2: where the event puts it, and the region it left.
  ov1::OrgUnitUpdated moved;
  moved.mutable_org_unit()->set_name("orgUnits/t1");
  moved.mutable_org_unit()->set_kind(ov1::ORG_UNIT_KIND_TEAM);
  moved.mutable_org_unit()->set_parent("orgUnits/r2");
  *moved.mutable_previous() = moved.org_unit();
  moved.mutable_previous()->set_parent("orgUnits/r1");
  org.asked.clear();
  s = ScopeOfEvent(moved);
  ResolveScope(org, &s);
  EXPECT_THAT(s.regions, UnorderedElementsAre("r1", "r2"));
  EXPECT_THAT(org.asked, ::testing::Each(::testing::Ne("t1")));
  EXPECT_THAT(Audience(s), UnorderedElementsAre("sup1", "mgr1", "mgr2", "dir", "admin"));
}

TEST(EventScopeTest, ForecastGapOfARegionIsTheRegionsManagers) {
  namespace fv1 = salesops::forecast::v1;
  fv1::ForecastGapDetected e;
  e.set_forecast("forecasts/f-1");
  e.mutable_scope()->set_org_unit("orgUnits/r2");
  e.mutable_scope()->set_product_line("orgUnits/pl-1");
  e.set_responsible("members/mgr2");
  EXPECT_THAT(Audience(Resolved(e)), UnorderedElementsAre("mgr2", "dir", "admin"));
}

TEST(EventScopeTest, StageProbabilitiesAreCompanyWide) {
  EXPECT_TRUE(ScopeOfEvent(salesops::forecast::v1::StageProbabilitiesUpdated()).company_wide());
}

TEST(EventScopeTest, AnEventNamingOnlyAMemberReachesTheirTeamThroughTheOrg) {
  namespace fv1 = salesops::forecast::v1;
  fv1::ForecastCallSubmitted e;
  e.mutable_call()->set_author("members/rep1");
  e.mutable_call()->mutable_scope()->set_member("members/rep1");
  EventScope s = Resolved(e);
  EXPECT_THAT(s.units, ElementsAre("t1"));
  EXPECT_THAT(s.regions, ElementsAre("r1"));
  EXPECT_THAT(Audience(s), UnorderedElementsAre("rep1", "sup1", "mgr1", "dir", "admin"));
}

TEST(EventScopeTest, MembersTeamsAreNotAddedWhenTheEventNamesItsUnits) {
  FakeOrg org;
  EventScope s;
  s.AddMember("rep1");
  s.AddUnit("t3");
  ResolveScope(org, &s);
  EXPECT_THAT(s.units, ElementsAre("t3"));
  EXPECT_THAT(s.regions, ElementsAre("r2"));
}

TEST(EventScopeTest, UnknownMembersAndUnitsResolveToNothing) {
  FakeOrg org;
  EventScope s;
  s.AddMember("ghost");
  ResolveScope(org, &s);
  EXPECT_THAT(s.units, IsEmpty());
  EXPECT_THAT(s.regions, IsEmpty());
  EXPECT_THAT(Audience(s), UnorderedElementsAre("dir", "admin"));
}

TEST(EventScopeTest, SubResourceNamesNameTheirMemberAndRepeatedFieldsCount) {
  cv1::CustomerHandedOver e;
  e.set_to_owner("members/rep1/whatever/x");
  e.add_moved_opportunities("opportunities/o-1");
  EXPECT_THAT(ScopeOfEvent(e).members, ElementsAre("rep1"));
}

TEST(EventScopeTest, OtherPackagesAreReadGenerically) {
  google::rpc::BadRequest e;
  e.add_field_violations()->set_field("members/rep1");
  e.add_field_violations()->set_description("orgUnits/t1");
  EventScope s = ScopeOfEvent(e);
  EXPECT_THAT(s.members, ElementsAre("rep1"));
  EXPECT_THAT(s.units, ElementsAre("t1"));
}

TEST(MaySeeTest, RoleTable) {
  EventScope s;
  s.AddMember("rep1");
  s.AddUnit("t1");
  s.AddRegion("r1");
  EXPECT_TRUE(MaySee(kRep1, s));
  EXPECT_FALSE(MaySee(kRep2, s));  // same team, not theirs
  EXPECT_TRUE(MaySee(kSup1, s));
  EXPECT_FALSE(MaySee(kSup2, s));  // same region, other team
  EXPECT_TRUE(MaySee(kMgr1, s));
  EXPECT_FALSE(MaySee(kMgr2, s));
  EXPECT_TRUE(MaySee(kDirector, s));
  EXPECT_TRUE(MaySee(kAdmin, s));
}

TEST(MaySeeTest, EmptyViewerFieldsMatchNothing) {
  EventScope s;  // company-wide
  EXPECT_FALSE(MaySee(Viewer{Role::kSupervisor, "", "", ""}, s));
  EXPECT_FALSE(MaySee(Viewer{Role::kManager, "", "", ""}, s));
  s.AddUnit("t1");
  EXPECT_FALSE(MaySee(Viewer{Role::kRep, "", "t1", "r1"}, s));  // a rep is not their team
}

TEST(MaySeeTest, MinRoleKeepsLowerRolesOutEvenWhenNamed) {
  EventScope s;
  s.AddMember("rep1");
  s.min_role = Role::kSupervisor;
  EXPECT_FALSE(MaySee(kRep1, s));
  EXPECT_TRUE(MaySee(kAdmin, s));
}

// ---- Every event type of every linked family is classified on purpose.

// Sets every string field (nested messages too, except timestamps) to `value`.
void Fill(Message* m, const std::string& value, int depth = 0) {
  if (depth > 4) {
    return;
  }
  const Descriptor* d = m->GetDescriptor();
  const google::protobuf::Reflection* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      if (f->is_repeated()) {
        r->AddString(m, f, value);
      } else {
        r->SetString(m, f, value);
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
               !absl::StartsWith(f->message_type()->full_name(), "google.protobuf.")) {
      Fill(f->is_repeated() ? r->AddMessage(m, f) : r->MutableMessage(m, f), value, depth + 1);
    }
  }
}

bool HasStringField(const Descriptor* d, int depth = 0) {
  if (depth > 4) {
    return false;
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
        f->type() != FieldDescriptor::TYPE_BYTES && f->name() != "product_line") {
      return true;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        f->message_type()->full_name() != "salesops.common.v1.Actor" &&
        !absl::StartsWith(f->message_type()->full_name(), "google.protobuf.") &&
        HasStringField(f->message_type(), depth + 1)) {
      return true;
    }
  }
  return false;
}

// The event types each family keeps company-wide whatever they name.
const std::map<std::string, std::set<std::string>>& CompanyWideByDesign() {
  static const auto* m = new std::map<std::string, std::set<std::string>>{
      {"org", {"TalentConfigUpdated", "PromotionTrackCreated"}},
      {"customers", {"TierPolicyUpdated", "PoolPolicyUpdated"}},
      {"targets",
       {"FiscalPeriodCreated", "FiscalPeriodUpdated", "FiscalPeriodDeleted", "PlanCreated",
        "AllocationChanged", "PhasingChanged", "PlanPublished", "ReallocationApplied"}},
      {"warning", {"RuleCreated", "RuleUpdated"}},
      {"forecast", {"StageProbabilitiesUpdated"}},
  };
  return *m;
}

TEST(EventScopeExhaustiveTest, EveryEventTypeNamingSomeoneIsScopedUnlessCompanyWideByDesign) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  auto* factory = google::protobuf::MessageFactory::generated_factory();
  int checked = 0;
  for (const std::string family :
       {"org", "targets", "customers", "performance", "forecast", "warning", "sync"}) {
    const google::protobuf::FileDescriptor* file =
        pool->FindFileByName(absl::StrCat("salesops/", family, "/v1/", family, "_events.proto"));
    if (file == nullptr) {
      continue;  // not linked
    }
    auto design = CompanyWideByDesign().find(family);
    const bool stable = design != CompanyWideByDesign().end();
    for (int i = 0; i < file->message_type_count(); ++i) {
      const Descriptor* d = file->message_type(i);
      for (const std::string value : {"members/m-1", "orgUnits/u-1"}) {
        std::unique_ptr<Message> m(factory->GetPrototype(d)->New());
        Fill(m.get(), value);
        const bool company_wide = ScopeOfEvent(*m).company_wide();
        if (stable) {
          EXPECT_EQ(company_wide, design->second.count(d->name()) > 0)
              << d->full_name() << " filled with " << value;
        } else if (HasStringField(d)) {
          EXPECT_FALSE(company_wide) << d->full_name() << " filled with " << value;
        }
        ++checked;
      }
      // Empty, every event is company-wide: nobody is named.
      std::unique_ptr<Message> empty(factory->GetPrototype(d)->New());
      EXPECT_TRUE(ScopeOfEvent(*empty).company_wide()) << d->full_name();
    }
    if (stable) {
      for (const std::string& name : design->second) {
        EXPECT_NE(file->FindMessageTypeByName(name), nullptr)
            << family << " has no event " << name << " any more: update the list";
      }
    }
  }
  EXPECT_GT(checked, 100);
}

}  // namespace
}  // namespace salesops::gateway
