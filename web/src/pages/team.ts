// 排行: the team's reps by attainment (for a supervisor: their team; for a
// director or admin: the teams), as a bar chart and a ranked list.
import { chart } from "../charts.js";
import { debounce, h } from "../dom.js";
import { bp, money } from "../format.js";
import { t } from "../i18n.js";
import { matches, type Page } from "../page.js";
import { AttainmentLevel } from "../gen/salesops/targets/v1/targets_resources_pb.js";
import { fillBox, section } from "./common.js";

export const teamPage: Page = (root, ctx) => {
  const tr = t();
  const unit = ctx.session.orgUnit;
  const teamLevel = ctx.session.role === "director" || ctx.session.role === "admin" || !unit;
  const chartEl = h("div", { class: "chart tall", role: "img", "aria-label": tr.leaderboard });
  const list = h("div", {});
  root.append(h("h1", {}, tr.leaderboard, h("span", { class: "sub" }, ` · ${tr.byAttainment}`)), section(tr.attainment, chartEl, list));
  const c = chart(chartEl, {});

  const load = () =>
    fillBox(list, async () => {
      const r = await ctx.api.targets.listAttainment({
        period: ctx.period,
        level: teamLevel ? AttainmentLevel.TEAM : AttainmentLevel.REP,
        orgUnit: teamLevel && ctx.session.role === "admin" ? "" : unit,
        orderBy: "attainment",
        pageSize: 100,
      });
      const rows = [...r.attainments].reverse(); // best first
      const label = (subject: string) => ctx.names(subject);
      c.set({
        grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
        yAxis: { type: "category", inverse: true, data: rows.map((a) => label(a.subject)) },
        tooltip: { trigger: "axis" },
        series: [{
          type: "bar",
          data: rows.map((a) => ({
            value: a.attainmentBasisPoints / 100,
            itemStyle: { color: a.paceBasisPoints >= 10000 ? "#1a7f37" : "#c2410c" },
          })),
          label: { show: true, position: "right", formatter: "{c}%" },
        }],
      });
      if (rows.length === 0) return h("p", { class: "muted" }, tr.empty);
      return h("ol", { class: "rank", "data-testid": "leaderboard" },
        rows.map((a) =>
          h("li", {},
            h("span", { class: "who" }, label(a.subject)),
            h("span", { class: "num" }, bp(a.attainmentBasisPoints)),
            h("span", { class: "num muted" }, `${money(a.actual)} / ${money(a.target)}`))));
    });
  void load();
  const re = debounce(() => void load(), 300);
  const unsub = ctx.stream.subscribe((e) => {
    if (matches(e, ["AttainmentUpdated", "OpportunityWon", "PlanPublished"])) re();
  });
  return () => {
    unsub();
    c.dispose();
  };
};
