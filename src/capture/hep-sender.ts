/**
 * HEP sender (-H udp:HOST:PORT / tcp:HOST:PORT): every SIP message the store keeps goes to
 * a collector (HOMER, heplify-server, sngrep -L, sipscope -L) as one HEP v3 packet (v2 with
 * --hep-version 2), with its original addresses, ports, transport and capture time.
 *
 * - `MessageTap` walks the store's message rows added since its last call (rows are
 *   append-only, ids 0..messageRows-1), reading each message's bytes back with a
 *   ByteReader; the store and engine stay unaware of sinks.
 * - UDP: one packet per datagram, at most UDP_IN_FLIGHT sends outstanding.
 * - TCP: HEP3 packets back to back on one connection (a collector frames them by the HEP3
 *   length); when the connection fails it is opened again with exponential backoff
 *   (RECONNECT_MIN_MS doubling up to RECONNECT_MAX_MS). While it is down, packets wait in a
 *   bounded queue; beyond `maxQueue` the oldest are dropped and counted.
 * - The capture id goes out in network byte order (see src/net/hep-encode.ts: sngrep and
 *   sipgrep byte-swap it).
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { encodeHep2, encodeHep3, hepEncodeProblem, ipProtoOfTransport, type HepOutMessage } from '../net/hep-encode';
import { parseIp } from '../net/address';
import type { DialogStore } from '../store/store';
import type { ByteReader } from './byte-reader';
import { describeSocketError, formatEndpoint, resolveEndpoint, type EndpointSpec } from './endpoint-spec';

export interface HepSenderCounters {
  /** Messages handed to `send`. */
  messages: number;
  /** Packets written to the socket. */
  sent: number;
  bytes: number;
  /** Oldest packets dropped because the queue was full (connection down or slow). */
  droppedQueueFull: number;
  /** Messages that cannot be encoded (too large for HEP3, odd addresses). */
  droppedUnencodable: number;
  /** UDP sends that failed; TCP packets lost with a connection that broke. */
  sendErrors: number;
  /** TCP connections established (the first, and every reconnection). */
  connects: number;
  /** Packets waiting now. */
  queued: number;
}

export interface HepSenderOptions {
  endpoint: EndpointSpec;
  version: 2 | 3;
  captureId: number;
  authKey?: string;
  /** Packets kept while the connection is down or busy (default 20000). */
  maxQueue?: number;
  /** Reported once per state change (connection lost, back, send failures...). */
  onWarning?(message: string): void;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

const UDP_IN_FLIGHT = 64;
const RECONNECT_MIN_MS = 200;
const RECONNECT_MAX_MS = 10_000;
const DEFAULT_MAX_QUEUE = 20_000;

export class HepSender {
  readonly counters: HepSenderCounters = {
    messages: 0,
    sent: 0,
    bytes: 0,
    droppedQueueFull: 0,
    droppedUnencodable: 0,
    sendErrors: 0,
    connects: 0,
    queued: 0,
  };
  readonly endpoint: EndpointSpec;
  readonly name: string;
  private readonly queue: Buffer[] = [];
  private head = 0;
  private readonly maxQueue: number;
  private readonly key: Buffer | undefined;
  private address = '';
  private family: 4 | 6 = 4;
  private udp: dgram.Socket | undefined;
  private inFlight = 0;
  private tcp: net.Socket | undefined;
  private tcpConnected = false;
  private tcpWritable = true;
  private reconnectMs: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private lastWarning = '';
  private idleWaiters: (() => void)[] = [];

  private constructor(private readonly options: HepSenderOptions) {
    this.endpoint = options.endpoint;
    this.name = formatEndpoint(options.endpoint);
    this.maxQueue = Math.max(1, options.maxQueue ?? DEFAULT_MAX_QUEUE);
    this.key = options.authKey !== undefined && options.authKey !== '' ? Buffer.from(options.authKey, 'utf8') : undefined;
    this.reconnectMs = options.reconnectMinMs ?? RECONNECT_MIN_MS;
  }

