/**
 * Live capture load benchmark (run by hand, as root; not part of `npm test`):
 *
 *   npx tsc -p tsconfig.json && node dist/test/bench/live-bench.js [--rates 200,500,1000,2000] [--seconds 10] [--ui]
 *
 * For each rate, SIPp's built-in uac → uas scenario places rate × seconds calls on
 * 127.0.0.1 (six SIP messages a call) while one tool captures `-d lo -N -O` on the calls'
 * ports: first sipscope, then sngrep 1.6 (`-N -q -O`). tcpdump (-B 64 MiB) captures the same
 * filter at the same time as the reference; its own kernel drop count is shown.
 *
 * Per run: packets in the tool's -O file against the reference (loss = what the tool
 * missed: kernel drops and anything else), COMPLETED dialogs found (sipscope: its own
 * output; sngrep cannot print dialogs headless, so its -O file is read with sipscope -I),
 * CPU time of the tool's processes (sipscope: parent and capture child) per second of
 * capture, and peak RSS (VmHWM, summed over those processes).
 *
 * --buffer MB passes -B to sipscope (sngrep keeps its default 2 MiB). --sngrep-limit N passes
 * -l to sngrep: by default it keeps 20,000 dialogs and then stops writing their packets to -O.
 * "achieved" is the reference packet count over SIPp's run time (SIPp may fall behind the
 * asked rate on two cores).
 *
 * With --ui both tools run with their full-screen interface open in a pseudo-terminal
 * (160x40, node-pty; the screen is read through @xterm/headless) instead of -N, and quit
 * with `q`; dialogs are then counted by reading each tool's -O file with sipscope, and
 * sipscope's kernel drop count is read from its header.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as pty from 'node-pty';
import { Terminal } from '@xterm/headless';
import { sipscopeBin } from '../helpers/paths';
import { countPackets, freePorts, parseJsonLines, sippCalls, start, waitFor, ended, type Proc } from '../live-helpers';

interface Args {
  rates: number[];
  seconds: number;
  ui: boolean;
  /** -B for sipscope (MiB); sngrep keeps its default, as users run it. */
  buffer: number | undefined;
  /** -l for sngrep (its default keeps 20,000 dialogs and then stops saving -O packets too). */
  sngrepLimit: number | undefined;
}

function parse(argv: string[]): Args {
  const a: Args = { rates: [200, 500, 1000, 2000], seconds: 10, ui: false, buffer: undefined, sngrepLimit: undefined };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--rates': a.rates = String(v).split(',').map(Number); i++; break;
      case '--seconds': a.seconds = Number(v); i++; break;
      case '--ui': a.ui = true; break;
      case '--buffer': a.buffer = Number(v); i++; break;
      case '--sngrep-limit': a.sngrepLimit = Number(v); i++; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return a;
}

const CLK_TCK = 100;

/** The process and its descendants, from /proc/<pid>/task/<tid>/children. */
function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i]!;
    try {
      for (const tid of fs.readdirSync(`/proc/${p}/task`)) {
        const kids = fs.readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim();
        if (kids !== '') out.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      // gone
    }
  }
  return out;
}

interface Usage {
  cpuTicks: number;
  hwmKb: number;
}

function usage(pids: number[]): Usage {
  let cpuTicks = 0;
  let hwmKb = 0;
  for (const p of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpuTicks += Number(fields[11]) + Number(fields[12]); // utime, stime
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m !== null) hwmKb += Number(m[1]);
    } catch {
      // gone
    }
  }
  return { cpuTicks, hwmKb };
}

interface Row {
  tool: string;
  rate: number;
  calls: number;
  refPackets: number;
  refDrops: string;
  refCompleted: number;
  toolPackets: number;
  lost: number;
  completed: number;
  cpuPct: number;
  rssMb: number;
  /** SIP messages per second SIPp actually achieved (reference packets over SIPp's run time). */
  achieved: number;
  /** Kernel drops the tool reported (sipscope only; '?' when not shown). */
  kernelDrops: string;
  note: string;
}

/** A tool running in a pseudo-terminal, its screen replayed into a headless xterm. */
interface PtyTool {
  pid: number;
  screen(): Promise<string>;
  send(keys: string): void;
  exited: Promise<number>;
  kill(): void;
}

function inPty(cmd: string, args: string[]): PtyTool {
  const cols = 160;
  const rows = 40;
  const term = new Terminal({ cols, rows, allowProposedApi: true });
  const child = pty.spawn(cmd, args, { name: 'xterm-256color', cols, rows, env: { ...process.env, TERM: 'xterm-256color', TZ: 'UTC', LANG: 'C.UTF-8' } });
  child.onData((d) => term.write(d));
  const exited = new Promise<number>((resolve) => child.onExit((e) => resolve(e.exitCode)));
  return {
    pid: child.pid,
    screen: () =>
      new Promise((resolve) =>
        term.write('', () => {
          const b = term.buffer.active;
          const out: string[] = [];
          for (let i = 0; i < rows; i++) out.push(b.getLine(b.viewportY + i)?.translateToString(true) ?? '');
          resolve(out.join('\n'));
        }),
      ),
    send: (k) => child.write(k),
    exited,
    kill: () => child.kill('SIGKILL'),
  };
}

function completedIn(file: string): number {
  const r = spawnSync(process.execPath, [sipscopeBin, '-N', '--json', '-q', '-I', file], { encoding: 'utf8', maxBuffer: 512 << 20 });
  return parseJsonLines(r.stdout).dialogs.filter((d) => d.state === 'COMPLETED').length;
}

