/**
 * TCP stream reassembly (RFC 9293) per direction, and the dispatch of each direction's
 * in-order bytes to the framer of what it carries: SIP (the framer is injected, see
 * src/sip/stream.ts), SIP over WebSocket (websocket.ts, RFC 7118), or TLS (counted as
 * encrypted, not read).
 *
 * TCP header (RFC 9293 §3.1):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |   0
 *   |                        Sequence Number                        |   4
 *   |                    Acknowledgment Number                      |   8
 *   |  DOffset | Rsrvd |C|E|U|A|P|R|S|F|           Window           |  12
 *   |           Checksum            |         Urgent Pointer        |  16
 *   |                 Options (DOffset * 4 - 20 bytes)              |  20
 *   |                             Data                              |
 *
 * Sequence numbers are 32-bit and wrap (RFC 9293 §3.4): they are compared by their signed
 * 32-bit difference, and bytes are placed by a stream offset (a double, exact to 2^53).
 * SYN takes one sequence number: the data of a connection starts at ISN + 1.
 *
 * Policies (all bounded, all counted in NetCounters):
 * - A stream is one direction of a 4-tuple. A SYN sets its start. Without a captured SYN
 *   its first data segments are held (copied) until the peer is seen sending (so the
 *   sender's flight is complete), 4 segments or 64 KiB are held, or `holdSec` of frame
 *   time passes; delivery then starts at the lowest sequence held. So segments captured
 *   in reverse order reassemble even without the handshake.
 * - Out-of-order data waits for the hole before it; retransmitted and overlapping bytes are
 *   trimmed, the first copy wins (`tcpDuplicateBytes`).
 * - A hole that never fills becomes a gap (`tcpGaps`, `tcpGapBytes`; the framer then
 *   resynchronises): when more than `maxStreamBytes` (or 1024 segments) wait beyond it,
 *   when it stays open `holeTimeoutSec`, `finGraceSec` after the stream's FIN, on RST,
 *   and when the stream is reaped.
 * - Streams close on FIN once everything before it is delivered, on RST (both directions),
 *   after `idleTimeoutSec` without segments, when a new SYN reuses the 4-tuple, at
 *   `finish`, and when the bytes held by all streams (plus a fixed cost per stream) exceed
 *   `maxTotalBytes`: least recently active first (`tcpStreamsEvicted`). A flood of
 *   half-open streams therefore costs at most maxTotalBytes.
 * - Each in-order chunk delivered is one segment's new bytes: it carries the frame it came
 *   from (or the frames of an IP-reassembled segment) and, when it is a contiguous piece of
 *   the frame being decoded, its offset there.
 *
 * Contract: `segment` never throws past its caller (errors in a stream count it truncated),
 * holds nothing between calls but copies, and reads no clock: time is frame time.
 */
import type { TransportIp } from './decoder';
import type { NetCounters, Packet, Transport } from './types';
import {
  ChunkBuffer,
  readHttpUpgrade,
  sniffWebSocketSip,
  WebSocketFramer,
  type StreamChunk,
  type StreamFramer,
  type StreamMessageSink,
} from './websocket';

export type { StreamChunk, StreamFramer, StreamMessageSink } from './websocket';

/** Makes the SIP framer of one stream direction (src/sip/stream.ts's SipStreamFramer). */
export type SipFramerFactory = (sink: StreamMessageSink, onNotSip: () => void) => StreamFramer;

export interface TcpOptions {
  /** One call per SIP (or SIP over WebSocket) message framed. */
  onPacket(p: Packet): void;
  /** Incremented in place. */
  counters: NetCounters;
  /** The SIP framer per stream direction. */
  sipFramer: SipFramerFactory;
  /** A stream direction found to start with TLS records (once per direction). */
  onEncrypted?(): void;
  /** Bytes lost in a gap. */
  onGap?(bytes: number): void;
  /** A stream direction found not to carry SIP (once per direction). */
  onNotSip?(): void;
  /** Out-of-order bytes held per stream before the hole is given up (default 1 MiB). */
  maxStreamBytes?: number;
  /** Bytes held by all streams, plus STREAM_COST each, before the oldest go (default 64 MiB). */
  maxTotalBytes?: number;
  /** Frame-time seconds without segments after which a stream is reaped (default 300). */
  idleTimeoutSec?: number;
  /** Frame-time seconds a hole may stay open with data waiting beyond it (default 10). */
  holeTimeoutSec?: number;
  /** Frame-time seconds after a FIN with a hole before it before giving the hole up (default 1). */
  finGraceSec?: number;
  /** Frame-time seconds the first segments of a stream without handshake are held (default 0.5). */
  holdSec?: number;
}

