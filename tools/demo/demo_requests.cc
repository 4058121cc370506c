#include "tools/demo/demo_requests.h"

#include "absl/strings/str_cat.h"

namespace salesops::demo {
namespace {

void SetTime(absl::Time t, google::protobuf::Timestamp* ts) {
  const int64_t nanos = absl::ToUnixNanos(t);
  ts->set_seconds(nanos / 1'000'000'000);
  ts->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
}

void SetDate(const Date& d, salesops::common::v1::Date* out) {
  out->set_year(d.year);
  out->set_month(d.month);
  out->set_day(d.day);
}

void SetMoney(int64_t minor, salesops::common::v1::Money* out) {
  out->set_amount_minor(minor);
  out->set_currency_code("CNY");
}

}  // namespace

std::string CustomerName(absl::string_view id) { return absl::StrCat("customers/", id); }
std::string OpportunityName(absl::string_view id) { return absl::StrCat("opportunities/", id); }
std::string ContractName(absl::string_view id) { return absl::StrCat("contracts/", id); }
std::string MemberName(absl::string_view id) { return absl::StrCat("members/", id); }
std::string OrgUnitName(absl::string_view id) { return absl::StrCat("orgUnits/", id); }
std::string RequestIdFor(absl::string_view id) { return absl::StrCat("load-", id); }
std::string PaymentIdFor(const InstalmentSpec& in) {
  return absl::StrCat("pay-", in.instalment_id);
}

customers_v1::OpportunityStage ToProto(Stage stage) {
  return static_cast<customers_v1::OpportunityStage>(static_cast<int>(stage));
}

Stage FromProto(customers_v1::OpportunityStage stage) {
  if (stage < customers_v1::OPPORTUNITY_STAGE_LEAD ||
      stage > customers_v1::OPPORTUNITY_STAGE_LOST) {
    return Stage::kLead;
  }
  return static_cast<Stage>(static_cast<int>(stage));
}

customers_v1::CreateCustomerRequest CreateCustomerRequestFor(const CustomerSpec& c) {
  customers_v1::CreateCustomerRequest req;
  req.set_customer_id(c.id);
  req.set_request_id(RequestIdFor(c.id));
  SetTime(c.create_time, req.mutable_backfill_time());
  customers_v1::Customer* m = req.mutable_customer();
  m->set_display_name(c.display_name);
  m->set_tax_id(c.tax_id);
  m->set_phone(c.phone);
  m->set_address(c.address);
  m->set_customer_type(c.customer_type);
  m->set_owner(MemberName(c.owner_id));
  customers_v1::CustomerTags* tags = m->mutable_tags();
  tags->set_industry(c.industry);
  tags->set_size(c.size);
  tags->set_region(OrgUnitName(c.region_id));
  tags->set_source(c.source);
  for (const auto& [key, value] : c.labels) {
    (*tags->mutable_labels())[key] = value;
  }
  for (const ContactSpec& ct : c.contacts) {
    customers_v1::Contact* p = m->add_contacts();
    p->set_contact_id(ct.contact_id);
    p->set_display_name(ct.display_name);
    p->set_title(ct.title);
    p->set_phone(ct.phone);
    p->set_email(ct.email);
    p->set_wechat_id(ct.wechat_id);
    p->set_primary(ct.primary);
  }
  return req;
}

customers_v1::CreateOpportunityRequest CreateOpportunityRequestFor(const OpportunitySpec& o,
                                                                   const CustomerSpec& c) {
  customers_v1::CreateOpportunityRequest req;
  req.set_opportunity_id(o.id);
  req.set_request_id(RequestIdFor(o.id));
  SetTime(o.create_time, req.mutable_backfill_time());
  customers_v1::Opportunity* m = req.mutable_opportunity();
  m->set_customer(CustomerName(c.id));
  m->set_display_name(o.display_name);
  m->set_stage(customers_v1::OPPORTUNITY_STAGE_LEAD);
  SetMoney(o.amount_minor, m->mutable_amount());
  m->set_product_line(OrgUnitName(o.product_line_id));
  m->set_channel(o.channel);
  m->set_owner(MemberName(o.owner_id));
  SetDate(o.expected_close_date, m->mutable_expected_close_date());
  m->set_next_step(o.next_step);
  return req;
}

customers_v1::ChangeOpportunityStageRequest ChangeStageRequestFor(const OpportunitySpec& o,
                                                                  const StageStep& step) {
  customers_v1::ChangeOpportunityStageRequest req;
  req.set_name(OpportunityName(o.id));
  req.set_stage(ToProto(step.stage));
  if (step.amount_minor > 0) {
    SetMoney(step.amount_minor, req.mutable_amount());
  }
  req.set_reason(step.reason);
  req.set_lost_to_competitor(step.lost_to_competitor);
  SetTime(step.time, req.mutable_backfill_time());
  return req;
}

customers_v1::LogActivityRequest LogActivityRequestFor(const ActivitySpec& a,
                                                       const OpportunitySpec& o,
                                                       const CustomerSpec& c) {
  customers_v1::LogActivityRequest req;
  req.set_request_id(RequestIdFor(a.id));
  SetTime(a.occur_time, req.mutable_backfill_time());
  customers_v1::Activity* m = req.mutable_activity();
  m->set_customer(CustomerName(c.id));
  m->set_opportunity(OpportunityName(o.id));
  m->set_kind(static_cast<customers_v1::ActivityKind>(static_cast<int>(a.kind)));
  m->set_outcome(static_cast<customers_v1::ActivityOutcome>(static_cast<int>(a.outcome)));
  m->set_summary(a.summary);
  SetTime(a.occur_time, m->mutable_occur_time());
  m->set_duration_minutes(a.duration_minutes);
  m->add_contact_ids(a.contact_id);
  m->set_performed_by(MemberName(o.owner_id));
  m->set_location(a.location);
  return req;
}

customers_v1::CreateContractRequest CreateContractRequestFor(const OpportunitySpec& o,
                                                             const CustomerSpec& c) {
  const ContractSpec& k = o.contract;
  customers_v1::CreateContractRequest req;
  req.set_contract_id(k.id);
  req.set_request_id(RequestIdFor(k.id));
  customers_v1::Contract* m = req.mutable_contract();
  m->set_customer(CustomerName(c.id));
  m->set_opportunity(OpportunityName(o.id));
  m->set_contract_number(k.contract_number);
  m->set_title(k.title);
  SetMoney(k.amount_minor, m->mutable_amount());
  SetDate(k.start_date, m->mutable_start_date());
  SetDate(k.end_date, m->mutable_end_date());
  m->set_owner(MemberName(o.owner_id));
  for (const InstalmentSpec& in : k.instalments) {
    customers_v1::Instalment* p = m->mutable_payment_schedule()->add_instalments();
    p->set_instalment_id(in.instalment_id);
    SetDate(in.due_date, p->mutable_due_date());
    SetMoney(in.amount_minor, p->mutable_amount());
  }
  return req;
}

customers_v1::SignContractRequest SignContractRequestFor(const ContractSpec& k) {
  customers_v1::SignContractRequest req;
  req.set_name(ContractName(k.id));
  SetDate(k.sign_date, req.mutable_sign_date());
  return req;
}

customers_v1::RecordPaymentRequest RecordPaymentRequestFor(const ContractSpec& k,
                                                           const InstalmentSpec& in) {
  customers_v1::RecordPaymentRequest req;
  req.set_contract(ContractName(k.id));
  req.set_request_id(absl::StrCat(k.id, "-", PaymentIdFor(in)));
  customers_v1::Payment* p = req.mutable_payment();
  p->set_payment_id(PaymentIdFor(in));
  p->set_instalment_id(in.instalment_id);
  SetMoney(in.amount_minor, p->mutable_amount());
  SetDate(in.received_date, p->mutable_received_date());
  p->set_reference(absl::StrCat("BANK-", k.contract_number, "-", in.instalment_id));
  return req;
}

}  // namespace salesops::demo
