/**
 * Helpers for the live capture tests: processes with deadlines, free UDP ports, SIPp calls
 * on 127.0.0.1, pcap files read back with sipscope's own reader.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import { CaptureReader } from '../src/pcap/reader';
import { sipscopeBin } from './helpers/paths';

export { sipscopeBin };

export interface Proc {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

export function start(cmd: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC', ...env } });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
    child.on('error', () => resolve(-1));
  });
  return { child, out: () => out, err: () => err, exited };
}

export function sipscope(args: string[], env: Record<string, string> = {}): Proc {
  return start(process.execPath, [sipscopeBin, ...args], env);
}

/** Polls `cond` every 50 ms until it holds; throws naming `what` after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits for a process to end, killing it after `ms`. */
export async function ended(p: Proc, ms: number): Promise<number | string> {
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Live capture needs root (or capabilities) and a working `cap`: the reason to skip, if any. */
export function liveSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'live capture tests need root';
  const r = spawnSync(process.execPath, ['-e', "require('cap')"], { cwd: sipscopeBin.replace(/\/bin\/sipscope$/, ''), encoding: 'utf8' });
  if (r.status !== 0) return `cap is not loadable: ${r.stderr.split('\n')[0] ?? ''}`;
  return undefined;
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Two (or more) UDP ports free on 127.0.0.1 right now, from a range unlikely to collide. */
export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) {
    const p = 20000 + Math.floor(Math.random() * 20000);
    if (ports.includes(p)) continue;
    const ok = await new Promise<boolean>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(p, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) ports.push(p);
  }
  return ports;
}

/**
 * Places `calls` calls with SIPp's built-in scenarios: uac on `uacPort` → uas on
 * `uasPort`, both on 127.0.0.1. Resolves once both ended; throws if they fail.
 */
export async function sippCalls(uacPort: number, uasPort: number, calls: number, rate: number, ms = 60000): Promise<void> {
  const uas = start('sipp', ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(uasPort), '-m', String(calls), '-nostdin']);
  // The uas must listen before the first INVITE: give it a moment, bounded.
  await new Promise((r) => setTimeout(r, 300));
  const uac = start('sipp', [
    '-sn', 'uac', `127.0.0.1:${uasPort}`, '-i', '127.0.0.1', '-p', String(uacPort),
    '-m', String(calls), '-r', String(rate), '-nostdin',
  ]);
  const uacCode = await ended(uac, ms);
  const uasCode = await ended(uas, 5000);
  if (uacCode !== 0) throw new Error(`sipp uac ended with ${uacCode}: ${uac.err().slice(-500)}`);
  if (uasCode !== 0 && uasCode !== 'SIGKILL') throw new Error(`sipp uas ended with ${uasCode}: ${uas.err().slice(-500)}`);
}

export interface PcapContent {
  linktype: number | undefined;
  frames: Buffer[];
}

/** Reads a pcap/pcapng file with sipscope's reader; a missing file reads as empty. */
export function readPcap(file: string): PcapContent {
  const frames: Buffer[] = [];
  let linktype: number | undefined;
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch {
    return { linktype, frames };
  }
  const r = new CaptureReader({
    onFrame: (f) => {
      linktype = f.linktype;
      frames.push(Buffer.from(f.data));
    },
    onIssue: () => undefined,
  });
  r.push(data);
  r.end();
  return { linktype, frames };
}

export function countPackets(file: string): number {
  return readPcap(file).frames.length;
}

/** The UDP payload of an Ethernet/IPv4 frame (lo on Linux), as text. */
export function udpPayload(frame: Buffer): string {
  const ipOff = 14;
  const ihl = (frame[ipOff]! & 0x0f) * 4;
  return frame.subarray(ipOff + ihl + 8).toString('latin1');
}

export function sortedPayloads(frames: Buffer[]): string[] {
  return frames.map(udpPayload).sort();
}

export interface JsonDialog {
  callId: string;
  state: string | null;
  method: string;
  messages: number;
  [k: string]: unknown;
}

export function parseJsonLines(text: string): { dialogs: JsonDialog[]; summary: Record<string, unknown> | undefined } {
  const dialogs: JsonDialog[] = [];
  let summary: Record<string, unknown> | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const v = JSON.parse(line) as Record<string, unknown>;
    if ('summary' in v) summary = v.summary as Record<string, unknown>;
    else dialogs.push(v as unknown as JsonDialog);
  }
  return { dialogs, summary };
}
