/**
 * Builders of network packets for tests: UDP, IPv4/IPv6 (with fragments and extension
 * headers) and link layers, down to a ready Frame. Checksums are computed so that the
 * result also reads cleanly in Wireshark/tshark.
 *
 *   const f = udpFrame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 5060, dport: 5060, payload: 'OPTIONS ...' });
 *   decoder.decode(frame(f), 0);
 */
import { deflateSync } from 'node:zlib';
import type { Frame } from '../../src/pcap/types';
import { LINKTYPE } from '../../src/pcap/types';
import { parseIpv4, parseIpv6 } from '../../src/net/address';
import { NetDecoder, type NetDecoderOptions } from '../../src/net/decoder';
import { newNetCounters, type NetCounters, type Packet } from '../../src/net/types';

export type Bytes = Buffer | string;

function bytes(b: Bytes): Buffer {
  return typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
}

function v4(addr: string): Buffer {
  const b = parseIpv4(addr);
  if (b === undefined) throw new Error(`not an IPv4 address: ${addr}`);
  return b;
}

function v6(addr: string): Buffer {
  const b = parseIpv6(addr);
  if (b === undefined) throw new Error(`not an IPv6 address: ${addr}`);
  return b;
}

/** Internet checksum (RFC 1071) of the concatenated buffers. */
export function inetChecksum(...parts: Buffer[]): number {
  let sum = 0;
  let odd = -1; // pending high byte across part boundaries
  for (const p of parts) {
    for (const byte of p) {
      if (odd < 0) odd = byte;
      else {
        sum += (odd << 8) | byte;
        odd = -1;
      }
    }
  }
  if (odd >= 0) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface UdpSpec {
  sport: number;
  dport: number;
  payload: Bytes;
  /** Override of the length field (default 8 + payload length). */
  length?: number;
  /** Addresses for the checksum (IPv4 or IPv6 text); without them the checksum is 0. */
  src?: string;
  dst?: string;
}

/** A UDP header and payload (RFC 768). */
export function udp(spec: UdpSpec): Buffer {
  const payload = bytes(spec.payload);
  const out = Buffer.alloc(8 + payload.length);
  out.writeUInt16BE(spec.sport, 0);
  out.writeUInt16BE(spec.dport, 2);
  out.writeUInt16BE(spec.length ?? (8 + payload.length) & 0xffff, 4);
  payload.copy(out, 8);
  if (spec.src !== undefined && spec.dst !== undefined) {
    const sum = transportChecksum(spec.src, spec.dst, 17, out);
    out.writeUInt16BE(sum === 0 ? 0xffff : sum, 6);
  }
  return out;
}

/** UDP/TCP checksum of `segment` (checksum field zero) over the IPv4 or IPv6 pseudo-header. */
function transportChecksum(src: string, dst: string, proto: number, segment: Buffer): number {
  const isV6 = src.includes(':');
  const pseudo = Buffer.alloc(isV6 ? 8 : 4);
  if (isV6) {
    pseudo.writeUInt32BE(segment.length, 0);
    pseudo[7] = proto;
  } else {
    pseudo[1] = proto;
    pseudo.writeUInt16BE(segment.length, 2);
  }
  return inetChecksum(isV6 ? v6(src) : v4(src), isV6 ? v6(dst) : v4(dst), pseudo, segment);
}

export interface Ipv4Spec {
  src: string;
  dst: string;
  /** Protocol (default 17, UDP). */
  proto?: number;
  id?: number;
  ttl?: number;
  payload: Bytes;
  /** More-fragments flag. */
  mf?: boolean;
  /** Don't-fragment flag. */
  df?: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  fragOffset?: number;
  /** Options (padded to a multiple of 4 bytes). */
  options?: Buffer;
  /** Override of the total length field. */
  totalLength?: number;
  /** Override of the first byte (version and IHL). */
  versionIhl?: number;
}

/** An IPv4 packet (RFC 791) with a correct header checksum. */
export function ipv4(spec: Ipv4Spec): Buffer {
  const payload = bytes(spec.payload);
  const opts = spec.options ?? Buffer.alloc(0);
  const optLen = Math.ceil(opts.length / 4) * 4;
  const hl = 20 + optLen;
  const out = Buffer.alloc(hl + payload.length);
  out[0] = spec.versionIhl ?? 0x40 | (hl / 4);
  out.writeUInt16BE(spec.totalLength ?? (hl + payload.length) & 0xffff, 2);
  out.writeUInt16BE(spec.id ?? 0, 4);
  const off = spec.fragOffset ?? 0;
  if (off % 8 !== 0) throw new Error(`fragment offset ${off} is not a multiple of 8`);
  out.writeUInt16BE((spec.mf === true ? 0x2000 : 0) | (spec.df === true ? 0x4000 : 0) | (off / 8), 6);
  out[8] = spec.ttl ?? 64;
  out[9] = spec.proto ?? 17;
  v4(spec.src).copy(out, 12);
  v4(spec.dst).copy(out, 16);
  opts.copy(out, 20);
  out.writeUInt16BE(inetChecksum(out.subarray(0, hl)), 10);
  payload.copy(out, hl);
  return out;
}

/**
 * One IPv6 extension header. `data` is what follows its first two bytes (next header,
 * length), zero-padded to the header's unit (8 bytes; 4 for AH, 51). For a fragment
 * header (44) use `ipv6FragmentHeader`.
 */
export interface ExtHeader {
  type: number;
  data?: Buffer;
}

/** Fragment header body (RFC 8200 4.5): offset in bytes (multiple of 8), M flag, id. */
export function ipv6FragmentHeader(fragOffset: number, more: boolean, id: number): ExtHeader {
  const data = Buffer.alloc(6);
  data.writeUInt16BE((fragOffset & 0xfff8) | (more ? 1 : 0), 0);
  data.writeUInt32BE(id >>> 0, 2);
  return { type: 44, data };
}

export interface Ipv6Spec {
  src: string;
  dst: string;
  /** Upper-layer protocol after the extension headers (default 17, UDP). */
  nextHeader?: number;
  hopLimit?: number;
  payload: Bytes;
  extHeaders?: ExtHeader[];
  /** Override of the payload length field. */
  payloadLength?: number;
}

function extHeaderBytes(h: ExtHeader, next: number): Buffer {
  const data = h.data ?? Buffer.alloc(0);
  if (h.type === 44) {
    const out = Buffer.alloc(8);
    out[0] = next;
    data.copy(out, 2, 0, Math.min(6, data.length));
    return out;
  }
  // Generic headers: 8-byte units, at least 8 bytes. AH (RFC 4302 2): 4-byte units, at least 12.
  const isAh = h.type === 51;
  const unit = isAh ? 4 : 8;
  const len = Math.max(isAh ? 12 : 8, Math.ceil((2 + data.length) / unit) * unit);
  const out = Buffer.alloc(len);
  out[0] = next;
  out[1] = isAh ? len / 4 - 2 : len / 8 - 1;
  data.copy(out, 2);
  return out;
}

/** An IPv6 packet (RFC 8200) with optional extension headers chained in order. */
export function ipv6(spec: Ipv6Spec): Buffer {
  const payload = bytes(spec.payload);
  const upper = spec.nextHeader ?? 17;
  const exts = spec.extHeaders ?? [];
  const extBufs = exts.map((h, i) => extHeaderBytes(h, exts[i + 1]?.type ?? upper));
  const body = Buffer.concat([...extBufs, payload]);
  const out = Buffer.alloc(40 + body.length);
  out.writeUInt32BE(0x60000000, 0);
  out.writeUInt16BE(spec.payloadLength ?? body.length & 0xffff, 4);
  out[6] = exts[0]?.type ?? upper;
  out[7] = spec.hopLimit ?? 64;
  v6(spec.src).copy(out, 8);
  v6(spec.dst).copy(out, 24);
  body.copy(out, 40);
  return out;
}

export interface FragmentIdentity {
  src: string;
  dst: string;
  /** Protocol of the datagram (default 17). */
  proto?: number;
  id: number;
}

function chunkSize(fragmentPayloadSize: number): number {
  const size = Math.floor(fragmentPayloadSize / 8) * 8;
  if (size <= 0) throw new Error(`fragment payload size ${fragmentPayloadSize} is below 8`);
  return size;
}

/**
 * The IPv4 fragments (full packets, in order) of a datagram whose IP payload is
 * `datagramPayload` (e.g. `udp(...)`), each carrying at most `fragmentPayloadSize` bytes
 * (rounded down to a multiple of 8).
 */
export function fragmentIpv4(datagramPayload: Bytes, ident: FragmentIdentity, fragmentPayloadSize: number): Buffer[] {
  const data = bytes(datagramPayload);
  const size = chunkSize(fragmentPayloadSize);
  const out: Buffer[] = [];
  for (let at = 0; at < data.length || at === 0; at += size) {
    const end = Math.min(at + size, data.length);
    out.push(
      ipv4({
        src: ident.src,
        dst: ident.dst,
        proto: ident.proto ?? 17,
        id: ident.id,
        payload: data.subarray(at, end),
        mf: end < data.length,
        fragOffset: at,
      }),
    );
    if (end >= data.length) break;
  }
  return out;
}

/**
 * The IPv6 fragments (full packets, in order) of a datagram whose fragmentable part is
 * `datagramPayload`, each carrying at most `fragmentPayloadSize` bytes of it (rounded down
 * to a multiple of 8). `extHeaders` go in every fragment before the fragment header.
 */
export function fragmentIpv6(
  datagramPayload: Bytes,
  ident: FragmentIdentity & { extHeaders?: ExtHeader[] },
  fragmentPayloadSize: number,
): Buffer[] {
  const data = bytes(datagramPayload);
  const size = chunkSize(fragmentPayloadSize);
  const out: Buffer[] = [];
  for (let at = 0; at < data.length || at === 0; at += size) {
    const end = Math.min(at + size, data.length);
    out.push(
      ipv6({
        src: ident.src,
        dst: ident.dst,
        nextHeader: ident.proto ?? 17,
        payload: data.subarray(at, end),
        extHeaders: [...(ident.extHeaders ?? []), ipv6FragmentHeader(at, end < data.length, ident.id)],
      }),
    );
    if (end >= data.length) break;
  }
  return out;
}

/** EtherType for an IP packet, from its version nibble. */
function etherTypeOf(ip: Buffer): number {
  return ip.length > 0 && (ip[0] as number) >> 4 === 6 ? 0x86dd : 0x0800;
}

export interface EthernetSpec {
  /** Default: IPv4 or IPv6 from the payload's version nibble. */
  ethertype?: number;
  /** VLAN ids, outer first. */
  vlans?: number[];
  /** Outer tag uses TPID 0x88a8 (802.1ad) instead of 0x8100. */
  qinq?: boolean;
  /** Pad to the 60-byte Ethernet minimum (as a NIC does on the wire). */
  pad?: boolean;
  srcMac?: string;
  dstMac?: string;
}

function mac(text: string): Buffer {
  return Buffer.from(text.replace(/[:-]/g, ''), 'hex');
}

/** An Ethernet II frame (without FCS), optionally 802.1Q / QinQ tagged. */
export function ethernet(payload: Bytes, spec: EthernetSpec = {}): Buffer {
  const p = bytes(payload);
  const vlans = spec.vlans ?? [];
  const head = Buffer.alloc(14 + 4 * vlans.length);
  mac(spec.dstMac ?? '02:00:00:00:00:02').copy(head, 0);
  mac(spec.srcMac ?? '02:00:00:00:00:01').copy(head, 6);
  let at = 12;
  vlans.forEach((id, i) => {
    head.writeUInt16BE(i === 0 && spec.qinq === true ? 0x88a8 : 0x8100, at);
    head.writeUInt16BE(id & 0x0fff, at + 2);
    at += 4;
  });
  head.writeUInt16BE(spec.ethertype ?? etherTypeOf(p), at);
  const frame = Buffer.concat([head, p]);
  if (spec.pad === true && frame.length < 60) return Buffer.concat([frame, Buffer.alloc(60 - frame.length)]);
  return frame;
}

/** A Linux cooked capture v1 frame (LINKTYPE_LINUX_SLL): incoming, ARPHRD_ETHER. */
export function sll(payload: Bytes, protocol: number): Buffer {
  const p = bytes(payload);
  const head = Buffer.alloc(16);
  head.writeUInt16BE(0, 0); // packet type: to us
  head.writeUInt16BE(1, 2); // ARPHRD_ETHER
  head.writeUInt16BE(6, 4);
  mac('02:00:00:00:00:01').copy(head, 6);
  head.writeUInt16BE(protocol, 14);
  return Buffer.concat([head, p]);
}

/** A Linux cooked capture v2 frame (LINKTYPE_LINUX_SLL2): interface 1, ARPHRD_ETHER. */
export function sll2(payload: Bytes, protocol: number): Buffer {
  const p = bytes(payload);
  const head = Buffer.alloc(20);
  head.writeUInt16BE(protocol, 0);
  head.writeUInt32BE(1, 4); // interface index
  head.writeUInt16BE(1, 8); // ARPHRD_ETHER
  head[10] = 0; // packet type: to us
  head[11] = 6;
  mac('02:00:00:00:00:01').copy(head, 12);
  return Buffer.concat([head, p]);
}

/** A BSD loopback frame: 4-byte address family (NULL: either byte order; LOOP: big-endian). */
export function nullLoop(payload: Bytes, family: number, bigEndian: boolean): Buffer {
  const head = Buffer.alloc(4);
  if (bigEndian) head.writeUInt32BE(family, 0);
  else head.writeUInt32LE(family, 0);
  return Buffer.concat([head, bytes(payload)]);
}

export type LinkKind = 'ethernet' | 'sll' | 'sll2' | 'raw' | 'null';

export interface UdpFrameSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload: Bytes;
  /** Default 'ethernet'. */
  link?: LinkKind;
}

