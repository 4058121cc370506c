// 管道: the open pipeline in scope by stage (amount and count), and the deals
// stalled in their stage for two weeks or more. A deal created, moved, won or
// lost anywhere in scope moves the chart without a reload.
import { chart } from "../charts.js";
import { debounce, h } from "../dom.js";
import { money, yuan } from "../format.js";
import { fill, t } from "../i18n.js";
import { matches, type Page, type PageContext } from "../page.js";
import { OpportunityStage, type Opportunity } from "../gen/salesops/customers/v1/customers_resources_pb.js";
import { fillBox, section } from "./common.js";

const OPEN = [
  OpportunityStage.LEAD,
  OpportunityStage.QUALIFIED,
  OpportunityStage.PROPOSAL,
  OpportunityStage.NEGOTIATION,
  OpportunityStage.CONTRACT,
];
const STALLED_DAYS = 14;

function scopeOf(ctx: PageContext) {
  if (ctx.session.role === "rep") return { owner: ctx.session.member };
  if (ctx.session.role === "supervisor") return { team: ctx.session.orgUnit };
  if (ctx.session.role === "director" && ctx.session.orgUnit) return { region: ctx.session.orgUnit };
  return {};
}

async function all(ctx: PageContext, extra: Record<string, unknown>): Promise<Opportunity[]> {
  const out: Opportunity[] = [];
  let pageToken = "";
  for (let i = 0; i < 20; i++) {
    const r = await ctx.api.customers.listOpportunities({ ...scopeOf(ctx), ...extra, pageSize: 200, pageToken });
    out.push(...r.opportunities);
    pageToken = r.nextPageToken;
    if (!pageToken) break;
  }
  return out;
}

export const pipelinePage: Page = (root, ctx) => {
  const tr = t();
  const chartEl = h("div", { class: "chart", role: "img", "aria-label": tr.byStage });
  const summary = h("div", { "data-testid": "pipeline" });
  const stalled = h("div", {});
  root.append(h("h1", {}, tr.pipeline), section(tr.byStage, chartEl, summary), section(tr.stalled, stalled));
  const c = chart(chartEl, {});

  const loadChart = () =>
    fillBox(summary, async () => {
      const deals = await all(ctx, { stages: OPEN });
      const amount = new Map<OpportunityStage, number>();
      const count = new Map<OpportunityStage, number>();
      for (const d of deals) {
        amount.set(d.stage, (amount.get(d.stage) ?? 0) + yuan(d.amount));
        count.set(d.stage, (count.get(d.stage) ?? 0) + 1);
      }
      const names = OPEN.map((s) => tr.stage[`OPPORTUNITY_STAGE_${OpportunityStage[s]}`]);
      c.set({
        grid: { left: 8, right: 8, top: 24, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: names },
        yAxis: { type: "value", axisLabel: { formatter: (v: number) => (v >= 10000 ? `${v / 10000}万` : String(v)) } },
        tooltip: { trigger: "axis" },
        series: [{
          type: "bar",
          data: OPEN.map((s) => Math.round(amount.get(s) ?? 0)),
          label: { show: true, position: "top", formatter: (p: { dataIndex: number }) => String(count.get(OPEN[p.dataIndex]) ?? 0) },
          itemStyle: { color: "#2563eb" },
        }],
      });
      return h("ul", { class: "stage-list" },
        OPEN.map((s, i) =>
          h("li", { "data-stage": OpportunityStage[s], "data-count": count.get(s) ?? 0 },
            h("span", {}, names[i]),
            h("span", { class: "num" }, `${count.get(s) ?? 0} ${tr.deals}`),
            h("span", { class: "num" }, money({ amountMinor: BigInt(Math.round((amount.get(s) ?? 0) * 100)), currencyCode: "CNY" } as never)))));
    });

  const loadStalled = () =>
    fillBox(stalled, async () => {
      const deals = await all(ctx, { stages: OPEN, stalledForDays: STALLED_DAYS });
      if (deals.length === 0) return h("p", { class: "muted" }, tr.empty);
      const now = Date.now();
      deals.sort((a, b) => Number(a.stageEnterTime?.seconds ?? 0n) - Number(b.stageEnterTime?.seconds ?? 0n));
      return h("ul", { class: "deals" },
        deals.slice(0, 30).map((d) => {
          const days = Math.floor((now - Number(d.stageEnterTime?.seconds ?? 0n) * 1000) / 86_400_000);
          return h("li", {},
            h("div", { class: "who" }, d.displayName),
            h("div", { class: "muted" },
              `${tr.stage[`OPPORTUNITY_STAGE_${OpportunityStage[d.stage]}`]} · ${fill(tr.stalledDays, { n: days })} · ${ctx.names(d.owner)}`),
            h("div", { class: "num" }, money(d.amount)));
        }));
    });

  void loadChart();
  void loadStalled();
  const re = debounce(() => {
    void loadChart();
    void loadStalled();
  }, 250);
  const unsub = ctx.stream.subscribe((e) => {
    if (matches(e, ["OpportunityCreated", "OpportunityStageChanged", "OpportunityWon", "OpportunityLost", "OpportunityUpdated"])) re();
  });
  return () => {
    unsub();
    c.dispose();
  };
};
