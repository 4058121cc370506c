// 今日: how far the caller (a rep) or their team (a supervisor) is from the
// quarter's number: attainment and pace from the targets service, commission
// to date from the performance service, forecast vs target from the forecast
// service. Reloads when any of them publishes a change in scope.
import { chart } from "../charts.js";
import { debounce, h } from "../dom.js";
import { bp, money, yuan } from "../format.js";
import { t } from "../i18n.js";
import { isNotFound } from "../api.js";
import { matches, type Page } from "../page.js";
import { ForecastCategory } from "../gen/salesops/forecast/v1/forecast_resources_pb.js";
import { fillBox, isRep, section, stat, subjectOf } from "./common.js";

export const todayPage: Page = (root, ctx) => {
  const tr = t();
  const subject = subjectOf(ctx);
  const gaugeEl = h("div", { class: "chart gauge", role: "img", "aria-label": tr.attainment });
  const stats = h("div", {});
  const commission = h("div", {});
  const forecast = h("div", {});
  root.append(
    h("h1", {}, tr.today, h("span", { class: "sub" }, ` · ${ctx.period.replace("fiscalPeriods/", "")}`)),
    section(tr.attainment, gaugeEl, stats),
    section(tr.commission, commission),
    section(tr.forecastVsTarget, forecast),
  );
  const gauge = chart(gaugeEl, {});

  const loadAttainment = () =>
    fillBox(stats, async () => {
      const r = await ctx.api.targets.getAttainment({ period: ctx.period, subject });
      const a = r.attainment!;
      gauge.set({
        series: [{
          type: "gauge", min: 0, max: 120, splitNumber: 6,
          progress: { show: true, width: 14 },
          axisLine: { lineStyle: { width: 14 } },
          axisLabel: { distance: 18, fontSize: 10 },
          title: { offsetCenter: [0, "88%"], fontSize: 13 },
          detail: { formatter: "{value}%", fontSize: 22, offsetCenter: [0, "62%"] },
          data: [{ value: Math.round(a.attainmentBasisPoints / 10) / 10, name: tr.attainment }],
        }],
      });
      return h("div", { class: "stats", "data-testid": "attainment" },
        stat(tr.target, money(a.target)),
        stat(tr.actual, money(a.actual), "good"),
        stat(tr.expected, money(a.expectedToDate)),
        stat(tr.pace, bp(a.paceBasisPoints), a.paceBasisPoints < 10000 ? "bad" : "good"),
        stat(tr.gap, money(a.gapToExpected), yuan(a.gapToExpected) > 0 ? "bad" : ""),
        stat(tr.remaining, money(a.remaining)));
    });

  const loadCommission = () =>
    fillBox(commission, async () => {
      const req = isRep(ctx)
        ? { member: ctx.session.member, period: ctx.period, pageSize: 50 }
        : { orgUnit: subject, period: ctx.period, pageSize: 500 };
      const r = await ctx.api.performance.listCommissionStatements(req);
      if (r.commissionStatements.length === 0) return h("p", { class: "muted" }, tr.commissionNone);
      let net = 0;
      let revenue = 0;
      for (const s of r.commissionStatements) {
        net += yuan(s.net);
        revenue += yuan(s.creditedRevenue);
      }
      const cny = (v: number) => ({ amountMinor: BigInt(Math.round(v * 100)), currencyCode: "CNY" }) as never;
      return h("div", { class: "stats", "data-testid": "commission" },
        stat(tr.commission, money(cny(net)), "good"),
        stat(tr.actual, money(cny(revenue))),
        isRep(ctx) ? null : stat(tr.statements, String(r.commissionStatements.length)));
    });

  const loadForecast = () =>
    fillBox(forecast, async () => {
      const scope = subject.startsWith("members/") ? { member: subject } : { orgUnit: subject };
      try {
        const r = await ctx.api.forecast.getForecast({ scope, period: ctx.period, category: ForecastCategory.PIPELINE });
        const f = r.forecast!;
        return h("div", { class: "stats", "data-testid": "forecast" },
          stat(tr.forecast, money(f.amount)),
          stat(tr.target, money(f.target)),
          stat(tr.interval, `${money(f.intervalLow)} – ${money(f.intervalHigh)}`),
          stat(tr.gap, money(f.gapToTarget), yuan(f.gapToTarget) > 0 ? "bad" : "good"));
      } catch (e) {
        if (isNotFound(e)) return h("p", { class: "muted" }, tr.empty);
        throw e;
      }
    });

  void loadAttainment();
  void loadCommission();
  void loadForecast();
  const reA = debounce(() => void loadAttainment(), 300);
  const reC = debounce(() => void loadCommission(), 300);
  const reF = debounce(() => void loadForecast(), 300);
  const unsub = ctx.stream.subscribe((e) => {
    if (matches(e, ["AttainmentUpdated", "OpportunityWon", "BookingUnplanned", "PlanPublished"])) reA();
    if (matches(e, ["CommissionAccrued", "CommissionClawedBack", "CommissionStatementIssued", "CommissionStatementAdjusted"])) reC();
    if (matches(e, ["ForecastUpdated"])) reF();
  });
  return () => {
    unsub();
    gauge.dispose();
  };
};
