// The customer CSV format (import and export): which columns exist, their
// Chinese header aliases (Excel users rename headers), and the mapping of one
// row to a Customer and back. Personal data columns are left out of exports
// for minimised views by the caller.
//
//   SALESOPS_ASSIGN_OR_RETURN(CustomerColumns cols, MapHeader(doc.header));
//   CustomerRow r = RowToCustomer(cols, row.cells);   // r.errors per column
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "salesops/customers/v1/customers_resources.pb.h"

namespace salesops::customers {

// Canonical column names, in export order.
const std::vector<std::string>& CustomerCsvColumns();

// Column index per canonical name (-1 = absent). INVALID_ARGUMENT (field
// "csv") for an unknown or repeated column, or when display_name is missing.
struct CustomerColumns {
  std::vector<int> index;  // parallel to CustomerCsvColumns()
  int Of(const std::string& canonical) const;
};
absl::StatusOr<CustomerColumns> MapHeader(const std::vector<std::string>& header);

struct ColumnError {
  std::string column;
  std::string message;
};
struct CustomerRow {
  std::string customer_id;  // from the customer_id column, may be empty
  v1::Customer customer;    // fields as given; owner "members/<id>" if the column is set
  std::vector<ColumnError> errors;
};
// Parses cells (apostrophe-escaped formulas undone) and checks the customer
// fields; errors name the CSV column.
CustomerRow RowToCustomer(const CustomerColumns& cols, const std::vector<std::string>& cells);

// One export row in CustomerCsvColumns() order, or only `columns` if non-empty.
std::vector<std::string> CustomerToRow(const v1::Customer& c,
                                       const std::vector<std::string>& columns);

}  // namespace salesops::customers
