/** Formats benchmark results as a terminal table and as the Markdown block of docs/benchmarks.md. */
import type { Machine } from './machine.ts';
import type { WorkloadResult } from './result.ts';

const HEADERS = ['workload', 'shape', 'throughput', 'p50', 'p95', 'p99', 'CPU/unit', 'RSS'];

function rows(results: readonly WorkloadResult[]): string[][] {
  return results.map((r) => [
    r.workload,
    r.shape,
    `${Math.round(r.throughput).toLocaleString('en-US')} ${r.unit}`,
    ms(r.latency?.p50),
    ms(r.latency?.p95),
    ms(r.latency?.p99),
    r.cpuMicros === undefined ? '–' : `${r.cpuMicros.toFixed(0)} µs`,
    r.rssMiB === undefined ? '–' : `${r.rssMiB.toFixed(0)} MiB`,
  ]);
}

function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return value < 10 ? `${value.toFixed(2)} ms` : `${value.toFixed(0)} ms`;
}

export function textTable(results: readonly WorkloadResult[]): string {
  const body = rows(results);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ');
  return [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function machineLine(machine: Machine): string {
  return `${machine.cpu}, ${machine.cores} cores, ${machine.ramGiB} GiB RAM, ${machine.platform}, Node ${machine.node}, SQLite ${machine.sqlite}`;
}

export function markdownBlock(
  results: readonly WorkloadResult[],
  machine: Machine,
  command: string,
  date: Date,
  conditions: string,
): string {
  const table = [
    `| ${HEADERS.join(' | ')} |`,
    `| ${HEADERS.map((_, i) => (i >= 2 ? '---:' : '---')).join(' | ')} |`,
    ...rows(results).map((row) => `| ${row.join(' | ')} |`),
  ];
  const notes = results.flatMap((r) => [
    `- **${r.workload}**: ${r.latency ? `latency of one ${r.latency.of}; ` : ''}${r.notes.join('; ')}; ${r.seconds.toFixed(2)} s measured.`,
  ]);
  return [
    `Measured ${date.toISOString().slice(0, 10)} with \`${command}\` on: ${machineLine(machine)}; ${conditions}.`,
    '',
    ...table,
    '',
    ...notes,
  ].join('\n');
}
