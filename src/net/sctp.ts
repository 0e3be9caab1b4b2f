/**
 * SCTP (RFC 9260): the user messages carried by DATA chunks (and I-DATA, RFC 8260), with
 * fragmented messages reassembled. Several chunks may be bundled in one packet, so one SCTP
 * packet can give several messages (and a message several SIP messages).
 *
 * An unfragmented message (B and E set) is handed on as a view at its offset in the frame.
 * Fragments are kept (copied) per association direction and stream (per message for
 * I-DATA) and put together by TSN (by FSN for I-DATA) once the first (B), the last (E) and
 * every fragment between them are in, whatever order they came in; duplicates (the first
 * copy wins) are ignored. Pending fragments are bounded in bytes and expire by frame time.
 *
 * Contract: `decode` never throws on any bytes; malformed chunks are counted (`sctpBad`),
 * cut ones (a chunk running past the packet) as `truncated` like any cut header, and packets
 * with no DATA are counted too (`sctpControl`: INIT, SACK, HEARTBEAT...), not as errors.
 * The CRC32c checksum is not checked: captures taken on the sending host carry checksums
 * left to the NIC. Retransmitted unfragmented DATA is handed on again, as a retransmitted
 * UDP datagram is (the store marks SIP retransmissions).
 */
import type { NetCounters, Packet } from './types';

/*
 * Common header (RFC 9260 3.1):
 *   0 source port (2)  2 destination port (2)  4 verification tag (4)  8 checksum (4)  12 chunks
 * Chunk (RFC 9260 3.2):
 *   0 type (1)  1 flags (1)  2 length (2: these 4 bytes and the value, not the padding)
 *   4 value, then zero padding to a multiple of 4 bytes
 * DATA (type 0, RFC 9260 3.3.1):
 *   flags: 0x08 I (immediate SACK), 0x04 U (unordered), 0x02 B (first fragment), 0x01 E (last)
 *   4 TSN (4)  8 stream identifier (2)  10 stream sequence number (2)
 *   12 payload protocol identifier (4; 0 "unspecified" is usual for SIP)  16 user data
 * I-DATA (type 64, RFC 8260 2.1):
 *   flags as DATA; 4 TSN (4)  8 stream identifier (2)  10 reserved (2)
 *   12 message identifier (4)  16 PPID when B is set, else fragment sequence number (4)  20 user data
 */
const COMMON_HEADER = 12;
const CHUNK_HEADER = 4;
const DATA_HEADER = 16;
const IDATA_HEADER = 20;

const CHUNK_DATA = 0;
const CHUNK_IDATA = 64;

const FLAG_U = 0x04;
const FLAG_B = 0x02;
const FLAG_E = 0x01;

export const DEFAULT_SCTP_TIMEOUT_SEC = 30;
export const DEFAULT_MAX_SCTP_BYTES = 16 * 1024 * 1024;
/** Fragments held per pending stream (or I-DATA message) before it is dropped as incomplete. */
export const MAX_SCTP_PIECES = 4096;

/** The IP layer of an SCTP packet (the fields of the decoder's TransportIp used here). */
export interface SctpIp {
  ipVersion: 4 | 6;
  src: string;
  dst: string;
  /** Capture time of the frame that carried (or completed) the packet. */
  sec: number;
  nsec: number;
}

export interface SctpLimits {
  /** Seconds of frame time a fragment waits for the rest of its message. */
  timeoutSec: number;
  /** Bound on the fragment bytes held across all streams; the oldest streams go first. */
  maxBytes: number;
}

/** One fragment: its sequence number (TSN, or FSN for I-DATA), B/E flags, data (a copy), frames. */
interface Piece {
  flags: number;
  data: Buffer;
  /** Frame time (fractional seconds) it arrived at. */
  seen: number;
  frames: number[];
}

/** Fragments pending on one association direction and stream (or one I-DATA message). */
interface Pending {
  ipVersion: 4 | 6;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  pieces: Map<number, Piece>;
  bytes: number;
  /** Oldest `seen` among the pieces. */
  oldest: number;
}

/** Decoder of SCTP packets into Packets, one per user message. */
export class SctpDecoder {
  private readonly onPacket: (p: Packet) => void;
  private readonly counters: NetCounters;
  private readonly timeoutSec: number;
  private readonly maxBytes: number;
  private readonly pending = new Map<string, Pending>();
  private bytes = 0;
  /** Frame time after which some piece has expired (Infinity when nothing is pending). */
  private nextDeadline = Infinity;

