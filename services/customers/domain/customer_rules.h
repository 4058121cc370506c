// Customer field rules shared by CreateCustomer, UpdateCustomer and the CSV
// import: lengths, tag codes, contacts, and the normal forms of tax id and
// phone used for duplicate detection. Pure functions.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "common/status/errors.h"
#include "salesops/customers/v1/customers_resources.pb.h"

namespace salesops::customers {

// Adds violations named "<prefix>.<field>" (prefix e.g. "customer").
void CheckCustomerFields(Violations& v, const std::string& prefix, const v1::Customer& c);

// Upper-case alphanumerics; "" when empty. Two customers with the same
// normal tax id are duplicates.
std::string NormalTaxId(absl::string_view tax_id);
// Digits only, a leading +86/0086 country code dropped; "" when empty.
std::string NormalPhone(absl::string_view phone);

// lower_snake code, 1..63 chars.
bool IsCode(absl::string_view s);

}  // namespace salesops::customers