export const DEFAULT_MAX_STREAM_BYTES = 1024 * 1024;
export const DEFAULT_MAX_TOTAL_TCP_BYTES = 64 * 1024 * 1024;
export const DEFAULT_TCP_IDLE_SEC = 300;
export const DEFAULT_HOLE_TIMEOUT_SEC = 10;
export const DEFAULT_FIN_GRACE_SEC = 1;
export const DEFAULT_HOLD_SEC = 0.5;
/** What a stream is charged for itself in the memory bound (objects, key, framer state). */
export const STREAM_COST = 1024;
/** Segments held in order per stream before a hole is given up. */
const MAX_PENDING_SEGMENTS = 1024;
/** Segments held before a stream without handshake starts delivering. */
const HOLD_SEGMENTS = 4;
const HOLD_BYTES = 64 * 1024;
/** Sequence distance beyond which a segment belongs to another connection on the same 4-tuple. */
const RESTART_DISTANCE = 0x40000000;
/** Frame-time seconds between sweeps of all streams (idle, holds, holes). */
const SWEEP_SEC = 1;

const TCP_HEADER = 20;
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;

/** seq a minus seq b as a signed 32-bit number (RFC 9293 §3.4 comparisons). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** A segment's bytes waiting (a copy), where they go and where they came from. */
interface Held {
  /** Stream offset (synced) or sequence number (held before sync). */
  at: number;
  data: Buffer;
  handle: number;
  frames: readonly number[] | undefined;
  /** Offset in its frame's data (valid while that frame is the one being decoded), or -1. */
  frameOffset: number;
  sec: number;
  nsec: number;
}

const M_UNKNOWN = 0;
const M_SIP = 1;
const M_WS = 2;
const M_HTTP = 3;
const M_TLS = 4;
const M_IGNORE = 5;

/** Bytes that a stream's first bytes are gathered up to before deciding what it carries. */
const SNIFF_LIMIT = 64;

/** One direction of a TCP connection. */
class TcpStream {
  synced = false;
  /** Sequence number of the next byte to deliver, and its stream offset. */
  nextSeq = 0;
  delivered = 0;
  /** Synced: out-of-order segments by stream offset. Not synced: held segments by seq. */
  pending: Held[] = [];
  pendingBytes = 0;
  /** SYN's sequence number, -1 when none seen. */
  synSeq = -1;
  /** Stream offset of the FIN, -1 when none seen; frame time it was seen. */
  finAt = -1;
  finTime = 0;
  lastSeen = 0;
  lastMoved = 0;
  /** Frame time the first data waiting beyond a hole (synced) or held (not synced) arrived. */
  waitingSince = 0;
  /** Bytes this stream is charged in the memory bound. */
  charged = STREAM_COST;
  reverse: TcpStream | undefined;
  // What the bytes carry.
  mode = M_UNKNOWN;
  framer: StreamFramer | undefined;
  sniff: ChunkBuffer | undefined;
  notSipCounted = false;

  constructor(
    readonly key: string,
    readonly ipVersion: 4 | 6,
    readonly src: string,
    readonly dst: string,
    readonly sport: number,
    readonly dport: number,
  ) {}
}

/**
 * Reassembles TCP streams from segments (register `segment` for IP protocol 6) and hands
 * each SIP message found to `onPacket`.
 */