export interface LinkFrame {
  linktype: number;
  data: Buffer;
}

/** An IP packet wrapped in a link layer. */
export function linkFrame(ip: Buffer, link: LinkKind = 'ethernet'): LinkFrame {
  const ethertype = etherTypeOf(ip);
  switch (link) {
    case 'ethernet':
      return { linktype: LINKTYPE.ETHERNET, data: ethernet(ip) };
    case 'sll':
      return { linktype: LINKTYPE.LINUX_SLL, data: sll(ip, ethertype) };
    case 'sll2':
      return { linktype: LINKTYPE.LINUX_SLL2, data: sll2(ip, ethertype) };
    case 'raw':
      return { linktype: LINKTYPE.RAW, data: ip };
    case 'null':
      return { linktype: LINKTYPE.NULL, data: nullLoop(ip, ethertype === 0x86dd ? 30 : 2, false) };
  }
}

/** A UDP datagram (IPv4 or IPv6 by the address form) in a link layer, checksums set. */
export function udpFrame(spec: UdpFrameSpec): LinkFrame {
  const u = udp({ sport: spec.sport, dport: spec.dport, payload: spec.payload, src: spec.src, dst: spec.dst });
  const ip = spec.src.includes(':') ? ipv6({ src: spec.src, dst: spec.dst, payload: u }) : ipv4({ src: spec.src, dst: spec.dst, payload: u });
  return linkFrame(ip, spec.link);
}

