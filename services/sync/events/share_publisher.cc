#include "services/sync/events/share_publisher.h"

#include "common/status/status_macros.h"
#include "services/sync/domain/indexing.h"
#include "services/sync/domain/names.h"
#include "services/sync/domain/sharing.h"

namespace salesops::sync {
namespace {

constexpr int kPage = 500;

}  // namespace

absl::Status KafkaShareSink::Publish(const std::string& key,
                                     const std::optional<std::string>& value,
                                     const KafkaHeaders& headers) {
  if (!value) {
    return producer_.ProduceTombstoneSync(topic_, key, headers, absl::Seconds(10));
  }
  return producer_.ProduceSync(topic_, key, *value, headers, absl::Seconds(10));
}

absl::StatusOr<int> SharePublisher::RunOnce(int limit) {
  SALESOPS_ASSIGN_OR_RETURN(std::vector<DirtyShare> dirty, repo_.DirtyShares(limit));
  int published = 0;
  for (const DirtyShare& d : dirty) {
    SALESOPS_ASSIGN_OR_RETURN(
        std::optional<Loaded<v1::MinimisedCustomer>> customer,
        LoadDoc<v1::MinimisedCustomer>(repo_, DocKind::kCustomer, d.customer));
    // Every share of the customer, page by page (ended ones stay listed).
    std::vector<v1::CustomerShare> shares;
    for (std::string after;;) {
      SALESOPS_ASSIGN_OR_RETURN(std::vector<std::string> entries,
                                repo_.Range(Ix("share:customer:", d.customer), after, kPage));
      if (entries.empty()) {
        break;
      }
      after = entries.back();
      std::vector<std::string> ids;
      for (const std::string& e : entries) {
        ids.push_back(EntryId(e));
      }
      SALESOPS_ASSIGN_OR_RETURN(std::vector<std::optional<StoredDoc>> docs,
                                repo_.GetMany(DocKind::kShare, ids));
      for (const auto& doc : docs) {
        v1::CustomerShare s;
        if (doc && s.ParseFromString(doc->data)) {
          shares.push_back(std::move(s));
        }
      }
      if (static_cast<int>(entries.size()) < kPage) {
        break;
      }
    }
    const absl::Time now = clock_.Now();
    std::optional<v1::SharedCustomerRecord> record;
    if (customer) {
      record = TopicRecord(customer->doc, shares, now);
    }
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
    if (!cleared) {
      // Changed meanwhile, and perhaps published (and cleared) by another
      // replica before this older record went out: mark it again so the
      // current state is published after it.
      Change again;
      again.dirty_shares.push_back(d.customer);
      SALESOPS_RETURN_IF_ERROR(repo_.Commit(again));
    }
    ++published;
  }
  return published;
}

}  // namespace salesops::sync
