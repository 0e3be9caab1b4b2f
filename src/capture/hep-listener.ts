/**
 * HEP listener (-L udp:HOST:PORT / tcp:HOST:PORT): receives HEP v1/v2/v3 from any number of
 * capture agents (Kamailio, OpenSIPS, FreeSWITCH, captagent, sngrep -H, sipscope -H) and
 * turns each SIP payload into a Frame the engine ingests like a captured one, so dialogs,
 * call flows, -O and saving work the same as for files.
 *
 * - UDP: one datagram holds one HEP packet (v1/v2) or one or more HEP3 packets back to back.
 * - TCP: HEP3 packets back to back on each connection, framed by the HEP3 total length
 *   (v1/v2 have no length field and cannot be framed on a stream). When a connection's
 *   bytes stop being HEP3, the framer skips to the next "HEP3" magic (counted).
 * - Decoding is src/net/hep.ts's `decodeHep`, the one used for HEP found inside captures.
 * - A frame is synthesized for each payload (see `HepFrameBuilder`): Ethernet with zero
 *   MAC addresses, the inner IPv4/IPv6 addresses, UDP/TCP/SCTP with the inner ports, the
 *   HEP timestamp as capture time, fileOffset -1 (the engine keeps the bytes in memory).
 * - Nothing a sender can send stops the listener: wrong key, truncated or inconsistent
 *   packets, bad compression, unknown chunks are counted in `counters` and skipped.
 */
import * as crypto from 'node:crypto';
import type * as dgram from 'node:dgram';
import * as net from 'node:net';
import {
  decodeHep,
  DEFAULT_MAX_HEP_INFLATE,
  HEP_BAD,
  HEP_BAD_COMPRESSION,
  HEP_NOT_HEP,
  HEP_OK,
  HEP_PROTO_SIP,
  HEP_TRUNCATED,
  newHepMessage,
  type HepMessage,
} from '../net/hep';
import { findHep3Chunk, HEP_CHUNK_AUTH_KEY, HEP3_MAGIC, IPPROTO_SCTP, IPPROTO_TCP } from '../net/hep-encode';
import { LINKTYPE, type Frame } from '../pcap/types';
import { bindUdpSocket, newArrivalClock, describeSocketError, formatEndpoint, resolveEndpoint, type EndpointSpec } from './endpoint-spec';

/** What the listener received and what it did with it. */
export interface HepListenerCounters {
  /** UDP datagrams received. */
  datagrams: number;
  /** TCP connections accepted, and open now. */
  connections: number;
  openConnections: number;
  /** Bytes received (datagrams and stream bytes). */
  bytes: number;
  /** HEP packets decoded. */
  packets: number;
  /** SIP payloads handed on as frames. */
  sip: number;
  /** Frames handed on (SIP ones, and a SYN opening each synthesized TCP flow). */
  frames: number;
  /** HEP packets of another protocol type (RTCP, logs...) or without payload. */
  notSip: number;
  /** Packets without the expected --hep-key (v1/v2 packets carry none: all fail when a key is set). */
  authFailed: number;
  /** Packets shorter than their lengths say. */
  truncated: number;
  /** Inconsistent lengths, fixed-size chunks of the wrong size, missing addresses. */
  bad: number;
  /** Compressed payloads that do not inflate (or inflate beyond the bound). */
  badCompression: number;
  /** Datagrams that are not HEP at all; stream bytes skipped to find the next HEP3 magic. */
  notHep: number;
  notHepBytes: number;
  /** Chunks skipped as unknown (vendor chunks, generic types not used). */
  unknownChunks: number;
  /** SIP payloads too large for a synthesized UDP datagram (above 64 KiB). */
  oversized: number;
  /** TCP connections closed on a socket error. */
  connectionErrors: number;
}

export function newHepListenerCounters(): HepListenerCounters {
  return {
    datagrams: 0,
    connections: 0,
    openConnections: 0,
    bytes: 0,
    packets: 0,
    sip: 0,
    frames: 0,
    notSip: 0,
    authFailed: 0,
    truncated: 0,
    bad: 0,
    badCompression: 0,
    notHep: 0,
    notHepBytes: 0,
    unknownChunks: 0,
    oversized: 0,
    connectionErrors: 0,
  };
}

