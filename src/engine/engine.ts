import type { Frame } from '../pcap/types';
import { NetDecoder } from '../net/decoder';
import { TcpReassembler } from '../net/tcp';
import { newNetCounters, type IpInfo, type NetCounters, type Packet } from '../net/types';
import { parseSipDatagram } from '../sip/parser';
import { SipStreamFramer } from '../sip/stream';
import type { SipMalformed, SipMessage } from '../sip/types';
import { parseHeaders, headerValues } from '../sip/headers';
import { multipartBoundary, multipartSdpRange } from '../sip/sdp';
import type { MediaOwner } from '../rtp/dialog-media';
import { RtpTracker } from '../rtp/rtp-tracker';
import { scanSdpMedia } from '../rtp/sdp-media';
import type { Dialog } from '../store/dialog';
import { ARENA_SOURCE, DialogStore, type ByteLocation, type MessageMeta, type StoreOptions } from '../store/store';

export interface EngineOptions {
  store?: Partial<StoreOptions>;
  /** Match expression (sngrep's positional argument): tested against every message's text. */
  match?: RegExp;
  /** Packet filter on the outermost IP header (the BPF subset for files). */
  ipFilter?: (ip: IpInfo) => boolean;
  /** Called once per distinct link type the decoders do not know. */
  onUnknownLinkType?: (linktype: number) => void;
  /** Seconds of capture time an incomplete IP fragment set is kept (default 30). */
  fragmentTimeoutSec?: number;
  /** Memory bounds of reassembly (defaults in the decoders: 64 MiB, 1 MiB per TCP stream, 16 MiB SCTP). */
  reassembly?: ReassemblyLimits;
}

/** Memory bounds for reassembly; beyond them the oldest state is dropped and counted. */
export interface ReassemblyLimits {
  /** Bytes held for incomplete IP fragment sets, in total. */
  fragmentBytes?: number;
  /** Out-of-order bytes held per TCP stream direction. */
  tcpStreamBytes?: number;
  /** Bytes held by all TCP streams together. */
  tcpTotalBytes?: number;
  /** Bytes held for fragmented SCTP messages, in total. */
  sctpBytes?: number;
}

/** Why frames or payloads did not become SIP messages, and what did. */
export interface EngineCounters {
  frames: number;
  bytes: number;
  /** UDP (later TCP/SCTP/...) payloads that are not SIP. */
  notSip: number;
  /** TLS stream directions we cannot read (ESP that is not null-encrypted is in net.espEncrypted). */
  encrypted: number;
  /** Bytes lost in TCP streams (holes that never filled). */
  tcpGaps: number;
  net: NetCounters;
}

/** How many recent frames stay addressable for fragments completed by a later frame. */
const FRAME_RING = 1 << 16;

/**
 * The pipeline frame → network decoders → SIP parser → dialog store. Pure: no I/O, no
 * clock; sources push frames in capture order and read the store.
 */
export class Engine {
  readonly store: DialogStore;
  readonly counters: EngineCounters;
  private readonly net: NetDecoder;
  /** TCP streams (and WebSocket, TLS recognised) → SIP messages, as Packets like UDP's. */
  private readonly tcp: TcpReassembler;
  private readonly match: RegExp | undefined;
  /** RTP tied to dialogs through their SDP. */
  private readonly rtp: RtpTracker;

  // The frame being decoded and where it went, so messages can point back at it.
  private cur: Frame | undefined;
  private curSource = 0;
  private curHandle = 0;
  private curArenaOffset = -1;
  private nextHandle = 0;

  // Ring of recent frames (struct of arrays; no object per frame), indexed by handle.
  private readonly rSource = new Uint16Array(FRAME_RING);
  private readonly rOffset = new Float64Array(FRAME_RING);
  private readonly rCaplen = new Uint32Array(FRAME_RING);
  private readonly rOrigLen = new Uint32Array(FRAME_RING);
  private readonly rSec = new Float64Array(FRAME_RING);
  private readonly rNsec = new Uint32Array(FRAME_RING);
  private readonly rLinktype = new Uint16Array(FRAME_RING);
  /** Frame row in the store for a ring slot, or -1 while not stored. */
  private readonly rRow = new Int32Array(FRAME_RING).fill(-1);
  private readonly rHandle = new Float64Array(FRAME_RING).fill(-1);

  private readonly onMessage = (m: SipMessage): void => this.addMessage(m);
  private readonly onMalformed = (m: SipMalformed): void => this.addMalformed(m);
  private pkt: Packet | undefined;
  private meta: MessageMeta | undefined;

