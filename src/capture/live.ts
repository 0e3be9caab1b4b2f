/**
 * Live capture, parent side: runs `live-child.js` (which holds libpcap through `cap`) in a
 * child process and turns what it sends into frames, statistics and errors.
 *
 * Why a child process: `cap` is not context-aware and crashes inside a worker thread, and a
 * separate process keeps draining the kernel's ring buffer while this process is busy
 * (decoding, drawing the screen, printing). `cap` is loaded only in the child, so this module
 * and everything that imports it work on a machine without libpcap.
 *
 * Wire protocol, child → parent on file descriptor 3 (all integers little-endian):
 *
 *   record  := type:u8  0:u8  0:u16  length:u32  body[length]
 *   READY   body: JSON {devices: [{name, linktype}]}           once, after every device opened
 *   PACKETS body: count:u32, then count × packet
 *     packet := device:u16 linktype:u16 sec:u32 nsec:u32 caplen:u32 origLen:u32 bytes[caplen]
 *   STATS   body: JSON LiveStats                                 about once a second, and last
 *   ERROR   body: JSON {device, message, fatal}                  fatal: the child exits after it
 *
 * Parent → child on standard input: text lines `pause`, `resume`, `stop`. End of input (the
 * parent went away) stops the child too, so a capture never outlives sipscope.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { Frame } from '../pcap/types';

export const RECORD_HEADER_LEN = 8;
export const PACKET_HEADER_LEN = 20;

export const RECORD = {
  READY: 1,
  PACKETS: 2,
  STATS: 3,
  ERROR: 4,
} as const;

/** What the child needs to open the devices; sent as JSON in its environment. */
export interface LiveCaptureOptions {
  /** Interface names; `any` captures on all of them (Linux). */
  devices: string[];
  /** BPF capture filter, compiled by libpcap; '' captures everything. */
  filter: string;
  /** Bytes kept of each packet (-s). */
  snaplen: number;
  /** Promiscuous mode (--no-promisc turns it off where the binding allows). */
  promisc: boolean;
  /** Kernel capture buffer per device, in MiB (-B). */
  bufferMb: number;
  /** Longest time a captured packet waits in the child before being sent (default 20 ms). */
  batchMs?: number;
  /** Packets per batch at most (default 256). */
  batchPackets?: number;
}

export interface LiveDevice {
  name: string;
  /** LINKTYPE_* of the device's frames. */
  linktype: number;
}

export interface LiveDeviceStats {
  name: string;
  /** Packets the child received from libpcap (after the BPF filter). */
  received: number;
  /**
   * Packets the kernel dropped because the capture buffer was full, or null when the
   * binding cannot tell (cap 0.2.1 does not expose pcap_stats()).
   */
  kernelDrops: number | null;
  /** Packets the interface (driver) dropped since capture started (sysfs rx_dropped), or null when unknown. */
  interfaceDrops: number | null;
  /** Packets not passed on while paused, or because the parent fell more than the child's backlog limit behind. */
  discarded: number;
}

export interface LiveStats {
  devices: LiveDeviceStats[];
}

/** The child's error record. */
export interface LiveErrorRecord {
  device: string;
  message: string;
  fatal: boolean;
}

export interface LiveSink {
  /** One captured frame; `fileOffset` is -1 (the bytes are not in a file sipscope can read back). */
  onFrame(frame: Frame, device: number): void;
  /** About once a second while capturing, and once more at the end. */
  onStats(stats: LiveStats): void;
  /** A problem in one line, naming the device and what to do. */
  onError(message: string, fatal: boolean): void;
}

export type LiveStartResult = { ok: true; devices: LiveDevice[] } | { ok: false; error: string };

export interface LiveCapture {
  /** Settles once every device is open (ok) or the capture could not start (error). */
  readonly started: Promise<LiveStartResult>;
  /** Settles when the child process has ended, for any reason. */
  readonly ended: Promise<void>;
  /** Stops capturing; resolves after the last packets and statistics have been delivered. */
  stop(): Promise<void>;
  /** While paused the child discards packets instead of sending them (sngrep's `p`). */
  pause(paused: boolean): void;
  /** The latest statistics received. */
  readonly stats: LiveStats | undefined;
}

/** How long `stop()` waits for the child to finish before killing it. */
const STOP_GRACE_MS = 3000;
/** stderr kept from the child for a crash report. */
const STDERR_KEEP = 4096;

/** The compiled child entry point (next to this file in dist/). */
export function liveChildPath(): string {
  return path.join(__dirname, 'live-child.js');
}

