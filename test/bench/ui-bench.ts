/**
 * UI latency benchmark (`npm run bench:ui`, run by hand): sipscope and sngrep 1.6 in the same
 * pseudo-terminal harness on the same capture, alternating, reporting median and p95 per key
 * and their ratios.
 *
 *   npm run bench:ui -- --capture FILE [--runs K] [--tools sipscope,sngrep] [--cols 120] [--rows 40]
 *                       [--downs 50] [--pgdns 20] [--pairs 10] [--filter-rounds 3] [--filter 99999]
 *                       [--expression 'srcnum 1234'] [--sipscope OTHER/bin/sipscope]
 *
 * Per key: first byte (first output after the key), shown (the output chunk after which the
 * screen shows the expected change: the selected row's index, the flow title, the typed
 * filter) and last byte (the end of that redraw). First screen: spawn to the first dialog
 * rows, and to the header no longer saying it is loading. `uptime` is printed with each run
 * (the machine may be shared).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { summarize, type KeyTiming } from './ui-harness';
import { runScenario, sipscopeProfile, SIPSCOPE, SNGREP, type ScenarioOptions, type ScenarioResult, type ToolProfile } from './ui-scenario';

interface Args extends ScenarioOptions {
  capture: string;
  runs: number;
  tools: ToolProfile[];
}

function parse(argv: string[]): Args {
  const a: Args = {
    capture: '',
    runs: 1,
    tools: [SIPSCOPE, SNGREP],
    cols: 120,
    rows: 40,
    downs: 50,
    pageDowns: 20,
    pairs: 10,
    filterRounds: 3,
    filterText: '99999',
    expression: 'srcnum 1234',
    loadDeadlineMs: 300_000,
    keyDeadlineMs: 60_000,
  };
  let sipscopeBin: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const v = String(argv[i + 1]);
    switch (argv[i]) {
      case '--capture': a.capture = v; break;
      case '--runs': a.runs = Number(v); break;
      case '--tools': a.tools = v.split(',').map((t) => (t === 'sngrep' ? SNGREP : t === 'sipscope' ? SIPSCOPE : fail(`unknown tool ${t}`))); break;
      case '--sipscope': sipscopeBin = v; break;
      case '--cols': a.cols = Number(v); break;
      case '--rows': a.rows = Number(v); break;
      case '--downs': a.downs = Number(v); break;
      case '--pgdns': a.pageDowns = Number(v); break;
      case '--pairs': a.pairs = Number(v); break;
      case '--filter-rounds': a.filterRounds = Number(v); break;
      case '--filter': a.filterText = v; break;
      case '--expression': a.expression = v; break;
      default: fail(`unknown argument ${argv[i]}`);
    }
    i++;
  }
  if (sipscopeBin !== undefined) a.tools = a.tools.map((t) => (t.name === 'sipscope' ? sipscopeProfile(sipscopeBin) : t));
  if (a.capture === '') fail('--capture FILE is required (a load capture: ../shared/bench/make-load-capture.sh OUT.pcap 100000 1500)');
  if (!fs.existsSync(a.capture)) fail(`cannot open ${a.capture}: no such file`);
  return a;
}

function fail(msg: string): never {
  console.error(`ui-bench: ${msg}`);
  process.exit(2);
}

const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return '(uptime unavailable)';
  }
}

/** The table: per key, median and p95 of shown (and first / last byte) per tool, and ratios. */
export function formatTable(results: ScenarioResult[]): string {
  const tools = [...new Set(results.map((r) => r.tool))];
  const labels = [...new Set(results.flatMap((r) => [...r.keys.keys()]))];
  const of = (tool: string, label: string): KeyTiming[] => results.filter((r) => r.tool === tool).flatMap((r) => r.keys.get(label) ?? []);
  const out: string[] = [];
  const head = ['key', ...tools.flatMap((t) => [`${t} n`, `${t} shown med/p95`, `${t} first/last byte med`])];
  if (tools.length === 2) head.push(`${tools[0]}/${tools[1]} med`, 'p95 ratio');
  out.push(head.join(' | '));
  out.push(head.map(() => '---').join(' | '));
  for (const label of labels) {
    const row = [label];
    const stats = tools.map((t) => {
      const xs = of(t, label);
      return { shown: summarize(xs.map((x) => x.shownMs)), first: summarize(xs.map((x) => x.firstByteMs)), last: summarize(xs.map((x) => x.lastByteMs)) };
    });
    for (const st of stats) {
      row.push(String(st.shown.n), st.shown.n === 0 ? '-' : `${ms(st.shown.median)} / ${ms(st.shown.p95)}`, st.shown.n === 0 ? '-' : `${ms(st.first.median)} / ${ms(st.last.median)}`);
    }
    if (tools.length === 2) {
      const [a, b] = stats as [(typeof stats)[0], (typeof stats)[0]];
      const ratio = (x: number, y: number): string => (a.shown.n && b.shown.n ? (x / y).toPrecision(2) : '-');
      row.push(ratio(a.shown.median, b.shown.median), ratio(a.shown.p95, b.shown.p95));
    }
    out.push(row.join(' | '));
  }
  for (const t of tools) {
    const rs = results.filter((r) => r.tool === t);
    out.push('');
    out.push(`${t}: first dialog rows ${rs.map((r) => ms(r.firstRowsMs)).join(', ')} ms; loading complete ${rs.map((r) => ms(r.loadedMs)).join(', ')} ms`);
    for (const n of new Set(rs.flatMap((r) => r.notes))) out.push(`${t}: ${n}`);
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2));
  console.log(`capture ${a.capture} (${(fs.statSync(a.capture).size / 1e6).toFixed(0)} MB), terminal ${a.cols}x${a.rows}, times in ms`);
  const results: ScenarioResult[] = [];
  for (let run = 1; run <= a.runs; run++) {
    for (const tool of a.tools) {
      console.log(`run ${run} ${tool.name}: ${uptime()}`);
      const r = await runScenario(tool, a.capture, a);
      results.push(r);
      console.log(`  first rows ${ms(r.firstRowsMs)}, loaded ${ms(r.loadedMs)}; after: ${uptime()}`);
    }
  }
  console.log('');
  console.log(formatTable(results));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