  constructor(options: EngineOptions = {}) {
    this.store = new DialogStore(options.store);
    this.match = options.match;
    this.counters = { frames: 0, bytes: 0, notSip: 0, encrypted: 0, tcpGaps: 0, net: newNetCounters() };
    this.net = new NetDecoder({
      onPacket: (p) => this.onPacket(p),
      counters: this.counters.net,
      onUnknownLinkType: options.onUnknownLinkType,
      ipFilter: options.ipFilter,
      fragmentTimeoutSec: options.fragmentTimeoutSec,
      maxFragmentBytes: options.reassembly?.fragmentBytes,
      maxSctpBytes: options.reassembly?.sctpBytes,
    });
    this.tcp = new TcpReassembler({
      onPacket: (p) => this.onPacket(p),
      counters: this.counters.net,
      sipFramer: (sink, onNotSip) => new SipStreamFramer(sink, this.counters.net, { onNotSip }),
      onEncrypted: () => void this.counters.encrypted++,
      onGap: (bytes) => void (this.counters.tcpGaps += bytes),
      onNotSip: () => void this.counters.notSip++,
      maxStreamBytes: options.reassembly?.tcpStreamBytes,
      maxTotalBytes: options.reassembly?.tcpTotalBytes,
    });
    this.rtp = new RtpTracker(this.store.rtp);
    this.net.registerTransport(6, (ip, seg, off, frames) => this.tcp.segment(ip, seg, off, this.curHandle, frames));
    // Compaction (-R) renumbers frame rows: keep the recent-frame ring pointing at the right ones.
    this.store.onCompact(({ frames }) => {
      for (let i = 0; i < FRAME_RING; i++) {
        const r = this.rRow[i]!;
        if (r >= 0) this.rRow[i] = r < frames.length ? frames[r]! : -1;
      }
      const alive = new Set<MediaOwner>(this.store.dialogList());
      this.rtp.prune((owner) => alive.has(owner));
    });
  }

  /** Registers a capture source (a file) and returns its id for `ingest`. */
  addSource(name: string): number {
    return this.store.addSource(name);
  }

  /**
   * Decodes one frame. `source` is the id of the file it was read from; when
   * `frame.fileOffset` is -1 (not re-readable), the bytes of frames carrying SIP are kept
   * in memory instead.
   */
  ingest(frame: Frame, source: number): void {
    this.counters.frames++;
    this.counters.bytes += frame.data.length;
    const handle = this.nextHandle++;
    const slot = handle & (FRAME_RING - 1);
    this.rSource[slot] = source;
    this.rOffset[slot] = frame.fileOffset;
    this.rCaplen[slot] = frame.data.length;
    this.rOrigLen[slot] = frame.origLen;
    this.rSec[slot] = frame.sec;
    this.rNsec[slot] = frame.nsec;
    this.rLinktype[slot] = frame.linktype;
    this.rRow[slot] = -1;
    this.rHandle[slot] = handle;
    this.cur = frame;
    this.curSource = source;
    this.curHandle = handle;
    this.curArenaOffset = -1;
    this.net.decode(frame, handle);
    this.cur = undefined;
  }

  /** End of all input: pending fragments are counted as incomplete. */
  finish(): void {
    this.net.finish();
    this.tcp.finish();
  }

  private onPacket(p: Packet): void {
    // RTP/RTCP of an endpoint some SDP announced (never SIP: its first byte is not text).
    if (p.transport === 'UDP' && this.rtp.active) {
      const streams = this.store.rtp.streams;
      if (this.rtp.packet(p)) {
        // A new stream is a new arrow in its call flow, and counts grow: tell the views at
        // each new stream and every 64 packets, not per packet.
        if (this.store.rtp.streams !== streams || (this.store.rtp.rtpPackets & 63) === 0) this.store.version++;
        return;
      }
    }
    this.pkt = p;
    this.meta = undefined;
    let isSip = false;
    try {
      isSip = parseSipDatagram(p.payload, this.onMessage, this.onMalformed);
    } finally {
      this.pkt = undefined;
    }
    if (!isSip) this.counters.notSip++;
  }

  /** The current packet's endpoints and time, made once per packet. */
  private packetMeta(p: Packet): MessageMeta {
    let m = this.meta;
    if (m === undefined) {
      const v6 = p.ipVersion === 6;
      m = {
        src: this.store.endpoint(p.src, p.sport, v6),
        dst: this.store.endpoint(p.dst, p.dport, v6),
        transport: p.transport,
        sec: p.sec,
        nsec: p.nsec,
      };
      this.meta = m;
    }
    return m;
  }

