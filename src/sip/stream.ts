/**
 * SIP message framing over one direction of an in-order byte stream (TCP; RFC 3261 §18.3).
 *
 *   stream   = *( keep-alive / SIP-message )
 *   message  = start-line *message-header CRLF [ message-body ]     (RFC 3261 §7)
 *   body     = exactly Content-Length (or compact `l:`) bytes; on a stream the header is
 *              mandatory (§18.3, §20.14) — `sipMessageEnd` treats a missing one as 0
 *   keep-alive = CRLF CRLF ("ping") / CRLF ("pong")                 (RFC 5626 §3.5.1, §4.4.1)
 *
 * Several messages may share a segment and one message may span many; each complete
 * message is handed on whole. Bytes that do not frame (a stream joined mid-message, after a
 * gap, an unusable Content-Length) are skipped up to the next SIP start line at a line
 * start ("resynchronisation"); a stream with no start line in its first
 * `notSipAfterBytes` is reported once as not SIP and ignored cheaply until a gap.
 *
 * Chunks and the carry-over buffer come from src/stream/chunk-buffer.ts, a leaf module the
 * WebSocket framer shares.
 *
 * Contract: never throws on any input, never loops without consuming, and holds at most
 * one partial message (bounded by `maxMessageBytes`) plus one partial line.
 */
import { sipMessageEnd } from './parser';
import { ChunkBuffer, type StreamChunk } from '../stream/chunk-buffer';

/** A piece of in-order bytes, as the stream framers receive them. */
export type SipStreamChunk = StreamChunk;

/** Receives each message: a view (copy to keep); frameOffset -1 with `frames` when not one slice of the current frame. */
export type SipStreamSink = (payload: Buffer, frameOffset: number, frames: number[] | undefined, sec: number, nsec: number) => void;

/** Counters of stream framing (fields of NetCounters). */
export interface SipStreamCounters {
  /** Messages framed. */
  sipStreamMessages: number;
  /** Bytes skipped looking for a start line (joined mid-message, after gaps, bad framing). */
  sipStreamSkippedBytes: number;
  /** Start lines whose message could not be framed (bad Content-Length, headers over 64 KiB). */
  sipStreamBadFraming: number;
  /** Messages longer than the bound, dropped. */
  sipStreamOversized: number;
  /** Partial messages dropped at a gap or at the end of the stream. */
  sipStreamIncomplete: number;
  /** RFC 5626 CRLF keep-alives (ping or pong) skipped. */
  sipKeepAlives: number;
}

export interface SipStreamOptions {
  /** Largest message held while incomplete (default 1 MiB); beyond: counted, resynchronised. */
  maxMessageBytes?: number;
  /** Bytes without a start line after which a stream that showed none is not SIP (default 64 KiB). */
  notSipAfterBytes?: number;
  /** Called once per stream the first time it is found not to be SIP. */
  onNotSip?: () => void;
}

export const DEFAULT_MAX_SIP_MESSAGE_BYTES = 1024 * 1024;
export const DEFAULT_NOT_SIP_AFTER_BYTES = 64 * 1024;

const CR = 0x0d;
const LF = 0x0a;
/** Every start line holds "SIP/2.0": at the start (Status-Line) or the end (Request-Line). */
const SIP_20 = Buffer.from('SIP/2.0', 'latin1');
/** A partial line kept across chunks while searching is cut beyond this (no start line is longer). */
const MAX_LINE_CARRY = 8 * 1024;

/**
 * Where a start line holding "SIP/2.0" at h begins when it does not begin a line: h itself
 * for a Status-Line ("SIP/2.0 " then a digit), else for a Request-Line the upper-case
 * method (3 to 16 letters) before " Request-URI SIP/2.0". -1 when neither.
 */
function midLineStart(b: Buffer, pos: number, h: number): number {
  if (b[h + 7] === 0x20) {
    const d = b[h + 8];
    return d !== undefined && d >= 0x30 && d <= 0x39 ? h : -1;
  }
  if (h - 1 <= pos || b[h - 1] !== 0x20) return -1;
  const sp = b.lastIndexOf(0x20, h - 2);
  if (sp <= pos || h - sp > 2048) return -1;
  let m = sp;
  while (m > pos && sp - m < 16) {
    const c = b[m - 1] as number;
    if (c < 0x41 || c > 0x5a) break;
    m--;
  }
  return sp - m >= 3 ? m : -1;
}

const SYNC = 0;
const RESYNC = 1;
const NOT_SIP = 2;

/**
 * Frames SIP messages out of one direction of a stream. Feed it chunks in order with
 * `push`, tell it about lost bytes with `gap`, and call `end` when the stream closes.
 */
export class SipStreamFramer {
  private readonly carry = new ChunkBuffer();
  private state = SYNC;
  /** In RESYNC: whether the first byte held (or of the next chunk) starts a line. */
  private atLineStart = true;
  /** Whether any message was framed on this stream. */
  private seenMessage = false;
  /** Bytes searched without a start line since the stream (or the last gap) began. */
  private searched = 0;
  private notSipReported = false;
  private readonly maxMessageBytes: number;
  private readonly notSipAfterBytes: number;
  private readonly onNotSip: (() => void) | undefined;

