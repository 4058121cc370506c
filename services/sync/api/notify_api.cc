// Notification routes (read from the configuration file, shown without their
// URLs' tokens or secrets), the deliveries to them, and an admin's retry of a
// dead-lettered or in-doubt delivery.
#include "common/server/api_support.h"
#include "common/time/proto_time.h"
#include "services/sync/api/api_util.h"
#include "services/sync/api/sync_api.h"

namespace salesops::sync {
namespace {

v1::NotificationDelivery WithEtag(v1::NotificationDelivery d, int64_t version) {
  d.set_etag(absl::StrCat(version));
  return d;
}

}  // namespace

absl::Status SyncApi::ListNotificationRoutes(const CallContext& call,
                                             const v1::ListNotificationRoutesRequest& req,
                                             v1::ListNotificationRoutesResponse* resp) {
  Violations v;
  std::string unit;
  if (!req.org_unit().empty()) {
    unit = ParseResourceName(v, "org_unit", req.org_unit(), kUnitColl);
  }
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  for (const Route& r : routes_.routes()) {
    if (!unit.empty() && r.org_unit != unit) {
      continue;
    }
    *resp->add_routes() = RouteTable::ToProto(r);
  }
  return absl::OkStatus();
}

absl::Status SyncApi::ListDeliveries(const CallContext& call, const v1::ListDeliveriesRequest& req,
                                     v1::ListDeliveriesResponse* resp) {
  Violations v;
  const int page_size =
      CheckPageSize(v, "page_size", req.page_size(), kDefaultPageSize, kMaxPageSize);
  std::string route;
  if (!req.route().empty()) {
    route = IdOf(req.route());
    if (req.route().rfind(absl::StrCat(kRouteColl, "/"), 0) != 0 ||
        routes_.Find(route) == nullptr) {
      v.Add("route", "a configured \"notificationRoutes/{id}\"");
    }
  }
  if (!v1::DeliveryState_IsValid(req.state())) {
    v.Add("state", "unknown state");
  }
  const std::string filter = absl::StrCat(req.route(), "|", req.state());
  auto cursor = DecodePageToken(v, "page_token", req.page_token(), filter);
  SALESOPS_RETURN_IF_ERROR(v.Finish());
  std::string index = Ix("dlv:all");
  if (req.state() != 0) {
    index = Ix("dlv:state:", absl::StrCat(static_cast<int>(req.state())));
  } else if (!route.empty()) {
    index = Ix("dlv:route:", route);
  }
  auto keep = [&](const v1::NotificationDelivery& d) {
    return (req.state() == 0 || d.state() == req.state()) &&
           (route.empty() || d.route() == req.route());
  };
  std::vector<Loaded<v1::NotificationDelivery>> page;
  std::string next;
  SALESOPS_RETURN_IF_ERROR(ScanPage<v1::NotificationDelivery>(
      repo_, call, DocKind::kDelivery, index, cursor, page_size, filter, keep, &page, &next));
  for (auto& l : page) {
    *resp->add_deliveries() = WithEtag(std::move(l.doc), l.version);
  }
  resp->set_next_page_token(next);
  return absl::OkStatus();
}

absl::Status SyncApi::RetryDelivery(const CallContext& call, const v1::RetryDeliveryRequest& req,
                                    v1::RetryDeliveryResponse* resp) {
  // Delivery ids are "<route>~<service>~<event id>", not plain ids.
  const std::string prefix = absl::StrCat(kDeliveryColl, "/");
  if (req.name().rfind(prefix, 0) != 0 || req.name().size() <= prefix.size() ||
      req.name().size() > 300) {
    return InvalidField("name", "\"deliveries/{id}\"");
  }
  const std::string id = IdOf(req.name());
  return WithRetry(!req.etag().empty(), [&]() -> absl::Status {
    SALESOPS_ASSIGN_OR_RETURN(auto got,
                              MustLoad<v1::NotificationDelivery>(repo_, DocKind::kDelivery, id,
                                                                 "DELIVERY_NOT_FOUND", req.name()));
    SALESOPS_RETURN_IF_ERROR(CheckEtag(req.etag(), got.version, req.name()));
    const v1::DeliveryState from = got.doc.state();
    if (from != v1::DELIVERY_STATE_DEAD && from != v1::DELIVERY_STATE_IN_DOUBT) {
      return FailedPrecondition("DELIVERY_STATE",
                                "only a dead-lettered or in-doubt delivery is retried by hand");
    }
    // Due now; the dispatcher's usual policy applies from the attempts it
    // has had (a delivery that used all its attempts gets this one only).
    const absl::Time now = clock_.Now();
    v1::NotificationDelivery d = got.doc;
    d.set_state(v1::DELIVERY_STATE_PENDING);
    *d.mutable_next_attempt_time() = ToTs(now);
    *d.mutable_update_time() = ToTs(now);
    d.clear_etag();
    const std::string entry = Entry(NewestFirst(FromTs(d.create_time())), id);
    Change c;
    c.Unindex(Ix("dlv:state:", absl::StrCat(static_cast<int>(from))), entry);
    c.Index(Ix("dlv:state:", absl::StrCat(static_cast<int>(d.state()))), entry);
    c.Put(DocKind::kDelivery, id, d, got.version);
    c.Unschedule(kDeliveryLease, id);
    c.Schedule(kDeliveryDue, id, absl::ToUnixMillis(now));
    SALESOPS_RETURN_IF_ERROR(repo_.Commit(c));
    *resp->mutable_delivery() = WithEtag(d, got.version + 1);
    return absl::OkStatus();
  });
}

}  // namespace salesops::sync
