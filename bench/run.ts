// Runs the benchmarks (all, or those named on the command line), each on a fresh embedded stack, one
// after another so they do not share the machine; writes bench/results/<name>.json and the README's
// results table (between the bench-results markers), with the command and the date.
//   npm run bench                      all of them
//   npm run bench -- rollback history  some of them
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { callEconomy } from './call-economy';
import { historySize } from './history-size';
import { orchestrationOverhead } from './orchestration-overhead';
import { rollbackLatency } from './rollback-latency';
import { scale } from './scale';
import { root, type Benchmark, type BenchRow } from './support';

const benchmarks: Benchmark[] = [rollbackLatency, orchestrationOverhead, callEconomy, historySize, scale];
const resultsDir = path.join(root, 'bench', 'results');
const markers = { start: '<!-- bench-results:start -->', end: '<!-- bench-results:end -->' };

interface Stored {
  name: string;
  title: string;
  date: string;
  machine: string;
  command: string;
  rows: BenchRow[];
  result: Record<string, unknown>;
}

/** BENCH_* and SWITCHYARD_AWS_* (the emulated AWS's pace) settings of this run, as they would be typed before the command. */
const benchEnv = () =>
  Object.entries(process.env)
    .filter(([k]) => k.startsWith('BENCH_') || k.startsWith('SWITCHYARD_AWS_'))
    .map(([k, v]) => `${k}=${v} `)
    .join('');

const machine = () =>
  `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;

/** The README table from every stored result (not only this run's), in the benchmarks' order. */
function readmeTable(): string {
  const stored = benchmarks
    .map((b) => path.join(resultsDir, `${b.name}.json`))
    .filter((f) => fs.existsSync(f))
    .map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as Stored);
  const lines = ['| Benchmark | Measure | Figure | Target | Met |', '|---|---|---|---|---|'];
  for (const s of stored) {
    for (const [i, row] of s.rows.entries()) {
      const met = row.met === undefined ? '' : row.met ? 'yes' : '**no**';
      lines.push(
        `| ${i === 0 ? `${s.title} (${s.date.slice(0, 10)})` : ''} | ${row.measure} | ${row.value} | ${row.target ?? ''} | ${met} |`,
      );
    }
  }
  const commands = [...new Set(stored.map((s) => `\`${s.command}\``))];
  const machines = [...new Set(stored.map((s) => s.machine))];
  return `${lines.join('\n')}\n\nProduced by ${commands.join(', ')} on ${machines.join('; ')}. Raw figures: \`bench/results/*.json\`.`;
}

function updateReadme(): void {
  const file = path.join(root, 'README.md');
  const readme = fs.readFileSync(file, 'utf8');
  const start = readme.indexOf(markers.start);
  const end = readme.indexOf(markers.end);
  if (start < 0 || end < start) throw new Error(`README.md has no ${markers.start} … ${markers.end} section`);
  fs.writeFileSync(file, `${readme.slice(0, start + markers.start.length)}\n${readmeTable()}\n${readme.slice(end)}`);
}

async function main(): Promise<void> {
  // --table: only rewrite the README table from the stored results.
  if (process.argv[2] === '--table') return updateReadme();
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !benchmarks.some((b) => b.name === w));
  if (unknown.length)
    throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}`);
  const chosen = wanted.length ? benchmarks.filter((b) => wanted.includes(b.name)) : benchmarks;
  fs.mkdirSync(resultsDir, { recursive: true });
  // In-process workers (the history benchmark's) log warnings only.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  for (const bench of chosen) {
    process.stderr.write(`\n== ${bench.title}\n`);
    const started = Date.now();
    const { result, rows } = await bench.run();
    const stored: Stored = {
      name: bench.name,
      title: bench.title,
      date: new Date().toISOString(),
      machine: machine(),
      command: `${benchEnv()}npm run bench${wanted.length ? ` -- ${bench.name}` : ''}`,
      rows,
      result: { ...result, benchmarkSeconds: Math.round((Date.now() - started) / 1000) },
    };
    fs.writeFileSync(path.join(resultsDir, `${bench.name}.json`), JSON.stringify(stored, null, 2) + '\n');
    for (const row of rows)
      process.stderr.write(
        `  ${row.met === false ? '✗' : row.met ? '✓' : '·'} ${row.measure}: ${row.value}${row.target ? ` (target ${row.target})` : ''}\n`,
      );
    updateReadme();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
