/**
 * WebSocket framing (RFC 6455) over an in-order TCP byte stream, for SIP over WebSocket
 * (RFC 7118), and the plumbing shared by the byte-stream framers (this one and the SIP
 * framer of src/sip/stream.ts, which repeats the small types below structurally because
 * src/sip imports nothing of ours).
 *
 * RFC 7118 §5: each SIP message is carried in one WebSocket message (one text or binary
 * data frame, or a fragmented message of several frames). So every complete data message
 * becomes one payload for the SIP parser; control frames (close, ping, pong) are skipped.
 *
 * Base framing (RFC 6455 §5.2):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-------+-+-------------+-------------------------------+
 *   |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *   |I|S|S|S|  (4)  |A|     (7)     |       (16 if len == 126,      |
 *   |N|V|V|V|       |S|             |        64 if len == 127)      |
 *   | |1|2|3|       |K|             |                               |
 *   +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *   |  Masking-key (4 bytes), present when MASK is 1 (client → server frames)       |
 *   +-------------------------------------------------------------------------------+
 *   |  Payload data, XORed with key[i % 4] when masked (§5.3)                        |
 *
 * Opcodes (§5.2, §11.8): 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong.
 * Control frames have FIN set and at most 125 bytes (§5.5). RSV bits are 0 unless an
 * extension was negotiated (permessage-deflate sets RSV1, RFC 7692): such frames cannot be
 * read without the extension's state and are counted `wsUnreadable`.
 *
 * The opening handshake (RFC 6455 §4; RFC 7118 §4.1 adds `Sec-WebSocket-Protocol: sip`) is
 * an HTTP/1.1 GET with `Upgrade: websocket` answered by `101 Switching Protocols`; each
 * direction switches to frames right after its own HTTP header block (`readHttpUpgrade`).
 * Without a captured handshake, `sniffWebSocketSip` recognises a stream whose first bytes
 * are a data frame header whose (unmasked) payload starts like a SIP start line.
 *
 * Contract: nothing here throws on any input; malformed frames are counted and the framer
 * resynchronises on the next plausible SIP-carrying frame header.
 */

import { ChunkBuffer, addOnce, chunkFrames, type StreamChunk } from '../stream/chunk-buffer';

export { ChunkBuffer, addOnce, chunkFrames, type StreamChunk };

/**
 * Receives each framed message. `payload` is a view (copy to keep); `frameOffset` is its
 * offset in the data of the frame being decoded when it is one contiguous, untransformed
 * slice of it (then `frames` is undefined), else -1 with `frames` = handles of every frame
 * that carried part of it. Time: of the frame that completed it.
 */
export type StreamMessageSink = (
  payload: Buffer,
  frameOffset: number,
  frames: number[] | undefined,
  sec: number,
  nsec: number,
) => void;

/** A framer of one application protocol over one direction of an in-order byte stream. */
export interface StreamFramer {
  push(chunk: StreamChunk): void;
  /** Bytes were lost before the next chunk: drop any partial message and resynchronise. */
  gap(): void;
  /** End of the stream: a partial message is dropped (counted). */
  end(): void;
  /** Bytes held between calls (for the memory bound). */
  readonly buffered: number;
}

// --- WebSocket frame header -----------------------------------------------------------

export const WS_CONTINUATION = 0;
export const WS_TEXT = 1;
export const WS_BINARY = 2;
export const WS_CLOSE = 8;
export const WS_PING = 9;
export const WS_PONG = 10;

/** A parsed frame header (RFC 6455 §5.2). */
interface WsHeader {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  /** Offset of the masking key (when masked). */
  keyAt: number;
  /** Offset of the payload and its length. */
  payloadAt: number;
  payloadLength: number;
}

const WS_MORE = 1;
const WS_BAD = 2;
const WS_OK = 0;

/**
 * Reads the frame header at `at`: WS_OK (fills `h`), WS_MORE when the bytes end inside it,
 * WS_BAD when it breaks §5.2 (reserved opcode, control frame fragmented or over 125 bytes,
 * a 64-bit length with the top bit set or beyond 2^53, or a length not in its shortest form).
 */
