/**
 * HEP (Homer Encapsulation Protocol, also EEP) as found inside captured UDP datagrams: a
 * capture agent (Kamailio, OpenSIPS, FreeSWITCH, captagent, sngrep -H...) copies each SIP
 * message with its original addresses, ports and time to a collector, and we read the copy.
 *
 * `sniffHep` tells cheaply whether a datagram is HEP (the HEP3 magic, or a v1/v2 header
 * whose every fixed field is consistent); `decodeHep` reads one HEP packet into a
 * caller-owned `HepMessage`. Both are total: any bytes give a status, nothing throws. The
 * only allocation is the output of decompression (bounded by `maxInflate`).
 */
import * as zlib from 'node:zlib';

/*
 * HEP v3 (HEP3 Network Protocol Specification rev. 37, sipcapture/HEP; all integers in
 * network byte order):
 *   0 "HEP3" (4)  4 total length (2, of the whole packet, these 6 bytes included)  6 chunks
 * Chunk:
 *   0 vendor id (2; 0: generic chunk types below)  2 type id (2)
 *   4 length (2, of the whole chunk, these 6 bytes included)  6 value
 * Generic chunk types (vendor 0) and their values:
 *    1 IP protocol family (1: 2 AF_INET, 10 AF_INET6)   2 IP protocol id (1: 17, 6, 132...)
 *    3 IPv4 source address (4)                          4 IPv4 destination address (4)
 *    5 IPv6 source address (16)                         6 IPv6 destination address (16)
 *    7 source port (2)                                  8 destination port (2)
 *    9 timestamp, seconds (4)                          10 timestamp, microseconds (4)
 *   11 protocol type (1: 1 SIP, 5 RTCP, 100 log...)    12 capture agent id (4; 2 in old agents)
 *   13 keep-alive timer (2)                            14 authentication key (any)
 *   15 captured payload (any)                          16 compressed payload (any: zlib/deflate/gzip)
 *   17 internal correlation id (any)                   18.. vlan, group, MACs, node name...: skipped
 */
const HEP3_MAGIC = 0x48455033; // "HEP3"
const HEP3_HEADER = 6;
const CHUNK_HEADER = 6;

const CHUNK_FAMILY = 1;
const CHUNK_IP_PROTO = 2;
const CHUNK_IPV4_SRC = 3;
const CHUNK_IPV4_DST = 4;
const CHUNK_IPV6_SRC = 5;
const CHUNK_IPV6_DST = 6;
const CHUNK_SRC_PORT = 7;
const CHUNK_DST_PORT = 8;
const CHUNK_TIME_SEC = 9;
const CHUNK_TIME_USEC = 10;
const CHUNK_PROTO_TYPE = 11;
const CHUNK_CAPTURE_ID = 12;
const CHUNK_KEEPALIVE = 13;
const CHUNK_AUTH_KEY = 14;
const CHUNK_PAYLOAD = 15;
const CHUNK_COMPRESSED = 16;
const CHUNK_CORRELATION_ID = 17;

/*
 * HEP v1 and v2 (the C structs hep_hdr, hep_iphdr/hep_ip6hdr and hep_timehdr shared by
 * Kamailio's sipcapture, OpenSIPS, captagent and sngrep):
 *   0 version (1: 1 or 2)  1 header length (1: 16 for IPv4, 40 for IPv6; these 8 bytes and
 *   the addresses)  2 family (1: 2 AF_INET, 10 AF_INET6)  3 IP protocol (1)
 *   4 source port (2)  6 destination port (2)  8 source address (4 or 16)  destination address (4 or 16)
 *   v2 only: seconds (4)  microseconds (4)  capture id (2)  padding (2): 12 bytes, in the
 *   sender's byte order (little-endian in practice: the struct is copied from memory)
 *   then the captured payload, to the end of the datagram.
 */
const HEP2_FIXED = 8;
const HEP2_TIME = 12;

const AF_INET = 2;
const AF_INET6 = 10;

/** SIP, the only HEP protocol type (chunk 11) that becomes a Packet. */
export const HEP_PROTO_SIP = 1;

