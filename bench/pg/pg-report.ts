/**
 * The PostgreSQL comparison as a table: each measure for Baton and for DBOS, their ratio
 * (Baton / DBOS: below 1 is better for times, above 1 for throughput), and the target where
 * issue 3 set one — as terminal text and as the Markdown block of docs/benchmarks.md.
 */
import type { ChainFigures, LatencyFigures, PgPlan, Side, ThroughputFigures } from './plan.ts';

export interface SideFigures {
  /** The median round of the chain (by per-step p50). */
  chain?: ChainFigures;
  /** Per-step p50 of every chain round, in the order measured. */
  chainRoundsP50?: number[];
  latency?: LatencyFigures;
  throughput?: ThroughputFigures[];
}

export type Comparison = Record<Side, SideFigures>;

const HEADERS = ['measure', 'Baton', 'DBOS', 'Baton/DBOS', 'target'];

function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return value < 10 ? `${value.toFixed(2)} ms` : `${Math.round(value).toLocaleString('en-US')} ms`;
}

function micros(value: number | undefined): string {
  return value === undefined ? '–' : `${Math.round(value).toLocaleString('en-US')} µs`;
}

function perSecond(value: number | undefined): string {
  return value === undefined ? '–' : `${Math.round(value).toLocaleString('en-US')} steps/s`;
}

function ratio(baton: number | undefined, dbos: number | undefined): string {
  if (baton === undefined || dbos === undefined || dbos === 0) return '–';
  const r = baton / dbos;
  return r < 0.1 ? r.toFixed(3) : r.toFixed(2);
}

function verdict(ok: boolean | undefined): string {
  return ok === undefined ? '–' : ok ? 'met' : 'not met';
}

function scaling(figures: ThroughputFigures[] | undefined): number | undefined {
  const one = figures?.find((f) => f.workers === 1)?.stepsPerSecond;
  const four = figures?.find((f) => f.workers === 4)?.stepsPerSecond;
  return one && four !== undefined ? four / one : undefined;
}

export function comparisonRows(c: Comparison, plan: PgPlan): string[][] {
  const { baton, dbos } = c;
  const rows: string[][] = [];
  const b50 = baton.chain?.perStep.p50;
  const d50 = dbos.chain?.perStep.p50;
  const overhead = b50 !== undefined && d50 !== undefined ? b50 / d50 : undefined;
  rows.push([
    `per step, p50 (${plan.chainSteps}-step chain${plan.chainRounds > 1 ? `, median of ${plan.chainRounds}` : ''})`,
    ms(b50),
    ms(d50),
    ratio(b50, d50),
    `Baton/DBOS ≤ 0.33: ${verdict(overhead === undefined ? undefined : overhead <= 1 / 3)}`,
  ]);
  rows.push([
    'per step, p99',
    ms(baton.chain?.perStep.p99),
    ms(dbos.chain?.perStep.p99),
    ratio(baton.chain?.perStep.p99, dbos.chain?.perStep.p99),
    '',
  ]);
  rows.push([
    'per step, statements sent',
    baton.chain ? baton.chain.queriesPerStep.toFixed(1) : '–',
    dbos.chain ? dbos.chain.queriesPerStep.toFixed(1) : '–',
    ratio(baton.chain?.queriesPerStep, dbos.chain?.queriesPerStep),
    '',
  ]);
  rows.push([
    'per step, CPU of the process',
    micros(baton.chain?.cpuMicrosPerStep),
    micros(dbos.chain?.cpuMicrosPerStep),
    ratio(baton.chain?.cpuMicrosPerStep, dbos.chain?.cpuMicrosPerStep),
    '',
  ]);
  rows.push([
    'one chain, steps/s',
    perSecond(baton.chain?.stepsPerSecond),
    perSecond(dbos.chain?.stepsPerSecond),
    ratio(baton.chain?.stepsPerSecond, dbos.chain?.stepsPerSecond),
    '',
  ]);
  for (const p of ['p50', 'p99'] as const) {
    const b = baton.latency?.latency[p];
    const d = dbos.latency?.latency[p];
    rows.push([
      `queued start → first step, ${p}`,
      ms(b),
      ms(d),
      ratio(b, d),
      `Baton ≤ 10 ms: ${verdict(b === undefined ? undefined : b <= 10)}`,
    ]);
  }
  for (const workers of plan.throughput.workers) {
    const b = baton.throughput?.find((f) => f.workers === workers)?.stepsPerSecond;
    const d = dbos.throughput?.find((f) => f.workers === workers)?.stepsPerSecond;
    rows.push([
      `${workers} worker${workers === 1 ? '' : 's'}, ${plan.throughput.ioMs} ms I/O steps`,
      perSecond(b),
      perSecond(d),
      ratio(b, d),
      '',
    ]);
  }
  const bs = scaling(baton.throughput);
  const ds = scaling(dbos.throughput);
  rows.push([
    'scaling, 4 workers / 1',
    bs === undefined ? '–' : `${bs.toFixed(2)}×`,
    ds === undefined ? '–' : `${ds.toFixed(2)}×`,
    '',
    `≥ 3×: Baton ${verdict(bs === undefined ? undefined : bs >= 3)}, DBOS ${verdict(ds === undefined ? undefined : ds >= 3)}`,
  ]);
  return rows;
}

