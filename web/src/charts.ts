// ECharts with only the parts the pages draw (tree-shaken), sized to its box
// and disposed with the page.
import * as echarts from "echarts/core";
import { BarChart, GaugeChart, CustomChart } from "echarts/charts";
import { GridComponent, TooltipComponent, MarkLineComponent, LegendComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, GaugeChart, CustomChart, GridComponent, TooltipComponent, MarkLineComponent, LegendComponent, CanvasRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

export function chart(el: HTMLElement, option: ChartOption): { set(o: ChartOption): void; dispose(): void } {
  const c = echarts.init(el, undefined, { renderer: "canvas" });
  // No animation: a live page redraws on every event, and a bar that grows
  // from zero each time reads as a flicker.
  const still = (o: ChartOption) => ({ animation: false, ...o });
  c.setOption(still(option));
  const ro = new ResizeObserver(() => c.resize());
  ro.observe(el);
  return {
    set: (o) => c.setOption(still(o), { notMerge: true }),
    dispose: () => {
      ro.disconnect();
      c.dispose();
    },
  };
}