/**
 * Starts capturing. The child is spawned with the same Node binary; `env` adds variables
 * for it (tests use this to simulate a missing binding).
 */
export function startLiveCapture(
  opts: LiveCaptureOptions,
  sink: LiveSink,
  env: Record<string, string> = {},
): LiveCapture {
  const child = spawn(process.execPath, [liveChildPath()], {
    stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, SIPSCOPE_LIVE_OPTIONS: JSON.stringify(opts) },
  });
  return new LiveCaptureProcess(child, opts, sink);
}

class LiveCaptureProcess implements LiveCapture {
  readonly started: Promise<LiveStartResult>;
  readonly ended: Promise<void>;
  stats: LiveStats | undefined;
  private resolveStarted!: (r: LiveStartResult) => void;
  private startSettled = false;
  private stopping = false;
  private stderrText = '';
  private readonly decoder: LiveRecordDecoder;
  private fatalSeen = false;

  constructor(
    private readonly child: ChildProcess,
    private readonly opts: LiveCaptureOptions,
    private readonly sink: LiveSink,
  ) {
    this.started = new Promise((resolve) => (this.resolveStarted = resolve));
    this.decoder = new LiveRecordDecoder({
      onReady: (devices) => this.settle({ ok: true, devices }),
      onFrame: (f, dev) => this.sink.onFrame(f, dev),
      onStats: (s) => {
        this.stats = s;
        this.sink.onStats(s);
      },
      onError: (e) => {
        if (e.fatal) {
          this.fatalSeen = true;
          if (!this.startSettled) {
            this.settle({ ok: false, error: e.message });
            return;
          }
        }
        this.sink.onError(e.message, e.fatal);
      },
      onMalformed: (why) => this.sink.onError(`live capture: ${why}`, false),
    });
    const data = child.stdio[3] as NodeJS.ReadableStream | null | undefined;
    data?.on('data', (chunk: Buffer) => this.decoder.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrText = (this.stderrText + chunk.toString('utf8')).slice(-STDERR_KEEP);
    });
    // Writing to a child that already ended raises EPIPE on stdin: that is reported through 'exit'.
    child.stdin?.on('error', () => undefined);
    const dataEnded = new Promise<void>((resolve) => {
      if (data === null || data === undefined) resolve();
      else {
        data.on('end', () => resolve());
        data.on('error', () => resolve());
      }
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
      child.on('error', (err) => resolve({ code: null, signal: null, spawnError: err }));
    });
    this.ended = Promise.all([exited, dataEnded]).then(([x]) => {
      const devs = this.opts.devices.join(',');
      if (x.spawnError !== undefined) {
        const m = `cannot start the live capture process for ${devs}: ${x.spawnError.message}`;
        if (!this.startSettled) this.settle({ ok: false, error: m });
        else this.sink.onError(m, true);
        return;
      }
      if (this.fatalSeen) return;
      if (x.code === 0) {
        // A clean exit: after stop(), or the child saw its input close before it was ready.
        if (!this.startSettled) this.settle({ ok: false, error: `live capture on ${devs} stopped before it started` });
        return;
      }
      const how = x.signal !== null ? `was killed by ${x.signal}` : `exited with status ${x.code ?? '?'}`;
      const tail = lastLine(this.stderrText);
      const m = `live capture on ${devs}: the capture process ${how}${tail !== '' ? ` (${tail})` : ''}; packets after this point are not captured`;
      if (!this.startSettled) this.settle({ ok: false, error: m });
      else if (!this.stopping || x.signal !== 'SIGKILL') this.sink.onError(m, true);
    });
  }

  pause(paused: boolean): void {
    this.send(paused ? 'pause' : 'resume');
  }

  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.send('stop');
      this.child.stdin?.end();
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      await this.ended;
    } finally {
      clearTimeout(timer);
    }
  }

  private send(line: string): void {
    const stdin = this.child.stdin;
    if (stdin !== null && stdin.writable) stdin.write(line + '\n');
  }

  private settle(r: LiveStartResult): void {
    if (this.startSettled) return;
    this.startSettled = true;
    this.resolveStarted(r);
  }
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines[lines.length - 1] ?? '';
}

export interface LiveRecordHandlers {
  onReady(devices: LiveDevice[]): void;
  onFrame(frame: Frame, device: number): void;
  onStats(stats: LiveStats): void;
  onError(e: LiveErrorRecord): void;
  onMalformed(why: string): void;
}