  constructor(
    private readonly sink: SipStreamSink,
    private readonly counters: SipStreamCounters,
    options: SipStreamOptions = {},
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_SIP_MESSAGE_BYTES;
    this.notSipAfterBytes = options.notSipAfterBytes ?? DEFAULT_NOT_SIP_AFTER_BYTES;
    this.onNotSip = options.onNotSip;
  }

  /** Bytes held between chunks. */
  get buffered(): number {
    return this.carry.length;
  }

  /** True once the stream was found not to be SIP (until a gap). */
  get ignoring(): boolean {
    return this.state === NOT_SIP;
  }

  push(c: SipStreamChunk): void {
    if (this.state === NOT_SIP || c.data.length === 0) return;
    const carry = this.carry;
    if (carry.length > 0) {
      const chunkStart = carry.length;
      carry.append(c, 0);
      const pos = this.run(carry.view(), chunkStart, c, true);
      carry.consume(pos);
    } else {
      const pos = this.run(c.data, 0, c, false);
      if (pos < c.data.length && this.state !== NOT_SIP) carry.append(c, pos);
    }
    if (this.state === SYNC && carry.length > this.maxMessageBytes) {
      this.counters.sipStreamOversized++;
      this.counters.sipStreamSkippedBytes += carry.length;
      carry.clear();
      this.state = RESYNC;
      this.atLineStart = false;
    }
  }

  gap(): void {
    if (this.state === SYNC && this.carry.length > 0) this.counters.sipStreamIncomplete++;
    this.carry.clear();
    this.state = RESYNC;
    this.atLineStart = true; // a lost segment usually ends at a message boundary
    this.searched = 0;
  }

  end(): void {
    if (this.state === SYNC && this.carry.length > 0) this.counters.sipStreamIncomplete++;
    this.carry.clear();
  }

  /** Frames b from 0 (the part from chunkStart is the chunk `c`); returns where the unframed rest starts. */
  private run(b: Buffer, chunkStart: number, c: SipStreamChunk, inCarry: boolean): number {
    const n = b.length;
    let pos = 0;
    for (;;) {
      if (this.state === SYNC) {
        const ka = pos;
        while (pos < n && (b[pos] === CR || b[pos] === LF)) pos++;
        if (pos > ka) this.counters.sipKeepAlives++;
        if (pos >= n) return n;
        const r = sipMessageEnd(b, pos);
        if (typeof r === 'number' && r > pos) {
          this.emit(b, pos, r, chunkStart, c, inCarry);
          pos = r;
          continue;
        }
        if (r === 'incomplete') return pos;
        // Not a start line, or one whose message cannot be framed.
        if (this.seenMessage) this.counters.sipStreamBadFraming++;
        this.state = RESYNC;
        this.atLineStart = false;
      }
      // RESYNC: the next start line at a line start.
      const ls = this.findStartLine(b, pos);
      if (ls >= 0) {
        this.counters.sipStreamSkippedBytes += ls - pos;
        this.searched = 0;
        pos = ls;
        this.state = SYNC;
        continue;
      }
      // None here: keep the unfinished last line (it may be a start line cut short).
      const lf = n > pos ? b.lastIndexOf(LF, n - 1) : -1;
      let keep = pos;
      if (lf >= pos) {
        keep = lf + 1;
        this.atLineStart = true;
      }
      if (n - keep > MAX_LINE_CARRY) {
        keep = n;
        this.atLineStart = false;
      }
      this.counters.sipStreamSkippedBytes += keep - pos;
      this.searched += keep - pos;
      if (!this.seenMessage && this.searched > this.notSipAfterBytes) {
        this.state = NOT_SIP;
        if (!this.notSipReported) {
          this.notSipReported = true;
          this.onNotSip?.();
        }
        return n;
      }
      return keep;
    }
  }

  /**
   * Index ≥ pos of the first line start whose line is a SIP start line that frames (or may,
   * with more bytes), or -1. Candidates are found by "SIP/2.0", which every start line holds.
   */
  private findStartLine(b: Buffer, pos: number): number {
    let from = pos;
    for (;;) {
      const h = b.indexOf(SIP_20, from);
      if (h < 0) return -1;
      const lf = h > pos ? b.lastIndexOf(LF, h - 1) : -1;
      const ls = lf >= pos ? lf + 1 : this.atLineStart ? pos : -1;
      if (ls >= 0 && sipMessageEnd(b, ls) !== 'bad') return ls;
      // A message right after a body that ends without CRLF (or a cut line) starts mid-line:
      // accept it only where the start line itself begins, found backwards from "SIP/2.0".
      const mid = midLineStart(b, pos, h);
      if (mid >= 0 && mid !== ls && sipMessageEnd(b, mid) !== 'bad') return mid;
      from = h + 1;
    }
  }

  private emit(b: Buffer, s: number, e: number, chunkStart: number, c: SipStreamChunk, inCarry: boolean): void {
    this.seenMessage = true;
    this.counters.sipStreamMessages++;
    let frameOffset = -1;
    let frames: number[] | undefined;
    if (!inCarry || s >= chunkStart) {
      if (c.frames !== undefined) frames = [...c.frames];
      else if (c.frameOffset >= 0) frameOffset = c.frameOffset + (s - chunkStart);
      else frames = [c.handle];
    } else {
      frames = this.carry.handlesIn(s, e);
    }
    this.sink(b.subarray(s, e), frameOffset, frames, c.sec, c.nsec);
  }
}