function readWsHeader(b: Buffer, at: number, h: WsHeader): number {
  const n = b.length;
  if (n - at < 2) return WS_MORE;
  const b0 = b[at] as number;
  const b1 = b[at + 1] as number;
  h.fin = (b0 & 0x80) !== 0;
  h.rsv = (b0 >> 4) & 7;
  h.opcode = b0 & 0x0f;
  h.masked = (b1 & 0x80) !== 0;
  const op = h.opcode;
  if (op > WS_BINARY && op < WS_CLOSE) return WS_BAD;
  if (op > WS_PONG) return WS_BAD;
  let len = b1 & 0x7f;
  let p = at + 2;
  if (len === 126) {
    if (n - p < 2) return WS_MORE;
    len = b.readUInt16BE(p);
    if (len < 126) return WS_BAD;
    p += 2;
  } else if (len === 127) {
    if (n - p < 8) return WS_MORE;
    const hi = b.readUInt32BE(p);
    const lo = b.readUInt32BE(p + 4);
    if (hi > 0x1fffff) return WS_BAD; // top bit must be 0; and keep it exact in a double
    len = hi * 4294967296 + lo;
    if (len < 65536) return WS_BAD;
    p += 8;
  }
  if (op >= WS_CLOSE && (!h.fin || len > 125)) return WS_BAD;
  h.keyAt = p;
  if (h.masked) {
    if (n - p < 4) return WS_MORE;
    p += 4;
  }
  h.payloadAt = p;
  h.payloadLength = len;
  return WS_OK;
}

function newWsHeader(): WsHeader {
  return { fin: false, rsv: 0, opcode: 0, masked: false, keyAt: 0, payloadAt: 0, payloadLength: 0 };
}

/** XORs b[s..e) into out[o..] with the masking key at b[keyAt] whose phase starts at `phase` (§5.3). */
function unmaskInto(b: Buffer, keyAt: number, s: number, e: number, out: Buffer, o: number, phase = 0): void {
  const k0 = b[keyAt] as number;
  const k1 = b[keyAt + 1] as number;
  const k2 = b[keyAt + 2] as number;
  const k3 = b[keyAt + 3] as number;
  const key = [k0, k1, k2, k3];
  for (let i = s, j = phase; i < e; i++, j++) {
    out[o + i - s] = (b[i] as number) ^ (key[j & 3] as number);
  }
}

/** Bytes of payload looked at to decide whether a frame carries SIP. */
const SNIFF_BYTES = 12;
const SIP_20 = Buffer.from('SIP/2.0 ', 'latin1');

/**
 * Whether bytes start like a SIP start line (RFC 3261 §7.1, §7.2): "SIP/2.0 " or an
 * upper-case method token followed by SP and a URI scheme letter. 'more' when too few.
 */
