// Customer sharing rules: the minimised customer other departments and
// systems may see (business facts; contacts counted, the primary contact only
// masked — "张**", "138****5678", "z***@example.com"; revenue as a band),
// whether a customers-service sharing grant allows a share (the same rule as
// customers' GrantAccess: active, and naming the customer or selecting it by
// tier / region / industry), and the record the compacted share topic carries
// for a customer while it has active shares.
//
//   v1::MinimisedCustomer m = MinimiseCustomer(customer);       // the projection keeps this
//   std::optional<v1::SharedCustomerRecord> r = TopicRecord(m, active_shares, now);
//   // nullopt → publish a tombstone
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "salesops/customers/v1/customers_resources.pb.h"
#include "salesops/sync/v1/sync_resources.pb.h"

namespace salesops::sync {

std::string MaskName(const std::string& name);    // first character, then one '*' per character
std::string MaskPhone(const std::string& phone);  // first 3 and last 4 digits kept
std::string MaskEmail(const std::string& email);  // first character of the local part kept
// "lt_100k", "100k_1m", "1m_5m", "5m_20m", "gte_20m" (CNY), "" when unknown.
std::string RevenueBand(const salesops::common::v1::Money& revenue_12m);

// Business facts and the masked primary contact (the first primary contact,
// else the first contact); never the customer's phone, address or tax id.
v1::MinimisedCustomer MinimiseCustomer(const salesops::customers::v1::Customer& c);
// What one share shows: without the primary contact unless the share asked for it.
v1::MinimisedCustomer ForShare(const v1::MinimisedCustomer& stored, bool include_primary_contact);

// Whether `grant` lets its grantee see `c` at `now`.
bool GrantCovers(const salesops::customers::v1::SharingGrant& grant, const v1::MinimisedCustomer& c,
                 absl::Time now);

bool IsActiveShare(const v1::CustomerShare& s, absl::Time now);

// The share topic's value for a customer with these shares; nullopt (a
// tombstone) when none is active. The topic is read by every subscribed
// system, so it carries the masked primary contact only when every active
// share asked for it.
std::optional<v1::SharedCustomerRecord> TopicRecord(const v1::MinimisedCustomer& stored,
                                                    const std::vector<v1::CustomerShare>& shares,
                                                    absl::Time now);

}  // namespace salesops::sync