async function runOne(tool: 'sipscope' | 'sngrep', rate: number, seconds: number, dir: string, ui: boolean, buffer: number | undefined, sngrepLimit: number | undefined): Promise<Row> {
  const bufferArgs = buffer !== undefined ? ['-B', String(buffer)] : [];
  const limitArgs = sngrepLimit !== undefined ? ['-l', String(sngrepLimit)] : [];
  const [uacPort, uasPort] = await freePorts(2);
  const filter = `udp and (port ${uacPort} or port ${uasPort})`;
  const calls = rate * seconds;
  const ref = path.join(dir, `${tool}-${rate}-ref.pcap`);
  const out = path.join(dir, `${tool}-${rate}.pcap`);
  const dump = start('tcpdump', ['-i', 'lo', '-B', '65536', '-n', '-w', ref, filter]);
  await waitFor(() => dump.err().includes('listening on'), 10000, 'tcpdump');
  let proc: Proc | undefined;
  let screen: PtyTool | undefined;
  if (ui) {
    screen =
      tool === 'sipscope'
        ? inPty(process.execPath, [sipscopeBin, '-d', 'lo', ...bufferArgs, '-O', out, ...filter.split(' ')])
        : inPty('sngrep', ['-d', 'lo', ...limitArgs, '-O', out, ...filter.split(' ')]);
  } else if (tool === 'sipscope') {
    proc = start(process.execPath, [sipscopeBin, '-d', 'lo', ...bufferArgs, '-N', '-q', '--json', '-O', out, ...filter.split(' ')]);
  } else {
    proc = start('sngrep', ['-d', 'lo', ...limitArgs, '-N', '-q', '-O', out, ...filter.split(' ')]);
  }
  // sipscope writes the -O header once capturing; sngrep creates the file after opening the
  // device (its header stays buffered until the first packets).
  const minSize = tool === 'sipscope' ? 24 : 0;
  await waitFor(() => fs.existsSync(out) && fs.statSync(out).size >= minSize, 15000, `${tool} to start`);
  const pid = screen !== undefined ? screen.pid : (proc!.child as ChildProcess).pid!;
  const before = usage(tree(pid));
  const t0 = Date.now();
  let note = '';
  try {
    await sippCalls(uacPort!, uasPort!, calls, rate, seconds * 1000 * 6 + 30000);
  } catch (err) {
    note = (err as Error).message.split('\n')[0]!.slice(0, 60);
  }
  const sippSeconds = (Date.now() - t0) / 1000;
  // Let the tools drain, then take usage before stopping (shutdown work is not capture).
  await new Promise((r) => setTimeout(r, 1500));
  const pids = tree(pid);
  const after = usage(pids);
  const wall = (Date.now() - t0) / 1000;
  let kernelDrops = '?';
  if (screen !== undefined) {
    const text = await screen.screen();
    kernelDrops = /Drops: (\d+)/.exec(text)?.[1] ?? '?';
    screen.send('q');
    const timer = setTimeout(() => screen!.kill(), 60000);
    await screen.exited;
    clearTimeout(timer);
  } else {
    proc!.child.kill('SIGINT');
    await ended(proc!, 60000);
  }
  dump.child.kill('SIGINT');
  await ended(dump, 10000);
  const refDrops = /(\d+) packets dropped by kernel/.exec(dump.err())?.[1] ?? '?';
  const refPackets = countPackets(ref);
  const toolPackets = countPackets(out);
  let completed: number;
  if (tool === 'sipscope' && proc !== undefined) {
    const out = parseJsonLines(proc.out());
    completed = out.dialogs.filter((d) => d.state === 'COMPLETED').length;
    const k = (out.summary?.live as { kernelDrops?: number | null } | undefined)?.kernelDrops;
    kernelDrops = k === undefined || k === null ? '?' : String(k);
  } else {
    completed = completedIn(out);
  }
  const row: Row = {
    tool,
    rate,
    calls,
    refPackets,
    refDrops,
    refCompleted: completedIn(ref),
    toolPackets,
    lost: refPackets - toolPackets,
    completed,
    cpuPct: Math.round(((after.cpuTicks - before.cpuTicks) / CLK_TCK / wall) * 100),
    rssMb: Math.round(after.hwmKb / 1024),
    achieved: Math.round(refPackets / sippSeconds),
    kernelDrops: tool === 'sipscope' ? kernelDrops : '-',
    note,
  };
  fs.rmSync(ref, { force: true });
  fs.rmSync(out, { force: true });
  return row;
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('run as root (live capture on lo)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-live-bench-'));
  const rows: Row[] = [];
  const load = os.loadavg()[0]!.toFixed(1);
  process.stderr.write(`cpus ${os.cpus().length}, load average ${load} before the run${args.ui ? ', full-screen UI open in a pty' : ', headless (-N)'}\n`);
  for (const rate of args.rates) {
    for (const tool of ['sipscope', 'sngrep'] as const) {
      const r = await runOne(tool, rate, args.seconds, dir, args.ui, args.buffer, args.sngrepLimit);
      process.stderr.write(`${JSON.stringify(r)}\n`);
      rows.push(r);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const head = '| tool | calls/s asked | SIP msg/s asked | SIP msg/s achieved | calls | ref packets (tcpdump drops) | ref COMPLETED | tool packets | lost | kernel drops | tool COMPLETED | CPU % | peak RSS MB | note |';
  const lines = [head, '|' + ' --- |'.repeat(14)];
  for (const r of rows) {
    lines.push(
      `| ${r.tool} | ${r.rate} | ${r.rate * 6} | ${r.achieved} | ${r.calls} | ${r.refPackets} (${r.refDrops}) | ${r.refCompleted} | ${r.toolPackets} | ${r.lost} | ${r.kernelDrops} | ${r.completed} | ${r.cpuPct} | ${r.rssMb} | ${r.note} |`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`live-bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