/** A Frame (src/pcap/types.ts) around link-layer bytes, at capture time sec.nsec. */
export function frame(f: LinkFrame, sec = 1_700_000_000, nsec = 0): Frame {
  return { linktype: f.linktype, sec, nsec, data: f.data, origLen: f.data.length, fileOffset: -1, ifIndex: 0 };
}

/** What `decodeFrames` saw: packets (payloads copied), counters and unknown link types. */
export interface Decoded {
  packets: Packet[];
  counters: NetCounters;
  unknownLinkTypes: number[];
  decoder: NetDecoder;
}

/**
 * Runs frames through a fresh NetDecoder (handles 0, 1, 2... in order) and, unless
 * `finish` is false, ends the input.
 */
export function decodeFrames(
  frames: Frame[],
  opts: Partial<Omit<NetDecoderOptions, 'onPacket' | 'counters'>> & { finish?: boolean } = {},
): Decoded {
  const packets: Packet[] = [];
  const unknownLinkTypes: number[] = [];
  const counters = newNetCounters();
  const decoder = new NetDecoder({
    ...opts,
    counters,
    onPacket: (p) => packets.push({ ...p, payload: Buffer.from(p.payload) }),
    onUnknownLinkType: (lt) => {
      unknownLinkTypes.push(lt);
      opts.onUnknownLinkType?.(lt);
    },
  });
  frames.forEach((f, i) => decoder.decode(f, i));
  if (opts.finish !== false) decoder.finish();
  return { packets, counters, unknownLinkTypes, decoder };
}