export class TcpReassembler {
  private readonly streams = new Map<string, TcpStream>();
  private readonly counters: NetCounters;
  private readonly onPacket: (p: Packet) => void;
  private readonly sipFramer: SipFramerFactory;
  private readonly onEncrypted: (() => void) | undefined;
  private readonly onGap: ((bytes: number) => void) | undefined;
  private readonly onNotSip: (() => void) | undefined;
  private readonly maxStreamBytes: number;
  private readonly maxTotalBytes: number;
  private readonly idleSec: number;
  private readonly holeSec: number;
  private readonly finGraceSec: number;
  private readonly holdSec: number;
  /** Bytes charged to all streams. */
  private total = 0;
  private nextSweep = -Infinity;
  /** The stream of the previous segment (one lookup saved on busy connections). */
  private last: TcpStream | undefined;
  /** Frame handle being decoded (Held.frameOffset is valid only for it). */
  private curHandle = -1;
  private now = 0;
  private readonly chunk: StreamChunk = { data: Buffer.alloc(0), frameOffset: -1, handle: 0, frames: undefined, sec: 0, nsec: 0 };

  constructor(opts: TcpOptions) {
    this.counters = opts.counters;
    this.onPacket = opts.onPacket;
    this.sipFramer = opts.sipFramer;
    this.onEncrypted = opts.onEncrypted;
    this.onGap = opts.onGap;
    this.onNotSip = opts.onNotSip;
    this.maxStreamBytes = opts.maxStreamBytes ?? DEFAULT_MAX_STREAM_BYTES;
    this.maxTotalBytes = opts.maxTotalBytes ?? DEFAULT_MAX_TOTAL_TCP_BYTES;
    this.idleSec = opts.idleTimeoutSec ?? DEFAULT_TCP_IDLE_SEC;
    this.holeSec = opts.holeTimeoutSec ?? DEFAULT_HOLE_TIMEOUT_SEC;
    this.finGraceSec = opts.finGraceSec ?? DEFAULT_FIN_GRACE_SEC;
    this.holdSec = opts.holdSec ?? DEFAULT_HOLD_SEC;
  }

  /** Stream directions open. */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Bytes charged to open streams (held data, framer buffers, STREAM_COST each). */
  get memoryBytes(): number {
    return this.total;
  }

  /**
   * One TCP segment (header and data) from IP: `frameOffset` is the segment's offset in the
   * data of frame `handle` (being decoded), or -1 with `frames` when IP reassembled it.
   */
  segment(ip: TransportIp, seg: Buffer, frameOffset: number, handle: number, frames: number[] | undefined): void {
    try {
      this.segmentUnsafe(ip, seg, frameOffset, handle, frames);
    } catch {
      this.counters.truncated++;
    }
  }

  /** End of input: every stream delivers what it holds (holes become gaps) and closes. */
  finish(): void {
    for (const s of [...this.streams.values()]) this.close(s);
  }

