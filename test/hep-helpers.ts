/**
 * Shared by the HEP and TZSP tests: free ports, the real launcher run as a listener (ready
 * when it says "listening", stopped with a signal), JSON output, the demo capture's frames.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as path from 'node:path';
import { ownCaptures, sipscopeBin } from './helpers/paths';

export const demoUdp = path.join(ownCaptures, 'demo-udp.pcap');

/** A port free now on `host` for `kind` (the kernel's choice; closed again before use). */
export async function freePort(kind: 'udp' | 'tcp', host = '127.0.0.1'): Promise<number> {
  if (kind === 'tcp') {
    return new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, host, () => {
        const a = s.address() as net.AddressInfo;
        s.close(() => resolve(a.port));
      });
    });
  }
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    s.once('error', reject);
    s.bind(0, host, () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

export interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs sipscope to completion. */
export function sipscope(args: string[]): Run {
  const r = spawnSync(process.execPath, [sipscopeBin, ...args], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, maxBuffer: 64 << 20, timeout: 60_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A long-running process whose output is collected. */
export interface Background {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stderr contains `text` (rejects after `ms`, or when the process ends first). */
  waitFor(text: string, ms?: number): Promise<void>;
  /** Sends `signal` (unless already gone) and resolves with the output once it exits (SIGKILL after `ms`). */
  stop(signal?: NodeJS.Signals, ms?: number): Promise<Run>;
}

export function background(command: string, args: string[]): Background {
  const child = spawn(command, args, { env: { ...process.env, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<Run>((resolve) => {
    child.on('close', (status, signal) => resolve({ status, signal, stdout: out, stderr: err }));
  });
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor: async (text, ms = 20_000) => {
      const deadline = Date.now() + ms;
      while (!err.includes(text) && !out.includes(text)) {
        if (done) throw new Error(`${command} ${args.join(' ')} ended before printing '${text}': ${err}`);
        if (Date.now() > deadline) throw new Error(`no '${text}' from ${command} within ${ms} ms: ${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stop: async (signal = 'SIGINT', ms = 15_000) => {
      if (!done && child.pid !== undefined) child.kill(signal);
      const timer = setTimeout(() => {
        if (!done) child.kill('SIGKILL');
      }, ms);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
  };
}

/** sipscope in the background (a listener), ready once it says it listens. */
export async function sipscopeListener(args: string[]): Promise<Background> {
  const b = background(process.execPath, [sipscopeBin, ...args]);
  await b.waitFor('listening');
  return b;
}

export interface JsonDialog {
  callId: string;
  method: string;
  state: string | null;
  messages: number;
  retransmissions: number;
  finalStatus: number | null;
  src: string;
  dst: string;
  transport: string;
  start: string;
  end: string;
  fromUser: string;
  toUser: string;
}

export function parseJson(stdout: string): { dialogs: JsonDialog[]; summary: Record<string, unknown> & { sipMessages: number; dialogs: number } } {
  const lines = stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const last = lines.pop() as { summary: Record<string, unknown> & { sipMessages: number; dialogs: number } } | undefined;
  if (last === undefined || last.summary === undefined) throw new Error(`no summary line in: ${stdout.slice(0, 500)}`);
  return { dialogs: lines as unknown as JsonDialog[], summary: last.summary };
}

/** What must survive a trip through HEP: the dialog's identity, counts, state, endpoints and times. */
export function dialogKey(d: JsonDialog): Record<string, unknown> {
  return {
    callId: d.callId,
    method: d.method,
    state: d.state,
    messages: d.messages,
    retransmissions: d.retransmissions,
    finalStatus: d.finalStatus,
    src: d.src,
    dst: d.dst,
    transport: d.transport,
    start: d.start,
    end: d.end,
    fromUser: d.fromUser,
    toUser: d.toUser,
  };
}

/** The dialogs of a file as `sipscope -I FILE -N --json` gives them, keyed for comparison. */
export function fileDialogs(file: string): Record<string, unknown>[] {
  const r = sipscope(['-I', file, '-N', '--json']);
  if (r.status !== 0) throw new Error(`sipscope -I ${file}: ${r.stderr}`);
  return sortByCallId(parseJson(r.stdout).dialogs.map(dialogKey));
}

export function sortByCallId(ds: Record<string, unknown>[]): Record<string, unknown>[] {
  return [...ds].sort((a, b) => String(a['callId']).localeCompare(String(b['callId'])));
}

/** Every frame of a capture file, copied. */
export { readCaptureFrames as readFrames } from './helpers/read-capture';

/** Sends datagrams one after the other (each after the previous one left). */
export async function sendUdp(host: string, port: number, datagrams: Buffer[]): Promise<void> {
  const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  for (const d of datagrams) {
    await new Promise<void>((resolve, reject) => s.send(d, port, host, (e) => (e ? reject(e) : resolve())));
  }
  await new Promise<void>((resolve) => s.close(() => resolve()));
}

/** Sends bytes on one TCP connection, then closes it. */
export async function sendTcp(host: string, port: number, chunks: Buffer[]): Promise<void> {
  const s = net.connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  for (const c of chunks) await new Promise<void>((resolve) => (s.write(c) ? resolve() : s.once('drain', () => resolve())));
  await new Promise<void>((resolve) => s.end(() => resolve()));
}

/** Polls `cond` until true (rejects after `ms`). */
export async function until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
