#include "services/sync/notify/messages.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/money/money.h"
#include "common/time/proto_time.h"
#include "salesops/forecast/v1/forecast_events.pb.h"
#include "salesops/performance/v1/performance_events.pb.h"
#include "salesops/sync/v1/sync_events.pb.h"
#include "salesops/targets/v1/targets_events.pb.h"
#include "salesops/warning/v1/warning_events.pb.h"
#include "services/sync/domain/names.h"

namespace salesops::sync {
namespace {

namespace sv1 = salesops::sync::v1;
namespace wv1 = salesops::warning::v1;

// Builds "> label：value" lines in the route's language.
class Lines {
 public:
  explicit Lines(bool zh) : zh_(zh) {}
  Lines& Add(const char* zh, const char* en, const std::string& value) {
    if (!value.empty()) {
      absl::StrAppend(&out_, "> ", zh_ ? zh : en, zh_ ? "：" : ": ", value, "\n");
    }
    return *this;
  }
  Lines& Text(const std::string& text) {
    if (!text.empty()) {
      absl::StrAppend(&out_, text, "\n\n");
    }
    return *this;
  }
  std::string Done() const { return out_; }

 private:
  bool zh_;
  std::string out_;
};

std::string Group(uint64_t v) {
  std::string digits = absl::StrCat(v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out.push_back(',');
    }
    out.push_back(digits[i]);
  }
  return out;
}

// At most `max_bytes` of `text`, never ending inside a UTF-8 character (a
// split one would not survive a proto3 string field or the platforms' JSON).
std::string Prefix(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) {
    return text;
  }
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return text.substr(0, end);
}

std::string Day(const salesops::common::v1::Date& d) {
  if (d.year() == 0) {
    return "";
  }
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

std::string When(const google::protobuf::Timestamp& ts, absl::TimeZone tz) {
  if (ts.seconds() == 0 && ts.nanos() == 0) {
    return "";
  }
  return absl::FormatTime("%Y-%m-%d %H:%M", FromTs(ts), tz);
}

const char* SeverityText(wv1::Severity s, bool zh) {
  switch (s) {
    case wv1::SEVERITY_CRITICAL:
      return zh ? "严重" : "critical";
    case wv1::SEVERITY_WARNING:
      return zh ? "警告" : "warning";
    default:
      return zh ? "提示" : "info";
  }
}

const char* FeedbackStateText(sv1::FeedbackState s, bool zh) {
  switch (s) {
    case sv1::FEEDBACK_STATE_ACCEPTED:
      return zh ? "已采纳" : "accepted";
    case sv1::FEEDBACK_STATE_DECLINED:
      return zh ? "暂不采纳" : "declined";
    case sv1::FEEDBACK_STATE_DONE:
      return zh ? "已完成" : "done";
    default:
      return zh ? "处理中" : "open";
  }
}

const char* DepartmentText(sv1::Department d, bool zh) {
  switch (d) {
    case sv1::DEPARTMENT_PRODUCT:
      return zh ? "产品部" : "product";
    case sv1::DEPARTMENT_MARKETING:
      return zh ? "市场部" : "marketing";
    case sv1::DEPARTMENT_SALES:
      return zh ? "销售部" : "sales";
    default:
      return "";
  }
}

template <typename M>
absl::StatusOr<M> Decode(const CloudEvent& e) {
  return DecodePayload<M>(e);
}

Notice Make(std::string subject, std::string title, std::string markdown,
            std::vector<std::string> units, bool audience = false) {
  Notice n;
  n.subject = std::move(subject);
  n.title = std::move(title);
  n.markdown = std::move(markdown);
  for (std::string& u : units) {
    if (!u.empty()) {
      n.units.push_back(IdOf(u));
    }
  }
  n.audience = audience;
  return n;
}

std::vector<std::string> AudienceUnits(const sv1::Audience& a) {
  return {a.org_units().begin(), a.org_units().end()};
}

}  // namespace