/** Default bound on the size of a decompressed payload (chunk 16). */
export const DEFAULT_MAX_HEP_INFLATE = 1024 * 1024;

/** Outcomes of `decodeHep`. */
export const HEP_OK = 0;
/** Not HEP at all (only for the v1/v2 look-alike check): hand the datagram on as plain UDP. */
export const HEP_NOT_HEP = 1;
/** Fewer bytes than the HEP lengths announce. */
export const HEP_TRUNCATED = 2;
/** Inconsistent lengths, a fixed-size chunk of the wrong size, missing addresses. */
export const HEP_BAD = 3;
/** A compressed payload that does not inflate, or inflates beyond the bound. */
export const HEP_BAD_COMPRESSION = 4;
export type HepStatus = typeof HEP_OK | typeof HEP_NOT_HEP | typeof HEP_TRUNCATED | typeof HEP_BAD | typeof HEP_BAD_COMPRESSION;

/** One HEP packet as read by `decodeHep` (reused: the decoder owns one). */
export interface HepMessage {
  version: 1 | 2 | 3;
  /** Version of the inner addresses. */
  ipVersion: 4 | 6;
  /** Offsets of the inner source and destination addresses in the buffer (4 or 16 bytes each). */
  srcAt: number;
  dstAt: number;
  sport: number;
  dport: number;
  /** IP protocol of the captured packet (17 UDP, 6 TCP, 132 SCTP); 0 when not given. */
  ipProto: number;
  /** Capture time from the HEP header; `hasTime` false when absent (v1, or no chunk 9). */
  hasTime: boolean;
  sec: number;
  nsec: number;
  /** HEP protocol type (chunk 11): 1 SIP; -1 when absent (v1/v2 carry SIP only). */
  protoType: number;
  /** Capture agent id (chunk 12, or v2's captid); -1 when absent. */
  captureId: number;
  /** The captured payload: a view into the buffer, or the inflated copy; undefined when none. */
  payload: Buffer | undefined;
  /** Offset of `payload` in the buffer when it is a view; -1 when it was decompressed. */
  payloadAt: number;
  /** Offset just past this HEP packet (the next may follow in the same datagram). */
  next: number;
  /** Chunks skipped as unknown (vendor chunks, generic types we do not use). */
  unknownChunks: number;
}

export function newHepMessage(): HepMessage {
  return {
    version: 3,
    ipVersion: 4,
    srcAt: -1,
    dstAt: -1,
    sport: 0,
    dport: 0,
    ipProto: 0,
    hasTime: false,
    sec: 0,
    nsec: 0,
    protoType: -1,
    captureId: -1,
    payload: undefined,
    payloadAt: -1,
    next: 0,
    unknownChunks: 0,
  };
}

/**
 * True when `buf[at..end)` starts like a HEP packet: the "HEP3" magic, or a v1/v2 header
 * whose version, header length and family agree. The caller's first test (is the first byte
 * 'H', 1 or 2?) keeps this off the path of plain SIP, which starts with a letter or CR/LF.
 */
export function sniffHep(buf: Buffer, at: number, end: number): boolean {
  if (end - at < HEP2_FIXED) return false;
  const b0 = buf[at] as number;
  if (b0 === 0x48) return buf.readUInt32BE(at) === HEP3_MAGIC;
  return (b0 === 1 || b0 === 2) && hep2HeaderLength(buf, at) > 0;
}

/** The v1/v2 header length when bytes 1-2 are a consistent (length, family) pair, else 0. */
function hep2HeaderLength(buf: Buffer, at: number): number {
  const length = buf[at + 1] as number;
  const family = buf[at + 2] as number;
  if (family === AF_INET && length === HEP2_FIXED + 8) return length;
  if (family === AF_INET6 && length === HEP2_FIXED + 32) return length;
  return 0;
}

/**
 * Reads the HEP packet at `buf[at..end)` into `out`. A v3 packet ends at its total
 * length (`out.next`; another may follow); a v1/v2 packet runs to `end`. Protocol types
 * other than SIP are read too: the caller decides (see `protoType`).
 */