export interface HepListenerOptions {
  endpoint: EndpointSpec;
  /** Required authentication key (chunk 14); packets without it, or with another, are dropped. */
  authKey?: string;
  /** Each synthesized frame, in arrival order (the Buffer is the frame's own). */
  onFrame(frame: Frame): void;
  /** Capture time for packets that carry none (HEP v1): the receive time. */
  now?: () => { sec: number; nsec: number };
  /** Bound on a decompressed payload (default 1 MiB). */
  maxInflate?: number;
  /** TCP connections accepted at once (default 1024). */
  maxConnections?: number;
}


/** A HEP listener on one endpoint; `open` binds it, `close` releases it. */
export class HepListener {
  readonly counters = newHepListenerCounters();
  readonly endpoint: EndpointSpec;
  private readonly decoder: HepPacketHandler;
  private udp: dgram.Socket | undefined;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly options: HepListenerOptions) {
    this.endpoint = options.endpoint;
    this.decoder = new HepPacketHandler(this.counters, options);
  }

  /** Binds the endpoint; rejects with "cannot listen on udp:...: address in use; ...". */
  static async open(options: HepListenerOptions): Promise<HepListener> {
    const l = new HepListener(options);
    if (options.endpoint.protocol === 'udp') await l.openUdp();
    else await l.openTcp();
    return l;
  }

  /** The port actually bound (differs from the endpoint's when it asked for 0). */
  get port(): number {
    if (this.udp !== undefined) return this.udp.address().port;
    const a = this.server?.address();
    return typeof a === 'object' && a !== null ? a.port : this.endpoint.port;
  }

  /** Stops receiving: closes the socket, the server and every connection. */
  async close(): Promise<void> {
    const udp = this.udp;
    this.udp = undefined;
    if (udp !== undefined) await new Promise<void>((resolve) => udp.close(() => resolve()));
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) {
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private async openUdp(): Promise<void> {
    const socket = await bindUdpSocket(this.options.endpoint);
    socket.on('message', (msg) => {
      this.counters.datagrams++;
      this.counters.bytes += msg.length;
      this.decoder.datagram(msg);
    });
    // After binding, errors (ICMP reports and the like) do not stop a listener.
    socket.on('error', () => undefined);
    this.udp = socket;
  }

  private async openTcp(): Promise<void> {
    const e = this.options.endpoint;
    let address: string;
    try {
      address = (await resolveEndpoint(e)).address;
    } catch (err) {
      throw new Error(`cannot listen on ${formatEndpoint(e)}: ${describeSocketError(err)}`);
    }
    const server = net.createServer((socket) => this.accept(socket));
    server.maxConnections = this.options.maxConnections ?? 1024;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new Error(`cannot listen on ${formatEndpoint(e)}: ${describeSocketError(err)}`));
      server.once('error', onError);
      server.listen({ host: address, port: e.port, exclusive: true }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', () => undefined);
    this.server = server;
  }

  private accept(socket: net.Socket): void {
    const c = this.counters;
    c.connections++;
    c.openConnections++;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const framer = new Hep3StreamFramer(c, (buf, at, end) => this.decoder.packet(buf, at, end));
    socket.on('data', (chunk: Buffer) => {
      c.bytes += chunk.length;
      framer.push(chunk);
    });
    socket.on('error', () => void c.connectionErrors++);
    socket.on('close', () => {
      c.openConnections--;
      this.sockets.delete(socket);
    });
  }
}

/**
 * Cuts a TCP byte stream into HEP3 packets by their total length (bytes 4-5). Keeps at
 * most one partial packet (64 KiB) between chunks. Bytes that are not a HEP3 header are
 * skipped up to the next "HEP3" magic and counted.
 */
export class Hep3StreamFramer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly counters: Pick<HepListenerCounters, 'notHep' | 'notHepBytes' | 'bad'>,
    private readonly onPacket: (buf: Buffer, at: number, end: number) => void,
  ) {}

  push(chunk: Buffer): void {
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let p = 0;
    while (buf.length - p >= 6) {
      if (buf.readUInt32BE(p) !== 0x48455033) {
        // Lost framing: skip to the next magic (keeping 3 bytes that may start one).
        const next = buf.indexOf(HEP3_MAGIC, p + 1);
        const to = next < 0 ? Math.max(p, buf.length - 3) : next;
        this.counters.notHep++;
        this.counters.notHepBytes += to - p;
        p = to;
        if (next < 0) break;
        continue;
      }
      const total = buf.readUInt16BE(p + 4);
      if (total < 6) {
        // A length that cannot be: skip to the next magic (not counted again as not-HEP).
        this.counters.bad++;
        const next = buf.indexOf(HEP3_MAGIC, p + 4);
        p = next < 0 ? Math.max(p + 4, buf.length - 3) : next;
        if (next < 0) break;
        continue;
      }
      if (buf.length - p < total) break;
      this.onPacket(buf, p, p + total);
      p += total;
    }
    // Copy the tail so a 64 KiB chunk is not kept alive by a few bytes of it.
    this.pending = p >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(p));
  }
}

