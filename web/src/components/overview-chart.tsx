import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import type { Trend } from "./overview-types";

/** Distinct, readable on white (Tableau 10 and two more); a label keeps its color by position. */
export const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#59a14f",
  "#b07aa1",
  "#76b7b2",
  "#edc948",
  "#ff9da7",
  "#9c755f",
  "#7f7f7f",
  "#17becf",
  "#393b79",
];

const HEIGHT = 260;
const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 100_000, 1_000_000];

function dataOf(trend: Trend): uPlot.AlignedData {
  return [trend.buckets.map((b) => Date.parse(b) / 1000), ...trend.series.map((s) => s.counts)];
}

/**
 * The trend as uPlot lines. The plot is rebuilt only when its series or bucket
 * change; a refresh of the same query swaps the data in place, so the chart
 * updates live without flicker. Times are shown in UTC, as the buckets are.
 */
export function TrendChart({ trend, name }: { trend: Trend; name: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const shape = `${trend.bucket}|${trend.series.map((s) => s.label).join(",")}`;

  // Rebuilt on a new shape only (series or bucket); the data effect below swaps the rest in.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const options: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: HEIGHT,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      // Counts are whole items: no 0.5 ticks, and an empty range still shows 0 to 1.
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{}, { label: "Items", size: 60, incrs: INTEGER_STEPS }],
      series: [
        {
          label:
            trend.bucket === "hour" ? "Hour (UTC)" : trend.bucket === "week" ? "Week of (UTC)" : "Day (UTC)",
        },
        ...trend.series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length],
          width: 2,
          points: { show: trend.buckets.length <= 62 },
        })),
      ],
    };
    const made = new uPlot(options, dataOf(trend), el);
    plot.current = made;
    const resize = new ResizeObserver(() =>
      made.setSize({ width: Math.max(300, el.clientWidth), height: HEIGHT }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      made.destroy();
      plot.current = undefined;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(dataOf(trend));
  }, [trend]);

  return <div class="chart trend-chart" role="img" aria-label={name} ref={box} />;
}