std::string DisplayMoney(const salesops::common::v1::Money& m) {
  if (m.currency_code() != "CNY") {
    return FormatMoney({m.amount_minor(), m.currency_code()});
  }
  const int64_t a = m.amount_minor();
  // Unsigned, so INT64_MIN negates without overflow (as FormatMoney does).
  const uint64_t abs = a < 0 ? 0 - static_cast<uint64_t>(a) : static_cast<uint64_t>(a);
  return absl::StrCat(a < 0 ? "-" : "", "¥", Group(abs / 100), ".",
                      absl::Dec(abs % 100, absl::kZeroPad2));
}

Digest DigestOf(const std::vector<DigestItem>& items, const std::string& language,
                size_t max_bytes) {
  const bool zh = language != "en";
  Digest d;
  bool warnings = false;
  for (const DigestItem& item : items) {
    // The first line with words in it, without the bold marks around it.
    std::string line;
    for (absl::string_view l : absl::StrSplit(item.markdown, '\n', absl::SkipWhitespace())) {
      l = absl::StripAsciiWhitespace(l);
      if (absl::StartsWith(l, "**") && absl::EndsWith(l, "**") && l.size() >= 4) {
        l = l.substr(2, l.size() - 4);
      }
      line = std::string(l);
      break;
    }
    const std::string entry =
        absl::StrCat(d.count + 1, ". **", item.title, "**", line.empty() ? "" : "\n", line, "\n\n");
    if (d.count > 0 && d.markdown.size() + entry.size() > max_bytes) {
      break;
    }
    absl::StrAppend(&d.markdown, Prefix(entry, max_bytes));
    warnings = warnings || absl::StrContains(item.title, zh ? "预警" : "Warning");
    ++d.count;
  }
  d.title = zh ? absl::StrCat("【汇总】", d.count, " 条通知", warnings ? "（含预警）" : "")
               : absl::StrCat("[Digest] ", d.count, d.count == 1 ? " notice" : " notices",
                              warnings ? " (Warnings among them)" : "");
  return d;
}