// ---------------------------------------------------------------------------------------
// Tunnels and encapsulations (src/net/tunnels.ts, src/net/link.ts). Each builder returns
// the encapsulation header followed by its payload; wrap the result in the outer layer
// (ipv4/ipv6 with the right protocol, udp to the right port, ethernet with the EtherType).
// ---------------------------------------------------------------------------------------

export interface GreSpec {
  /** Protocol type (an EtherType): 0x0800, 0x86dd, 0x6558, 0x88be, 0x22eb... */
  protocol: number;
  payload: Bytes;
  /** Checksum present (C): a correct checksum over header and payload (RFC 2784 2.5). */
  checksum?: boolean;
  /** Key present (K) with this value (RFC 2890 2.1). */
  key?: number;
  /** Sequence number present (S) with this value (RFC 2890 2.2). */
  seq?: number;
  /** Version field (default 0). */
  version?: number;
}

/** A GRE header (RFC 2784, RFC 2890) and its payload; carry it in IP protocol 47. */
export function gre(spec: GreSpec): Buffer {
  const payload = bytes(spec.payload);
  const hasC = spec.checksum === true;
  const hasK = spec.key !== undefined;
  const hasS = spec.seq !== undefined;
  const head = Buffer.alloc(4 + (hasC ? 4 : 0) + (hasK ? 4 : 0) + (hasS ? 4 : 0));
  head[0] = (hasC ? 0x80 : 0) | (hasK ? 0x20 : 0) | (hasS ? 0x10 : 0);
  head[1] = (spec.version ?? 0) & 7;
  head.writeUInt16BE(spec.protocol, 2);
  let at = 4;
  const checksumAt = at;
  if (hasC) at += 4;
  if (hasK) {
    head.writeUInt32BE((spec.key as number) >>> 0, at);
    at += 4;
  }
  if (hasS) head.writeUInt32BE((spec.seq as number) >>> 0, at);
  const out = Buffer.concat([head, payload]);
  if (hasC) out.writeUInt16BE(inetChecksum(out), checksumAt);
  return out;
}

/** An ERSPAN type II header (draft-foschiano-erspan-03 4.2) and the mirrored frame; GRE 0x88be with a sequence number. */
export function erspan2(mirrored: Bytes, opts: { session?: number; vlan?: number; index?: number } = {}): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x1000 | ((opts.vlan ?? 0) & 0x0fff), 0);
  head.writeUInt16BE((opts.session ?? 1) & 0x03ff, 2);
  head.writeUInt32BE((opts.index ?? 0) & 0xfffff, 4);
  return Buffer.concat([head, bytes(mirrored)]);
}

/**
 * An ERSPAN type III header (draft-foschiano-erspan-03 4.3), with the 8-byte platform
 * specific subheader when `subheader` (O bit), and the mirrored frame; GRE 0x22eb.
 * `frameType` 0 is Ethernet (default), 2 IP.
 */
export function erspan3(
  mirrored: Bytes,
  opts: { session?: number; subheader?: boolean; frameType?: number; timestamp?: number } = {},
): Buffer {
  const sub = opts.subheader === true;
  const head = Buffer.alloc(12 + (sub ? 8 : 0));
  head.writeUInt16BE(0x2000, 0);
  head.writeUInt16BE((opts.session ?? 1) & 0x03ff, 2);
  head.writeUInt32BE((opts.timestamp ?? 0x01020304) >>> 0, 4);
  head[10] = ((opts.frameType ?? 0) & 0x1f) << 2;
  head[11] = sub ? 0x01 : 0x00;
  if (sub) head.writeUInt32BE(0xdeadbeef, 16); // platform data: opaque
  return Buffer.concat([head, bytes(mirrored)]);
}

/** A VXLAN header (RFC 7348 5) and the inner Ethernet frame; UDP destination port 4789. */
export function vxlan(inner: Bytes, vni = 42): Buffer {
  const head = Buffer.alloc(8);
  head[0] = 0x08;
  head.writeUInt32BE((vni & 0xffffff) << 8 >>> 0, 4);
  return Buffer.concat([head, bytes(inner)]);
}

/**
 * A Geneve header (RFC 8926 3.4) with `options` (padded to 4 bytes) and the payload of
 * EtherType `protocol` (0x6558 Ethernet, 0x0800, 0x86dd); UDP destination port 6081.
 */
