import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

// What every benchmark in bench/ reports, in one shape: rows of figures, each with the
// peer it is compared against when a peer was measured in the same run (raw Docker,
// Docker Swarm) or published (kind, k3d, minikube). bench/run-all.ts reads these files
// and prints one table. Benchmarks print and record; they never fail on a time.

export const BENCH_RESULTS_DIR = new URL('../results/', import.meta.url).pathname;

export interface Baseline {
  /** Who the peer is, e.g. "raw docker create+start" or "Docker Swarm" or "kind (published)". */
  name: string;
  value: number | null;
  /** Where a published figure comes from. */
  source?: string;
}

export interface BenchRow {
  /** What was measured, e.g. "100 pods, creation to Ready, p99". */
  measure: string;
  unit: 'ms' | 's' | 'pods/s' | 'MB' | 'MiB' | 'fps' | 'ops/s' | 'count' | 'MB/s';
  kubelab: number | null;
  baseline?: Baseline;
  /** The aim the issue sets, in words ("p99 within 1.25x of raw Docker"). */
  aim?: string;
  note?: string;
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  docker: string | null;
  kernel: string;
}

export interface BenchResult {
  name: string;
  title: string;
  quick: boolean;
  machine: MachineInfo;
  finishedAt: string;
  seconds: number;
  rows: BenchRow[];
  /** Anything else worth keeping (raw samples, per-size tables). */
  details?: unknown;
}

export function machineInfo(): MachineInfo {
  const quiet = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
    } catch {
      return null;
    }
  };
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    docker: quiet('docker', ['version', '--format', '{{.Server.Version}}']),
    kernel: quiet('uname', ['-r']) ?? 'unknown',
  };
}

/** Parses a benchmark's flags; every benchmark takes --quick. */
export function benchArgs<T extends NonNullable<ParseArgsConfig['options']>>(options: T) {
  return parseArgs({ options: { quick: { type: 'boolean', default: false }, ...options }, allowPositionals: false }).values;
}

/** The p-th percentile (0..100) of samples, nearest-rank; NaN when there are none. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function formatValue(value: number | null, unit: BenchRow['unit']): string {
  if (value === null || Number.isNaN(value)) return '–';
  const digits = unit === 's' ? (value < 10 ? 2 : 1) : value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ${unit}`;
}

/** How Kubelab compares with its baseline: for times, kubelab/peer (lower is better); for rates, peer/kubelab. */
export function ratio(row: BenchRow): number | null {
  const peer = row.baseline?.value;
  if (row.kubelab === null || peer === null || peer === undefined || peer === 0 || row.kubelab === 0) return null;
  const higherIsBetter = row.unit === 'pods/s' || row.unit === 'fps' || row.unit === 'ops/s' || row.unit === 'MB/s';
  return higherIsBetter ? peer / row.kubelab : row.kubelab / peer;
}

export function printRows(title: string, rows: BenchRow[]): void {
  const lines = rows.map((row) => {
    const r = ratio(row);
    return [row.measure, formatValue(row.kubelab, row.unit), row.baseline ? `${row.baseline.name}: ${formatValue(row.baseline.value, row.unit)}` : '', r === null ? '' : `${r.toFixed(2)}x`];
  });
  const widths = [0, 1, 2, 3].map((i) => Math.max(...lines.map((l) => l[i].length), ['measure', 'Kubelab', 'baseline', 'ratio'][i].length));
  const fmt = (l: string[]) => l.map((cell, i) => (i === 0 || i === 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(`\n${title}\n`);
  console.log(fmt(['measure', 'Kubelab', 'baseline', 'ratio']));
  for (const l of lines) console.log(fmt(l));
  for (const row of rows) if (row.note) console.log(`  * ${row.measure}: ${row.note}`);
}

/** Prints the rows and writes bench/results/NAME.json; returns the path written. */
export function recordResult(result: Omit<BenchResult, 'machine' | 'finishedAt'> & { machine?: MachineInfo }): string {
  const full: BenchResult = { ...result, machine: result.machine ?? machineInfo(), finishedAt: new Date().toISOString() };
  printRows(`${full.title}${full.quick ? ' (--quick)' : ''}`, full.rows);
  mkdirSync(BENCH_RESULTS_DIR, { recursive: true });
  const file = join(BENCH_RESULTS_DIR, `${full.name}.json`);
  writeFileSync(file, `${JSON.stringify(full, null, 2)}\n`);
  console.log(`\nwritten: ${file}`);
  return file;
}

/** Runs `work` with up to `limit` in flight. */
export async function withConcurrency<T>(items: T[], limit: number, work: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i], i);
      }
    }),
  );
}