/** Decodes HEP packets, checks the key, counts, and hands SIP payloads on as frames. */
class HepPacketHandler {
  private readonly m: HepMessage = newHepMessage();
  private readonly builder = new HepFrameBuilder();
  private readonly key: Buffer | undefined;
  private readonly maxInflate: number;
  private readonly now: () => { sec: number; nsec: number };

  constructor(
    private readonly c: HepListenerCounters,
    private readonly options: HepListenerOptions,
  ) {
    this.key = options.authKey !== undefined && options.authKey !== '' ? Buffer.from(options.authKey, 'utf8') : undefined;
    this.maxInflate = options.maxInflate ?? DEFAULT_MAX_HEP_INFLATE;
    this.now = options.now ?? newArrivalClock();
  }

  /** One UDP datagram: one v1/v2 packet, or HEP3 packets back to back. */
  datagram(buf: Buffer): void {
    this.packet(buf, 0, buf.length);
  }

  /** The HEP packet(s) in `buf[at..end)`. Never throws. */
  packet(buf: Buffer, at: number, end: number): void {
    const c = this.c;
    const m = this.m;
    let p = at;
    while (p < end) {
      let status;
      try {
        status = decodeHep(buf, p, end, m, this.maxInflate);
      } catch {
        status = HEP_BAD; // decodeHep is total; this only guards the listener
      }
      if (status === HEP_NOT_HEP) {
        if (p === at) c.notHep++;
        else c.bad++; // trailing bytes after a HEP3 packet
        return;
      }
      if (status === HEP_TRUNCATED) {
        c.truncated++;
        return;
      }
      if (status === HEP_BAD) {
        c.bad++;
        return;
      }
      const next = m.next > p ? m.next : end;
      if (status === HEP_BAD_COMPRESSION) {
        c.badCompression++;
        p = next;
        continue;
      }
      if (status !== HEP_OK) return;
      c.packets++;
      c.unknownChunks += m.unknownChunks;
      if (this.key !== undefined && !this.keyMatches(buf, p, m)) {
        c.authFailed++;
        p = next;
        continue;
      }
      const payload = m.payload;
      if (payload === undefined || payload.length === 0 || (m.protoType !== HEP_PROTO_SIP && m.protoType !== -1)) {
        c.notSip++;
        p = next;
        continue;
      }
      const time = m.hasTime ? { sec: m.sec, nsec: m.nsec } : this.now();
      const built = this.builder.build(
        {
          ipVersion: m.ipVersion,
          src: buf.subarray(m.srcAt, m.srcAt + (m.ipVersion === 6 ? 16 : 4)),
          dst: buf.subarray(m.dstAt, m.dstAt + (m.ipVersion === 6 ? 16 : 4)),
          sport: m.sport,
          dport: m.dport,
          ipProto: m.ipProto,
          sec: time.sec,
          nsec: time.nsec,
          payload,
        },
        (f) => {
          c.frames++;
          this.options.onFrame(f);
        },
      );
      if (built) c.sip++;
      else c.oversized++;
      p = next;
    }
  }

  private keyMatches(buf: Buffer, at: number, m: HepMessage): boolean {
    const key = this.key;
    if (key === undefined) return true;
    if (m.version !== 3) return false;
    const range = findHep3Chunk(buf, at, HEP_CHUNK_AUTH_KEY);
    if (range === undefined) return false;
    const got = buf.subarray(range[0], range[1]);
    return got.length === key.length && crypto.timingSafeEqual(got, key);
  }
}

/** The inner packet a frame is synthesized for. */
export interface InnerPacket {
  ipVersion: 4 | 6;
  /** 4 or 16 bytes. */
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
  /** 17 UDP, 6 TCP, 132 SCTP; anything else is synthesized as UDP. */
  ipProto: number;
  sec: number;
  nsec: number;
  payload: Buffer;
}