  constructor(onPacket: (p: Packet) => void, counters: NetCounters, limits: Partial<SctpLimits> = {}) {
    this.onPacket = onPacket;
    this.counters = counters;
    this.timeoutSec = limits.timeoutSec ?? DEFAULT_SCTP_TIMEOUT_SEC;
    this.maxBytes = limits.maxBytes ?? DEFAULT_MAX_SCTP_BYTES;
  }

  /** Streams (or I-DATA messages) holding fragments. */
  get pendingStreams(): number {
    return this.pending.size;
  }

  /** Bytes of fragment data held. */
  get heldBytes(): number {
    return this.bytes;
  }

  /**
   * Decodes the SCTP packet `buf` (the whole IP payload). `frameOffset` is the offset of
   * `buf[0]` in the frame's data (-1 when reassembled), `frames` the frames it came from when
   * several, `handle` the frame being decoded.
   */
  decode(ip: SctpIp, buf: Buffer, frameOffset: number, frames: number[] | undefined, handle: number): void {
    const c = this.counters;
    const end = buf.length;
    if (end < COMMON_HEADER) {
      c.truncated++;
      return;
    }
    c.sctpPackets++;
    const now = ip.sec + ip.nsec / 1e9;
    this.expire(now);
    const sport = buf.readUInt16BE(0);
    const dport = buf.readUInt16BE(2);
    const vtag = buf.readUInt32BE(4);
    let dataChunks = 0;
    let p = COMMON_HEADER;
    while (end - p >= CHUNK_HEADER) {
      const type = buf[p] as number;
      const flags = buf[p + 1] as number;
      const length = buf.readUInt16BE(p + 2);
      if (length < CHUNK_HEADER) {
        c.sctpBad++; // the rest of the packet cannot be delimited
        return;
      }
      if (p + length > end) {
        c.truncated++; // cut (snap length) or lying: counted as every layer counts a cut header
        return;
      }
      if (type === CHUNK_DATA || type === CHUNK_IDATA) {
        dataChunks++;
        const headerLength = type === CHUNK_DATA ? DATA_HEADER : IDATA_HEADER;
        if (length <= headerLength) {
          c.sctpBad++; // no user data (RFC 9260 3.3.1: a DATA chunk carries at least one byte)
        } else {
          const dataAt = p + headerLength;
          const dataEnd = p + length;
          if ((flags & (FLAG_B | FLAG_E)) === (FLAG_B | FLAG_E)) {
            this.onPacket({
              ipVersion: ip.ipVersion,
              src: ip.src,
              dst: ip.dst,
              sport,
              dport,
              transport: 'SCTP',
              sec: ip.sec,
              nsec: ip.nsec,
              payload: buf.subarray(dataAt, dataEnd),
              frameOffset: frameOffset < 0 ? -1 : frameOffset + dataAt,
              frames,
            });
          } else {
            c.sctpFragments++;
            const stream = buf.readUInt16BE(p + 8);
            let key: string;
            let seq: number;
            if (type === CHUNK_DATA) {
              // RFC 9260 6.9: the fragments of a message take consecutive TSNs.
              key = `${ip.src} ${ip.dst} ${sport} ${dport} ${vtag} ${stream}`;
              seq = buf.readUInt32BE(p + 4);
            } else {
              // RFC 8260 2.1: per (stream, U, MID), FSN 0 on the first fragment (which carries the PPID instead).
              const mid = buf.readUInt32BE(p + 12);
              key = `${ip.src} ${ip.dst} ${sport} ${dport} ${vtag} ${stream} ${flags & FLAG_U ? 'u' : 'o'}${mid}`;
              seq = (flags & FLAG_B) !== 0 ? 0 : buf.readUInt32BE(p + 16);
            }
            this.fragment(ip, sport, dport, key, seq, flags, buf.subarray(dataAt, dataEnd), now, frames ?? [handle]);
          }
        }
      }
      // Chunks are padded to 4 bytes; a last chunk without its padding is tolerated.
      p += (length + 3) & ~3;
    }
    if (p < end && end - p < CHUNK_HEADER && !allZero(buf, p, end)) c.sctpBad++;
    if (dataChunks === 0) c.sctpControl++;
  }

  /** End of input: every pending fragment set is counted incomplete. */
  finish(): void {
    this.counters.sctpIncomplete += this.pending.size;
    this.pending.clear();
    this.bytes = 0;
    this.nextDeadline = Infinity;
  }