export function geneve(payload: Bytes, opts: { protocol: number; vni?: number; options?: Buffer }): Buffer {
  const options = opts.options ?? Buffer.alloc(0);
  const optLen = Math.ceil(options.length / 4) * 4;
  const head = Buffer.alloc(8 + optLen);
  head[0] = (optLen / 4) & 0x3f;
  head.writeUInt16BE(opts.protocol, 2);
  head.writeUInt32BE(((opts.vni ?? 7) & 0xffffff) << 8 >>> 0, 4);
  options.copy(head, 8);
  return Buffer.concat([head, bytes(payload)]);
}

/** One GTP-U extension header: its type and contents (padded so the header is 4n bytes). */
export interface GtpExtension {
  type: number;
  content: Buffer;
}

/**
 * A GTP-U header (3GPP TS 29.281 5.1) and T-PDU: a G-PDU (type 255) by default, with a
 * sequence number when `seq`, N-PDU number when `npdu`, and an extension header chain
 * when `extensions` (e.g. PDU session container, type 0x85). UDP port 2152.
 */
export function gtpu(
  tpdu: Bytes,
  opts: { teid?: number; seq?: number; npdu?: number; extensions?: GtpExtension[]; messageType?: number } = {},
): Buffer {
  const payload = bytes(tpdu);
  const exts = opts.extensions ?? [];
  const optional = opts.seq !== undefined || opts.npdu !== undefined || exts.length > 0;
  const extBufs = exts.map((e, i) => {
    const len = Math.ceil((e.content.length + 2) / 4) * 4;
    const b = Buffer.alloc(len);
    b[0] = len / 4;
    e.content.copy(b, 1);
    b[len - 1] = exts[i + 1]?.type ?? 0;
    return b;
  });
  const head = Buffer.alloc(8 + (optional ? 4 : 0));
  head[0] = 0x30 | (exts.length > 0 ? 0x04 : 0) | (opts.seq !== undefined ? 0x02 : 0) | (opts.npdu !== undefined ? 0x01 : 0);
  head[1] = opts.messageType ?? 255;
  head.writeUInt32BE((opts.teid ?? 0x11223344) >>> 0, 4);
  if (optional) {
    head.writeUInt16BE((opts.seq ?? 0) & 0xffff, 8);
    head[10] = (opts.npdu ?? 0) & 0xff;
    head[11] = exts[0]?.type ?? 0;
  }
  const out = Buffer.concat([head, ...extBufs, payload]);
  out.writeUInt16BE(out.length - 8, 2);
  return out;
}

/** A PPPoE session header (RFC 2516 4) and PPP protocol (0x0021 / 0x0057 by the IP version); EtherType 0x8864. */
export function pppoeSession(ip: Bytes, sessionId = 0x1234, pppProtocol?: number): Buffer {
  const p = bytes(ip);
  const head = Buffer.alloc(8);
  head[0] = 0x11;
  head[1] = 0x00;
  head.writeUInt16BE(sessionId, 2);
  head.writeUInt16BE(p.length + 2, 4);
  head.writeUInt16BE(pppProtocol ?? (p.length > 0 && (p[0] as number) >> 4 === 6 ? 0x0057 : 0x0021), 6);
  return Buffer.concat([head, p]);
}

/** An MPLS label stack (RFC 3032 2.1), outermost label first, bottom-of-stack on the last; EtherType 0x8847. */
export function mpls(payload: Bytes, labels: number[], ttl = 64): Buffer {
  const head = Buffer.alloc(4 * labels.length);
  labels.forEach((label, i) => {
    head.writeUInt32BE((((label & 0xfffff) << 12) | (i === labels.length - 1 ? 0x100 : 0) | (ttl & 0xff)) >>> 0, 4 * i);
  });
  return Buffer.concat([head, bytes(payload)]);
}

export interface EspSpec {
  /** Cleartext payload: a transport header and data (transport mode) or an IP packet (tunnel mode). */
  payload: Bytes;
  /** Next header: 17 UDP, 6 TCP, 4 IPv4, 41 IPv6... */
  nextHeader: number;
  spi?: number;
  seq?: number;
  /** ICV length (default 12, HMAC-SHA1-96); its bytes are arbitrary. */
  icvLength?: number;
  /** Pad so that payload + padding + 2 is a multiple of this (default 4, RFC 4303 2.4). */
  align?: number;
}

/** An ESP packet (RFC 4303 2) with NULL encryption (RFC 2410) and a fake ICV; IP protocol 50. */
export function espNull(spec: EspSpec): Buffer {
  const payload = bytes(spec.payload);
  const align = spec.align ?? 4;
  const padLength = (align - ((payload.length + 2) % align)) % align;
  const head = Buffer.alloc(8);
  head.writeUInt32BE((spec.spi ?? 0x1000a71a) >>> 0, 0);
  head.writeUInt32BE((spec.seq ?? 1) >>> 0, 4);
  const trailer = Buffer.alloc(padLength + 2);
  for (let i = 0; i < padLength; i++) trailer[i] = i + 1;
  trailer[padLength] = padLength;
  trailer[padLength + 1] = spec.nextHeader;
  const icv = Buffer.alloc(spec.icvLength ?? 12, 0xa5);
  return Buffer.concat([head, payload, trailer, icv]);
}

