// 预测: where the quarter will land for the caller's scope: commit ⊆ best case
// ⊆ pipeline against the target, the pipeline forecast's interval as an error
// bar, and (for a supervisor) each rep's pipeline forecast and gap.
import { chart } from "../charts.js";
import { debounce, h } from "../dom.js";
import { bp, money, yuan } from "../format.js";
import { t } from "../i18n.js";
import { isNotFound } from "../api.js";
import { matches, type Page } from "../page.js";
import { ForecastCategory, type Forecast } from "../gen/salesops/forecast/v1/forecast_resources_pb.js";
import { fillBox, section, stat, subjectOf } from "./common.js";

export const forecastPage: Page = (root, ctx) => {
  const tr = t();
  const subject = subjectOf(ctx);
  const chartEl = h("div", { class: "chart", role: "img", "aria-label": tr.forecastVsTarget });
  const stats = h("div", { "data-testid": "forecast-page" });
  const reps = h("div", {});
  root.append(h("h1", {}, tr.forecastPage), section(tr.forecastVsTarget, chartEl, stats));
  if (!subject.startsWith("members/")) root.append(section(tr.byRep, reps));
  const c = chart(chartEl, {});
  const cats: [ForecastCategory, string][] = [
    [ForecastCategory.COMMIT, tr.categoryCommit],
    [ForecastCategory.BEST_CASE, tr.categoryBest],
    [ForecastCategory.PIPELINE, tr.categoryPipeline],
  ];

  const load = () =>
    fillBox(stats, async () => {
      const scope = subject.startsWith("members/") ? { member: subject } : { orgUnit: subject };
      const got: (Forecast | undefined)[] = await Promise.all(
        cats.map(async ([category]) => {
          try {
            return (await ctx.api.forecast.getForecast({ scope, period: ctx.period, category })).forecast;
          } catch (e) {
            if (isNotFound(e)) return undefined;
            throw e;
          }
        }),
      );
      const pipeline = got[2];
      if (!pipeline) return h("p", { class: "muted" }, tr.empty);
      const target = yuan(pipeline.target);
      const low = yuan(pipeline.intervalLow);
      const high = yuan(pipeline.intervalHigh);
      const top = Math.max(target, high, ...got.map((f) => yuan(f?.amount))) * 1.08;
      c.set({
        grid: { left: 8, right: 8, top: 24, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: [tr.closed, ...cats.map(([, n]) => n)] },
        yAxis: { type: "value", max: Math.ceil(top / 10000) * 10000, axisLabel: { formatter: (v: number) => (v >= 10000 ? `${v / 10000}万` : String(v)) } },
        tooltip: { trigger: "axis" },
        series: [
          {
            type: "bar",
            data: [yuan(pipeline.closedToDate), ...got.map((f) => Math.round(yuan(f?.amount)))],
            itemStyle: { color: "#2563eb" },
            markLine: { symbol: "none", data: [{ yAxis: target, name: tr.target }], label: { formatter: `${tr.target}` }, lineStyle: { color: "#c2410c", type: "dashed" } },
          },
          {
            type: "custom",
            name: tr.interval,
            z: 10,
            renderItem: (_params: unknown, api: { coord: (v: [number, number]) => number[] }) => {
              const lo = api.coord([3, low]);
              const hi = api.coord([3, high]);
              return {
                type: "group",
                children: [
                  { type: "line", shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: { stroke: "#f59e0b", lineWidth: 3 } },
                  { type: "line", shape: { x1: lo[0] - 8, y1: lo[1], x2: lo[0] + 8, y2: lo[1] }, style: { stroke: "#f59e0b", lineWidth: 3 } },
                  { type: "line", shape: { x1: hi[0] - 8, y1: hi[1], x2: hi[0] + 8, y2: hi[1] }, style: { stroke: "#f59e0b", lineWidth: 3 } },
                ],
              };
            },
            data: [[3, low, high]],
          },
        ],
      });
      return h("div", { class: "stats" },
        stat(tr.forecast, money(pipeline.amount)),
        stat(tr.target, money(pipeline.target)),
        stat(tr.interval, `${money(pipeline.intervalLow)} – ${money(pipeline.intervalHigh)} (${bp(pipeline.intervalConfidenceBasisPoints)})`),
        stat(tr.gap, money(pipeline.gapToTarget), yuan(pipeline.gapToTarget) > 0 ? "bad" : "good"),
        stat(tr.weighted, money(pipeline.weightedPipeline)),
        stat(tr.coverage, bp(pipeline.pipelineCoverageBasisPoints)));
    });

  const loadReps = () =>
    fillBox(reps, async () => {
      const r = await ctx.api.forecast.listForecasts({
        period: ctx.period, category: ForecastCategory.PIPELINE, orgUnit: subject, membersOnly: true, orderBy: "gap_to_target desc", pageSize: 100,
      });
      if (r.forecasts.length === 0) return h("p", { class: "muted" }, tr.empty);
      return h("ol", { class: "rank" },
        r.forecasts.map((f) =>
          h("li", {},
            h("span", { class: "who" }, ctx.names(f.scope?.member ?? "")),
            h("span", { class: "num" }, money(f.amount)),
            h("span", { class: `num ${yuan(f.gapToTarget) > 0 ? "bad" : "good"}` }, `${tr.gap} ${money(f.gapToTarget)}`))));
    });

  void load();
  if (!subject.startsWith("members/")) void loadReps();
  const re = debounce(() => {
    void load();
    if (!subject.startsWith("members/")) void loadReps();
  }, 400);
  const unsub = ctx.stream.subscribe((e) => {
    if (matches(e, ["ForecastUpdated", "ForecastCallSubmitted"])) re();
  });
  return () => {
    unsub();
    c.dispose();
  };
};