export function decodeHep(buf: Buffer, at: number, end: number, out: HepMessage, maxInflate = DEFAULT_MAX_HEP_INFLATE): HepStatus {
  reset(out);
  if (end - at < 4) return HEP_NOT_HEP;
  if (buf.readUInt32BE(at) === HEP3_MAGIC) return decodeHep3(buf, at, end, out, maxInflate);
  const b0 = buf[at] as number;
  if ((b0 === 1 || b0 === 2) && end - at >= HEP2_FIXED && hep2HeaderLength(buf, at) > 0) return decodeHep2(buf, at, end, out);
  return HEP_NOT_HEP;
}

function reset(out: HepMessage): void {
  out.version = 3;
  out.ipVersion = 4;
  out.srcAt = -1;
  out.dstAt = -1;
  out.sport = 0;
  out.dport = 0;
  out.ipProto = 0;
  out.hasTime = false;
  out.sec = 0;
  out.nsec = 0;
  out.protoType = -1;
  out.captureId = -1;
  out.payload = undefined;
  out.payloadAt = -1;
  out.next = 0;
  out.unknownChunks = 0;
}

function decodeHep2(buf: Buffer, at: number, end: number, out: HepMessage): HepStatus {
  const version = buf[at] as 1 | 2;
  const headerLength = hep2HeaderLength(buf, at);
  const v6 = (buf[at + 2] as number) === AF_INET6;
  const bodyAt = at + headerLength + (version === 2 ? HEP2_TIME : 0);
  if (bodyAt > end) return HEP_TRUNCATED;
  out.version = version;
  out.ipVersion = v6 ? 6 : 4;
  out.ipProto = buf[at + 3] as number;
  out.sport = buf.readUInt16BE(at + 4);
  out.dport = buf.readUInt16BE(at + 6);
  out.srcAt = at + HEP2_FIXED;
  out.dstAt = at + HEP2_FIXED + (v6 ? 16 : 4);
  if (version === 2) {
    const t = at + headerLength;
    const usec = buf.readUInt32LE(t + 4);
    if (usec >= 1_000_000) return HEP_BAD;
    out.hasTime = true;
    out.sec = buf.readUInt32LE(t);
    out.nsec = usec * 1000;
    out.captureId = buf.readUInt16LE(t + 8);
  }
  out.payload = buf.subarray(bodyAt, end);
  out.payloadAt = bodyAt;
  out.next = end;
  return HEP_OK;
}

