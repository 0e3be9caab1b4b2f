/**
 * HEP encoding for the sender (-H): one SIP message with its original addresses, ports and
 * time → one HEP v3 (or v2) packet. Pure: bytes in, bytes out, nothing thrown for any
 * message that fits (see `hepTooLarge`). Decoding is src/net/hep.ts.
 *
 * HEP v3 (HEP3 Network Protocol Specification rev. 37, sipcapture/HEP; every integer in
 * network byte order):
 *   0 "HEP3" (4)  4 total length (2, the whole packet, these 6 bytes included)  6 chunks
 * Chunk:
 *   0 vendor id (2; 0 generic)  2 type id (2)  4 length (2, the whole chunk, header
 *   included)  6 value
 * Chunks written, in this order (all vendor 0):
 *    1 IP protocol family (1: 2 AF_INET, 10 AF_INET6)   2 IP protocol id (1: 17, 6, 132)
 *    3/4 IPv4 source/destination (4 each), or 5/6 IPv6 source/destination (16 each)
 *    7 source port (2)   8 destination port (2)
 *    9 timestamp seconds (4)   10 timestamp microseconds (4)
 *   11 protocol type (1: 1 SIP)   12 capture agent id (4)
 *   14 authentication key (the key's bytes; only when one is set)
 *   15 captured payload (the SIP message)
 *
 * Capture id: written as a 32-bit integer in network byte order, as the specification
 * says. sngrep (1.6, measured here: id 2002 goes out as 07 d2 00 00) and sipgrep put a
 * 16-bit host-order value into the 4-byte field, so a collector reading them by the
 * specification sees 2002 as 131203072; sipscope does not copy that mistake.
 *
 * HEP v2 (the hep_hdr / hep_iphdr / hep_ip6hdr / hep_timehdr structs of Kamailio, OpenSIPS
 * and captagent):
 *   0 version (1: 2)  1 header length (1: 16 IPv4, 40 IPv6)  2 family (1)  3 IP protocol (1)
 *   4 source port (2, network order)  6 destination port (2, network order)
 *   8 source address (4/16)  destination address (4/16)
 *   then seconds (4)  microseconds (4)  capture id (2)  padding (2): these 12 bytes in the
 *   sender's memory order, little-endian in practice (what every collector expects, and what
 *   src/net/hep.ts reads); then the payload, to the end of the datagram. v2 has no length
 *   field (so no TCP framing), no key, and a 16-bit capture id.
 */

export const HEP3_MAGIC = Buffer.from('HEP3', 'latin1');
export const HEP3_HEADER_LEN = 6;
export const HEP3_CHUNK_HEADER_LEN = 6;
/** The total length field is 16 bits: no HEP3 packet is longer. */
export const HEP3_MAX_PACKET = 0xffff;

export const HEP_CHUNK_FAMILY = 1;
export const HEP_CHUNK_IP_PROTO = 2;
export const HEP_CHUNK_IPV4_SRC = 3;
export const HEP_CHUNK_IPV4_DST = 4;
export const HEP_CHUNK_IPV6_SRC = 5;
export const HEP_CHUNK_IPV6_DST = 6;
export const HEP_CHUNK_SRC_PORT = 7;
export const HEP_CHUNK_DST_PORT = 8;
export const HEP_CHUNK_TIME_SEC = 9;
export const HEP_CHUNK_TIME_USEC = 10;
export const HEP_CHUNK_PROTO_TYPE = 11;
export const HEP_CHUNK_CAPTURE_ID = 12;
export const HEP_CHUNK_AUTH_KEY = 14;
export const HEP_CHUNK_PAYLOAD = 15;

export const AF_INET = 2;
export const AF_INET6 = 10;

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;

/** One message to encode. Addresses are 4 (IPv4) or 16 (IPv6) bytes, both of the same size. */
export interface HepOutMessage {
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
  /** IP protocol of the captured packet: 17 UDP, 6 TCP, 132 SCTP. */
  ipProto: number;
  sec: number;
  usec: number;
  /** HEP protocol type (1 SIP). */
  protoType: number;
  captureId: number;
  /** Authentication key (chunk 14), HEP3 only; empty or undefined: no chunk. */
  authKey?: Buffer;
  payload: Buffer;
}

/** The IP protocol number HEP carries for one of our transports (TLS/WS ride on TCP). */
export function ipProtoOfTransport(transport: string): number {
  if (transport === 'UDP') return IPPROTO_UDP;
  if (transport === 'SCTP') return IPPROTO_SCTP;
  return IPPROTO_TCP;
}

/** Bytes of a HEP3 packet for `m` (to know before encoding whether it fits). */
export function hep3Length(m: HepOutMessage): number {
  const addr = m.src.length;
  const key = m.authKey !== undefined ? m.authKey.length : 0;
  return (
    HEP3_HEADER_LEN +
    (HEP3_CHUNK_HEADER_LEN + 1) * 3 + // family, IP protocol, protocol type
    (HEP3_CHUNK_HEADER_LEN + addr) * 2 +
    (HEP3_CHUNK_HEADER_LEN + 2) * 2 + // ports
    (HEP3_CHUNK_HEADER_LEN + 4) * 3 + // seconds, microseconds, capture id
    (key > 0 ? HEP3_CHUNK_HEADER_LEN + key : 0) +
    HEP3_CHUNK_HEADER_LEN +
    m.payload.length
  );
}