/*
 * Synthesized frames (all integers network order):
 *   Ethernet II: destination MAC (6, zero)  source MAC (6, zero)  EtherType (2: 0x0800 / 0x86DD)
 *   IPv4 (RFC 791): 0x45  TOS 0  total length  identification (counter)  flags DF  TTL 64
 *     protocol  header checksum  source  destination
 *   IPv6 (RFC 8200): 0x60000000  payload length  next header  hop limit 64  source  destination
 *   UDP (RFC 768): ports, length, checksum (over the pseudo-header; 0xFFFF for a computed 0)
 *   TCP (RFC 9293): ports, seq, ack 0, data offset 5, PSH|ACK (SYN for a flow's first
 *     frame), window 65535, checksum, urgent 0. Each inner 4-tuple is one stream: a SYN
 *     opens it, payloads follow in sequence, so the engine's TCP reassembly and SIP stream
 *     framing see a complete connection (and a message an agent sent in two HEP packets
 *     is joined). A flow silent for FLOW_IDLE_SEC of HEP time is opened again with a new SYN.
 *   SCTP (RFC 9260): ports, verification tag 0, CRC32c; one DATA chunk (B|E; split in
 *     several when large) with a TSN counter, stream 0, PPID 0.
 */
const ETH_HEADER = 14;
const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const UDP_HEADER = 8;
const TCP_HEADER = 20;
const SCTP_HEADER = 12;
const SCTP_DATA_HEADER = 16;
/** Largest transport payload put in one synthesized IP packet (IPv4 total length is 16 bits). */
const MAX_SEGMENT = 65000;
const FLOW_IDLE_SEC = 60;
const MAX_FLOWS = 65536;

interface TcpFlow {
  next: number;
  lastSec: number;
}

/** Builds Ethernet/IP/transport frames around HEP payloads; keeps per-flow TCP sequence state. */
export class HepFrameBuilder {
  private ipId = 0;
  private isn = 0x1000;
  private tsn = 1;
  private readonly flows = new Map<string, TcpFlow>();

  /** Emits the frame(s) for `p`; false when a UDP payload is too large to be one datagram. */
  build(p: InnerPacket, emit: (f: Frame) => void): boolean {
    if (p.ipProto === IPPROTO_TCP) {
      this.tcp(p, emit);
      return true;
    }
    if (p.ipProto === IPPROTO_SCTP) {
      this.sctp(p, emit);
      return true;
    }
    if (p.payload.length > MAX_SEGMENT) return false;
    const l4 = Buffer.alloc(UDP_HEADER + p.payload.length);
    l4.writeUInt16BE(p.sport, 0);
    l4.writeUInt16BE(p.dport, 2);
    l4.writeUInt16BE(l4.length, 4);
    p.payload.copy(l4, UDP_HEADER);
    emit(this.frame(p, 17, l4, 6));
    return true;
  }

  private tcp(p: InnerPacket, emit: (f: Frame) => void): void {
    const key = `${Buffer.from(p.src).toString('hex')}.${p.sport}>${Buffer.from(p.dst).toString('hex')}.${p.dport}`;
    let flow = this.flows.get(key);
    if (flow !== undefined && Math.abs(p.sec - flow.lastSec) > FLOW_IDLE_SEC) {
      this.flows.delete(key);
      flow = undefined;
    }
    if (flow === undefined) {
      if (this.flows.size >= MAX_FLOWS) this.flows.clear();
      const isn = this.isn;
      this.isn = (this.isn + 0x01000000 + 0x1000) >>> 0;
      emit(this.frame(p, 6, this.tcpSegment(p, isn, 0x02, Buffer.alloc(0)), 16));
      flow = { next: (isn + 1) >>> 0, lastSec: p.sec };
      this.flows.set(key, flow);
    }
    flow.lastSec = p.sec;
    for (let at = 0; at < p.payload.length; at += MAX_SEGMENT) {
      const data = p.payload.subarray(at, Math.min(p.payload.length, at + MAX_SEGMENT));
      emit(this.frame(p, 6, this.tcpSegment(p, flow.next, 0x18, data), 16));
      flow.next = (flow.next + data.length) >>> 0;
    }
  }

