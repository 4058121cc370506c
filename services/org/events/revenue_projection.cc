#include "services/org/events/revenue_projection.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status/errors.h"
#include "salesops/customers/v1/customers_events.pb.h"
#include "services/org/domain/reorg.h"
#include "services/org/store/redis_org_repository.h"

namespace salesops::org {
namespace {

std::string StripPrefix(const std::string& name, absl::string_view prefix) {
  return absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name;
}

}  // namespace

absl::StatusOr<std::optional<WriteBatch>> RevenueProjection::ChangeFor(const CloudEvent& event) {
  if (event.type != "salesops.customers.v1.OpportunityWon") {
    return std::nullopt;
  }
  auto won = DecodePayload<salesops::customers::v1::OpportunityWon>(event);
  if (!won.ok()) {
    return won.status();
  }
  const std::string team = StripPrefix(won->team(), "orgUnits/");
  if (team.empty()) {
    return InvalidField("team", "an OpportunityWon needs the owner's team");
  }
  if (!won->amount().currency_code().empty() && won->amount().currency_code() != "CNY") {
    return InvalidField("amount.currency_code", "only CNY revenue is projected");
  }
  int year = won->won_date().year(), month = won->won_date().month();
  if (year == 0 && won->has_close_time()) {
    const absl::CivilDay d = OrgDay(absl::FromUnixSeconds(won->close_time().seconds()));
    year = static_cast<int>(d.year());
    month = d.month();
  }
  if (year < 1900 || year > 9999 || month < 1 || month > 12) {
    return InvalidField("won_date", "an OpportunityWon needs a won_date or close_time");
  }
  const std::string m = absl::StrFormat("%04d-%02d", year, month);
  WriteBatch b;
  b.HIncrBy(RevenueKey(m), team, won->amount().amount_minor());
  b.HIncrBy(RevenueKey(m), absl::StrCat(team, "#deals"), 1);
  if (!won->region().empty() && !won->product_line().empty()) {
    b.SAdd(CoverageKey(m, team),
           absl::StrCat(StripPrefix(won->region(), "orgUnits/"), "|", won->product_line()));
  }
  return b;
}

absl::Status RevenueProjection::Handle(const CloudEvent& event) {
  absl::StatusOr<std::optional<WriteBatch>> change = ChangeFor(event);
  if (!change.ok()) {
    return change.status();
  }
  if (!*change) {
    return absl::OkStatus();
  }
  return store_.ApplyOnce(event, **std::move(change)).status();
}

std::vector<absl::Status> RevenueProjection::HandleBatch(
    const std::vector<const CloudEvent*>& events) {
  std::vector<absl::Status> out(events.size(), absl::OkStatus());
  std::vector<std::pair<const CloudEvent*, WriteBatch>> items;
  std::vector<size_t> where;
  for (size_t i = 0; i < events.size(); ++i) {
    absl::StatusOr<std::optional<WriteBatch>> change = ChangeFor(*events[i]);
    if (!change.ok()) {
      out[i] = change.status();
    } else if (*change) {
      items.emplace_back(events[i], **std::move(change));
      where.push_back(i);
    }
  }
  std::vector<absl::StatusOr<bool>> applied = store_.ApplyOnceMany(std::move(items));
  for (size_t k = 0; k < applied.size(); ++k) {
    out[where[k]] = applied[k].status();
  }
  return out;
}

}  // namespace salesops::org