export function startsLikeSip(b: Buffer, at: number, end: number): 'yes' | 'no' | 'more' {
  let i = 0;
  for (; i < SIP_20.length && at + i < end; i++) if (b[at + i] !== SIP_20[i]) break;
  if (i === SIP_20.length) return 'yes';
  if (at + i === end) return 'more';
  let p = at;
  while (p < end && p - at < 24) {
    const c = b[p] as number;
    if ((c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f || (c >= 0x30 && c <= 0x39 && p > at)) p++;
    else break;
  }
  if (p === end) return 'more';
  if (p === at || b[p] !== 0x20) return 'no';
  if (p + 1 >= end) return 'more';
  const c = (b[p + 1] as number) | 0x20;
  return c >= 0x61 && c <= 0x7a ? 'yes' : 'no';
}

/**
 * Whether a WebSocket data frame (FIN, text or binary, RSV 0) starts at `at` and its
 * unmasked payload starts like SIP: detection of SIP over WebSocket without the captured
 * handshake. 'more' when the bytes end too early to tell.
 */
export function sniffWebSocketSip(b: Buffer, at = 0): 'yes' | 'no' | 'more' {
  const h = newWsHeader();
  return sniffAt(b, at, h);
}

function sniffAt(b: Buffer, at: number, h: WsHeader): 'yes' | 'no' | 'more' {
  if (at >= b.length) return 'more';
  const b0 = b[at] as number;
  if (b0 !== 0x81 && b0 !== 0x82) return 'no';
  const r = readWsHeader(b, at, h);
  if (r === WS_MORE) return 'more';
  if (r === WS_BAD || h.payloadLength < 8) return 'no';
  const avail = Math.min(b.length - h.payloadAt, h.payloadLength, SNIFF_BYTES);
  const probe = Buffer.alloc(avail);
  if (h.masked) unmaskInto(b, h.keyAt, h.payloadAt, h.payloadAt + avail, probe, 0);
  else b.copy(probe, 0, h.payloadAt, h.payloadAt + avail);
  const s = startsLikeSip(probe, 0, avail);
  if (s === 'more' && avail >= Math.min(h.payloadLength, SNIFF_BYTES)) return 'no';
  return s;
}

// --- HTTP upgrade -----------------------------------------------------------------------

/** Largest HTTP header block looked at for an upgrade. */
export const MAX_HTTP_HEADER_BYTES = 16 * 1024;

export type HttpUpgrade =
  /** The header block ends at `end`; frames follow when `websocket` (and the sub-protocol, if named, is sip). */
  | { websocket: boolean; end: number }
  | 'more'
  | 'no';

/**
 * Reads an HTTP/1.1 header block at the start of `b` (RFC 9112): a GET request or a
 * response. `websocket` is true for a request with `Upgrade: websocket` or a `101` response
 * with it, unless `Sec-WebSocket-Protocol` is present without `sip` (RFC 7118 §4.1).
 */
export function readHttpUpgrade(b: Buffer): HttpUpgrade {
  let end = b.indexOf('\r\n\r\n', 0, 'latin1');
  let endLen = 4;
  const lf = b.indexOf('\n\n', 0, 'latin1');
  if (lf >= 0 && (end < 0 || lf < end)) {
    end = lf;
    endLen = 2;
  }
  if (end < 0) return b.length > MAX_HTTP_HEADER_BYTES ? 'no' : 'more';
  if (end > MAX_HTTP_HEADER_BYTES) return 'no';
  const text = b.toString('latin1', 0, end);
  const first = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length);
  const isRequest = /^GET \S+ HTTP\/1\.\d\r?$/.test(first);
  const isSwitch = /^HTTP\/1\.\d 101(?: |\r?$)/.test(first);
  let websocket = false;
  if (isRequest || isSwitch) {
    const upgrade = /^upgrade[ \t]*:[ \t]*websocket[ \t]*\r?$/im.test(text);
    const proto = /^sec-websocket-protocol[ \t]*:(.*)$/im.exec(text);
    const sipProto = proto === null || /(?:^|,)\s*sip\s*(?:,|$)/i.test((proto[1] ?? '').trim());
    websocket = upgrade && sipProto;
  } else if (!/^(?:[A-Z]+ \S+ HTTP\/1\.\d|HTTP\/1\.\d \d{3})/.test(first)) {
    return 'no';
  }
  return { websocket, end: end + endLen };
}

// --- The framer ---------------------------------------------------------------------------

/** Counters of WebSocket framing (fields of NetCounters). */
export interface WebSocketCounters {
  wsFrames: number;
  wsMessages: number;
  wsControlFrames: number;
  wsBadFrames: number;
  wsUnreadable: number;
  wsOversized: number;
  wsSkippedBytes: number;
}

export const DEFAULT_MAX_WS_MESSAGE_BYTES = 1024 * 1024;

const FRAMES = 0;
const RESYNC = 1;
const SKIP = 2;