/** The round whose per-step p50 is the median of the rounds (the lower middle one of an even count). */
export function medianRound(rounds: readonly ChainFigures[]): ChainFigures | undefined {
  const sorted = [...rounds].sort((a, b) => a.perStep.p50 - b.perStep.p50);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** What the table does not say: concurrency, CPU, and any backlog that ran out early. */
export function comparisonNotes(c: Comparison, plan: PgPlan): string[] {
  const t = plan.throughput;
  const notes = [
    `throughput: a backlog of ${t.backlogRuns} runs × ${t.stepsPerRun} sequential steps (each awaits a ${t.ioMs} ms timer), ${t.concurrency} at once per worker process on both sides (Baton worker concurrency, DBOS queue workerConcurrency); steps durably recorded during a ${t.windowMs / 1000} s window after ${t.warmupMs / 1000} s of warm-up`,
    `queued start: ${plan.latencySamples} runs of one step started open-loop, 20–80 ms apart at random, on one idle worker process (concurrency ${plan.latencyConcurrency}); DBOS ${plan.dbosPollMs === undefined ? 'polls its queue every 1 s (its default)' : `queue polled every ${plan.dbosPollMs} ms (--dbos-poll-ms)`}, Baton is woken by LISTEN/NOTIFY`,
  ];
  const byRound = (side: Side) => (c[side].chainRoundsP50 ?? []).map((p50) => p50.toFixed(2)).join(' · ');
  if (plan.chainRounds > 1)
    notes.unshift(
      `chain: ${plan.chainRounds} rounds per side, alternating sides, each a fresh process and schema that first runs an unmeasured ${plan.chainWarmupSteps}-step chain; the chain rows show each side's median round by per-step p50 (per round, in ms: Baton ${byRound('baton')}; DBOS ${byRound('dbos')})`,
    );
  for (const side of ['baton', 'dbos'] as const) {
    const figures = c[side].throughput ?? [];
    const each = (value: (f: ThroughputFigures) => string) =>
      figures.map((f) => `${value(f)} (${f.workers})`).join(', ');
    if (figures.length > 0)
      notes.push(
        `${side === 'baton' ? 'Baton' : 'DBOS'} throughput, by worker count: cores busy in the worker processes ${each((f) => f.workersCores.toFixed(2))}, in its PostgreSQL backends ${each((f) => f.databaseCores.toFixed(2))}; database transactions per step ${each((f) => f.transactionsPerStep.toFixed(2))}`,
      );
    for (const f of figures)
      if (f.backlogLeft === 0)
        notes.push(
          `${side}: the backlog ran out during the ${f.workers}-worker window, so that figure is a lower bound`,
        );
  }
  return notes;
}

export function comparisonText(c: Comparison, plan: PgPlan): string {
  const body = comparisonRows(c, plan);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i >= 1 && i <= 3 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function comparisonMarkdown(c: Comparison, plan: PgPlan, heading: string): string {
  return [
    heading,
    '',
    `| ${HEADERS.join(' | ')} |`,
    `| --- | ---: | ---: | ---: | --- |`,
    ...comparisonRows(c, plan).map((row) => `| ${row.join(' | ')} |`),
    '',
    ...comparisonNotes(c, plan).map((note) => `- ${note}.`),
  ].join('\n');
}