// ---------------------------------------------------------------------------------------
// SCTP (src/net/sctp.ts) and HEP (src/net/hep.ts). `sctp` returns the SCTP packet (carry it
// in IP protocol 132); the HEP builders return the HEP packet (carry it in a UDP payload).
// ---------------------------------------------------------------------------------------

/** CRC32c (Castagnoli, reflected 0x82F63B78), as SCTP uses it (RFC 9260 Appendix A). */
export function crc32c(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** One SCTP chunk (RFC 9260 3.2): type, flags, length and value, zero-padded to 4 bytes. */
export function sctpChunk(type: number, flags: number, value: Bytes, opts: { length?: number; pad?: boolean } = {}): Buffer {
  const v = bytes(value);
  const length = opts.length ?? 4 + v.length;
  const padded = opts.pad === false ? 4 + v.length : (4 + v.length + 3) & ~3;
  const out = Buffer.alloc(padded);
  out[0] = type;
  out[1] = flags;
  out.writeUInt16BE(length & 0xffff, 2);
  v.copy(out, 4);
  return out;
}

export interface SctpDataSpec {
  tsn: number;
  payload: Bytes;
  stream?: number;
  /** Stream sequence number (DATA) or message identifier (I-DATA). */
  ssn?: number;
  ppid?: number;
  /** First fragment (B); default true. */
  begin?: boolean;
  /** Last fragment (E); default true. */
  end?: boolean;
  unordered?: boolean;
  /** I-DATA only: fragment sequence number of a fragment other than the first. */
  fsn?: number;
}

function dataFlags(spec: SctpDataSpec): number {
  return (spec.unordered === true ? 0x04 : 0) | (spec.begin !== false ? 0x02 : 0) | (spec.end !== false ? 0x01 : 0);
}

/** A DATA chunk (RFC 9260 3.3.1). */
export function sctpData(spec: SctpDataSpec): Buffer {
  const payload = bytes(spec.payload);
  const head = Buffer.alloc(12);
  head.writeUInt32BE(spec.tsn >>> 0, 0);
  head.writeUInt16BE(spec.stream ?? 0, 4);
  head.writeUInt16BE((spec.ssn ?? 0) & 0xffff, 6);
  head.writeUInt32BE((spec.ppid ?? 0) >>> 0, 8);
  return sctpChunk(0, dataFlags(spec), Buffer.concat([head, payload]));
}

/** An I-DATA chunk (RFC 8260 2.1): MID in `ssn`, PPID on the first fragment, else `fsn`. */
export function sctpIData(spec: SctpDataSpec): Buffer {
  const payload = bytes(spec.payload);
  const head = Buffer.alloc(16);
  head.writeUInt32BE(spec.tsn >>> 0, 0);
  head.writeUInt16BE(spec.stream ?? 0, 4);
  head.writeUInt32BE((spec.ssn ?? 0) >>> 0, 8);
  head.writeUInt32BE((spec.begin !== false ? spec.ppid ?? 0 : spec.fsn ?? 0) >>> 0, 12);
  return sctpChunk(64, dataFlags(spec), Buffer.concat([head, payload]));
}

export interface SctpSpec {
  sport: number;
  dport: number;
  vtag?: number;
  /** Chunks as built by sctpChunk / sctpData / sctpIData. */
  chunks: Buffer[];
  /** Leave the checksum 0 instead of the CRC32c. */
  noChecksum?: boolean;
}

/** An SCTP packet (RFC 9260 3.1) with a correct CRC32c checksum (stored as Linux and Wireshark do). */
export function sctp(spec: SctpSpec): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(spec.sport, 0);
  head.writeUInt16BE(spec.dport, 2);
  head.writeUInt32BE((spec.vtag ?? 0x1234abcd) >>> 0, 4);
  const out = Buffer.concat([head, ...spec.chunks]);
  if (spec.noChecksum !== true) out.writeUInt32LE(crc32c(out), 8);
  return out;
}

/** An SCTP packet in IPv4 or IPv6 (by the address form) in a link layer. */
export function sctpFrame(spec: SctpSpec & { src: string; dst: string; link?: LinkKind }): LinkFrame {
  const s = sctp(spec);
  const ip = spec.src.includes(':')
    ? ipv6({ src: spec.src, dst: spec.dst, nextHeader: 132, payload: s })
    : ipv4({ src: spec.src, dst: spec.dst, proto: 132, payload: s });
  return linkFrame(ip, spec.link);
}

/** One HEP v3 chunk: vendor (default 0), type, length (default 6 + value), value. */
export function hep3Chunk(type: number, value: Bytes, opts: { vendor?: number; length?: number } = {}): Buffer {
  const v = bytes(value);
  const head = Buffer.alloc(6);
  head.writeUInt16BE(opts.vendor ?? 0, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE((opts.length ?? 6 + v.length) & 0xffff, 4);
  return Buffer.concat([head, v]);
}

function u8(v: number): Buffer {
  return Buffer.from([v & 0xff]);
}
function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff);
  return b;
}
function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

