#include "services/customers/domain/customer_rules.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/validation/validation.h"

namespace salesops::customers {

bool IsCode(absl::string_view s) {
  if (s.empty() || s.size() > 63 || !absl::ascii_islower(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  for (char c : s) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_')) {
      return false;
    }
  }
  return true;
}

std::string NormalTaxId(absl::string_view tax_id) {
  std::string out;
  for (char c : tax_id) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      out.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

std::string NormalPhone(absl::string_view phone) {
  std::string digits;
  for (char c : phone) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    }
  }
  const bool plus = absl::StartsWith(absl::StripLeadingAsciiWhitespace(phone), "+");
  if (plus && absl::StartsWith(digits, "86")) {
    digits.erase(0, 2);
  }
  if (!plus && absl::StartsWith(digits, "0086")) {
    digits.erase(0, 4);
  }
  return digits;
}

namespace {

bool IsPhoneText(absl::string_view p) {
  if (p.size() > 32) {
    return false;
  }
  for (char c : p) {
    if (!(absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == ' ' || c == '+' || c == '-')) {
      return false;
    }
  }
  return true;
}

}  // namespace

void CheckCustomerFields(Violations& v, const std::string& prefix, const v1::Customer& c) {
  auto f = [&prefix](absl::string_view field) { return absl::StrCat(prefix, ".", field); };
  CheckText(v, f("display_name"), c.display_name(), 1, 200);
  CheckText(v, f("address"), c.address(), 0, 500);
  if (!c.tax_id().empty()) {
    const std::string t = NormalTaxId(c.tax_id());
    if (t.size() < 8 || t.size() > 32 || c.tax_id().size() > 40) {
      v.Add(f("tax_id"),
            "must have 8..32 letters or digits (e.g. an 18-character unified social credit code)");
    }
  }
  if (!c.phone().empty() && (!IsPhoneText(c.phone()) || NormalPhone(c.phone()).size() < 5)) {
    v.Add(f("phone"), "digits, spaces, '+' and '-' only, 5..32 characters");
  }
  if (!c.customer_type().empty() && !IsCode(c.customer_type())) {
    v.Add(f("customer_type"), "a lower_snake code such as \"enterprise\"");
  }
  const auto& t = c.tags();
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"industry", &t.industry()},
        {"size", &t.size()},
        {"source", &t.source()}}) {
    if (!value->empty() && !IsCode(*value)) {
      v.Add(f(absl::StrCat("tags.", name)), "a lower_snake code such as \"manufacturing\"");
    }
  }
  if (t.labels_size() > 50) {
    v.Add(f("tags.labels"), "at most 50 labels");
  }
  for (const auto& [key, value] : t.labels()) {
    if (!IsCode(key)) {
      v.Add(f(absl::StrCat("tags.labels[", QuoteUntrusted(key, 40), "]")),
            "keys are lower_snake, up to 63 characters");
    } else {
      CheckText(v, f(absl::StrCat("tags.labels[", key, "]")), value, 0, 256);
    }
  }
  if (c.contacts_size() > 100) {
    v.Add(f("contacts"), "at most 100 contacts");
  }
  int primaries = 0;
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < c.contacts_size() && i < 100; ++i) {
    const auto& ct = c.contacts(i);
    const std::string cf = f(absl::StrCat("contacts[", i, "]"));
    CheckText(v, absl::StrCat(cf, ".display_name"), ct.display_name(), 1, 100);
    CheckText(v, absl::StrCat(cf, ".title"), ct.title(), 0, 100);
    CheckText(v, absl::StrCat(cf, ".notes"), ct.notes(), 0, 2000);
    CheckText(v, absl::StrCat(cf, ".wechat_id"), ct.wechat_id(), 0, 64);
    if (!ct.phone().empty() && !IsPhoneText(ct.phone())) {
      v.Add(absl::StrCat(cf, ".phone"), "digits, spaces, '+' and '-' only, up to 32 characters");
    }
    if (!ct.email().empty() &&
        (ct.email().size() > 254 || ct.email().find('@') == std::string::npos ||
         ct.email().find(' ') != std::string::npos)) {
      v.Add(absl::StrCat(cf, ".email"), "is not an e-mail address");
    }
    if (!ct.contact_id().empty() && !ids.insert(ct.contact_id()).second) {
      v.Add(absl::StrCat(cf, ".contact_id"), "is used twice");
    }
    primaries += ct.primary() ? 1 : 0;
  }
  if (primaries > 1) {
    v.Add(f("contacts"), "at most one contact may be primary");
  }
}

}  // namespace salesops::customers
