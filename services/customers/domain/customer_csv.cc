#include "services/customers/domain/customer_csv.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status/errors.h"
#include "services/customers/domain/customer_rules.h"

namespace salesops::customers {
namespace {

struct Column {
  const char* name;
  const char* alias;  // Chinese header Excel users type
};
constexpr Column kColumns[] = {{"customer_id", "客户编号"},
                               {"display_name", "客户名称"},
                               {"tax_id", "税号"},
                               {"phone", "电话"},
                               {"address", "地址"},
                               {"customer_type", "客户类型"},
                               {"industry", "行业"},
                               {"size", "规模"},
                               {"region", "区域"},
                               {"source", "来源"},
                               {"labels", "标签"},
                               {"owner", "负责人"},
                               {"team", "团队"},
                               {"tier", "等级"},
                               {"pool_state", "归属状态"},
                               {"contact_name", "联系人"},
                               {"contact_title", "联系人职务"},
                               {"contact_phone", "联系人电话"},
                               {"contact_email", "联系人邮箱"}};

std::string Unescape(const std::string& cell) {
  std::string v(absl::StripAsciiWhitespace(cell));
  if (v.size() >= 2 && v[0] == '\'' &&
      (v[1] == '=' || v[1] == '+' || v[1] == '-' || v[1] == '@' || v[1] == '\t')) {
    v.erase(0, 1);
  }
  return v;
}

std::string WithPrefix(const std::string& collection, const std::string& v) {
  if (v.empty() || v.find('/') != std::string::npos) {
    return v;
  }
  return absl::StrCat(collection, "/", v);
}

}  // namespace

const std::vector<std::string>& CustomerCsvColumns() {
  static const auto* cols = [] {
    auto* v = new std::vector<std::string>;
    for (const Column& c : kColumns) {
      v->push_back(c.name);
    }
    return v;
  }();
  return *cols;
}

int CustomerColumns::Of(const std::string& canonical) const {
  const auto& cols = CustomerCsvColumns();
  auto it = std::find(cols.begin(), cols.end(), canonical);
  return it == cols.end() ? -1 : index[it - cols.begin()];
}

absl::StatusOr<CustomerColumns> MapHeader(const std::vector<std::string>& header) {
  CustomerColumns out;
  out.index.assign(std::size(kColumns), -1);
  for (int h = 0; h < static_cast<int>(header.size()); ++h) {
    const std::string name = absl::AsciiStrToLower(header[h]);
    int found = -1;
    for (int c = 0; c < static_cast<int>(std::size(kColumns)); ++c) {
      if (name == kColumns[c].name || header[h] == kColumns[c].alias) {
        found = c;
      }
    }
    if (found < 0) {
      return InvalidField(
          "csv", absl::StrCat("unknown column ", QuoteUntrusted(header[h]),
                              "; known columns: ", absl::StrJoin(CustomerCsvColumns(), ", ")));
    }
    if (out.index[found] >= 0) {
      return InvalidField("csv", absl::StrCat("column ", kColumns[found].name, " appears twice"));
    }
    out.index[found] = h;
  }
  if (out.Of("display_name") < 0) {
    return InvalidField("csv", "the display_name (客户名称) column is required");
  }
  return out;
}

CustomerRow RowToCustomer(const CustomerColumns& cols, const std::vector<std::string>& cells) {
  CustomerRow r;
  auto get = [&](const char* name) -> std::string {
    const int i = cols.Of(name);
    return i >= 0 && i < static_cast<int>(cells.size()) ? Unescape(cells[i]) : "";
  };
  v1::Customer& c = r.customer;
  r.customer_id = get("customer_id");
  c.set_display_name(get("display_name"));
  c.set_tax_id(get("tax_id"));
  c.set_phone(get("phone"));
  c.set_address(get("address"));
  c.set_customer_type(get("customer_type"));
  c.mutable_tags()->set_industry(get("industry"));
  c.mutable_tags()->set_size(get("size"));
  c.mutable_tags()->set_region(WithPrefix("orgUnits", get("region")));
  c.mutable_tags()->set_source(get("source"));
  const std::string labels = get("labels");
  if (!labels.empty()) {
    for (absl::string_view kv : absl::StrSplit(labels, ';', absl::SkipWhitespace())) {
      std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits(':', 1));
      const std::string key(absl::StripAsciiWhitespace(p.first));
      if (p.second.empty() && kv.find(':') == absl::string_view::npos) {
        r.errors.push_back(
            {"labels",
             absl::StrCat("expected key:value pairs separated by ';', got ", QuoteUntrusted(kv))});
        continue;
      }
      (*c.mutable_tags()->mutable_labels())[key] =
          std::string(absl::StripAsciiWhitespace(p.second));
    }
  }
  c.set_owner(WithPrefix("members", get("owner")));
  c.set_team(WithPrefix("orgUnits", get("team")));
  const std::string contact = get("contact_name");
  if (!contact.empty() || !get("contact_phone").empty() || !get("contact_email").empty()) {
    v1::Contact* ct = c.add_contacts();
    ct->set_display_name(contact);
    ct->set_title(get("contact_title"));
    ct->set_phone(get("contact_phone"));
    ct->set_email(get("contact_email"));
    ct->set_primary(true);
  }
  Violations v;
  CheckCustomerFields(v, "customer", c);
  for (const FieldViolation& fv : FieldViolations(v.Finish())) {
    std::string column = fv.field.substr(sizeof("customer.") - 1);
    if (absl::StartsWith(column, "tags.labels")) {
      column = "labels";
    }
    if (absl::StartsWith(column, "tags.")) {
      column = column.substr(5);
    }
    if (absl::StartsWith(column, "contacts[0].")) {
      column = absl::StrCat("contact_", column.substr(12));
    }
    if (column == "contact_display_name") {
      column = "contact_name";
    }
    r.errors.push_back({column, fv.description});
  }
  return r;
}