  private segmentUnsafe(ip: TransportIp, seg: Buffer, frameOffset: number, handle: number, frames: number[] | undefined): void {
    const c = this.counters;
    if (seg.length < TCP_HEADER) {
      c.truncated++;
      return;
    }
    const dataOffset = ((seg[12] as number) >> 4) * 4;
    if (dataOffset < TCP_HEADER) {
      c.tcpBadHeader++;
      return;
    }
    if (dataOffset > seg.length) {
      c.truncated++;
      return;
    }
    c.tcpSegments++;
    this.curHandle = handle;
    const now = ip.sec + ip.nsec / 1e9;
    this.now = now;
    if (now >= this.nextSweep) this.sweep(now);
    const sport = seg.readUInt16BE(0);
    const dport = seg.readUInt16BE(2);
    const seq = seg.readUInt32BE(4);
    const flags = seg[13] as number;
    const dataLen = seg.length - dataOffset;
    const payloadOffset = frameOffset >= 0 ? frameOffset + dataOffset : -1;

    let s = this.last;
    if (s === undefined || s.sport !== sport || s.dport !== dport || s.src !== ip.src || s.dst !== ip.dst) {
      s = this.streams.get(streamKey(ip.src, sport, ip.dst, dport));
    }
    if ((flags & RST) !== 0) {
      if (s !== undefined) {
        const r = s.reverse;
        this.close(s);
        if (r !== undefined) this.close(r);
      }
      return;
    }
    if (s === undefined && dataLen === 0 && (flags & (SYN | FIN)) === 0) {
      // A pure ACK of a stream we do not follow: no state, but it tells the peer's holder.
      const r = this.streams.get(streamKey(ip.dst, dport, ip.src, sport));
      if (r !== undefined && !r.synced && r.pending.length > 0) this.release(r);
      return;
    }
    if (s !== undefined && (flags & SYN) !== 0 && s.synSeq !== seq && (s.synSeq >= 0 || s.delivered > 0 || s.pending.length > 0)) {
      this.close(s); // the 4-tuple is reused by a new connection
      s = undefined;
    }
    if (s === undefined) s = this.open(ip, sport, dport);
    this.last = s;
    s.lastSeen = now;
    if (now - s.lastMoved >= 1) {
      // Keep the map in least-recently-active order for the memory bound (cheaply: at most once a second).
      this.streams.delete(s.key);
      this.streams.set(s.key, s);
      s.lastMoved = now;
    }
    const r = s.reverse;
    if (r !== undefined && !r.synced && r.pending.length > 0) this.release(r);

    let dataSeq = seq;
    if ((flags & SYN) !== 0) {
      dataSeq = (seq + 1) >>> 0;
      if (s.synSeq !== seq) {
        s.synSeq = seq;
        this.sync(s, dataSeq);
      }
    }
    if (!s.synced) {
      if (dataLen > 0) this.hold(s, dataSeq, seg, dataOffset, payloadOffset, handle, frames, ip);
      if ((flags & FIN) !== 0 || s.pending.length >= HOLD_SEGMENTS || s.pendingBytes >= HOLD_BYTES) this.release(s);
      if (!s.synced) {
        if ((flags & FIN) !== 0) this.close(s); // a FIN on a direction that sent nothing
        else this.charge(s);
        return;
      }
    } else if (dataLen > 0) {
      this.data(s, dataSeq, seg, dataOffset, payloadOffset, handle, frames, ip);
    }
    if ((flags & FIN) !== 0 && s.finAt < 0) {
      const d = seqDiff((dataSeq + dataLen) >>> 0, s.nextSeq);
      s.finAt = s.delivered + d;
      s.finTime = now;
    }
    if (s.finAt >= 0 && s.delivered >= s.finAt) {
      this.close(s);
      return;
    }
    if (s.pending.length > 0 && now - s.waitingSince > this.holeSec) this.skipHoles(s, false);
    this.charge(s);
    if (this.total > this.maxTotalBytes) this.evict(s);
  }

  private open(ip: TransportIp, sport: number, dport: number): TcpStream {
    const key = streamKey(ip.src, sport, ip.dst, dport);
    const s = new TcpStream(key, ip.ipVersion, ip.src, ip.dst, sport, dport);
    s.lastMoved = this.now;
    const r = this.streams.get(streamKey(ip.dst, dport, ip.src, sport));
    if (r !== undefined) {
      s.reverse = r;
      r.reverse = s;
    }
    this.streams.set(key, s);
    this.total += s.charged;
    this.counters.tcpStreams++;
    return s;
  }

  /** Starts delivery at `seq` (SYN + 1, or the lowest held); held segments become pending. */
  private sync(s: TcpStream, seq: number): void {
    const held = s.pending;
    s.pending = [];
    s.pendingBytes = 0;
    s.synced = true;
    s.nextSeq = seq;
    s.delivered = 0;
    for (const h of held) {
      const d = seqDiff(h.at, seq);
      if (d < -RESTART_DISTANCE || d > RESTART_DISTANCE) continue;
      this.place(s, d, h.data, h.frameOffset, h.handle, h.frames, h.sec, h.nsec, true);
    }
    this.deliverPending(s);
  }

