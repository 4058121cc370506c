#include "services/sync/events/share_publisher.h"

#include "common/status/status_macros.h"
#include "services/sync/domain/indexing.h"
#include "services/sync/domain/names.h"
#include "services/sync/domain/sharing.h"

namespace salesops::sync {
namespace {

constexpr int kMaxSharesPerCustomer = 1000;

}  // namespace

absl::Status KafkaShareSink::Publish(const std::string& key,
                                     const std::optional<std::string>& value,
                                     const KafkaHeaders& headers) {
  if (!value) return producer_.ProduceTombstoneSync(topic_, key, headers, absl::Seconds(10));
  return producer_.ProduceSync(topic_, key, *value, headers, absl::Seconds(10));
}

absl::StatusOr<int> SharePublisher::RunOnce(int limit) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<DirtyShare> dirty, repo_.DirtyShares(limit));
  int published = 0;
  for (const DirtyShare& d : dirty) {
    SALESOPS_ASSIGN_OR_RETURN(
        std::optional<Loaded<v1::MinimisedCustomer>> customer,
        LoadDoc<v1::MinimisedCustomer>(repo_, DocKind::kCustomer, d.customer));
    SALESOPS_ASSIGN_OR_RETURN(
        std::vector<std::string> entries,
        repo_.Range(Ix("share:customer:", d.customer), "", kMaxSharesPerCustomer));
    std::vector<std::string> ids;
    for (const std::string& e : entries) ids.push_back(EntryId(e));
    SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<StoredDoc>> docs,
                              repo_.GetMany(DocKind::kShare, ids));
    std::vector<v1::CustomerShare> shares;
    for (const auto& doc : docs) {
      v1::CustomerShare s;
      if (doc && s.ParseFromString(doc->data)) shares.push_back(std::move(s));
    }
    const absl::Time now = clock_.Now();
    std::optional<v1::SharedCustomerRecord> record;
    if (customer) record = TopicRecord(customer->doc, shares, now);
    const std::string subject = Name(kCustomerColl, d.customer);
    std::optional<std::string> value;
    v1::SharedCustomerRecord payload;
    if (record) {
      payload = *record;
      value = payload.SerializeAsString();
    }
    // The record's envelope is a CloudEvent like every other record of ours,
    // so consumers find its type and schema from the headers alone.
    CloudEvent envelope = MakeCloudEvent(kSyncSource, d.customer, subject, payload, now, "");
    SALESOPS_RETURN_IF_ERROR(sink_.Publish(d.customer, value, ToKafkaHeaders(envelope)));
    SALESOPS_ASSIGN_OR_RETURN(bool cleared, repo_.ClearDirtyShare(d));
    (void)cleared;  // changed meanwhile: the mark stays, the next pass publishes again
    ++published;
  }
  return published;
}

}  // namespace salesops::sync
