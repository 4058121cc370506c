#include "services/forecast/store/forecast_repository.h"

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"

namespace salesops::forecast {

void ForecastChange::ExpectField(std::string hash, std::string field, std::string value,
                                 std::string tag) {
  guards_.push_back({std::move(hash), std::move(field), std::move(value), std::move(tag)});
}
void ForecastChange::PutDoc(DocKind kind, std::string id, std::string data,
                            int64_t expect_version) {
  puts_.push_back({kind, std::move(id), std::move(data), expect_version});
}
void ForecastChange::SetField(std::string hash, std::string field, std::string value) {
  fields_.push_back({FieldWrite::kSet, std::move(hash), std::move(field), std::move(value), 0});
}
void ForecastChange::IncrementField(std::string hash, std::string field, int64_t by) {
  if (by == 0) {
    return;
  }
  fields_.push_back({FieldWrite::kIncrement, std::move(hash), std::move(field), "", by});
}
void ForecastChange::DeleteField(std::string hash, std::string field) {
  fields_.push_back({FieldWrite::kDelete, std::move(hash), std::move(field), "", 0});
}
void ForecastChange::AddToIndex(std::string index, std::string id) {
  indexes_.push_back({std::move(index), std::move(id), true});
}
void ForecastChange::RemoveFromIndex(std::string index, std::string id) {
  indexes_.push_back({std::move(index), std::move(id), false});
}
void ForecastChange::RememberRequest(std::string caller, std::string request_id,
                                     std::string resource) {
  request_caller_ = std::move(caller);
  request_id_ = std::move(request_id);
  request_resource_ = std::move(resource);
}
void ForecastChange::Emit(CloudEvent event) { events_.push_back(std::move(event)); }

absl::StatusOr<std::vector<std::optional<Doc>>> ForecastRepository::GetDocs(
    DocKind kind, std::vector<std::string> ids) {
  if (ids.empty()) {
    return std::vector<std::optional<Doc>>();
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<ReadResult> r, Read({DocsOp(kind, std::move(ids))}));
  return std::move(r[0].docs);
}

absl::StatusOr<std::optional<Doc>> ForecastRepository::GetDoc(DocKind kind, const std::string& id) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<Doc>> docs, GetDocs(kind, {id}));
  return std::move(docs[0]);
}

absl::StatusOr<std::vector<std::string>> ForecastRepository::Range(const std::string& index,
                                                                   const std::string& after,
                                                                   int limit) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<ReadResult> r, Read({RangeOp(index, after, limit)}));
  return std::move(r[0].ids);
}

absl::StatusOr<std::vector<std::string>> ForecastRepository::GetFields(
    const std::string& hash, std::vector<std::string> fields) {
  if (fields.empty()) {
    return std::vector<std::string>();
  }
  SALESOPS_ASSIGN_OR_RETURN(std::vector<ReadResult> r, Read({FieldsOp(hash, std::move(fields))}));
  return std::move(r[0].values);
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ForecastRepository::GetAllFields(
    const std::string& hash) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<ReadResult> r, Read({AllFieldsOp(hash)}));
  return std::move(r[0].fields);
}

absl::Status ParseDoc(const Doc& doc, google::protobuf::MessageLite* out) {
  if (!out->ParseFromString(doc.data)) {
    return Internal("CORRUPT_DOCUMENT",
                    absl::StrCat("stored document ", doc.id, " does not parse"));
  }
  return absl::OkStatus();
}

}  // namespace salesops::forecast