  /** Holds a segment of a stream without a start yet (copied, kept in sequence order). */
  private hold(
    s: TcpStream,
    seq: number,
    seg: Buffer,
    at: number,
    frameOffset: number,
    handle: number,
    frames: number[] | undefined,
    ip: TransportIp,
  ): void {
    if (s.pending.length === 0) s.waitingSince = this.now;
    const data = Buffer.from(seg.subarray(at));
    const h: Held = { at: seq, data, handle, frames, frameOffset, sec: ip.sec, nsec: ip.nsec };
    const p = s.pending;
    let i = p.length;
    while (i > 0 && seqDiff((p[i - 1] as Held).at, seq) > 0) i--;
    p.splice(i, 0, h);
    s.pendingBytes += data.length;
  }

  /** Ends the hold: delivery starts at the lowest sequence held. */
  private release(s: TcpStream): void {
    const first = s.pending[0];
    if (first === undefined) return;
    this.sync(s, first.at);
    this.charge(s);
  }

  private data(
    s: TcpStream,
    seq: number,
    seg: Buffer,
    at: number,
    frameOffset: number,
    handle: number,
    frames: number[] | undefined,
    ip: TransportIp,
  ): void {
    let d = seqDiff(seq, s.nextSeq);
    if (d < -RESTART_DISTANCE || d > RESTART_DISTANCE) {
      // Another connection on this 4-tuple whose SYN we missed: start over, held.
      this.close(s);
      const n = this.open(ip, s.sport, s.dport);
      this.last = n;
      n.lastSeen = this.now;
      this.hold(n, seq, seg, at, frameOffset, handle, frames, ip);
      this.charge(n);
      return;
    }
    const len = seg.length - at;
    if (d <= 0 && s.pending.length === 0) {
      // In order (the common case), maybe with a retransmitted head: deliver the view.
      if (d + len <= 0) {
        this.counters.tcpDuplicateBytes += len;
        return;
      }
      if (d < 0) this.counters.tcpDuplicateBytes += -d;
      const from = at - d;
      this.deliver(s, seg.subarray(from), frameOffset >= 0 ? frameOffset - d : -1, handle, frames, ip.sec, ip.nsec);
      s.delivered += len + d;
      s.nextSeq = (s.nextSeq + len + d) >>> 0;
      return;
    }
    if (d > 0 && s.pending.length === 0) s.waitingSince = this.now;
    if (d > 0) this.counters.tcpOutOfOrder++;
    this.place(s, d, seg.subarray(at), frameOffset, handle, frames, ip.sec, ip.nsec, false);
    this.deliverPending(s);
    while (s.pending.length > 0 && (s.pendingBytes > this.maxStreamBytes || s.pending.length > MAX_PENDING_SEGMENTS)) {
      this.skipHole(s);
    }
  }

  /**
   * Puts bytes at stream offset delivered + d into `pending`, trimming what is delivered or
   * already held (first copy wins). `owned`: data is already a copy.
   */
  private place(
    s: TcpStream,
    d: number,
    data: Buffer,
    frameOffset: number,
    handle: number,
    frames: readonly number[] | undefined,
    sec: number,
    nsec: number,
    owned: boolean,
  ): void {
    let start = s.delivered + d;
    const end = start + data.length;
    if (start < s.delivered) {
      this.counters.tcpDuplicateBytes += Math.min(end, s.delivered) - start;
      start = s.delivered;
    }
    if (start >= end) return;
    const p = s.pending;
    let cursor = start;
    let i = 0;
    // First pending entry that ends after cursor.
    while (i < p.length && (p[i] as Held).at + (p[i] as Held).data.length <= cursor) i++;
    while (cursor < end) {
      const next = p[i];
      const pieceEnd = next === undefined ? end : Math.min(end, next.at);
      if (pieceEnd > cursor) {
        const from = cursor - (s.delivered + d);
        const to = pieceEnd - (s.delivered + d);
        const piece = owned && from === 0 && to === data.length ? data : Buffer.from(data.subarray(from, to));
        p.splice(i, 0, {
          at: cursor,
          data: piece,
          handle,
          frames,
          frameOffset: frameOffset >= 0 ? frameOffset + from : -1,
          sec,
          nsec,
        });
        s.pendingBytes += piece.length;
        i++;
        cursor = pieceEnd;
      }
      if (next === undefined || cursor >= end) break;
      const nextEnd = next.at + next.data.length;
      if (nextEnd > cursor) {
        this.counters.tcpDuplicateBytes += Math.min(end, nextEnd) - cursor;
        cursor = nextEnd;
      }
      i++;
    }
  }

