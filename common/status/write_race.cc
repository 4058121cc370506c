#include "common/status/write_race.h"

#include "common/status/errors.h"
#include "common/status/reasons.h"

namespace salesops {

bool IsWriteRace(const absl::Status& s) {
  if (s.code() != absl::StatusCode::kAborted) {
    return false;
  }
  const std::string r = ErrorReason(s);
  return r == reason::kEtagMismatch || r == reason::kWriteConflict ||
         r == "CONCURRENT_REORGANISATION" || r == "CONCURRENT_CLAIM";
}

bool IsEtagMismatch(const absl::Status& s) {
  return s.code() == absl::StatusCode::kAborted && ErrorReason(s) == reason::kEtagMismatch;
}

namespace {

bool NonEmptyEtag(const google::protobuf::Message& m) {
  const auto* f = m.GetDescriptor()->FindFieldByName("etag");
  return f != nullptr && !f->is_repeated() &&
         f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING &&
         !m.GetReflection()->GetString(m, f).empty();
}

}  // namespace

bool CarriesEtag(const google::protobuf::Message& req) {
  if (NonEmptyEtag(req)) {
    return true;
  }
  const auto* d = req.GetDescriptor();
  const auto* refl = req.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->is_repeated() || f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE ||
        !refl->HasField(req, f)) {
      continue;
    }
    if (NonEmptyEtag(refl->GetMessage(req, f))) {
      return true;
    }
  }
  return false;
}

}  // namespace salesops