/**
 * Turns one direction of a WebSocket connection into its data messages. Each text/binary
 * message (continuations joined, control frames skipped) goes to `sink`: unmasked and
 * contiguous in the current frame → a view with its frame offset; masked or spanning
 * frames → a copy (unmasked), frame offset -1, with the frames that carried it.
 */
export class WebSocketFramer implements StreamFramer {
  private readonly acc = new ChunkBuffer();
  private readonly h = newWsHeader();
  private state = FRAMES;
  /** Payload bytes still to skip (SKIP state) and what to resume in. */
  private skipLeft = 0;
  /** A fragmented message being joined: its parts (unmasked copies), frames and size. */
  private fragParts: Buffer[] = [];
  private fragFrames: number[] = [];
  private fragBytes = 0;
  private fragOpen = false;

  constructor(
    private readonly sink: StreamMessageSink,
    private readonly counters: WebSocketCounters,
    private readonly maxMessageBytes = DEFAULT_MAX_WS_MESSAGE_BYTES,
  ) {}

  get buffered(): number {
    return this.acc.length + this.fragBytes;
  }

  push(c: StreamChunk): void {
    const acc = this.acc;
    let b: Buffer;
    let chunkStart: number;
    let from = 0;
    if (this.state === SKIP) {
      const take = Math.min(this.skipLeft, c.data.length);
      this.skipLeft -= take;
      this.counters.wsSkippedBytes += take;
      if (this.skipLeft > 0) return;
      this.state = FRAMES;
      from = take;
      if (from >= c.data.length) return;
    }
    if (acc.length > 0) {
      chunkStart = acc.length - from;
      acc.append(c, from);
      b = acc.view();
      const pos = this.run(b, 0, chunkStart, c, true);
      acc.consume(pos);
    } else {
      b = c.data;
      chunkStart = 0;
      const pos = this.run(b, from, chunkStart, c, false);
      if (pos < b.length && this.state !== SKIP) acc.append(c, pos);
    }
  }

  gap(): void {
    this.acc.clear();
    this.dropFragment();
    this.state = RESYNC;
    this.skipLeft = 0;
  }

  end(): void {
    this.acc.clear();
    this.dropFragment();
  }

  private dropFragment(): void {
    if (this.fragOpen) this.counters.wsBadFrames++;
    this.fragParts = [];
    this.fragFrames = [];
    this.fragBytes = 0;
    this.fragOpen = false;
  }

  /** Frames what it can of b from pos; returns where the unframed rest starts. */
  private run(b: Buffer, pos: number, chunkStart: number, c: StreamChunk, inAcc: boolean): number {
    const h = this.h;
    const n = b.length;
    for (;;) {
      if (pos >= n) return n;
      if (this.state === RESYNC) {
        const at = this.findFrame(b, pos);
        if (at === -1) {
          // Keep the last few bytes: a header may straddle the chunk end.
          const keep = Math.max(pos, n - 14 - SNIFF_BYTES);
          this.counters.wsSkippedBytes += keep - pos;
          return keep;
        }
        const start = at < 0 ? -at - 2 : at;
        this.counters.wsSkippedBytes += start - pos;
        pos = start;
        if (at < 0) return pos; // a candidate that needs more bytes
        this.state = FRAMES;
      }
      const r = readWsHeader(b, pos, h);
      if (r === WS_MORE) return pos;
      if (r === WS_BAD) {
        this.counters.wsBadFrames++;
        this.dropFragment();
        this.state = RESYNC;
        pos++;
        continue;
      }
      const total = h.payloadAt - pos + h.payloadLength;
      this.counters.wsFrames++;
      if (h.payloadLength > this.maxMessageBytes || (h.opcode === WS_CONTINUATION && this.fragBytes + h.payloadLength > this.maxMessageBytes)) {
        // Too big to hold: skip its payload exactly, without buffering it.
        this.counters.wsOversized++;
        if (h.opcode === WS_CONTINUATION || !h.fin) this.dropFragment();
        const have = n - h.payloadAt;
        if (have >= h.payloadLength) {
          pos = h.payloadAt + h.payloadLength;
          continue;
        }
        this.skipLeft = h.payloadLength - have;
        this.counters.wsSkippedBytes += have;
        this.state = SKIP;
        return n;
      }
      if (n - pos < total) return pos; // wait for the whole frame
      this.frame(b, pos, chunkStart, c, inAcc);
      pos += total;
    }
  }

