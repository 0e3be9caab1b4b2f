/**
 * Engine benchmark (`npm run bench`): sipscope headless against sngrep 1.6 on the same
 * capture, in the same run, alternating, reporting ratios (machines here are noisy:
 * absolute times are indicative only).
 *
 *   npm run bench -- [--calls N] [--rate CPS] [--transport u1|t1] [--runs K] [--capture FILE]
 *
 * Without --capture it records a SIPp load capture on loopback with
 * ../shared/bench/make-load-capture.sh (root, sip-tester and tcpdump needed) and keeps it
 * under $SIPSCOPE_BENCH_DIR (default /tmp/sipscope-bench) for later runs.
 * Wall time and peak RSS come from GNU time (`/usr/bin/time -f '%e %M'`).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, sipscopeBin } from '../helpers/paths';

interface Args {
  calls: number;
  rate: number;
  transport: string;
  runs: number;
  capture: string | undefined;
}

function parse(argv: string[]): Args {
  const a: Args = { calls: 100_000, rate: 1500, transport: 'u1', runs: 3, capture: undefined };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--calls': a.calls = Number(v); i++; break;
      case '--rate': a.rate = Number(v); i++; break;
      case '--transport': a.transport = String(v); i++; break;
      case '--runs': a.runs = Number(v); i++; break;
      case '--capture': a.capture = v; i++; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return a;
}

interface Measure {
  wall: number;
  rssMb: number;
  stdout: string;
}

function timed(cmd: string, args: string[]): Measure {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const lines = (r.stderr ?? '').trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  const m = /^([\d.]+) (\d+)$/.exec(last);
  if (r.status !== 0 || m === null) {
    throw new Error(`${cmd} ${args.join(' ')} failed (status ${r.status}): ${r.stderr}`);
  }
  return { wall: Number(m[1]), rssMb: Number(m[2]) / 1024, stdout: r.stdout };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function main(): void {
  const args = parse(process.argv.slice(2));
  let capture = args.capture;
  if (capture === undefined) {
    const dir = process.env.SIPSCOPE_BENCH_DIR ?? '/tmp/sipscope-bench';
    fs.mkdirSync(dir, { recursive: true });
    capture = path.join(dir, `load-${args.transport}-${args.calls}.pcap`);
    if (!fs.existsSync(capture)) {
      const script = path.resolve(repoRoot, '..', 'shared', 'bench', 'make-load-capture.sh');
      console.log(`recording ${capture} with ${script} (${args.calls} calls at ${args.rate} cps)...`);
      const r = spawnSync('bash', [script, capture, String(args.calls), String(args.rate), args.transport], {
        stdio: 'inherit',
      });
      if (r.status !== 0) throw new Error(`recording failed (status ${r.status})`);
    }
  }
  const size = fs.statSync(capture).size;
  console.log(`capture: ${capture} (${(size / 1e6).toFixed(0)} MB)`);

  const ours: Measure[] = [];
  const theirs: Measure[] = [];
  for (let i = 0; i < args.runs; i++) {
    ours.push(timed(sipscopeBin, ['-N', '-q', '--json', '-I', capture]));
    theirs.push(timed('sngrep', ['-N', '-q', '-l', '1000000', '-I', capture]));
    console.log(
      `run ${i + 1}: sipscope ${ours[i]!.wall.toFixed(2)} s ${ours[i]!.rssMb.toFixed(0)} MB | ` +
        `sngrep ${theirs[i]!.wall.toFixed(2)} s ${theirs[i]!.rssMb.toFixed(0)} MB`,
    );
  }
  const lastLine = ours[ours.length - 1]!.stdout.trim().split('\n').pop() ?? '{}';
  const summary = (JSON.parse(lastLine) as { summary: Record<string, unknown> }).summary;
  const result = {
    capture,
    bytes: size,
    runs: args.runs,
    sipscope: { wallMedian: median(ours.map((m) => m.wall)), rssMbMedian: median(ours.map((m) => m.rssMb)) },
    sngrep: { wallMedian: median(theirs.map((m) => m.wall)), rssMbMedian: median(theirs.map((m) => m.rssMb)) },
    dialogs: summary.dialogs,
    sipMessages: summary.sipMessages,
    frames: summary.frames,
    expectedDialogs: args.capture === undefined ? args.calls : undefined,
  };
  const timeRatio = result.sipscope.wallMedian / result.sngrep.wallMedian;
  const memRatio = result.sipscope.rssMbMedian / result.sngrep.rssMbMedian;
  console.log(JSON.stringify({ ...result, timeRatio, memRatio }, null, 2));
  console.log(
    `sipscope/sngrep: wall time ${timeRatio.toFixed(2)}x, peak RSS ${memRatio.toFixed(2)}x ` +
      `(target <= 0.5 each); dialogs ${String(summary.dialogs)}` +
      (result.expectedDialogs !== undefined ? ` of ${result.expectedDialogs} calls placed` : ''),
  );
}

main();
