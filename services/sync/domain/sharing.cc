#include "services/sync/domain/sharing.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "common/time/proto_time.h"

namespace salesops::sync {
namespace {

namespace cv1 = salesops::customers::v1;

template <typename List, typename T>
bool EmptyOrContains(const List& list, const T& value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

std::string MaskName(const std::string& name) {
  std::string out;
  int chars = 0;
  for (size_t i = 0; i < name.size();) {
    size_t len = 1;
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (c >= 0xF0) {
      len = 4;
    } else if (c >= 0xE0) {
      len = 3;
    } else if (c >= 0xC0) {
      len = 2;
    }
    if (chars == 0) {
      out.append(name, i, len);
    } else if (name[i] != ' ') {
      out.push_back('*');
    }
    ++chars;
    i += len;
  }
  return out;
}

std::string MaskPhone(const std::string& phone) {
  std::string digits;
  for (char c : phone) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    }
  }
  if (digits.size() < 8) {
    return std::string(digits.size(), '*');
  }
  return digits.substr(0, 3) + std::string(digits.size() - 7, '*') +
         digits.substr(digits.size() - 4);
}

std::string MaskEmail(const std::string& email) {
  const size_t at = email.find('@');
  if (at == std::string::npos || at == 0) {
    return email.empty() ? "" : "***";
  }
  // The first character, not byte: a split UTF-8 sequence cannot go in a proto3 string.
  size_t first = 1;
  while (first < at && (static_cast<unsigned char>(email[first]) & 0xC0) == 0x80) {
    ++first;
  }
  return email.substr(0, first) + "***" + email.substr(at);
}

std::string RevenueBand(const salesops::common::v1::Money& m) {
  if (m.currency_code() != "CNY" && !m.currency_code().empty()) {
    return "";
  }
  const int64_t yuan = m.amount_minor() / 100;
  if (yuan < 100'000) {
    return "lt_100k";
  }
  if (yuan < 1'000'000) {
    return "100k_1m";
  }
  if (yuan < 5'000'000) {
    return "1m_5m";
  }
  if (yuan < 20'000'000) {
    return "5m_20m";
  }
  return "gte_20m";
}

v1::MinimisedCustomer MinimiseCustomer(const cv1::Customer& c) {
  v1::MinimisedCustomer m;
  m.set_customer(c.name());
  m.set_display_name(c.display_name());
  m.set_tier(c.tier());
  m.set_industry(c.tags().industry());
  m.set_size(c.tags().size());
  m.set_region(c.tags().region());
  m.set_customer_type(c.customer_type());
  m.set_owner(c.owner());
  m.set_team(c.team());
  m.set_contact_count(c.contacts_size());
  const cv1::Contact* primary = nullptr;
  for (const cv1::Contact& contact : c.contacts()) {
    if (contact.primary()) {
      primary = &contact;
      break;
    }
  }
  if (primary == nullptr && !c.contacts().empty()) {
    primary = &c.contacts(0);
  }
  if (primary != nullptr) {
    v1::MaskedContact* mc = m.mutable_primary_contact();
    mc->set_display_name(MaskName(primary->display_name()));
    mc->set_title(primary->title());  // a job title is not personal data
    mc->set_phone(MaskPhone(primary->phone()));
    mc->set_email(MaskEmail(primary->email()));
  }
  if (c.score().has_revenue_last_12_months()) {
    m.set_revenue_band(RevenueBand(c.score().revenue_last_12_months()));
  }
  return m;
}

v1::MinimisedCustomer ForShare(const v1::MinimisedCustomer& stored, bool include_primary_contact) {
  v1::MinimisedCustomer m = stored;
  if (!include_primary_contact) {
    m.clear_primary_contact();
  }
  return m;
}

bool GrantCovers(const cv1::SharingGrant& g, const v1::MinimisedCustomer& c, absl::Time now) {
  if (g.has_revoke_time()) {
    return false;
  }
  if (g.has_expire_time() && FromTs(g.expire_time()) <= now) {
    return false;
  }
  if (!g.customer().empty()) {
    return g.customer() == c.customer();
  }
  const auto& sel = g.selector();
  return EmptyOrContains(sel.tiers(), static_cast<int>(c.tier())) &&
         EmptyOrContains(sel.regions(), c.region()) &&
         EmptyOrContains(sel.industries(), c.industry());
}

bool IsActiveShare(const v1::CustomerShare& s, absl::Time now) {
  if (s.state() != v1::SHARE_STATE_ACTIVE) {
    return false;
  }
  return !s.has_expire_time() || FromTs(s.expire_time()) > now;
}

std::optional<v1::SharedCustomerRecord> TopicRecord(const v1::MinimisedCustomer& stored,
                                                    const std::vector<v1::CustomerShare>& shares,
                                                    absl::Time now) {
  v1::SharedCustomerRecord r;
  bool all_with_contact = true;
  for (const v1::CustomerShare& s : shares) {
    if (!IsActiveShare(s, now)) {
      continue;
    }
    v1::SharedWith* w = r.add_shared_with();
    w->set_share(s.name());
    w->set_recipient(s.recipient());
    w->set_purpose(s.purpose());
    if (s.has_expire_time()) {
      *w->mutable_expire_time() = s.expire_time();
    }
    all_with_contact = all_with_contact && s.include_primary_contact();
  }
  if (r.shared_with().empty()) {
    return std::nullopt;
  }
  *r.mutable_customer() = ForShare(stored, all_with_contact);
  *r.mutable_update_time() = ToTs(now);
  return r;
}

}  // namespace salesops::sync
