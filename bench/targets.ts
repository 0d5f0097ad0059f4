/**
 * The benchmark targets (issue 8), checked against one run's sections. A
 * target whose section did not run, or that a short run cannot show (RSS at
 * 1,000,000 items), is reported as not measured (met: null), never as met.
 */

export interface Section {
  section: string;
  title: string;
  settings: Record<string, unknown>;
  rows: Record<string, unknown>[];
  markdown: string;
  seconds?: number;
}

export interface TargetResult {
  target: string;
  measured: string;
  met: boolean | null;
}

const n = (x: number) => Math.round(x).toLocaleString("en-US");
const rowsOf = (sections: Section[], name: string) => sections.find((s) => s.section === name)?.rows;

function queueTargets(sections: Section[]): TargetResult[] {
  const rows = rowsOf(sections, "queue");
  const processed = (match: (contender: string) => boolean) =>
    rows?.find((r) => match(String(r.contender)))?.processed_per_s as number | undefined;
  const relabel = processed((c) => c === "relabel");
  const graphile = processed((c) => c.startsWith("graphile-worker") && c.includes("localQueue"));
  const boss = processed((c) => c.startsWith("pg-boss"));
  const missing = { measured: "not measured", met: null };
  return [
    relabel === undefined || graphile === undefined
      ? { target: "relabel processed/s ≥ graphile-worker's batched (PostgreSQL)", ...missing }
      : {
          target: "relabel processed/s ≥ graphile-worker's batched (PostgreSQL)",
          measured: `${n(relabel)} vs ${n(graphile)}/s (${(relabel / graphile).toFixed(2)}×)`,
          met: relabel >= graphile,
        },
    relabel === undefined || boss === undefined
      ? { target: "relabel processed/s ≥ 5× pg-boss's (PostgreSQL)", ...missing }
      : {
          target: "relabel processed/s ≥ 5× pg-boss's (PostgreSQL)",
          measured: `${n(relabel)} vs ${n(boss)}/s (${(relabel / boss).toFixed(1)}×)`,
          met: relabel >= 5 * boss,
        },
  ];
}

interface JobFigures {
  items_per_s: number;
}

function reanalysisTargets(sections: Section[]): TargetResult[] {
  const section = sections.find((s) => s.section === "reanalysis");
  const results: TargetResult[] = [];
  for (const [backend, floor] of [
    ["sqlite", 20_000],
    ["postgres", 8_000],
  ] as const) {
    const target = `re-label ≥ ${n(floor)} items/s on ${backend === "sqlite" ? "SQLite" : "PostgreSQL"}`;
    const row = section?.rows.find((r) => r.backend === backend);
    if (!row) {
      results.push({ target, measured: "not measured", met: null });
      continue;
    }
    const first = (row.first as JobFigures).items_per_s;
    const relabel = (row.relabel as JobFigures).items_per_s;
    results.push({
      target,
      measured: `${n(relabel)} items/s re-label, ${n(first)} first labeling (${n(row.items as number)} items)`,
      met: Math.min(first, relabel) >= floor,
    });
  }
  const items = Number(section?.settings.items ?? 0);
  const peak = Math.max(0, ...(section?.rows ?? []).map((r) => Number(r.peak_rss_mb)));
  results.push({
    target: "peak RSS < 300 MB at 1,000,000 items",
    measured: section ? `${peak} MB at ${n(items)} items` : "not measured",
    met: section && items >= 1_000_000 ? peak < 300 : null,
  });
  return results;
}

function latencyTargets(sections: Section[]): TargetResult[] {
  const rows = (rowsOf(sections, "latency") ?? []).filter((r) => String(r.way).startsWith("in process"));
  const target = "publish → labels visible, idle runners: p50 ≤ 10 ms, p99 ≤ 50 ms";
  if (rows.length === 0) return [{ target, measured: "not measured", met: null }];
  return rows.map((r) => ({
    target: `${target} (${r.backend})`,
    measured: `p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms`,
    met: Number(r.p50_ms) <= 10 && Number(r.p99_ms) <= 50,
  }));
}

export function evaluateTargets(sections: Section[]): TargetResult[] {
  return [...queueTargets(sections), ...reanalysisTargets(sections), ...latencyTargets(sections)];
}