  /** Drops pieces older than the timeout (each stream that loses some counts one incomplete). */
  expire(now: number): void {
    if (now <= this.nextDeadline) return;
    const limit = now - this.timeoutSec;
    let deadline = Infinity;
    for (const [key, set] of this.pending) {
      if (set.oldest < limit) {
        let oldest = Infinity;
        let dropped = false;
        for (const [seq, piece] of set.pieces) {
          if (piece.seen < limit) {
            set.pieces.delete(seq);
            set.bytes -= piece.data.length;
            this.bytes -= piece.data.length;
            dropped = true;
          } else if (piece.seen < oldest) oldest = piece.seen;
        }
        if (dropped) this.counters.sctpIncomplete++;
        set.oldest = oldest;
        if (set.pieces.size === 0) {
          this.pending.delete(key);
          continue;
        }
      }
      deadline = Math.min(deadline, set.oldest + this.timeoutSec);
    }
    this.nextDeadline = deadline;
  }

  private fragment(
    ip: SctpIp,
    sport: number,
    dport: number,
    key: string,
    seq: number,
    flags: number,
    data: Buffer,
    now: number,
    frames: number[],
  ): void {
    let set = this.pending.get(key);
    if (set === undefined) {
      set = { ipVersion: ip.ipVersion, src: ip.src, dst: ip.dst, sport, dport, pieces: new Map(), bytes: 0, oldest: now };
      this.pending.set(key, set);
    }
    if (set.pieces.has(seq)) return; // a retransmission: the first copy wins
    if (set.pieces.size >= MAX_SCTP_PIECES) {
      this.drop(key, set);
      return;
    }
    set.pieces.set(seq, { flags, data: Buffer.from(data), seen: now, frames: frames.slice() });
    set.bytes += data.length;
    this.bytes += data.length;
    if (now < set.oldest) set.oldest = now;
    this.nextDeadline = Math.min(this.nextDeadline, set.oldest + this.timeoutSec);

    const message = this.complete(set, seq);
    if (message !== undefined) {
      if (set.pieces.size === 0) this.pending.delete(key);
      this.counters.sctpReassembled++;
      this.onPacket({
        ipVersion: ip.ipVersion,
        src: ip.src,
        dst: ip.dst,
        sport,
        dport,
        transport: 'SCTP',
        sec: ip.sec,
        nsec: ip.nsec,
        payload: message.data,
        frameOffset: -1,
        frames: message.frames,
      });
      return;
    }
    if (this.bytes > this.maxBytes) {
      for (const [k, s] of this.pending) {
        this.drop(k, s);
        if (this.bytes <= this.maxBytes) break;
      }
    }
  }

  /**
   * The message that the piece `seq` completes, taken out of `set`, or undefined. Walks back
   * to a B piece and forward to an E piece over consecutive sequence numbers (mod 2^32).
   */
  private complete(set: Pending, seq: number): { data: Buffer; frames: number[] } | undefined {
    const pieces = set.pieces;
    let first = seq;
    for (let piece = pieces.get(first); piece !== undefined && (piece.flags & FLAG_B) === 0; ) {
      const prev = (first - 1) >>> 0;
      const before = pieces.get(prev);
      if (before === undefined || (before.flags & FLAG_E) !== 0) return undefined;
      first = prev;
      piece = before;
    }
    let last = seq;
    for (let piece = pieces.get(last); piece !== undefined && (piece.flags & FLAG_E) === 0; ) {
      const next = (last + 1) >>> 0;
      const after = pieces.get(next);
      if (after === undefined || (after.flags & FLAG_B) !== 0) return undefined;
      last = next;
      piece = after;
    }
    const parts: Buffer[] = [];
    const frames: number[] = [];
    for (let s = first; ; s = (s + 1) >>> 0) {
      const piece = pieces.get(s) as Piece;
      parts.push(piece.data);
      for (const f of piece.frames) if (!frames.includes(f)) frames.push(f);
      pieces.delete(s);
      set.bytes -= piece.data.length;
      this.bytes -= piece.data.length;
      if (s === last) break;
    }
    frames.sort((a, b) => a - b);
    return { data: parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts), frames };
  }

  private drop(key: string, set: Pending): void {
    this.counters.sctpIncomplete++;
    this.pending.delete(key);
    this.bytes -= set.bytes;
  }
}

function allZero(buf: Buffer, at: number, end: number): boolean {
  for (let i = at; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}