/** Largest record accepted (a batch is far smaller); guards against a corrupt stream. */
const MAX_RECORD = 64 << 20;

/**
 * Streaming decoder of the child's records: keeps partial input between chunks. Frames
 * handed to `onFrame` are views into a buffer that is not reused, so they may be kept.
 */
export class LiveRecordDecoder {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private broken = false;

  constructor(private readonly h: LiveRecordHandlers) {}

  push(chunk: Buffer): void {
    if (this.broken) return;
    this.pending.push(chunk);
    this.pendingLen += chunk.length;
    while (this.pendingLen >= RECORD_HEADER_LEN) {
      const head = this.peek(RECORD_HEADER_LEN);
      const type = head[0]!;
      const length = head.readUInt32LE(4);
      if (length > MAX_RECORD) {
        this.broken = true;
        this.h.onMalformed(`record of ${length} bytes from the capture process; ignoring the rest of its output`);
        return;
      }
      if (this.pendingLen < RECORD_HEADER_LEN + length) return;
      const all = this.take(RECORD_HEADER_LEN + length);
      this.record(type, all.subarray(RECORD_HEADER_LEN));
    }
  }

  private record(type: number, body: Buffer): void {
    switch (type) {
      case RECORD.PACKETS:
        this.packets(body);
        return;
      case RECORD.READY:
        this.h.onReady((parseJson(body) as { devices: LiveDevice[] } | undefined)?.devices ?? []);
        return;
      case RECORD.STATS: {
        const s = parseJson(body) as LiveStats | undefined;
        if (s !== undefined) this.h.onStats(s);
        return;
      }
      case RECORD.ERROR: {
        const e = parseJson(body) as LiveErrorRecord | undefined;
        if (e !== undefined) this.h.onError(e);
        return;
      }
      default:
        this.h.onMalformed(`unknown record type ${type} from the capture process`);
    }
  }

  private packets(body: Buffer): void {
    if (body.length < 4) return;
    const count = body.readUInt32LE(0);
    let off = 4;
    for (let i = 0; i < count; i++) {
      if (off + PACKET_HEADER_LEN > body.length) break;
      const device = body.readUInt16LE(off);
      const linktype = body.readUInt16LE(off + 2);
      const sec = body.readUInt32LE(off + 4);
      const nsec = body.readUInt32LE(off + 8);
      const caplen = body.readUInt32LE(off + 12);
      const origLen = body.readUInt32LE(off + 16);
      off += PACKET_HEADER_LEN;
      if (off + caplen > body.length) {
        this.h.onMalformed('a packet batch from the capture process is cut short');
        return;
      }
      const data = body.subarray(off, off + caplen);
      off += caplen;
      this.h.onFrame({ linktype, sec, nsec, data, origLen, fileOffset: -1, ifIndex: device }, device);
    }
  }

  private peek(n: number): Buffer {
    const first = this.pending[0]!;
    if (first.length >= n) return first;
    return Buffer.concat(this.pending, Math.max(n, 0)).subarray(0, n);
  }

  private take(n: number): Buffer {
    const first = this.pending[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.pending, this.pendingLen);
      out = all.subarray(0, n);
      this.pending = all.length > n ? [all.subarray(n)] : [];
    }
    this.pendingLen -= n;
    return out;
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Encodes one record (used by the child; here so both sides share the layout). */
export function encodeRecord(type: number, body: Buffer): Buffer {
  const b = Buffer.allocUnsafe(RECORD_HEADER_LEN + body.length);
  b[0] = type;
  b[1] = 0;
  b.writeUInt16LE(0, 2);
  b.writeUInt32LE(body.length, 4);
  body.copy(b, RECORD_HEADER_LEN);
  return b;
}

export function encodeJsonRecord(type: number, value: unknown): Buffer {
  return encodeRecord(type, Buffer.from(JSON.stringify(value), 'utf8'));
}

/** Sums per-device statistics; a null anywhere makes the sum null (unknown). */
export function totalStats(s: LiveStats | undefined): { received: number; kernelDrops: number | null; interfaceDrops: number | null; discarded: number } {
  let received = 0;
  let kernel: number | null = 0;
  let iface: number | null = 0;
  let discarded = 0;
  for (const d of s?.devices ?? []) {
    received += d.received;
    discarded += d.discarded;
    kernel = kernel === null || d.kernelDrops === null ? null : kernel + d.kernelDrops;
    iface = iface === null || d.interfaceDrops === null ? null : iface + d.interfaceDrops;
  }
  return { received, kernelDrops: kernel, interfaceDrops: iface, discarded };
}