export interface HepSpec {
  /** Inner addresses (IPv4 or IPv6 text). */
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** IP protocol of the captured packet (default 17). */
  ipProto?: number;
  sec: number;
  usec: number;
  /** HEP protocol type (default 1, SIP). */
  protoType?: number;
  captureId?: number;
  payload: Bytes;
  /** Carry the payload zlib-compressed in chunk 16 (this buffer as is when a Buffer). */
  compressed?: boolean | Buffer;
  /** Chunks inserted before the payload chunk. */
  extraChunks?: Buffer[];
  /** Override of the total length field. */
  totalLength?: number;
}

/** A HEP v3 packet with the usual chunks (family, protocol, addresses, ports, time, type, capture id, payload). */
export function hep3(spec: HepSpec): Buffer {
  const isV6 = spec.src.includes(':');
  const payload = bytes(spec.payload);
  const chunks = [
    hep3Chunk(1, u8(isV6 ? 10 : 2)),
    hep3Chunk(2, u8(spec.ipProto ?? 17)),
    hep3Chunk(isV6 ? 5 : 3, isV6 ? v6(spec.src) : v4(spec.src)),
    hep3Chunk(isV6 ? 6 : 4, isV6 ? v6(spec.dst) : v4(spec.dst)),
    hep3Chunk(7, u16(spec.sport)),
    hep3Chunk(8, u16(spec.dport)),
    hep3Chunk(9, u32(spec.sec)),
    hep3Chunk(10, u32(spec.usec)),
    hep3Chunk(11, u8(spec.protoType ?? 1)),
    hep3Chunk(12, u32(spec.captureId ?? 2001)),
    ...(spec.extraChunks ?? []),
  ];
  if (spec.compressed === undefined || spec.compressed === false) chunks.push(hep3Chunk(15, payload));
  else chunks.push(hep3Chunk(16, Buffer.isBuffer(spec.compressed) ? spec.compressed : deflateSync(payload)));
  const body = Buffer.concat(chunks);
  const head = Buffer.from('HEP3\0\0', 'latin1');
  head.writeUInt16BE((spec.totalLength ?? 6 + body.length) & 0xffff, 4);
  return Buffer.concat([head, body]);
}

/**
 * A HEP v2 (or v1) packet as Kamailio, OpenSIPS and captagent send it: 8-byte header,
 * addresses, then (v2) the 12-byte little-endian time header; then the payload.
 */
export function hep2(spec: HepSpec & { version?: 1 | 2 }): Buffer {
  const isV6 = spec.src.includes(':');
  const version = spec.version ?? 2;
  const head = Buffer.alloc(8);
  head[0] = version;
  head[1] = isV6 ? 40 : 16;
  head[2] = isV6 ? 10 : 2;
  head[3] = spec.ipProto ?? 17;
  head.writeUInt16BE(spec.sport, 4);
  head.writeUInt16BE(spec.dport, 6);
  const addrs = isV6 ? Buffer.concat([v6(spec.src), v6(spec.dst)]) : Buffer.concat([v4(spec.src), v4(spec.dst)]);
  const parts: Buffer[] = [head, addrs];
  if (version === 2) {
    const t = Buffer.alloc(12);
    t.writeUInt32LE(spec.sec >>> 0, 0);
    t.writeUInt32LE(spec.usec >>> 0, 4);
    t.writeUInt16LE((spec.captureId ?? 2001) & 0xffff, 8);
    parts.push(t);
  }
  parts.push(bytes(spec.payload));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------
// TCP (src/net/tcp.ts)
// ---------------------------------------------------------------------------------------

export interface TcpSpec {
  sport: number;
  dport: number;
  /** Sequence number (wrapped to 32 bits). */
  seq: number;
  ack?: number;
  /** Flags as letters: S SYN, A ACK, F FIN, R RST, P PSH, U URG (default 'A', or 'PA' with a payload); or the flag byte. */
  flags?: string | number;
  payload?: Bytes;
  /** Addresses for the checksum (IPv4 or IPv6 text); without them the checksum is 0. */
  src?: string;
  dst?: string;
  window?: number;
  /** Options (padded to a multiple of 4 bytes with NOPs). */
  options?: Buffer;
  /** Override of the data offset in 32-bit words. */
  dataOffsetWords?: number;
}

function tcpFlags(f: string | number | undefined, hasPayload: boolean): number {
  if (typeof f === 'number') return f & 0xff;
  const text = f ?? (hasPayload ? 'PA' : 'A');
  const bits: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20 };
  let v = 0;
  for (const ch of text) v |= bits[ch] ?? 0;
  return v;
}

/** A TCP header and payload (RFC 9293 §3.1), checksummed when the addresses are given. */
export function tcp(spec: TcpSpec): Buffer {
  const payload = bytes(spec.payload ?? '');
  const opts = spec.options ?? Buffer.alloc(0);
  const optLen = Math.ceil(opts.length / 4) * 4;
  const hl = 20 + optLen;
  const out = Buffer.alloc(hl + payload.length);
  out.writeUInt16BE(spec.sport, 0);
  out.writeUInt16BE(spec.dport, 2);
  out.writeUInt32BE(spec.seq >>> 0, 4);
  out.writeUInt32BE((spec.ack ?? 0) >>> 0, 8);
  out[12] = (spec.dataOffsetWords ?? hl / 4) << 4;
  out[13] = tcpFlags(spec.flags, payload.length > 0);
  out.writeUInt16BE(spec.window ?? 65535, 14);
  opts.copy(out, 20);
  out.fill(1, 20 + opts.length, hl); // NOP padding
  payload.copy(out, hl);
  if (spec.src !== undefined && spec.dst !== undefined) out.writeUInt16BE(transportChecksum(spec.src, spec.dst, 6, out), 16);
  return out;
}

