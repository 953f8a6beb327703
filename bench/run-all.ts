// `npm run bench`: every benchmark in turn, each in its own process (so one's leftovers
// never slow the next), then one table of all their figures, printed and written to
// bench/results/summary.md (the table the README shows) and summary.json.
//
//   npm run bench [-- --quick] [-- --only pod-startup,convergence]
//
// bench/run.sh prepares the machine first, as the tests do. A benchmark that crashes is
// reported and the others still run; the exit status says whether all of them finished.
// Nothing here judges a figure.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_RESULTS_DIR, benchArgs, formatValue, machineInfo, ratio, type BenchResult } from './support/bench-result.ts';

/** In the order they run; each is bench/NAME.ts and writes bench/results/NAME.json. */
export const BENCHMARKS = ['pod-startup', 'convergence', 'self-healing', 'scheduler-throughput', 'api-scale', 'api-load', 'list-watch', 'gui-scale', 'time-to-cluster', 'service-latency'];

const args = benchArgs({ only: { type: 'string' } });
const chosen = args.only ? args.only.split(',').map((s) => s.trim()) : BENCHMARKS;
for (const name of chosen) if (!BENCHMARKS.includes(name)) throw new Error(`--only: no benchmark "${name}" (there are: ${BENCHMARKS.join(', ')})`);

function runOne(name: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('bench', `${name}.ts`), ...(args.quick ? ['--quick'] : [])], { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

const started = performance.now();
const results: BenchResult[] = [];
const failed: string[] = [];
for (const name of chosen) {
  console.log(`\n=== bench/${name}.ts${args.quick ? ' --quick' : ''}`);
  const benchStarted = Date.now();
  const code = await runOne(name);
  const file = join(BENCH_RESULTS_DIR, `${name}.json`);
  const result = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BenchResult) : undefined;
  if (code !== 0 || !result || Date.parse(result.finishedAt) < benchStarted) {
    failed.push(name);
    console.log(`=== bench/${name}.ts did not finish (exit ${code})`);
  } else {
    results.push(result);
    console.log(`=== bench/${name}.ts: ${result.seconds.toFixed(0)} s`);
  }
}

const machine = machineInfo();
const lines = [
  `Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Docker ${machine.docker ?? 'none'}, Node ${machine.node}; ${new Date().toISOString().slice(0, 10)}${args.quick ? ', --quick' : ''}.`,
  '',
  '| benchmark | measure | Kubelab | compared with | its figure | ratio |',
  '|---|---|---|---|---|---|',
];
for (const result of results) {
  for (const row of result.rows) {
    const r = ratio(row);
    lines.push(`| ${result.name} | ${row.measure} | ${formatValue(row.kubelab, row.unit)} | ${row.baseline?.name ?? ''} | ${row.baseline ? formatValue(row.baseline.value, row.unit) : ''} | ${r === null ? '' : `${r.toFixed(2)}x`} |`);
  }
}
if (failed.length) lines.push('', `Did not finish: ${failed.join(', ')}.`);
const table = lines.join('\n');
writeFileSync(join(BENCH_RESULTS_DIR, 'summary.md'), `${table}\n`);
writeFileSync(join(BENCH_RESULTS_DIR, 'summary.json'), `${JSON.stringify({ machine, quick: Boolean(args.quick), finishedAt: new Date().toISOString(), results, failed }, null, 2)}\n`);
console.log(`\n${table}\n\n${((performance.now() - started) / 60000).toFixed(1)} minutes; written: bench/results/summary.md, summary.json`);
process.exitCode = failed.length ? 1 : 0;
