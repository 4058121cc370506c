#include "services/sync/domain/workflow.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"

namespace salesops::sync {

absl::Status CheckLeadStep(v1::LeadState from, v1::LeadState to) {
  bool ok = false;
  switch (to) {
    case v1::LEAD_STATE_CONTACTED:
      ok = from == v1::LEAD_STATE_HANDED_OVER;
      break;
    case v1::LEAD_STATE_QUALIFIED:
    case v1::LEAD_STATE_DISQUALIFIED:
      ok = from == v1::LEAD_STATE_HANDED_OVER || from == v1::LEAD_STATE_CONTACTED;
      break;
    case v1::LEAD_STATE_WON:
    case v1::LEAD_STATE_LOST:
      ok = from == v1::LEAD_STATE_QUALIFIED;
      break;
    default:
      break;
  }
  if (ok) {
    return absl::OkStatus();
  }
  return FailedPrecondition("LEAD_STATE", absl::StrCat("a lead in state ", v1::LeadState_Name(from),
                                                       " cannot become ", v1::LeadState_Name(to)));
}

absl::Status CheckReceptionStep(v1::ReceptionState from, v1::ReceptionState to) {
  bool ok = false;
  if (from == v1::RECEPTION_STATE_PLANNED) {
    ok = to == v1::RECEPTION_STATE_CONFIRMED || to == v1::RECEPTION_STATE_DONE ||
         to == v1::RECEPTION_STATE_CANCELLED;
  } else if (from == v1::RECEPTION_STATE_CONFIRMED) {
    ok = to == v1::RECEPTION_STATE_DONE || to == v1::RECEPTION_STATE_CANCELLED;
  }
  if (ok) {
    return absl::OkStatus();
  }
  return FailedPrecondition("RECEPTION_STATE",
                            absl::StrCat("a reception in state ", v1::ReceptionState_Name(from),
                                         " cannot become ", v1::ReceptionState_Name(to)));
}

}  // namespace salesops::sync