  /** Delivers pending data that has become in order. */
  private deliverPending(s: TcpStream): void {
    const p = s.pending;
    let n = 0;
    while (n < p.length) {
      const h = p[n] as Held;
      if (h.at > s.delivered) break;
      n++;
      const skip = s.delivered - h.at;
      if (skip >= h.data.length) continue;
      const fo = h.handle === this.curHandle && h.frameOffset >= 0 && h.frames === undefined ? h.frameOffset + skip : -1;
      this.deliver(s, skip > 0 ? h.data.subarray(skip) : h.data, fo, h.handle, h.frames, h.sec, h.nsec);
      s.delivered = h.at + h.data.length;
      s.nextSeq = (s.nextSeq + h.data.length - skip) >>> 0;
    }
    if (n > 0) {
      for (let i = 0; i < n; i++) s.pendingBytes -= (p[i] as Held).data.length;
      p.splice(0, n);
      if (p.length > 0) s.waitingSince = this.now;
    }
  }

  /** Gives up the first hole: counts it and delivers what follows. */
  private skipHole(s: TcpStream): void {
    const first = s.pending[0];
    if (first === undefined) return;
    const bytes = first.at - s.delivered;
    if (bytes > 0) {
      this.counters.tcpGaps++;
      this.counters.tcpGapBytes += bytes;
      this.onGap?.(bytes);
      this.gapInto(s);
      s.nextSeq = (s.nextSeq + bytes) >>> 0;
      s.delivered = first.at;
    }
    this.deliverPending(s);
  }

  /** Gives up every hole; `toFin`: also the hole between the data and a FIN seen. */
  private skipHoles(s: TcpStream, toFin: boolean): void {
    if (!s.synced) this.release(s);
    while (s.pending.length > 0) this.skipHole(s);
    if (toFin && s.finAt > s.delivered) {
      const bytes = s.finAt - s.delivered;
      this.counters.tcpGaps++;
      this.counters.tcpGapBytes += bytes;
      this.onGap?.(bytes);
      s.delivered = s.finAt;
    }
  }

  /** Delivers everything held (holes become gaps), ends the framer and forgets the stream. */
  private close(s: TcpStream): void {
    if (this.streams.get(s.key) !== s) return;
    this.skipHoles(s, true);
    if (s.framer !== undefined) s.framer.end();
    this.streams.delete(s.key);
    this.total -= s.charged;
    s.charged = 0;
    if (s.reverse !== undefined) s.reverse.reverse = undefined;
    s.reverse = undefined;
    if (this.last === s) this.last = undefined;
  }

  /** Reaps streams idle, releases holds, gives up old holes and FINs waiting on holes. */
  private sweep(now: number): void {
    this.nextSweep = now + SWEEP_SEC;
    for (const s of [...this.streams.values()]) {
      if (now - s.lastSeen > this.idleSec) {
        this.close(s);
      } else if (!s.synced) {
        if (s.pending.length > 0 && now - s.waitingSince > this.holdSec) this.release(s);
      } else if (s.finAt >= 0 && now - s.finTime > this.finGraceSec) {
        this.close(s);
      } else if (s.pending.length > 0 && now - s.waitingSince > this.holeSec) {
        this.skipHoles(s, false);
        this.charge(s);
      }
    }
  }

  /** Closes least recently active streams until the memory bound holds (`keep` last). */
  private evict(keep: TcpStream): void {
    for (const s of this.streams.values()) {
      if (this.total <= this.maxTotalBytes) return;
      if (s === keep) continue;
      this.close(s);
      this.counters.tcpStreamsEvicted++;
    }
    if (this.total > this.maxTotalBytes && this.streams.get(keep.key) === keep) {
      this.close(keep);
      this.counters.tcpStreamsEvicted++;
    }
  }