export interface TcpFrameSpec extends TcpSpec {
  src: string;
  dst: string;
  /** Default 'ethernet'. */
  link?: LinkKind;
}

/** A TCP segment (IPv4 or IPv6 by the address form) in a link layer, checksums set. */
export function tcpFrame(spec: TcpFrameSpec): LinkFrame {
  const seg = tcp(spec);
  const ip = spec.src.includes(':')
    ? ipv6({ src: spec.src, dst: spec.dst, nextHeader: 6, payload: seg })
    : ipv4({ src: spec.src, dst: spec.dst, proto: 6, payload: seg });
  return linkFrame(ip, spec.link);
}

export interface TcpEndpoint {
  ip: string;
  port: number;
}

/**
 * Both directions of one TCP connection, tracking sequence numbers: `a` is the client.
 *
 *   const flow = new TcpFlow({ ip: '192.0.2.10', port: 40000 }, { ip: '192.0.2.20', port: 5060 });
 *   const frames = [...flow.handshake(), ...flow.send('a', invite, 500)];
 */
export class TcpFlow {
  /** Next sequence number of each side. */
  seqA: number;
  seqB: number;

  constructor(
    readonly a: TcpEndpoint,
    readonly b: TcpEndpoint,
    readonly isnA = 1_000_000,
    readonly isnB = 5_000_000,
    readonly link: LinkKind = 'ethernet',
  ) {
    this.seqA = isnA >>> 0;
    this.seqB = isnB >>> 0;
  }

  /** A segment from `from` at its next sequence number (or `seq`), advancing it unless `seq` is given. */
  segment(from: 'a' | 'b', payload: Bytes = '', flags?: string, seq?: number): LinkFrame {
    const p = bytes(payload);
    const [s, d] = from === 'a' ? [this.a, this.b] : [this.b, this.a];
    const mine = seq ?? (from === 'a' ? this.seqA : this.seqB);
    const ack = from === 'a' ? this.seqB : this.seqA;
    const f = tcpFrame({ src: s.ip, dst: d.ip, sport: s.port, dport: d.port, seq: mine, ack, flags, payload: p, link: this.link });
    if (seq === undefined) {
      const used = p.length + (flags !== undefined && /[SF]/.test(flags) ? 1 : 0);
      if (from === 'a') this.seqA = (this.seqA + used) >>> 0;
      else this.seqB = (this.seqB + used) >>> 0;
    }
    return f;
  }

  /** SYN, SYN-ACK, ACK. */
  handshake(): LinkFrame[] {
    return [this.segment('a', '', 'S'), this.segment('b', '', 'SA'), this.segment('a', '', 'A')];
  }

  /** `payload` from `from` in segments of at most `mss` bytes (or of the sizes listed), in order. */
  send(from: 'a' | 'b', payload: Bytes, mss: number | number[] = 1460): LinkFrame[] {
    const p = bytes(payload);
    const out: LinkFrame[] = [];
    let at = 0;
    let i = 0;
    while (at < p.length) {
      const size = typeof mss === 'number' ? mss : (mss[i] ?? mss[mss.length - 1] ?? 1460);
      const end = Math.min(p.length, at + Math.max(1, size));
      out.push(this.segment(from, p.subarray(at, end)));
      at = end;
      i++;
    }
    return out;
  }

  /** FIN-ACK from `from`. */
  fin(from: 'a' | 'b'): LinkFrame {
    return this.segment(from, '', 'FA');
  }

  /** A pure ACK from `from`. */
  ack(from: 'a' | 'b'): LinkFrame {
    return this.segment(from, '', 'A');
  }
}

export interface WsFrameSpec {
  /** Default 1 (text). */
  opcode?: number;
  payload: Bytes;
  /** Default true. */
  fin?: boolean;
  /** A 4-byte masking key, or true for a fixed one (client → server frames are masked). */
  mask?: Buffer | boolean;
  rsv?: number;
}

/** A WebSocket frame (RFC 6455 §5.2), length in its shortest form. */
export function wsFrame(spec: WsFrameSpec): Buffer {
  const p = bytes(spec.payload);
  const key = spec.mask === true ? Buffer.from([0x37, 0xfa, 0x21, 0x3d]) : spec.mask === false || spec.mask === undefined ? undefined : spec.mask;
  const lenBytes = p.length < 126 ? 0 : p.length < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + lenBytes + (key !== undefined ? 4 : 0));
  head[0] = (spec.fin === false ? 0 : 0x80) | ((spec.rsv ?? 0) << 4) | (spec.opcode ?? 1);
  head[1] = (key !== undefined ? 0x80 : 0) | (lenBytes === 0 ? p.length : lenBytes === 2 ? 126 : 127);
  if (lenBytes === 2) head.writeUInt16BE(p.length, 2);
  if (lenBytes === 8) head.writeBigUInt64BE(BigInt(p.length), 2);
  if (key === undefined) return Buffer.concat([head, p]);
  key.copy(head, 2 + lenBytes);
  const masked = Buffer.alloc(p.length);
  for (let i = 0; i < p.length; i++) masked[i] = (p[i] as number) ^ (key[i & 3] as number);
  return Buffer.concat([head, masked]);
}