  /**
   * Resolves the collector and opens the socket. A TCP collector that is not there yet is
   * not an error (packets queue and the connection is retried); an unknown host name is.
   */
  static async open(options: HepSenderOptions): Promise<HepSender> {
    const s = new HepSender(options);
    if (options.version === 2 && options.endpoint.protocol === 'tcp') {
      throw new Error(`cannot send HEP v2 to ${s.name}: v2 has no length field, so it cannot be framed on TCP; use --hep-version 3 or udp:`);
    }
    try {
      const r = await resolveEndpoint(options.endpoint);
      s.address = r.address;
      s.family = r.family;
    } catch (err) {
      throw new Error(`cannot send HEP to ${s.name}: ${describeSocketError(err)}`);
    }
    if (options.endpoint.protocol === 'udp') {
      const udp = dgram.createSocket({ type: s.family === 6 ? 'udp6' : 'udp4' });
      udp.on('error', (err) => s.warn(`HEP to ${s.name}: ${describeSocketError(err)}`));
      s.udp = udp;
    } else {
      s.connect();
    }
    return s;
  }

  /** Encodes and queues one message; never blocks, never throws. */
  send(m: HepOutMessage): void {
    this.counters.messages++;
    if (this.closing) return;
    const withKey = this.key !== undefined ? { ...m, authKey: this.key } : m;
    if (hepEncodeProblem(withKey, this.options.version) !== undefined) {
      this.counters.droppedUnencodable++;
      return;
    }
    const packet = this.options.version === 2 ? encodeHep2(withKey) : encodeHep3(withKey);
    if (packet === undefined) {
      this.counters.droppedUnencodable++;
      return;
    }
    if (this.queue.length - this.head >= this.maxQueue) {
      this.head++;
      this.counters.droppedQueueFull++;
    }
    this.queue.push(packet);
    this.pump();
  }