  /** Updates the stream's charge in the memory bound. */
  private charge(s: TcpStream): void {
    if (this.streams.get(s.key) !== s) return;
    const now = STREAM_COST + s.pendingBytes + (s.framer?.buffered ?? 0) + (s.sniff?.length ?? 0);
    this.total += now - s.charged;
    s.charged = now;
  }

  // --- What the stream carries -------------------------------------------------------------

  private deliver(
    s: TcpStream,
    data: Buffer,
    frameOffset: number,
    handle: number,
    frames: readonly number[] | undefined,
    sec: number,
    nsec: number,
  ): void {
    if (data.length === 0) return;
    const c = this.chunk;
    c.data = data;
    c.frameOffset = frames === undefined ? frameOffset : -1;
    c.handle = handle;
    c.frames = frames;
    c.sec = sec;
    c.nsec = nsec;
    this.dispatch(s, c);
  }

  private dispatch(s: TcpStream, c: StreamChunk): void {
    switch (s.mode) {
      case M_SIP:
      case M_WS:
        s.framer?.push(c);
        return;
      case M_TLS:
      case M_IGNORE:
        return;
      default:
        this.classify(s, c);
    }
  }

  /** Decides from the first bytes what the stream carries (gathering a few when needed). */
  private classify(s: TcpStream, c: StreamChunk): void {
    let sniff = s.sniff;
    let b = c.data;
    if (sniff !== undefined && sniff.length > 0) {
      sniff.append(c);
      b = sniff.view();
    }
    let mode: number;
    let from = 0;
    if (s.mode === M_HTTP) {
      const u = readHttpUpgrade(b);
      if (u === 'more') {
        if (sniff === undefined || sniff.length === 0) this.keepSniff(s, c);
        return;
      }
      if (u === 'no' || !u.websocket) {
        mode = M_IGNORE;
      } else {
        mode = M_WS;
        from = u.end;
      }
    } else {
      mode = firstBytes(b);
      if (mode === M_UNKNOWN) {
        if (b.length < SNIFF_LIMIT) {
          if (sniff === undefined || sniff.length === 0) this.keepSniff(s, c);
          return;
        }
        mode = M_SIP;
      }
      if (mode === M_HTTP) {
        s.mode = M_HTTP;
        if (sniff === undefined || sniff.length === 0) {
          this.classify(s, c); // look for the header end in these bytes
        }
        else this.classifyAgainHttp(s);
        return;
      }
    }
    this.setMode(s, mode);
    this.replay(s, c, from);
  }

  private classifyAgainHttp(s: TcpStream): void {
    const sniff = s.sniff;
    if (sniff === undefined) return;
    const u = readHttpUpgrade(sniff.view());
    if (u === 'more') return;
    if (u === 'no' || !u.websocket) {
      this.setMode(s, M_IGNORE);
      sniff.clear();
      return;
    }
    this.setMode(s, M_WS);
    this.replaySniff(s, u.end);
  }

  private keepSniff(s: TcpStream, c: StreamChunk): void {
    if (s.sniff === undefined) s.sniff = new ChunkBuffer();
    s.sniff.append(c);
    if (s.sniff.length > 16 * 1024 + SNIFF_LIMIT) {
      // Nothing recognisable in the bytes gathered: not SIP.
      this.setMode(s, M_IGNORE);
      s.sniff.clear();
    }
  }

  private setMode(s: TcpStream, mode: number): void {
    s.mode = mode;
    const c = this.counters;
    if (mode === M_TLS) {
      c.tlsStreams++;
      this.onEncrypted?.();
    } else if (mode === M_IGNORE) {
      this.notSip(s);
    } else if (mode === M_SIP) {
      if (s.framer === undefined) s.framer = this.sipFramer(this.sink(s, 'TCP'), () => this.notSip(s));
    } else if (mode === M_WS) {
      c.wsStreams++;
      s.framer = new WebSocketFramer(this.sink(s, 'WS'), c);
    }
  }