  private addMessage(m: SipMessage): void {
    const p = this.pkt;
    if (p === undefined) return;
    const matched = this.match === undefined || this.matches(p, m.offset, m.length);
    const meta = this.packetMeta(p);
    const dialog = this.store.dialogFor(m, meta, matched);
    if (dialog === undefined) return;
    if (m.hasSdp) this.registerMedia(dialog, p, m);
    const frame = this.cur;
    if (p.frameOffset >= 0 && frame !== undefined && frame.fileOffset >= 0 && p.frames === undefined) {
      // The common case: one frame, bytes contiguous in a re-readable file.
      this.store.append(dialog, m, meta, this.curSource, frame.fileOffset + p.frameOffset + m.offset, m.length, this.rowOf(this.curHandle));
      return;
    }
    const loc = this.locate(p, m.offset, m.length);
    const rows = this.frameRows(p);
    this.store.append(dialog, m, meta, loc.source, loc.offset, loc.length, rows[0] ?? -1, rows.length > 1 ? rows : undefined);
  }

  /** Registers where the SDP of a message says media is received, for the RTP tracker. */
  private registerMedia(dialog: Dialog, p: Packet, m: SipMessage): void {
    const buf = p.payload;
    let start = m.offset + m.length - m.bodyLength;
    let end = m.offset + m.length;
    if (m.contentType.startsWith('multipart/')) {
      const headers = parseHeaders(buf.subarray(m.offset, end)).headers;
      const range = multipartSdpRange(buf, start, end, multipartBoundary(headerValues(headers, 'Content-Type')[0] ?? ''));
      if (range === null) return;
      [start, end] = range;
    }
    const endpoints = scanSdpMedia(buf, start, end);
    if (endpoints.length === 0) return;
    this.rtp.register(dialog, endpoints);
  }

  private addMalformed(m: SipMalformed): void {
    const p = this.pkt;
    if (p === undefined) return;
    const meta = this.packetMeta(p);
    this.store.addMalformed({
      sec: meta.sec,
      nsec: meta.nsec,
      src: this.store.endpointText(meta.src),
      dst: this.store.endpointText(meta.dst),
      reason: m.reason,
      bytes: this.locate(p, m.offset, m.length),
    });
  }

  private matches(p: Packet, offset: number, length: number): boolean {
    const re = this.match;
    if (re === undefined) return true;
    re.lastIndex = 0;
    return re.test(p.payload.toString('utf8', offset, offset + length));
  }

  /** Where a message's bytes can be read back: the capture file when contiguous, else memory. */
  private locate(p: Packet, offset: number, length: number): ByteLocation {
    const frame = this.cur;
    if (p.frameOffset >= 0 && frame !== undefined) {
      if (frame.fileOffset >= 0) {
        return { source: this.curSource, offset: frame.fileOffset + p.frameOffset + offset, length };
      }
      return { source: ARENA_SOURCE, offset: this.currentFrameInArena() + p.frameOffset + offset, length };
    }
    const at = this.store.arena.append(p.payload.subarray(offset, offset + length));
    return { source: ARENA_SOURCE, offset: at, length };
  }

  private currentFrameInArena(): number {
    if (this.curArenaOffset < 0 && this.cur !== undefined) {
      this.curArenaOffset = this.store.arena.append(this.cur.data);
    }
    return this.curArenaOffset;
  }

  /** Store rows of the frames a packet came from, recording each frame once. */
  private frameRows(p: Packet): number[] {
    if (p.frames === undefined) return [this.rowOf(this.curHandle)];
    const rows: number[] = [];
    for (const h of p.frames) {
      const r = this.rowOf(h);
      if (r >= 0 && !rows.includes(r)) rows.push(r);
    }
    return rows;
  }

  private rowOf(handle: number): number {
    const slot = handle & (FRAME_RING - 1);
    if (this.rHandle[slot] !== handle) return -1; // fell out of the ring
    const known = this.rRow[slot]!;
    if (known >= 0) return known;
    let source = this.rSource[slot]!;
    let offset = this.rOffset[slot]!;
    if (offset < 0) {
      if (handle !== this.curHandle) return -1; // an earlier frame from a stream: bytes gone
      source = ARENA_SOURCE;
      offset = this.currentFrameInArena();
    }
    const row = this.store.addFrame({
      source,
      offset,
      caplen: this.rCaplen[slot]!,
      origLen: this.rOrigLen[slot]!,
      sec: this.rSec[slot]!,
      nsec: this.rNsec[slot]!,
      linktype: this.rLinktype[slot]!,
    });
    this.rRow[slot] = row;
    return row;
  }
}

