#include "services/performance/domain/statement_lifecycle.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace salesops::performance {
namespace {

absl::string_view StateName(StatementState state) {
  switch (state) {
    case StatementState::kDraft:
      return "DRAFT";
    case StatementState::kIssued:
      return "ISSUED";
    case StatementState::kPaid:
      return "PAID";
  }
  return "UNKNOWN";
}

// Lines that are earnings (and so restated); draw and balance lines are
// recomputed by the next statement itself.
bool IsEarnings(LineKind kind) {
  switch (kind) {
    case LineKind::kAdjustment:
    case LineKind::kCarriedBalance:
    case LineKind::kDrawAdvance:
    case LineKind::kDrawRecovery:
    case LineKind::kDeferredBalance:
      return false;
    default:
      return true;
  }
}

std::string FormatMinor(int64_t minor) {
  const bool negative = minor < 0;
  const uint64_t m = negative ? 0 - static_cast<uint64_t>(minor) : static_cast<uint64_t>(minor);
  return absl::StrCat(negative ? "-" : "", m / 100, ".", m % 100 < 10 ? "0" : "", m % 100);
}

absl::StatusOr<Dispute*> OpenDispute(StatementRecord& record, absl::string_view dispute_id,
                                     absl::string_view resolved_by, absl::string_view reason) {
  const auto it = std::find_if(record.disputes.begin(), record.disputes.end(),
                               [&](const Dispute& d) { return d.dispute_id == dispute_id; });
  if (it == record.disputes.end()) {
    return NotFound("DISPUTE_NOT_FOUND",
                    absl::StrCat("no dispute ", QuoteUntrusted(dispute_id), " on statement ",
                                 QuoteUntrusted(record.statement.statement_id)));
  }
  if (it->state != DisputeState::kOpen) {
    return FailedPrecondition(
        "DISPUTE_ALREADY_RESOLVED",
        absl::StrCat("dispute ", QuoteUntrusted(dispute_id), " is already resolved"));
  }
  if (resolved_by.empty()) {
    return InvalidField("resolved_by", "must not be empty");
  }
  if (resolved_by == record.statement.member_id) {
    return PermissionDenied("SELF_RESOLUTION",
                            "a rep cannot resolve a dispute on their own statement");
  }
  if (reason.empty()) {
    return InvalidField("reason", "must say why");
  }
  return &*it;
}

}  // namespace

absl::Status ReplaceDraft(StatementRecord& record, Statement recomputed) {
  if (record.state != StatementState::kDraft) {
    return FailedPrecondition("STATEMENT_LOCKED",
                              absl::StrCat("statement is ", StateName(record.state),
                                           "; a change becomes an adjustment on the next one"));
  }
  Violations v;
  if (recomputed.statement_id != record.statement.statement_id) {
    v.Add("statement.statement_id", "must be the draft's statement");
  }
  if (recomputed.member_id != record.statement.member_id) {
    v.Add("statement.member_id", "must be the draft's member");
  }
  if (recomputed.period_id != record.statement.period_id) {
    v.Add("statement.period_id", "must be the draft's period");
  }
  if (absl::Status st = v.Finish(); !st.ok()) {
    return st;
  }
  record.statement = std::move(recomputed);
  return absl::OkStatus();
}

absl::Status IssueStatement(StatementRecord& record, absl::Time now) {
  if (record.state != StatementState::kDraft) {
    return FailedPrecondition(
        "STATEMENT_NOT_DRAFT",
        absl::StrCat("only a DRAFT statement can be issued; it is ", StateName(record.state)));
  }
  record.state = StatementState::kIssued;
  record.issue_time = now;
  return absl::OkStatus();
}

absl::Status MarkPaid(StatementRecord& record, absl::Time now) {
  if (record.state == StatementState::kPaid) {
    return FailedPrecondition("STATEMENT_ALREADY_PAID", "the statement is already paid");
  }
  if (record.state != StatementState::kIssued) {
    return FailedPrecondition("STATEMENT_NOT_ISSUED", "issue the statement before paying it");
  }
  record.state = StatementState::kPaid;
  record.pay_time = now;
  return absl::OkStatus();
}