  /** Resolves true when every queued packet is written, false when `timeoutMs` passes first. */
  flush(timeoutMs: number): Promise<boolean> {
    if (this.idle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
  }

  /** Flushes for up to `timeoutMs`, then closes; packets still queued are counted as dropped. */
  async close(timeoutMs = 2000): Promise<void> {
    await this.flush(timeoutMs);
    this.closing = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.counters.droppedQueueFull += this.queue.length - this.head;
    this.queue.length = 0;
    this.head = 0;
    this.counters.queued = 0;
    const udp = this.udp;
    this.udp = undefined;
    if (udp !== undefined) await new Promise<void>((resolve) => udp.close(() => resolve()));
    const tcp = this.tcp;
    this.tcp = undefined;
    if (tcp !== undefined) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          tcp.destroy();
          resolve();
        }, 1000);
        tcp.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        tcp.end();
      });
    }
  }

  private idle(): boolean {
    return this.queue.length === this.head && this.inFlight === 0 && (this.tcp === undefined || this.tcpWritable);
  }

  private notifyIdle(): void {
    if (!this.idle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private take(): Buffer | undefined {
    if (this.head >= this.queue.length) return undefined;
    const b = this.queue[this.head];
    this.queue[this.head] = Buffer.alloc(0);
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return b;
  }

  private pump(): void {
    if (this.udp !== undefined) {
      while (this.inFlight < UDP_IN_FLIGHT) {
        const b = this.take();
        if (b === undefined) break;
        this.inFlight++;
        this.udp.send(b, this.endpoint.port, this.address, (err) => {
          this.inFlight--;
          if (err !== null && err !== undefined) {
            this.counters.sendErrors++;
            this.warn(`HEP to ${this.name}: ${describeSocketError(err)}`);
          } else {
            this.counters.sent++;
            this.counters.bytes += b.length;
          }
          this.pump();
        });
      }
    } else if (this.tcp !== undefined && this.tcpConnected) {
      while (this.tcpWritable) {
        const b = this.take();
        if (b === undefined) break;
        this.counters.sent++;
        this.counters.bytes += b.length;
        if (!this.tcp.write(b)) this.tcpWritable = false;
      }
    }
    this.counters.queued = this.queue.length - this.head;
    this.notifyIdle();
  }

  private connect(): void {
    this.reconnectTimer = undefined;
    if (this.closing) return;
    const socket = net.connect({ host: this.address, port: this.endpoint.port });
    socket.setNoDelay(true);
    this.tcp = socket;
    this.tcpWritable = true;
    socket.on('connect', () => {
      this.tcpConnected = true;
      this.counters.connects++;
      this.reconnectMs = this.options.reconnectMinMs ?? RECONNECT_MIN_MS;
      if (this.counters.connects > 1) this.warn(`HEP to ${this.name}: connected again`);
      this.lastWarning = '';
      this.pump();
    });
    socket.on('drain', () => {
      this.tcpWritable = true;
      this.pump();
    });
    socket.on('error', (err) => {
      this.warn(
        `HEP to ${this.name}: ${describeSocketError(err)}; retrying, up to ${this.maxQueue} messages wait (the oldest are dropped beyond)`,
      );
    });
    socket.on('close', () => {
      const wasConnected = this.tcpConnected;
      this.tcpConnected = false;
      this.tcpWritable = true;
      if (this.tcp === socket) this.tcp = undefined;
      if (wasConnected && socket.writableLength > 0) this.counters.sendErrors++;
      if (this.closing) return;
      if (wasConnected) this.warn(`HEP to ${this.name}: connection lost; reconnecting`);
      this.reconnectTimer = setTimeout(() => this.connect(), this.reconnectMs);
      this.reconnectTimer.unref();
      this.reconnectMs = Math.min(this.reconnectMs * 2, this.options.reconnectMaxMs ?? RECONNECT_MAX_MS);
      this.notifyIdle();
    });
  }

  private warn(message: string): void {
    if (message === this.lastWarning) return;
    this.lastWarning = message;
    this.options.onWarning?.(message);
  }
}

/** One stored message as the tap hands it on. */
export interface TappedMessage {
  row: number;
  src: Buffer;
  dst: Buffer;
  sport: number;
  dport: number;
  transport: string;
  sec: number;
  nsec: number;
  payload: Buffer;
}

/**
 * Walks the store's message rows added since the last `poll` and hands each on with its
 * bytes (read back from the capture file or the in-memory arena). Rows whose bytes or
 * addresses cannot be had are counted in `unreadable`.
 */
export class MessageTap {
  private next = 0;
  unreadable = 0;
  private readonly endpoints = new Map<string, { ip: Buffer; port: number } | null>();

  constructor(
    private readonly store: DialogStore,
    private readonly bytes: ByteReader,
  ) {
    // Compaction (-R) renumbers rows in order: the next row to hand on is the count of
    // surviving rows before it.
    store.onCompact(({ messages }) => {
      let k = 0;
      for (let r = 0; r < this.next && r < messages.length; r++) if (messages[r]! >= 0) k++;
      this.next = k;
    });
  }

  /** Rows not yet handed on. */
  get pending(): number {
    return this.store.messageRows - this.next;
  }

  /** Hands on the messages added since the last call (at most `limit`), oldest first; returns how many rows it went past. */
  poll(each: (m: TappedMessage) => void, limit = Infinity): number {
    const s = this.store;
    const end = Math.min(s.messageRows, this.next + limit);
    let n = 0;
    for (; this.next < end; this.next++) {
      const row = this.next;
      const src = this.endpoint(s.msgSrc(row));
      const dst = this.endpoint(s.msgDst(row));
      const payload = this.bytes.read(s.msgBytes(row));
      n++;
      if (src === undefined || dst === undefined || payload === undefined || src.ip.length !== dst.ip.length) {
        this.unreadable++;
        continue;
      }
      each({
        row,
        src: src.ip,
        dst: dst.ip,
        sport: src.port,
        dport: dst.port,
        transport: s.msgTransport(row),
        sec: s.msgSec(row),
        nsec: s.msgNsec(row),
        payload,
      });
    }
    return n;
  }

  /** "1.2.3.4:5060" or "[2001:db8::1]:5060" → address bytes and port (cached). */
  private endpoint(text: string): { ip: Buffer; port: number } | undefined {
    const known = this.endpoints.get(text);
    if (known !== undefined) return known ?? undefined;
    const colon = text.lastIndexOf(':');
    let parsed: { ip: Buffer; port: number } | null = null;
    if (colon > 0) {
      const host = text.startsWith('[') && text[colon - 1] === ']' ? text.slice(1, colon - 1) : text.slice(0, colon);
      const ip = parseIp(host);
      const port = Number(text.slice(colon + 1));
      if (ip !== undefined && Number.isInteger(port) && port >= 0 && port <= 65535) parsed = { ip, port };
    }
    if (this.endpoints.size >= 100_000) this.endpoints.clear();
    this.endpoints.set(text, parsed);
    return parsed ?? undefined;
  }
}

/** The HEP message for a tapped SIP message. */
export function hepMessageOf(t: TappedMessage, captureId: number): HepOutMessage {
  return {
    src: t.src,
    dst: t.dst,
    sport: t.sport,
    dport: t.dport,
    ipProto: ipProtoOfTransport(t.transport),
    sec: t.sec,
    usec: Math.floor(t.nsec / 1000),
    protoType: 1,
    captureId,
    payload: t.payload,
  };
}