  /** One complete frame at `at` (header in this.h). */
  private frame(b: Buffer, at: number, chunkStart: number, c: StreamChunk, inAcc: boolean): void {
    const h = this.h;
    const ps = h.payloadAt;
    const pe = ps + h.payloadLength;
    if (h.opcode >= WS_CLOSE) {
      this.counters.wsControlFrames++;
      return;
    }
    if (h.rsv !== 0) {
      // An extension (permessage-deflate) transformed the payload: unreadable here.
      this.counters.wsUnreadable++;
      if (h.opcode !== WS_CONTINUATION) this.dropFragment();
      return;
    }
    const frames = (): number[] | undefined => {
      if (inAcc && at < chunkStart) return this.acc.handlesIn(at, pe);
      return chunkFrames(c);
    };
    if (h.opcode === WS_CONTINUATION) {
      if (!this.fragOpen) {
        this.counters.wsBadFrames++; // continuation of a message we did not see start
        return;
      }
      this.addFragment(b, h, ps, pe, frames() ?? [c.handle]);
      if (h.fin) this.flushFragment(c);
      return;
    }
    if (this.fragOpen) this.dropFragment(); // a new message while one was open: §5.4 forbids
    if (!h.fin) {
      this.fragOpen = true;
      this.addFragment(b, h, ps, pe, frames() ?? [c.handle]);
      return;
    }
    this.counters.wsMessages++;
    if (!h.masked) {
      const inChunk = !inAcc || at >= chunkStart;
      const off = inChunk && c.frameOffset >= 0 && c.frames === undefined ? c.frameOffset + (ps - chunkStart) : -1;
      this.sink(b.subarray(ps, pe), off, off >= 0 ? undefined : frames() ?? [c.handle], c.sec, c.nsec);
      return;
    }
    const out = Buffer.allocUnsafe(pe - ps);
    unmaskInto(b, h.keyAt, ps, pe, out, 0);
    this.sink(out, -1, frames() ?? [c.handle], c.sec, c.nsec);
  }

  private addFragment(b: Buffer, h: WsHeader, ps: number, pe: number, frames: number[]): void {
    const out = Buffer.allocUnsafe(pe - ps);
    if (h.masked) unmaskInto(b, h.keyAt, ps, pe, out, 0);
    else b.copy(out, 0, ps, pe);
    this.fragParts.push(out);
    this.fragBytes += out.length;
    for (const f of frames) addOnce(this.fragFrames, f);
  }

  private flushFragment(c: StreamChunk): void {
    const payload = this.fragParts.length === 1 ? (this.fragParts[0] as Buffer) : Buffer.concat(this.fragParts, this.fragBytes);
    const frames = this.fragFrames;
    this.fragParts = [];
    this.fragFrames = [];
    this.fragBytes = 0;
    this.fragOpen = false;
    this.counters.wsMessages++;
    this.sink(payload, -1, frames, c.sec, c.nsec);
  }

  /**
   * The next position ≥ pos where a SIP-carrying data frame header starts: its index,
   * -(index + 2) when a candidate there needs more bytes, -1 when none.
   */
  private findFrame(b: Buffer, pos: number): number {
    const h = newWsHeader();
    let p = pos;
    for (;;) {
      const a = b.indexOf(0x81, p);
      const c = b.indexOf(0x82, p);
      const at = a < 0 ? c : c < 0 ? a : Math.min(a, c);
      if (at < 0) return -1;
      const s = sniffAt(b, at, h);
      if (s === 'yes') return at;
      if (s === 'more') return -(at + 2);
      p = at + 1;
    }
  }
}
