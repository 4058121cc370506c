// CSV import and export of customers. An import is validated row by row and
// then written as ONE atomic batch: with on_conflict FAIL (the default) any bad
// or duplicate row means nothing is imported; with SKIP the valid rows are
// imported together and the others reported. Never a silent half-import.
#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/csv/csv.h"
#include "common/ids/ids.h"
#include "common/status/errors.h"
#include "common/status/reasons.h"
#include "common/status/status_macros.h"
#include "common/validation/validation.h"
#include "services/customers/api/api_ops.h"
#include "services/customers/api/customers_api.h"
#include "services/customers/domain/customer_csv.h"
#include "services/customers/domain/customer_rules.h"
#include "services/customers/domain/pool.h"
#include "services/customers/domain/reasons.h"
#include "services/customers/domain/tiering.h"

namespace salesops::customers {

using namespace internal;  // NOLINT: the API's own helpers

namespace {
// One import is one all-or-nothing script; Redis runs nothing else meanwhile.
// 1,000 rows keep that script around 10 ms; larger files go in parts (each
// part all-or-nothing, a retried part recognised by its request_id).
constexpr size_t kMaxImportRows = 1000;
constexpr size_t kMaxImportBytes = 2 << 20;
}  // namespace

absl::Status CustomersApi::ImportCustomersCsv(const CallContext& call,
                                              const v1::ImportCustomersCsvRequest& req,
                                              v1::ImportCustomersCsvResponse* resp) {
  Violations v;
  if (req.csv().size() > kMaxImportBytes) {
    v.Add("csv", "larger than 2 MiB; split the file");
  }
  if (req.on_conflict() == v1::IMPORT_CONFLICT_POLICY_UPDATE) {
    v.Add("on_conflict", "UPDATE is not supported by import; use SKIP or FAIL and UpdateCustomer");
  }
  if (!v1::ImportConflictPolicy_IsValid(req.on_conflict())) {
    v.Add("on_conflict", "unknown policy");
  }
  std::string default_owner;
  if (!req.default_owner().empty()) {
    default_owner = IdOf(v, "default_owner", req.default_owner(), "members");
  }
  CheckRequestId(v, req.request_id());
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  SALESOPS_ASSIGN_OR_RETURN(auto seen, SeenRequest(store_, call, req.request_id()));
  if (seen) {
    return AlreadyExists("IMPORT_ALREADY_DONE",
                         absl::StrCat("this import was already run: ", *seen), *seen);
  }
  SALESOPS_ASSIGN_OR_RETURN(CsvDocument doc, ParseCsv(req.csv(), kMaxImportRows));
  SALESOPS_ASSIGN_OR_RETURN(CustomerColumns cols, MapHeader(doc.header));
  const bool skip = req.on_conflict() == v1::IMPORT_CONFLICT_POLICY_SKIP;
  const absl::Time now = clock_.Now();
  SALESOPS_ASSIGN_OR_RETURN(Policies policies, LoadPolicies(store_));

  WriteBatch b;
  absl::flat_hash_map<std::string, int> tax_rows, phone_rows, id_rows;  // within the file
  std::vector<v1::Customer> created;
  int failed = 0, skipped = 0;
  for (const CsvRow& row : doc.rows) {
    v1::ImportRowResult* result = resp->add_rows();
    result->set_row_number(row.line);
    auto fail = [&](const std::string& column, const std::string& message) {
      v1::CsvFieldError* e = result->add_errors();
      e->set_column(column);
      e->set_message(message);
    };
    if (!row.error.empty()) {
      fail("", row.error);
    } else {
      CustomerRow parsed = RowToCustomer(cols, row.cells);
      for (const auto& e : parsed.errors) {
        fail(e.column, e.message);
      }
      v1::Customer& c = parsed.customer;
      if (!parsed.customer_id.empty() && !IsValidId(parsed.customer_id)) {
        fail("customer_id", "letters, digits and '-', 3..63 characters");
      }
      std::string owner = c.owner().empty() ? default_owner : StripPrefix(c.owner());
      std::string team, region = StripPrefix(c.tags().region());
      if (!owner.empty() && result->errors_size() == 0) {
        SALESOPS_ASSIGN_OR_RETURN(auto m, directory_.Member(owner));
        if (!m || m->left) {
          fail("owner", absl::StrCat("members/", owner, " is not an active member"));
        } else {
          team = m->team;
          std::string owner_region;
          SALESOPS_ASSIGN_OR_RETURN(owner_region, directory_.RegionOf(team));
          // An owned customer sits in its owner's region (as CreateCustomer).
          if (!region.empty() && region != owner_region) {
            fail("region", "must be the owner's region or empty");
          }
          region = owner_region;
          if (!InOwnerScope(call.principal, {owner, team, owner_region})) {
            fail("owner", absl::StrCat("members/", owner, " is outside your scope"));
          }
        }
      } else if (owner.empty() && result->errors_size() == 0) {
        if (!region.empty()) {
          SALESOPS_ASSIGN_OR_RETURN(int kind, directory_.KindOf(region));
          if (kind != 2) {
            fail("region", "is not a known region");  // ORG_UNIT_KIND_REGION
          }
        }
        if (!InOwnerScope(call.principal, {"", "", region}) &&
            call.principal.role != Role::kAdmin && call.principal.role != Role::kDirector) {
          fail("region", "pool customers outside your region need a director");
        }
      }
      // Duplicates against the file and the store.
      const std::string tax = NormalTaxId(c.tax_id()), phone = NormalPhone(c.phone());
      std::string dup;
      if (!tax.empty()) {
        if (auto it = tax_rows.find(tax); it != tax_rows.end()) {
          fail("tax_id", absl::StrCat("same tax_id as row ", it->second));
        } else {
          SALESOPS_ASSIGN_OR_RETURN(auto existing, store_.GetString(UniqueTaxIdKey(tax)));
          if (existing) {
            dup = absl::StrCat("tax_id is already used by customers/", *existing);
          }
        }
      }
      if (!phone.empty() && dup.empty()) {
        if (auto it = phone_rows.find(phone); it != phone_rows.end()) {
          fail("phone", absl::StrCat("same phone as row ", it->second));
        } else {
          SALESOPS_ASSIGN_OR_RETURN(auto existing, store_.GetString(UniquePhoneKey(phone)));
          if (existing) {
            dup = absl::StrCat("phone is already used by customers/", *existing);
          }
        }
      }
      const std::string id = parsed.customer_id.empty() ? NewUuid() : parsed.customer_id;
      if (!parsed.customer_id.empty()) {
        if (auto it = id_rows.find(id); it != id_rows.end()) {
          fail("customer_id", absl::StrCat("same customer_id as row ", it->second));
        } else {
          SALESOPS_ASSIGN_OR_RETURN(bool exists,
                                    store_.Exists(CustomersStore::DocKey(kCustomer, id)));
          if (exists && dup.empty()) {
            dup = absl::StrCat("customers/", id, " already exists");
          }
        }
      }
      if (result->errors_size() == 0 && !dup.empty()) {
        if (skip) {
          result->set_status(v1::IMPORT_ROW_STATUS_SKIPPED);
          v1::CsvFieldError* e = result->add_errors();
          e->set_message(dup);
          ++skipped;
          continue;
        }
        fail("", dup);
      }
      if (result->errors_size() == 0) {
        if (!tax.empty()) {
          tax_rows[tax] = row.line;
        }
        if (!phone.empty()) {
          phone_rows[phone] = row.line;
        }
        id_rows[id] = row.line;
        c.set_name(absl::StrCat("customers/", id));
        c.set_owner(owner.empty() ? "" : absl::StrCat("members/", owner));
        c.set_team(team.empty() ? "" : absl::StrCat("orgUnits/", team));
        c.mutable_tags()->set_region(region.empty() ? "" : absl::StrCat("orgUnits/", region));
        c.set_pool_state(owner.empty() ? v1::POOL_STATE_PUBLIC_POOL : v1::POOL_STATE_OWNED);
        if (!owner.empty()) {
          *c.mutable_protection_until() = ToTs(ProtectionUntil(policies.pool, now));
        }
        int n = 0;
        for (auto& ct : *c.mutable_contacts()) {
          ct.set_contact_id(absl::StrCat("c", ++n));
        }
        *c.mutable_score() = Score(policies.tier, PurchaseFacts{}, now);
        c.set_tier(TierFor(policies.tier, c.score().total_score()));
        *c.mutable_create_time() = ToTs(now);
        *c.mutable_update_time() = ToTs(now);
        *c.mutable_last_activity_time() = ToTs(now);
        CustomersStore::PutDoc(b, kCustomer, id, c, 0);
        if (!tax.empty()) {
          b.ExpectAbsent(UniqueTaxIdKey(tax), "tax_id:");
          b.Set(UniqueTaxIdKey(tax), id);
        }
        if (!phone.empty()) {
          b.ExpectAbsent(UniquePhoneKey(phone), "phone:");
          b.Set(UniquePhoneKey(phone), id);
        }
        ReindexCustomer(b, nullptr, c);
        if (!owner.empty()) {
          b.HIncrBy(OwnedCountsKey(), owner, 1);
        }
        TouchActivity(b, c, now, policies.pool);
        ScheduleTier(b, id, now + absl::Hours(24) * policies.tier.reevaluate_every_days());
        v1::CustomerCreated e;
        *e.mutable_customer() = c;
        *e.mutable_actor() = ActorOf(call);
        Emit(b, call, id, c.name(), e, now);
        result->set_status(v1::IMPORT_ROW_STATUS_CREATED);
        result->set_customer(c.name());
        created.push_back(c);
        continue;
      }
    }
    result->set_status(v1::IMPORT_ROW_STATUS_FAILED);
    ++failed;
  }
  const bool all_or_nothing = !skip;
  if ((all_or_nothing && failed > 0) || req.dry_run() || created.empty()) {
    // Nothing is written: report what would have happened.
    for (auto& r : *resp->mutable_rows()) {
      if (r.status() == v1::IMPORT_ROW_STATUS_CREATED && !req.dry_run()) {
        r.set_status(v1::IMPORT_ROW_STATUS_SKIPPED);
        r.clear_customer();
        v1::CsvFieldError* e = r.add_errors();
        e->set_message("not imported: other rows failed and on_conflict is FAIL (all or nothing)");
      }
    }
    resp->set_created_count(
        req.dry_run() && !(all_or_nothing && failed > 0) ? static_cast<int>(created.size()) : 0);
    resp->set_failed_count(failed);
    resp->set_skipped_count(
        req.dry_run()
            ? skipped
            : skipped + (all_or_nothing && failed > 0 ? static_cast<int>(created.size()) : 0));
    return absl::OkStatus();
  }
  GuardRequest(b, call, req.request_id(), absl::StrCat("imports/", req.request_id()));
  absl::Status s = store_.Commit(b);
  if (ErrorReason(s) == reason::kDuplicateTaxId || ErrorReason(s) == reason::kDuplicatePhone ||
      ErrorReason(s) == reason::kResourceExists) {
    return Aborted("IMPORT_CONFLICT",
                   absl::StrCat("a customer created meanwhile conflicts with this import (",
                                s.message(), "); nothing was imported, run it again"));
  }
  SALESOPS_RETURN_IF_ERROR(s);
  resp->set_created_count(static_cast<int>(created.size()));
  resp->set_failed_count(failed);
  resp->set_skipped_count(skipped);
  return absl::OkStatus();
}

absl::Status CustomersApi::ExportCustomersCsv(const CallContext& call,
                                              const v1::ExportCustomersCsvRequest& req,
                                              v1::ExportCustomersCsvResponse* resp) {
  Violations v;
  for (int i = 0; i < req.columns_size(); ++i) {
    const auto& known = CustomerCsvColumns();
    if (std::find(known.begin(), known.end(), req.columns(i)) == known.end()) {
      v.Add(absl::StrCat("columns[", i, "]"),
            absl::StrCat("unknown column ", QuoteUntrusted(req.columns(i))));
    }
  }
  if (req.page_size() < 0) {
    v.Add("page_size", "must not be negative");
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  v1::ListCustomersRequest list;
  list.set_page_size(req.page_size() == 0 ? 1000 : std::min(req.page_size(), 1000));
  list.set_page_token(req.page_token());
  list.set_owner(req.owner());
  list.set_team(req.team());
  list.set_pool_state(req.pool_state());
  list.set_tier(req.tier());
  list.set_region(req.region());
  list.set_industry(req.industry());
  *list.mutable_labels() = req.labels();
  list.set_query(req.query());
  v1::ListCustomersResponse page;
  SALESOPS_RETURN_IF_ERROR(ListCustomers(call, list, &page));
  std::vector<std::string> columns(req.columns().begin(), req.columns().end());
  if (columns.empty()) {
    columns = CustomerCsvColumns();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : page.customers()) {
    rows.push_back(CustomerToRow(c, columns));
  }
  // Only the first page carries the BOM, so pages can be concatenated.
  resp->set_csv(WriteCsv(columns, rows, req.page_token().empty()));
  resp->set_row_count(static_cast<int>(rows.size()));
  resp->set_next_page_token(page.next_page_token());
  return absl::OkStatus();
}

}  // namespace salesops::customers
