/**
 * In-order stream bytes and the frames they came from: the shared carry-over buffer of the
 * stream framers (SIP over TCP in src/sip/stream.ts, WebSocket in src/net/websocket.ts).
 * A leaf module: it imports nothing, so both layers can use it without importing each other.
 */

/**
 * One piece of in-order stream bytes as a framer receives it. The object and `data` are
 * reused by the caller: read them during the call only.
 */
export interface StreamChunk {
  /** The bytes (a view, valid during the call). */
  data: Buffer;
  /** Offset of data[0] in the data of the frame being decoded, or -1 when not a slice of it. */
  frameOffset: number;
  /** Handle of the frame that carried the bytes (when `frames` is undefined). */
  handle: number;
  /** Handles of the frames of an IP-reassembled segment; undefined for one frame. */
  frames: readonly number[] | undefined;
  /** Capture time of the frame that carried the bytes. */
  sec: number;
  nsec: number;
}

const EMPTY = Buffer.alloc(0);
/** Capacity above which an emptied buffer is released rather than kept for reuse. */
const KEEP_CAPACITY = 64 * 1024;

/**
 * Bytes carried over between chunks (a partial message), in one growable buffer so that a
 * framer can look at them contiguously; each byte is copied in once (amortised), never
 * re-concatenated per segment. Remembers which frames carried which bytes.
 */
export class ChunkBuffer {
  private buf: Buffer = EMPTY;
  /** Bytes in use: [0, length). */
  length = 0;
  /** Start of each part in the buffer, and the frame(s) it came from. */
  private readonly partStart: number[] = [];
  private readonly partHandle: number[] = [];
  private readonly partFrames: (readonly number[] | undefined)[] = [];

  /** The bytes held (a view, valid until the next change). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** Appends chunk.data[from..] (copied). */
  append(c: StreamChunk, from = 0): void {
    const n = c.data.length - from;
    if (n <= 0) return;
    this.reserve(this.length + n);
    c.data.copy(this.buf, this.length, from);
    this.partStart.push(this.length);
    this.partHandle.push(c.handle);
    this.partFrames.push(c.frames);
    this.length += n;
  }

  /** Drops [0, pos), keeping the rest at the start. */
  consume(pos: number): void {
    if (pos <= 0) return;
    if (pos >= this.length) {
      this.clear();
      return;
    }
    this.buf.copyWithin(0, pos, this.length);
    this.length -= pos;
    let drop = 0;
    while (drop + 1 < this.partStart.length && (this.partStart[drop + 1] as number) <= pos) drop++;
    this.partStart.splice(0, drop);
    this.partHandle.splice(0, drop);
    this.partFrames.splice(0, drop);
    for (let i = 0; i < this.partStart.length; i++) this.partStart[i] = Math.max(0, (this.partStart[i] as number) - pos);
  }

  clear(): void {
    this.length = 0;
    this.partStart.length = 0;
    this.partHandle.length = 0;
    this.partFrames.length = 0;
    if (this.buf.length > KEEP_CAPACITY) this.buf = EMPTY;
  }

  /** Handles of the frames that carried bytes [s, e), in order, each once. */
  handlesIn(s: number, e: number): number[] {
    const out: number[] = [];
    const n = this.partStart.length;
    for (let i = 0; i < n; i++) {
      const ps = this.partStart[i] as number;
      const pe = i + 1 < n ? (this.partStart[i + 1] as number) : this.length;
      if (pe <= s || ps >= e) continue;
      const frames = this.partFrames[i];
      if (frames === undefined) addOnce(out, this.partHandle[i] as number);
      else for (const f of frames) addOnce(out, f);
    }
    return out;
  }

  /** Calls fn for each part [s, e) with its frame(s), from offset `from`. */
  forEachPart(from: number, fn: (s: number, e: number, handle: number, frames: readonly number[] | undefined) => void): void {
    const n = this.partStart.length;
    for (let i = 0; i < n; i++) {
      const ps = Math.max(from, this.partStart[i] as number);
      const pe = i + 1 < n ? (this.partStart[i + 1] as number) : this.length;
      if (pe > ps) fn(ps, pe, this.partHandle[i] as number, this.partFrames[i]);
    }
  }

  private reserve(size: number): void {
    if (size <= this.buf.length) return;
    let cap = Math.max(4096, this.buf.length * 2);
    while (cap < size) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
}

export function addOnce(list: number[], v: number): void {
  if (!list.includes(v)) list.push(v);
}

/** Frames of a message taken whole from one chunk, per the StreamMessageSink contract. */
export function chunkFrames(c: StreamChunk): number[] | undefined {
  if (c.frames !== undefined) return [...c.frames];
  return c.frameOffset >= 0 ? undefined : [c.handle];
}