  private notSip(s: TcpStream): void {
    if (s.notSipCounted) return;
    s.notSipCounted = true;
    this.counters.tcpNotSip++;
    this.onNotSip?.();
  }

  /** Hands the bytes gathered (or just the chunk) from `from` to the framer chosen. */
  private replay(s: TcpStream, c: StreamChunk, from: number): void {
    const sniff = s.sniff;
    if (sniff !== undefined && sniff.length > 0) {
      this.replaySniff(s, from);
      return;
    }
    if (s.framer === undefined) return;
    if (from === 0) {
      s.framer.push(c);
      return;
    }
    if (from >= c.data.length) return;
    const saved = { data: c.data, frameOffset: c.frameOffset };
    c.data = saved.data.subarray(from);
    c.frameOffset = saved.frameOffset >= 0 ? saved.frameOffset + from : -1;
    s.framer.push(c);
  }

  /** Replays the gathered bytes from `from`, part by part, keeping each part's frame. */
  private replaySniff(s: TcpStream, from: number): void {
    const sniff = s.sniff;
    const framer = s.framer;
    if (sniff === undefined) return;
    if (framer !== undefined) {
      const all = sniff.view();
      const parts: StreamChunk[] = [];
      sniff.forEachPart(from, (ps, pe, handle, frames) => {
        parts.push({ data: all.subarray(ps, pe), frameOffset: -1, handle, frames, sec: this.chunk.sec, nsec: this.chunk.nsec });
      });
      for (const p of parts) framer.push(p);
    }
    sniff.clear();
    s.sniff = undefined;
  }

  /** Bytes were lost: the framer resynchronises; an undecided stream is looked at afresh. */
  private gapInto(s: TcpStream): void {
    switch (s.mode) {
      case M_SIP:
      case M_WS:
        s.framer?.gap();
        return;
      case M_TLS:
        return;
      default:
        s.mode = s.framer !== undefined ? M_SIP : M_UNKNOWN;
        if (s.framer !== undefined) s.framer.gap();
        s.sniff?.clear();
    }
  }

  private sink(s: TcpStream, transport: Transport): StreamMessageSink {
    return (payload, frameOffset, frames, sec, nsec) => {
      this.onPacket({
        ipVersion: s.ipVersion,
        src: s.src,
        dst: s.dst,
        sport: s.sport,
        dport: s.dport,
        transport,
        sec,
        nsec,
        payload,
        frameOffset,
        frames,
      });
    };
  }
}

function streamKey(src: string, sport: number, dst: string, dport: number): string {
  return `${src} ${sport} ${dst} ${dport}`;
}

/**
 * What the first bytes of a stream say it carries: TLS (a record header, RFC 8446 §5.1:
 * type 20-23, legacy version 3.x), SIP over WebSocket without the handshake, an HTTP
 * header block (a WebSocket upgrade, maybe), SIP (anything else: the SIP framer decides),
 * or M_UNKNOWN when more bytes are needed.
 */
function firstBytes(b: Buffer): number {
  const b0 = b[0];
  if (b0 === undefined) return M_UNKNOWN;
  if (b0 >= 0x14 && b0 <= 0x17) {
    if (b.length < 3) return M_UNKNOWN;
    return b[1] === 3 && (b[2] as number) <= 4 ? M_TLS : M_SIP;
  }
  if (b0 === 0x81 || b0 === 0x82) {
    const w = sniffWebSocketSip(b, 0);
    return w === 'yes' ? M_WS : w === 'no' ? M_SIP : M_UNKNOWN;
  }
  if (b0 === 0x47 /* G */) return prefix(b, 'GET ');
  if (b0 === 0x48 /* H */) return prefix(b, 'HTTP/1.');
  return M_SIP;
}

function prefix(b: Buffer, text: string): number {
  const n = Math.min(b.length, text.length);
  for (let i = 0; i < n; i++) if (b[i] !== text.charCodeAt(i)) return M_SIP;
  return n === text.length ? M_HTTP : M_UNKNOWN;
}
