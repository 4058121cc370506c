// The life of a commission statement and the disputes raised on its lines,
// as a state machine over plain values: what may change when, and what a
// change after issue becomes instead (an Adjustment for the next statement —
// an issued statement is never edited).
//
//   DRAFT ──Issue──▶ ISSUED ──MarkPaid──▶ PAID
//     ▲ ReplaceDraft (recomputed as facts arrive)
//
//   what              DRAFT   ISSUED  PAID
//   recompute lines   yes     no      no     (STATEMENT_LOCKED)
//   raise a dispute   no      yes     yes    (STATEMENT_NOT_ISSUED)
//   resolve a dispute —       yes     yes
//
//   Dispute: OPEN ──Accept(amount, reason)──▶ ACCEPTED  (an Adjustment for the next statement)
//                 ──Reject(reason)─────────▶ REJECTED
//
//   StatementRecord rec{.statement = ComputeStatement(in).value()};
//   SALESOPS_RETURN_IF_ERROR(IssueStatement(rec, now));
//   SALESOPS_ASSIGN_OR_RETURN(Dispute d, RaiseDispute(rec, {"d-1", 7, "rep-1", "deal 42 was split
//   50/50"}, now)); SALESOPS_ASSIGN_OR_RETURN(Adjustment adj,
//                             AcceptDispute(rec, "d-1", "sup-1", 150'00, "split corrected", now));
//   next_input.carried.adjustments.push_back(adj);
//
// Errors carry stable reasons (common/status/errors.h): FAILED_PRECONDITION
// STATEMENT_NOT_DRAFT / STATEMENT_LOCKED / STATEMENT_NOT_ISSUED /
// STATEMENT_ALREADY_PAID / DISPUTE_ALREADY_RESOLVED; NOT_FOUND LINE_NOT_FOUND /
// DISPUTE_NOT_FOUND; ALREADY_EXISTS DISPUTE_ALREADY_OPEN / DISPUTE_EXISTS;
// PERMISSION_DENIED NOT_STATEMENT_OWNER / SELF_RESOLUTION; INVALID_ARGUMENT
// naming the field. A failed call leaves the record unchanged.
// Thread-safety: plain values; the caller serialises changes (etag).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/performance/domain/commission.h"

namespace salesops::performance {

enum class StatementState { kDraft = 1, kIssued = 2, kPaid = 3 };

enum class DisputeState { kOpen = 1, kAccepted = 2, kRejected = 3 };

struct Dispute {
  std::string dispute_id;
  // The disputed line (StatementLine::line_no).
  int32_t line_no = 0;
  // The rep whose statement it is.
  std::string raised_by;
  std::string reason;
  absl::Time raise_time;
  DisputeState state = DisputeState::kOpen;
  // The supervisor who resolved it, their reason, and for an accepted dispute
  // the adjustment (either sign) carried to the next statement.
  std::string resolved_by;
  std::string resolution;
  int64_t adjustment_minor = 0;
  std::string adjustment_id;
  absl::Time resolve_time;
};

struct StatementRecord {
  Statement statement;
  StatementState state = StatementState::kDraft;
  absl::Time issue_time;
  absl::Time pay_time;
  std::vector<Dispute> disputes;
};

struct DisputeRequest {
  std::string dispute_id;
  int32_t line_no = 0;
  std::string raised_by;
  std::string reason;
};

// Replaces a DRAFT's statement with a recomputation (same statement, member
// and period: INVALID_ARGUMENT "statement.<field>" otherwise).
absl::Status ReplaceDraft(StatementRecord& record, Statement recomputed);

// DRAFT → ISSUED: the lines are locked from now on.
absl::Status IssueStatement(StatementRecord& record, absl::Time now);

// ISSUED → PAID (finance confirmed). Open disputes stay open: their
// adjustments go to a later statement anyway.
absl::Status MarkPaid(StatementRecord& record, absl::Time now);

// The rep raises a dispute on a line of an ISSUED or PAID statement; one
// open dispute per line.
absl::StatusOr<Dispute> RaiseDispute(StatementRecord& record, const DisputeRequest& request,
                                     absl::Time now);

// The supervisor accepts: the statement stays as issued; the returned
// Adjustment (id "<statement id>/disputes/<dispute id>") goes into the next
// statement's carried adjustments. amount != 0, reason required, and the
// resolver may not be the rep.
absl::StatusOr<Adjustment> AcceptDispute(StatementRecord& record, absl::string_view dispute_id,
                                         absl::string_view resolved_by, int64_t adjustment_minor,
                                         absl::string_view reason, absl::Time now);

// The supervisor rejects with a reason (required).
absl::Status RejectDispute(StatementRecord& record, absl::string_view dispute_id,
                           absl::string_view resolved_by, absl::string_view reason, absl::Time now);

// A change after issue: `recomputed` is the issued period computed again with
// the corrected facts. Returns one Adjustment per source (deal, payment,
// bonus, …) whose earnings changed, for the next statement — draw, carried
// and deferred balance lines are left out, as the next statement recomputes
// them. Sorted by source; empty when nothing changed.
std::vector<Adjustment> RestatementAdjustments(const Statement& issued,
                                               const Statement& recomputed);

}  // namespace salesops::performance
