// Early-return helpers for absl::Status / absl::StatusOr, which our Abseil
// (20220623) does not ship.
//
//   SALESOPS_RETURN_IF_ERROR(repo.Save(unit));
//   SALESOPS_ASSIGN_OR_RETURN(OrgUnit unit, repo.Get(id));
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SALESOPS_RETURN_IF_ERROR(expr)            \
  do {                                            \
    if (::absl::Status _st = (expr); !_st.ok()) { \
      return _st;                                 \
    }                                             \
  } while (0)

#define SALESOPS_CONCAT_INNER_(a, b) a##b
#define SALESOPS_CONCAT_(a, b) SALESOPS_CONCAT_INNER_(a, b)

#define SALESOPS_ASSIGN_OR_RETURN(lhs, expr) \
  SALESOPS_ASSIGN_OR_RETURN_IMPL_(SALESOPS_CONCAT_(_statusor_, __LINE__), lhs, expr)

#define SALESOPS_ASSIGN_OR_RETURN_IMPL_(var, lhs, expr) \
  auto var = (expr);                                    \
  if (!var.ok()) {                                      \
    return std::move(var).status();                     \
  }                                                     \
  lhs = std::move(var).value()