function decodeHep3(buf: Buffer, at: number, end: number, out: HepMessage, maxInflate: number): HepStatus {
  if (end - at < HEP3_HEADER) return HEP_TRUNCATED;
  const total = buf.readUInt16BE(at + 4);
  if (total < HEP3_HEADER) return HEP_BAD;
  if (at + total > end) return HEP_TRUNCATED;
  const stop = at + total;
  out.version = 3;
  out.next = stop;
  let family = 0;
  let v4Src = -1;
  let v4Dst = -1;
  let v6Src = -1;
  let v6Dst = -1;
  let usec = 0;
  let compressedAt = -1;
  let compressedEnd = -1;
  let p = at + HEP3_HEADER;
  while (p < stop) {
    if (stop - p < CHUNK_HEADER) return HEP_TRUNCATED;
    const vendor = buf.readUInt16BE(p);
    const type = buf.readUInt16BE(p + 2);
    const length = buf.readUInt16BE(p + 4);
    if (length < CHUNK_HEADER) return HEP_BAD; // would not advance
    if (p + length > stop) return HEP_TRUNCATED;
    const v = p + CHUNK_HEADER;
    const size = length - CHUNK_HEADER;
    p += length;
    if (vendor !== 0) {
      out.unknownChunks++;
      continue;
    }
    switch (type) {
      case CHUNK_FAMILY:
        if (size !== 1) return HEP_BAD;
        family = buf[v] as number;
        break;
      case CHUNK_IP_PROTO:
        if (size !== 1) return HEP_BAD;
        out.ipProto = buf[v] as number;
        break;
      case CHUNK_IPV4_SRC:
      case CHUNK_IPV4_DST:
        if (size !== 4) return HEP_BAD;
        if (type === CHUNK_IPV4_SRC) v4Src = v;
        else v4Dst = v;
        break;
      case CHUNK_IPV6_SRC:
      case CHUNK_IPV6_DST:
        if (size !== 16) return HEP_BAD;
        if (type === CHUNK_IPV6_SRC) v6Src = v;
        else v6Dst = v;
        break;
      case CHUNK_SRC_PORT:
      case CHUNK_DST_PORT:
        if (size !== 2) return HEP_BAD;
        if (type === CHUNK_SRC_PORT) out.sport = buf.readUInt16BE(v);
        else out.dport = buf.readUInt16BE(v);
        break;
      case CHUNK_TIME_SEC:
        if (size !== 4) return HEP_BAD;
        out.sec = buf.readUInt32BE(v);
        out.hasTime = true;
        break;
      case CHUNK_TIME_USEC:
        if (size !== 4) return HEP_BAD;
        usec = buf.readUInt32BE(v);
        break;
      case CHUNK_PROTO_TYPE:
        if (size !== 1) return HEP_BAD;
        out.protoType = buf[v] as number;
        break;
      case CHUNK_CAPTURE_ID:
        if (size === 4) out.captureId = buf.readUInt32BE(v);
        else if (size === 2) out.captureId = buf.readUInt16BE(v);
        else return HEP_BAD;
        break;
      case CHUNK_PAYLOAD:
        out.payload = buf.subarray(v, v + size);
        out.payloadAt = v;
        compressedAt = -1;
        break;
      case CHUNK_COMPRESSED:
        compressedAt = v;
        compressedEnd = v + size;
        out.payload = undefined;
        out.payloadAt = -1;
        break;
      case CHUNK_KEEPALIVE:
      case CHUNK_AUTH_KEY:
      case CHUNK_CORRELATION_ID:
        break; // known, not needed
      default:
        out.unknownChunks++;
    }
  }

  // Addresses: the family chunk says which pair; without it, whichever pair is complete.
  const v6 = family === AF_INET6 || (family === 0 && v4Src < 0 && v6Src >= 0);
  if (family !== 0 && family !== AF_INET && family !== AF_INET6) return HEP_BAD;
  out.ipVersion = v6 ? 6 : 4;
  out.srcAt = v6 ? v6Src : v4Src;
  out.dstAt = v6 ? v6Dst : v4Dst;
  if (out.srcAt < 0 || out.dstAt < 0) return HEP_BAD;
  if (usec >= 1_000_000) return HEP_BAD;
  out.nsec = out.hasTime ? usec * 1000 : 0;

  if (compressedAt >= 0) {
    const inflated = inflateBounded(buf.subarray(compressedAt, compressedEnd), maxInflate);
    if (inflated === undefined) return HEP_BAD_COMPRESSION;
    out.payload = inflated;
    out.payloadAt = -1;
  }
  return HEP_OK;
}

/**
 * Inflates a compressed HEP payload: gzip (1F 8B), zlib (RFC 1950 header: CM 8 and a
 * header checksum that is a multiple of 31) or else raw deflate (RFC 1951). Undefined when
 * the data does not inflate or would exceed `max` bytes (a decompression bomb stops there).
 */
export function inflateBounded(data: Buffer, max: number): Buffer | undefined {
  if (data.length === 0) return undefined;
  const b0 = data[0] as number;
  const b1 = data.length > 1 ? (data[1] as number) : 0;
  const opts = { maxOutputLength: Math.max(1, max) };
  try {
    if (b0 === 0x1f && b1 === 0x8b) return zlib.gunzipSync(data, opts);
    if ((b0 & 0x0f) === 8 && ((b0 << 8) | b1) % 31 === 0) return zlib.inflateSync(data, opts);
    return zlib.inflateRawSync(data, opts);
  } catch {
    return undefined;
  }
}
