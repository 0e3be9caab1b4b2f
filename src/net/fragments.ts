/**
 * IP fragment reassembly (RFC 791 3.2 for IPv4, RFC 8200 4.5 for IPv6), in any arrival
 * order, tolerating duplicates and overlaps (the first data received for a byte wins).
 *
 * Pending sets live in a Map, whose iteration order is insertion order: the first entry is
 * always the oldest set, so expiry (by frame time) and eviction (by the memory bound) only
 * ever look at the head. The per-frame check is one comparison against `nextDeadline`.
 */
import type { NetCounters } from './types';

/** Largest reassembled payload: the 16-bit length fields of both IP versions. */
export const MAX_DATAGRAM = 0xffff;

/** One datagram being reassembled. */
export class FragmentSet {
  /** Frame time (seconds, fractional) of the first fragment seen. */
  readonly firstSeen: number;
  readonly ipVersion: 4 | 6;
  readonly src: string;
  readonly dst: string;
  /** Upper-layer protocol (IPv4) or next header of the fragmentable part (IPv6, from offset 0). */
  proto: number;
  /** Handles of the frames that carried fragments of this set, in arrival order. */
  readonly frames: number[] = [];
  /** Length of the reassembled payload once the last fragment (MF=0) is in, else -1. */
  total = -1;
  /** Bytes held by `pieces`. */
  bytes = 0;
  /** Fragment data (copies), in arrival order, with their offsets. */
  private readonly pieceOffsets: number[] = [];
  private readonly pieces: Buffer[] = [];
  /** Covered byte ranges [starts[i], ends[i]), sorted and merged. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  constructor(firstSeen: number, ipVersion: 4 | 6, src: string, dst: string, proto: number) {
    this.firstSeen = firstSeen;
    this.ipVersion = ipVersion;
    this.src = src;
    this.dst = dst;
    this.proto = proto;
  }

  /**
   * Adds the data of one fragment (copied, as it may be a view into a reused buffer).
   * Returns the number of bytes newly held.
   */
  add(offset: number, data: Buffer, last: boolean): number {
    let end = offset + data.length;
    if (last && this.total < 0) {
      // The first last-fragment fixes the length; data already held beyond it is ignored.
      this.total = end;
    }
    if (this.total >= 0 && end > this.total) end = this.total;
    if (end <= offset || this.covers(offset, end)) return 0;
    const piece = Buffer.from(data.subarray(0, end - offset));
    this.pieces.push(piece);
    this.pieceOffsets.push(offset);
    this.bytes += piece.length;
    this.cover(offset, end);
    return piece.length;
  }

  /** True when every byte of the datagram has arrived. */
  complete(): boolean {
    return this.total >= 0 && (this.total === 0 || (this.starts.length >= 1 && this.starts[0] === 0 && (this.ends[0] as number) >= this.total));
  }

  /** The reassembled payload (call when `complete()`); earlier pieces overwrite later ones. */
  assemble(): Buffer {
    const out = Buffer.allocUnsafe(this.total);
    for (let i = this.pieces.length - 1; i >= 0; i--) {
      const piece = this.pieces[i] as Buffer;
      const at = this.pieceOffsets[i] as number;
      if (at >= this.total) continue;
      piece.copy(out, at, 0, Math.min(piece.length, this.total - at));
    }
    return out;
  }

  private covers(start: number, end: number): boolean {
    for (let i = 0; i < this.starts.length; i++) {
      if ((this.starts[i] as number) <= start && end <= (this.ends[i] as number)) return true;
    }
    return false;
  }

  /** Merges [start, end) into the sorted, disjoint, non-adjacent ranges. */
  private cover(start: number, end: number): void {
    const starts = this.starts;
    const ends = this.ends;
    // First range that ends at or after `start` (it may touch or overlap).
    let i = 0;
    while (i < starts.length && (ends[i] as number) < start) i++;
    // Ranges i..j-1 overlap or touch [start, end).
    let j = i;
    let s = start;
    let e = end;
    while (j < starts.length && (starts[j] as number) <= end) {
      s = Math.min(s, starts[j] as number);
      e = Math.max(e, ends[j] as number);
      j++;
    }
    starts.splice(i, j - i, s);
    ends.splice(i, j - i, e);
  }
}

/** Options of `FragmentTable`. */
export interface FragmentLimits {
  /** Seconds of frame time a set may wait for its missing fragments. */
  timeoutSec: number;
  /** Bound on the fragment bytes held across all sets; the oldest sets go first. */
  maxBytes: number;
}

/** Pending fragment sets of one decoder. */
export class FragmentTable {
  private readonly sets = new Map<string, FragmentSet>();
  private readonly counters: NetCounters;
  private readonly timeoutSec: number;
  private readonly maxBytes: number;
  private bytes = 0;
  /** Frame time at which the oldest set expires (Infinity when none is pending). */
  private nextDeadline = Infinity;

  constructor(counters: NetCounters, limits: FragmentLimits) {
    this.counters = counters;
    this.timeoutSec = limits.timeoutSec;
    this.maxBytes = limits.maxBytes;
  }

  /** Number of sets waiting for fragments. */
  get pending(): number {
    return this.sets.size;
  }

  /** Bytes of fragment data held. */
  get heldBytes(): number {
    return this.bytes;
  }

  /** Drops sets whose first fragment is more than the timeout older than `now`. */
  expire(now: number): void {
    if (now <= this.nextDeadline) return;
    for (const [key, set] of this.sets) {
      if (now - set.firstSeen <= this.timeoutSec) break;
      this.drop(key, set);
    }
    this.updateDeadline();
  }

  /** The set for `key`, created (with the given identity) when new. */
  get(key: string, now: number, ipVersion: 4 | 6, src: string, dst: string, proto: number): FragmentSet {
    let set = this.sets.get(key);
    if (set === undefined) {
      set = new FragmentSet(now, ipVersion, src, dst, proto);
      this.sets.set(key, set);
      if (this.sets.size === 1) this.nextDeadline = now + this.timeoutSec;
    }
    return set;
  }

  /**
   * Adds one fragment to the set under `key` and returns the set when it is complete
   * (removed from the table), else undefined. The set may also be evicted by the memory
   * bound, in which case undefined is returned too.
   */
  add(key: string, set: FragmentSet, offset: number, data: Buffer, last: boolean): FragmentSet | undefined {
    const added = set.add(offset, data, last);
    this.bytes += added;
    if (set.complete()) {
      this.remove(key, set);
      this.counters.reassembled++;
      return set;
    }
    if (this.bytes > this.maxBytes) {
      for (const [k, s] of this.sets) {
        this.drop(k, s);
        if (this.bytes <= this.maxBytes) break;
      }
      this.updateDeadline();
    }
    return undefined;
  }

  /** End of input: every pending set is counted incomplete. */
  finish(): void {
    this.counters.incompleteFragments += this.sets.size;
    this.sets.clear();
    this.bytes = 0;
    this.nextDeadline = Infinity;
  }

  private drop(key: string, set: FragmentSet): void {
    this.counters.incompleteFragments++;
    this.sets.delete(key);
    this.bytes -= set.bytes;
  }

  private remove(key: string, set: FragmentSet): void {
    this.sets.delete(key);
    this.bytes -= set.bytes;
    this.updateDeadline();
  }

  private updateDeadline(): void {
    this.nextDeadline = Infinity;
    for (const set of this.sets.values()) {
      this.nextDeadline = set.firstSeen + this.timeoutSec;
      break;
    }
  }
}