std::vector<std::string> CustomerToRow(const v1::Customer& c,
                                       const std::vector<std::string>& columns) {
  const v1::Contact* primary = nullptr;
  for (const auto& ct : c.contacts()) {
    if (ct.primary() || primary == nullptr) {
      primary = &ct;
    }
  }
  std::vector<std::string> labels;
  std::vector<std::pair<std::string, std::string>> sorted(c.tags().labels().begin(),
                                                          c.tags().labels().end());
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [k, v] : sorted) {
    labels.push_back(absl::StrCat(k, ":", v));
  }
  auto tier = [&c] {
    if (c.tier() == v1::CUSTOMER_TIER_UNSPECIFIED) {
      return std::string();
    }
    return v1::CustomerTier_Name(c.tier()).substr(sizeof("CUSTOMER_TIER_") - 1);
  };
  auto value = [&](const std::string& col) -> std::string {
    if (col == "customer_id") {
      return c.name().substr(c.name().find('/') + 1);
    }
    if (col == "display_name") {
      return c.display_name();
    }
    if (col == "tax_id") {
      return c.tax_id();
    }
    if (col == "phone") {
      return c.phone();
    }
    if (col == "address") {
      return c.address();
    }
    if (col == "customer_type") {
      return c.customer_type();
    }
    if (col == "industry") {
      return c.tags().industry();
    }
    if (col == "size") {
      return c.tags().size();
    }
    if (col == "region") {
      return c.tags().region();
    }
    if (col == "source") {
      return c.tags().source();
    }
    if (col == "labels") {
      return absl::StrJoin(labels, ";");
    }
    if (col == "owner") {
      return c.owner();
    }
    if (col == "team") {
      return c.team();
    }
    if (col == "tier") {
      return tier();
    }
    if (col == "pool_state") {
      return c.pool_state() == v1::POOL_STATE_PUBLIC_POOL ? "public_pool" : "owned";
    }
    if (primary == nullptr) {
      return "";
    }
    if (col == "contact_name") {
      return primary->display_name();
    }
    if (col == "contact_title") {
      return primary->title();
    }
    if (col == "contact_phone") {
      return primary->phone();
    }
    if (col == "contact_email") {
      return primary->email();
    }
    return "";
  };
  std::vector<std::string> row;
  for (const std::string& col : columns.empty() ? CustomerCsvColumns() : columns) {
    row.push_back(value(col));
  }
  return row;
}

}  // namespace salesops::customers