absl::StatusOr<Dispute> RaiseDispute(StatementRecord& record, const DisputeRequest& request,
                                     absl::Time now) {
  if (record.state == StatementState::kDraft) {
    return FailedPrecondition("STATEMENT_NOT_ISSUED",
                              "a DRAFT statement is still recomputed; dispute it once issued");
  }
  Violations v;
  if (request.dispute_id.empty()) {
    v.Add("dispute_id", "must not be empty");
  }
  if (request.reason.empty()) {
    v.Add("reason", "must say what is wrong with the line");
  }
  if (absl::Status st = v.Finish(); !st.ok()) {
    return st;
  }
  if (request.raised_by != record.statement.member_id) {
    return PermissionDenied("NOT_STATEMENT_OWNER",
                            "only the rep whose statement it is can raise a dispute on it");
  }
  const std::vector<StatementLine>& lines = record.statement.lines;
  const bool line_exists = std::any_of(lines.begin(), lines.end(), [&](const StatementLine& l) {
    return l.line_no == request.line_no;
  });
  if (!line_exists) {
    return NotFound("LINE_NOT_FOUND", absl::StrCat("statement has no line ", request.line_no));
  }
  for (const Dispute& d : record.disputes) {
    if (d.dispute_id == request.dispute_id) {
      return AlreadyExists("DISPUTE_EXISTS", "a dispute with this id exists",
                           absl::StrCat(record.statement.statement_id, "/disputes/", d.dispute_id));
    }
    if (d.line_no == request.line_no && d.state == DisputeState::kOpen) {
      return AlreadyExists("DISPUTE_ALREADY_OPEN", "the line already has an open dispute",
                           absl::StrCat(record.statement.statement_id, "/disputes/", d.dispute_id));
    }
  }
  Dispute d;
  d.dispute_id = request.dispute_id;
  d.line_no = request.line_no;
  d.raised_by = request.raised_by;
  d.reason = request.reason;
  d.raise_time = now;
  record.disputes.push_back(d);
  return d;
}

absl::StatusOr<Adjustment> AcceptDispute(StatementRecord& record, absl::string_view dispute_id,
                                         absl::string_view resolved_by, int64_t adjustment_minor,
                                         absl::string_view reason, absl::Time now) {
  absl::StatusOr<Dispute*> open = OpenDispute(record, dispute_id, resolved_by, reason);
  if (!open.ok()) {
    return open.status();
  }
  if (adjustment_minor == 0 || adjustment_minor > kMaxAmountMinor ||
      adjustment_minor < -kMaxAmountMinor) {
    return InvalidField(
        "adjustment_minor",
        "must be non-zero and within ±10^15 (reject the dispute to change nothing)");
  }
  Dispute& d = **open;
  d.state = DisputeState::kAccepted;
  d.resolved_by = std::string(resolved_by);
  d.resolution = std::string(reason);
  d.adjustment_minor = adjustment_minor;
  d.adjustment_id = absl::StrCat(record.statement.statement_id, "/disputes/", d.dispute_id);
  d.resolve_time = now;
  Adjustment adj;
  adj.adjustment_id = d.adjustment_id;
  adj.source = absl::StrCat("statements/", record.statement.statement_id, "/lines/", d.line_no);
  adj.original_statement_id = record.statement.statement_id;
  adj.reason = absl::StrCat("dispute ", d.dispute_id, " accepted: ", reason);
  adj.amount_minor = adjustment_minor;
  return adj;
}

absl::Status RejectDispute(StatementRecord& record, absl::string_view dispute_id,
                           absl::string_view resolved_by, absl::string_view reason,
                           absl::Time now) {
  absl::StatusOr<Dispute*> open = OpenDispute(record, dispute_id, resolved_by, reason);
  if (!open.ok()) {
    return open.status();
  }
  Dispute& d = **open;
  d.state = DisputeState::kRejected;
  d.resolved_by = std::string(resolved_by);
  d.resolution = std::string(reason);
  d.resolve_time = now;
  return absl::OkStatus();
}

std::vector<Adjustment> RestatementAdjustments(const Statement& issued,
                                               const Statement& recomputed) {
  // source → (issued, recomputed) earnings; std::map keeps the output sorted.
  std::map<std::string, std::pair<int64_t, int64_t>> by_source;
  for (const StatementLine& l : issued.lines) {
    if (IsEarnings(l.kind)) {
      by_source[l.source].first += l.amount_minor;
    }
  }
  for (const StatementLine& l : recomputed.lines) {
    if (IsEarnings(l.kind)) {
      by_source[l.source].second += l.amount_minor;
    }
  }
  std::vector<Adjustment> out;
  for (const auto& [source, amounts] : by_source) {
    const int64_t delta = amounts.second - amounts.first;
    if (delta == 0) {
      continue;
    }
    Adjustment a;
    a.adjustment_id = absl::StrCat(issued.statement_id, "/restated/", source);
    a.source = source;
    a.original_statement_id = issued.statement_id;
    a.reason =
        absl::StrCat("restated after issue: ", source, " earned ", FormatMinor(amounts.first),
                     ", should have earned ", FormatMinor(amounts.second));
    a.amount_minor = delta;
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace salesops::performance