/** Why `m` cannot be encoded, or undefined when it can. */
export function hepEncodeProblem(m: HepOutMessage, version: 2 | 3): string | undefined {
  if (m.src.length !== m.dst.length || (m.src.length !== 4 && m.src.length !== 16)) return 'addresses are not both IPv4 or both IPv6';
  if (version === 3 && hep3Length(m) > HEP3_MAX_PACKET) return `the message (${m.payload.length} bytes) does not fit in a HEP3 packet (64 KiB)`;
  return undefined;
}

/** Encodes a HEP v3 packet; undefined when `hepEncodeProblem` says it cannot be. */
export function encodeHep3(m: HepOutMessage): Buffer | undefined {
  if (hepEncodeProblem(m, 3) !== undefined) return undefined;
  const v6 = m.src.length === 16;
  const total = hep3Length(m);
  const b = Buffer.alloc(total);
  HEP3_MAGIC.copy(b, 0);
  b.writeUInt16BE(total, 4);
  let p = HEP3_HEADER_LEN;
  const chunk = (type: number, size: number): number => {
    b.writeUInt16BE(0, p);
    b.writeUInt16BE(type, p + 2);
    b.writeUInt16BE(HEP3_CHUNK_HEADER_LEN + size, p + 4);
    const at = p + HEP3_CHUNK_HEADER_LEN;
    p = at + size;
    return at;
  };
  b[chunk(HEP_CHUNK_FAMILY, 1)] = v6 ? AF_INET6 : AF_INET;
  b[chunk(HEP_CHUNK_IP_PROTO, 1)] = m.ipProto & 0xff;
  b.set(m.src, chunk(v6 ? HEP_CHUNK_IPV6_SRC : HEP_CHUNK_IPV4_SRC, m.src.length));
  b.set(m.dst, chunk(v6 ? HEP_CHUNK_IPV6_DST : HEP_CHUNK_IPV4_DST, m.dst.length));
  b.writeUInt16BE(m.sport & 0xffff, chunk(HEP_CHUNK_SRC_PORT, 2));
  b.writeUInt16BE(m.dport & 0xffff, chunk(HEP_CHUNK_DST_PORT, 2));
  b.writeUInt32BE(m.sec >>> 0, chunk(HEP_CHUNK_TIME_SEC, 4));
  b.writeUInt32BE(m.usec >>> 0, chunk(HEP_CHUNK_TIME_USEC, 4));
  b[chunk(HEP_CHUNK_PROTO_TYPE, 1)] = m.protoType & 0xff;
  // Network byte order, as the specification says (not sngrep's swapped 16-bit value).
  b.writeUInt32BE(m.captureId >>> 0, chunk(HEP_CHUNK_CAPTURE_ID, 4));
  if (m.authKey !== undefined && m.authKey.length > 0) m.authKey.copy(b, chunk(HEP_CHUNK_AUTH_KEY, m.authKey.length));
  m.payload.copy(b, chunk(HEP_CHUNK_PAYLOAD, m.payload.length));
  return b;
}

const HEP2_FIXED = 8;
const HEP2_TIME = 12;

/** Encodes a HEP v2 packet (the capture id keeps its low 16 bits); undefined when it cannot be. */
export function encodeHep2(m: HepOutMessage): Buffer | undefined {
  if (hepEncodeProblem(m, 2) !== undefined) return undefined;
  const v6 = m.src.length === 16;
  const headerLength = HEP2_FIXED + 2 * m.src.length;
  const b = Buffer.alloc(headerLength + HEP2_TIME + m.payload.length);
  b[0] = 2;
  b[1] = headerLength;
  b[2] = v6 ? AF_INET6 : AF_INET;
  b[3] = m.ipProto & 0xff;
  b.writeUInt16BE(m.sport & 0xffff, 4);
  b.writeUInt16BE(m.dport & 0xffff, 6);
  b.set(m.src, HEP2_FIXED);
  b.set(m.dst, HEP2_FIXED + m.src.length);
  b.writeUInt32LE(m.sec >>> 0, headerLength);
  b.writeUInt32LE(m.usec >>> 0, headerLength + 4);
  b.writeUInt16LE(m.captureId & 0xffff, headerLength + 8);
  // headerLength + 10: 2 bytes of padding, zero
  m.payload.copy(b, headerLength + HEP2_TIME);
  return b;
}

/**
 * The value of the first generic (vendor 0) chunk of `type` in the HEP3 packet at
 * `buf[at..at+total)`, as [start, end) offsets; undefined when absent or when the chunk
 * list is malformed (decodeHep reports that).
 */
export function findHep3Chunk(buf: Buffer, at: number, type: number): [number, number] | undefined {
  if (buf.length - at < HEP3_HEADER_LEN) return undefined;
  const stop = at + buf.readUInt16BE(at + 4);
  if (stop > buf.length) return undefined;
  let p = at + HEP3_HEADER_LEN;
  while (stop - p >= HEP3_CHUNK_HEADER_LEN) {
    const vendor = buf.readUInt16BE(p);
    const t = buf.readUInt16BE(p + 2);
    const length = buf.readUInt16BE(p + 4);
    if (length < HEP3_CHUNK_HEADER_LEN || p + length > stop) return undefined;
    if (vendor === 0 && t === type) return [p + HEP3_CHUNK_HEADER_LEN, p + length];
    p += length;
  }
  return undefined;
}