  private tcpSegment(p: InnerPacket, seq: number, flags: number, data: Buffer): Buffer {
    const s = Buffer.alloc(TCP_HEADER + data.length);
    s.writeUInt16BE(p.sport, 0);
    s.writeUInt16BE(p.dport, 2);
    s.writeUInt32BE(seq >>> 0, 4);
    s.writeUInt32BE(0, 8);
    s[12] = (TCP_HEADER / 4) << 4;
    s[13] = flags;
    s.writeUInt16BE(0xffff, 14);
    data.copy(s, TCP_HEADER);
    return s;
  }

  private sctp(p: InnerPacket, emit: (f: Frame) => void): void {
    const n = Math.max(1, Math.ceil(p.payload.length / MAX_SEGMENT));
    for (let i = 0; i < n; i++) {
      const data = p.payload.subarray(i * MAX_SEGMENT, Math.min(p.payload.length, (i + 1) * MAX_SEGMENT));
      const padded = (data.length + 3) & ~3;
      const s = Buffer.alloc(SCTP_HEADER + SCTP_DATA_HEADER + padded);
      s.writeUInt16BE(p.sport, 0);
      s.writeUInt16BE(p.dport, 2);
      // 4: verification tag 0; 8: checksum, below
      const c = SCTP_HEADER;
      s[c] = 0; // DATA
      s[c + 1] = (i === 0 ? 0x02 : 0) | (i === n - 1 ? 0x01 : 0); // B, E
      s.writeUInt16BE(SCTP_DATA_HEADER + data.length, c + 2);
      s.writeUInt32BE(this.tsn, c + 4);
      this.tsn = (this.tsn + 1) >>> 0;
      // c + 8: stream 0, c + 10: stream sequence 0, c + 12: PPID 0
      data.copy(s, c + SCTP_DATA_HEADER);
      s.writeUInt32LE(crc32c(s), 8);
      emit(this.frame(p, 132, s, -1));
    }
  }

  /** Ethernet + IP around a transport segment; fills its checksum at `checksumAt` (-1: none). */
  private frame(p: InnerPacket, proto: number, l4: Buffer, checksumAt: number): Frame {
    const v6 = p.ipVersion === 6;
    const ipLen = v6 ? IPV6_HEADER : IPV4_HEADER;
    const data = Buffer.alloc(ETH_HEADER + ipLen + l4.length);
    data.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
    const ip = ETH_HEADER;
    if (v6) {
      data.writeUInt32BE(0x60000000, ip);
      data.writeUInt16BE(l4.length, ip + 4);
      data[ip + 6] = proto;
      data[ip + 7] = 64;
      data.set(p.src, ip + 8);
      data.set(p.dst, ip + 24);
    } else {
      data[ip] = 0x45;
      data.writeUInt16BE(IPV4_HEADER + l4.length, ip + 2);
      data.writeUInt16BE(this.ipId, ip + 4);
      this.ipId = (this.ipId + 1) & 0xffff;
      data.writeUInt16BE(0x4000, ip + 6); // DF
      data[ip + 8] = 64;
      data[ip + 9] = proto;
      data.set(p.src, ip + 12);
      data.set(p.dst, ip + 16);
      data.writeUInt16BE(~sum16(data, ip, ip + IPV4_HEADER, 0) & 0xffff, ip + 10);
    }
    if (checksumAt >= 0) {
      // Pseudo-header (RFC 768 / RFC 8200 §8.1): addresses, protocol, transport length.
      let sum = sum16(Buffer.from(p.src), 0, p.src.length, 0);
      sum = sum16(Buffer.from(p.dst), 0, p.dst.length, sum);
      sum += proto + (l4.length & 0xffff) + (l4.length >>> 16);
      sum = sum16(l4, 0, l4.length, sum);
      let check = ~fold(sum) & 0xffff;
      if (check === 0 && proto === 17) check = 0xffff;
      l4.writeUInt16BE(check, checksumAt);
    }
    l4.copy(data, ETH_HEADER + ipLen);
    return { linktype: LINKTYPE.ETHERNET, sec: p.sec, nsec: p.nsec, data, origLen: data.length, fileOffset: -1, ifIndex: 0 };
  }
}

/** One's-complement sum of 16-bit words (RFC 1071), not folded. */
function sum16(b: Buffer, start: number, end: number, initial: number): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((b[i] as number) << 8) | (b[i + 1] as number);
  if (i < end) sum += (b[i] as number) << 8;
  return fold(sum);
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** CRC32c (Castagnoli, reflected polynomial 0x82F63B78) as SCTP uses it (RFC 9260 Appendix A). */
function crc32c(data: Buffer): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    crc ^= data[i] as number;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}