absl::StatusOr<std::optional<Notice>> NoticeFor(const CloudEvent& e, const std::string& language,
                                                absl::TimeZone tz) {
  const bool zh = language != "en";
  const std::string& t = e.type;
  Lines l(zh);
  if (t == "salesops.warning.v1.WarningRaised") {
    auto ev = Decode<wv1::WarningRaised>(e);
    if (!ev.ok()) {
      return ev.status();
    }
    const wv1::Warning& w = ev->warning();
    const std::string text = zh ? w.message().zh() : w.message().en();
    l.Text(absl::StrCat("**", text.empty() ? w.subject_display_name() : text, "**"))
        .Add("对象", "Subject", w.subject_display_name())
        .Add("负责人", "Owner", w.responsible_supervisor())
        .Add("销售", "Rep", w.rep())
        .Add("规则", "Rule", w.rule())
        .Add("时间", "Raised", When(w.raise_time(), tz))
        .Add("编号", "Id", w.name());
    return Make(w.name(),
                absl::StrCat(zh ? "【预警·" : "[Warning · ", SeverityText(w.severity(), zh),
                             zh ? "】" : "] ", w.subject_display_name()),
                l.Done(), {w.org_unit()});
  }
  if (t == "salesops.sync.v1.TaskForceProposed" || t == "salesops.sync.v1.TaskForceFormed") {
    const bool proposed = t == "salesops.sync.v1.TaskForceProposed";
    sv1::TaskForce f;
    if (proposed) {
      auto ev = Decode<sv1::TaskForceProposed>(e);
      if (!ev.ok()) {
        return ev.status();
      }
      f = ev->task_force();
    } else {
      auto ev = Decode<sv1::TaskForceFormed>(e);
      if (!ev.ok()) {
        return ev.status();
      }
      f = ev->task_force();
    }
    std::vector<std::string> members;
    for (const auto& m : f.members()) {
      members.push_back(m.member());
    }
    l.Text(f.objective())
        .Add("商机", "Deal", f.opportunity())
        .Add("金额", "Amount", f.has_amount() ? DisplayMoney(f.amount()) : "")
        .Add("成员", "Members", absl::StrJoin(members, "、"))
        .Add("编号", "Id", f.name());
    return Make(f.name(),
                absl::StrCat(proposed ? (zh ? "【联合攻坚组提议】" : "[Task force proposed] ")
                                      : (zh ? "【联合攻坚组成立】" : "[Task force formed] "),
                             f.title()),
                l.Done(), {f.team()});
  }
  if (t == "salesops.sync.v1.FeedbackResponded") {
    auto ev = Decode<sv1::FeedbackResponded>(e);
    if (!ev.ok()) {
      return ev.status();
    }
    const sv1::Feedback& f = ev->feedback();
    l.Text(f.response())
        .Add("结论", "Decision", FeedbackStateText(f.state(), zh))
        .Add("计划日期", "Planned", Day(f.planned_date()))
        .Add("答复人", "By", f.responded_by())
        .Add("提交人", "Author", f.author())
        .Add("编号", "Id", f.name());
    return Make(f.name(), absl::StrCat(zh ? "【反馈已答复】" : "[Feedback answered] ", f.title()),
                l.Done(), {f.author_team()});
  }
  if (t == "salesops.sync.v1.FeedbackRouted" || t == "salesops.sync.v1.FeedbackOverdue") {
    const bool overdue = t == "salesops.sync.v1.FeedbackOverdue";
    sv1::Feedback f;
    if (overdue) {
      auto ev = Decode<sv1::FeedbackOverdue>(e);
      if (!ev.ok()) {
        return ev.status();
      }
      f = ev->feedback();
    } else {
      auto ev = Decode<sv1::FeedbackRouted>(e);
      if (!ev.ok()) {
        return ev.status();
      }
      f = ev->feedback();
    }
    l.Text(Prefix(f.body(), 600))
        .Add("部门", "Department", DepartmentText(f.routed_department(), zh))
        .Add("影响金额", "Revenue at stake",
             f.has_revenue_at_stake() ? DisplayMoney(f.revenue_at_stake()) : "")
        .Add("答复时限", "Answer by", When(f.response_due_time(), tz))
        .Add("提交人", "Author", f.author())
        .Add("编号", "Id", f.name());
    return Make(f.name(),
                absl::StrCat(overdue ? (zh ? "【反馈超时未答复】" : "[Feedback overdue] ")
                                     : (zh ? "【新反馈待处理】" : "[New feedback] "),
                             f.title()),
                l.Done(), {f.routed_to()});
  }
  if (t == "salesops.performance.v1.ReviewGenerated") {
    auto ev = Decode<salesops::performance::v1::ReviewGenerated>(e);
    if (!ev.ok()) {
      return ev.status();
    }
    const auto& r = ev->review();
    l.Add("销售", "Rep", r.member())
        .Add("主管", "Supervisor", r.supervisor())
        .Add("周期", "Period", absl::StrCat(Day(r.start_date()), " ~ ", Day(r.end_date())))
        .Add("待办", "Action items", absl::StrCat(r.action_items_size()))
        .Add("编号", "Id", r.name());
    Notice n = Make(r.name(), absl::StrCat(zh ? "【双周复盘待进行】" : "[Review due] ", r.member()),
                    l.Done(), {});
    n.member = IdOf(r.member());
    return n;
  }
  if (t == "salesops.sync.v1.LaunchAnnounced") {
    auto ev = Decode<sv1::LaunchAnnounced>(e);
    if (!ev.ok()) {
      return ev.status();
    }
    const sv1::ProductLaunch& x = ev->launch();
    std::string points;
    for (const std::string& p : x.selling_points()) {
      absl::StrAppend(&points, "- ", p, "\n");
    }
    l.Text(x.summary())
        .Text(points)
        .Add("上市日期", "Launch date", Day(x.launch_date()))
        .Add("价格说明", "Pricing", x.pricing_note())
        .Add("编号", "Id", x.name());
    return Make(x.name(), absl::StrCat(zh ? "【产品发布】" : "[Launch] ", x.title()), l.Done(),
                AudienceUnits(x.audience()), /*audience=*/true);
  }
  if (t == "salesops.sync.v1.InsightPublished") {
    auto ev = Decode<sv1::InsightPublished>(e);
    if (!ev.ok()) {
      return ev.status();
    }
    const sv1::MarketInsight& x = ev->insight();
    l.Text(Prefix(x.body(), 1200)).Add("来源", "Source", x.source()).Add("编号", "Id", x.name());
    return Make(x.name(), absl::StrCat(zh ? "【市场洞察】" : "[Market insight] ", x.title()),
                l.Done(), AudienceUnits(x.audience()), /*audience=*/true);
  }
  if (t == "salesops.sync.v1.LeadHandedOver" || t == "salesops.sync.v1.LeadContactOverdue") {
    const bool overdue = t == "salesops.sync.v1.LeadContactOverdue";
    sv1::CampaignLead x;
    std::string campaign;
    if (overdue) {
      auto ev = Decode<sv1::LeadContactOverdue>(e);
      if (!ev.ok()) {
        return ev.status();
      }
      x = ev->lead();
      campaign = ev->campaign_title();
    } else {
      auto ev = Decode<sv1::LeadHandedOver>(e);
      if (!ev.ok()) {
        return ev.status();
      }
      x = ev->lead();
      campaign = ev->campaign_title();
    }
    l.Text(x.note())
        .Add("活动", "Campaign", campaign)
        .Add("负责销售", "Rep", x.assigned_rep())
        .Add("首次联系时限", "First contact by", When(x.first_contact_due_time(), tz))
        .Add("编号", "Id", x.name());
    return Make(x.name(),
                absl::StrCat(overdue ? (zh ? "【线索首次联系超时】" : "[Lead contact overdue] ")
                                     : (zh ? "【市场线索】" : "[New lead] "),
                             x.company_name()),
                l.Done(), {x.team()});
  }
  if (t == "salesops.sync.v1.ReceptionPlanned") {
    auto ev = Decode<sv1::ReceptionPlanned>(e);
    if (!ev.ok()) {
      return ev.status();
    }
    const sv1::CustomerReception& x = ev->reception();
    std::vector<std::string> hosts;
    for (const auto& h : x.hosts()) {
      hosts.push_back(h.member());
    }
    l.Add("日期", "Date", Day(x.visit_date()))
        .Add("地点", "Location", x.location())
        .Add("来访", "Visitors", absl::StrJoin(x.visitor_titles(), "、"))
        .Add("接待", "Hosts", absl::StrJoin(hosts, "、"))
        .Add("编号", "Id", x.name());
    return Make(x.name(), absl::StrCat(zh ? "【客户接待】" : "[Customer visit] ", x.title()),
                l.Done(), {x.team()});
  }
  if (t == "salesops.forecast.v1.ForecastGapDetected") {
    auto ev = Decode<salesops::forecast::v1::ForecastGapDetected>(e);
    if (!ev.ok()) {
      return ev.status();
    }
    l.Add("预测", "Forecast", DisplayMoney(ev->amount()))
        .Add("目标", "Target", DisplayMoney(ev->target()))
        .Add("缺口", "Gap",
             absl::StrCat(DisplayMoney(ev->gap()), "（", ev->gap_basis_points() / 100.0, "%）"))
        .Add("负责人", "Owner", ev->responsible())
        .Add("编号", "Id", ev->forecast());
    return Make(ev->forecast(),
                absl::StrCat(zh ? "【预测缺口】" : "[Forecast gap] ", ev->scope().org_unit()),
                l.Done(), {ev->scope().org_unit()});
  }
  if (t == "salesops.targets.v1.PlanPublished") {
    auto ev = Decode<salesops::targets::v1::PlanPublished>(e);
    if (!ev.ok()) {
      return ev.status();
    }
    const auto& p = ev->plan();
    l.Add("周期", "Period", p.period()).Add("编号", "Id", p.name());
    return Make(p.name(), absl::StrCat(zh ? "【目标发布】" : "[Plan published] ", p.display_name()),
                l.Done(), {p.scope()}, /*audience=*/true);
  }
  return std::optional<Notice>();
}

}  // namespace salesops::sync
