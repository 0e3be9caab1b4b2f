/**
 * Append-only byte store for message bytes that cannot be read back from a capture file:
 * payloads reassembled from several frames or transformed on the way (fragments today;
 * TCP streams, decompressed HEP and unmasked WebSocket later), and frames from sources
 * that cannot be re-read. Chunks of 1 MiB; a record never straddles two chunks unless it
 * is larger than a chunk (then it gets a chunk of its own).
 */
const CHUNK = 1 << 20;

export class ByteArena {
  private readonly chunks: Buffer[] = [];
  private readonly starts: number[] = [];
  private used = CHUNK;
  private total = 0;

  /** Copies `bytes` in and returns the offset to read them back with. */
  append(bytes: Uint8Array): number {
    const n = bytes.length;
    if (this.used + n > CHUNK || this.chunks.length === 0) {
      const size = Math.max(CHUNK, n);
      this.chunks.push(Buffer.allocUnsafe(size));
      this.starts.push(this.total);
      this.total += size;
      this.used = 0;
    }
    const chunk = this.chunks[this.chunks.length - 1]!;
    chunk.set(bytes, this.used);
    const offset = this.starts[this.starts.length - 1]! + this.used;
    this.used += n;
    return offset;
  }

  /** The bytes at [offset, offset+length) (a view; copy to keep), or undefined if out of range. */
  read(offset: number, length: number): Buffer | undefined {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const chunk = this.chunks[lo];
    const start = this.starts[lo];
    if (chunk === undefined || start === undefined) return undefined;
    const at = offset - start;
    if (at < 0 || at + length > chunk.length) return undefined;
    return chunk.subarray(at, at + length);
  }

  /** Bytes held (allocated chunks). */
  get size(): number {
    return this.total;
  }
}
