import * as fs from 'node:fs';
import { NetDecoder } from '../net/decoder';
import { newNetCounters, type Packet } from '../net/types';
import { CaptureReader } from '../pcap/reader';
import type { Frame } from '../pcap/types';
import type { DialogMedia } from '../rtp/dialog-media';

/*
 * Finds again, at save time, the frames of the RTP streams tied to some dialogs: RTP
 * packets are counted while loading, not stored, so their frames are found by reading the
 * capture files once more, decoding each frame only as far as its UDP addresses and ports.
 *
 * A frame is kept when a UDP datagram in it goes from the sender to the receiver of one
 * of the streams (any payload: RTCP multiplexed on the RTP ports comes along) at a time
 * between the stream's first and last packet, or is RTCP (RFC 3550 §6, packet types
 * 192-223) between the next ports up (RFC 3550 §11) within RTCP_GRACE_SEC of that span.
 *
 * Memory: per file one chunk of input and the kept frames found in it.
 */

/** RTCP reports go out every 5 s at least (RFC 3550 §6.2): how far around the RTP span they are looked for. */
const RTCP_GRACE_SEC = 5;
const CHUNK = 1 << 20;

/** A time span of packets between one (source, destination) pair of address and port. */
interface Span {
  fromSec: number;
  fromNsec: number;
  toSec: number;
  toNsec: number;
  /** Only RTCP packets count (the ports next to a stream's). */
  rtcp: boolean;
}

/** The RTP streams to look for, by "src sport dst dport". */
export type MediaSpans = Map<string, Span[]>;

function key(src: string, sport: number, dst: string, dport: number): string {
  return `${src} ${sport} ${dst} ${dport}`;
}

/** The spans of the streams of these dialogs' media (empty when none has RTP). */
export function mediaSpans(medias: Iterable<DialogMedia | undefined>): MediaSpans {
  const spans: MediaSpans = new Map();
  const add = (k: string, s: Span): void => {
    const list = spans.get(k);
    if (list === undefined) spans.set(k, [s]);
    else list.push(s);
  };
  for (const m of medias) {
    for (const s of m?.streams ?? []) {
      add(key(s.srcIp, s.srcPort, s.dstIp, s.dstPort), { fromSec: s.firstSec, fromNsec: s.firstNsec, toSec: s.lastSec, toNsec: s.lastNsec, rtcp: false });
      if (s.srcPort < 65535 && s.dstPort < 65535) {
        const around = { fromSec: s.firstSec - RTCP_GRACE_SEC, fromNsec: s.firstNsec, toSec: s.lastSec + RTCP_GRACE_SEC, toNsec: s.lastNsec, rtcp: true };
        add(key(s.srcIp, s.srcPort + 1, s.dstIp, s.dstPort + 1), around);
      }
    }
  }
  return spans;
}

function within(s: Span, sec: number, nsec: number): boolean {
  const afterStart = sec > s.fromSec || (sec === s.fromSec && nsec >= s.fromNsec);
  const beforeEnd = sec < s.toSec || (sec === s.toSec && nsec <= s.toNsec);
  return afterStart && beforeEnd;
}

function isRtcp(b: Buffer): boolean {
  return b.length >= 8 && (b[0]! & 0xc0) === 0x80 && b[1]! >= 192 && b[1]! <= 223;
}

/** True when the datagram belongs to one of the spans. */
export function packetInSpans(spans: MediaSpans, p: Packet): boolean {
  if (p.transport !== 'UDP') return false;
  const list = spans.get(key(p.src, p.sport, p.dst, p.dport));
  if (list === undefined) return false;
  for (const s of list) if (within(s, p.sec, p.nsec) && (!s.rtcp || isRtcp(p.payload))) return true;
  return false;
}

/** A kept frame and the source (input) it was read from. */
export interface MediaFrame extends Frame {
  source: number;
}

/**
 * One capture file read in order, yielding only the frames `keep` accepts. `peek` reads
 * chunks until a kept frame is at hand or the file ends. Throws nothing: a file that
 * cannot be read or is not a capture ends at once with `problem` set.
 */
class FileScan {
  private fd = -1;
  private queue: MediaFrame[] = [];
  private head = 0;
  private done = false;
  private readonly reader: CaptureReader;
  problem: string | undefined;

  constructor(
    readonly source: number,
    private readonly file: string,
    keep: (f: Frame) => boolean,
  ) {
    this.reader = new CaptureReader({
      onFrame: (f) => {
        if (keep(f)) this.queue.push({ ...f, source });
      },
      onIssue: (issue) => {
        if (issue.fatal && this.reader.format === undefined) this.problem = `${file} is not a pcap or pcapng file`;
      },
    });
    try {
      this.fd = fs.openSync(file, 'r');
    } catch (err) {
      this.problem = `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
      this.done = true;
    }
  }

  peek(): MediaFrame | undefined {
    while (this.head >= this.queue.length && !this.done) {
      this.queue = [];
      this.head = 0;
      this.readChunk();
    }
    return this.queue[this.head];
  }

  take(): void {
    this.head++;
  }

  private readChunk(): void {
    const buf = Buffer.allocUnsafe(CHUNK);
    let n = 0;
    try {
      n = fs.readSync(this.fd, buf, 0, CHUNK, null);
    } catch (err) {
      this.problem = `cannot read ${this.file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    }
    if (n > 0 && this.problem === undefined) {
      this.reader.push(buf.subarray(0, n));
      if (!this.reader.failed) return;
    } else {
      this.reader.end();
    }
    this.done = true;
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
    this.done = true;
  }
}

/**
 * The frames of the spans' streams in the capture files, merged in time order across
 * files (each file in its own order), skipping frames `skip(source, fileOffset)` names
 * (those already written as SIP). Problems (unreadable file, not a capture) are pushed
 * to `problems`; the other files are still read.
 */
export function* mediaFrames(
  files: readonly { source: number; path: string }[],
  spans: MediaSpans,
  skip: (source: number, fileOffset: number) => boolean,
  problems: string[],
): Generator<MediaFrame> {
  const scans = files.map(({ source, path }) => {
    let hit = false;
    const decoder = new NetDecoder({
      onPacket: (p) => {
        if (!hit && packetInSpans(spans, p)) hit = true;
      },
      counters: newNetCounters(),
      sctp: false,
    });
    let handle = 0;
    return new FileScan(source, path, (f) => {
      if (skip(source, f.fileOffset)) return false;
      hit = false;
      decoder.decode(f, handle++);
      return hit;
    });
  });
  try {
    for (;;) {
      let best: FileScan | undefined;
      let bestFrame: MediaFrame | undefined;
      for (const s of scans) {
        const f = s.peek();
        if (f !== undefined && (bestFrame === undefined || f.sec < bestFrame.sec || (f.sec === bestFrame.sec && f.nsec < bestFrame.nsec))) {
          best = s;
          bestFrame = f;
        }
      }
      if (best === undefined || bestFrame === undefined) break;
      best.take();
      yield bestFrame;
    }
  } finally {
    for (const s of scans) {
      s.close();
      if (s.problem !== undefined) problems.push(s.problem);
    }
  }
}

/** True when the file is a classic pcap with microsecond timestamps (its frames fit a µs file). */
export function isMicrosecondPcap(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const b = Buffer.alloc(4);
      if (fs.readSync(fd, b, 0, 4, 0) < 4) return false;
      return b.readUInt32LE(0) === 0xa1b2c3d4 || b.readUInt32BE(0) === 0xa1b2c3d4;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return true; // unreadable: it adds no frame
  }
}
