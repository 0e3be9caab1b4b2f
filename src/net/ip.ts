/**
 * IPv4 and IPv6 header parsing into a caller-owned `IpHeader` (no allocation per packet).
 *
 * Lengths in headers are never trusted beyond the captured bytes: the parsed `end` is
 * clamped to what is there and `clamped` says so.
 */

/** Result of parsing one IP header; offsets are into the buffer that was parsed. */
export interface IpHeader {
  version: 4 | 6;
  /** Offsets of the source and destination address bytes (4 or 16 bytes). */
  srcAt: number;
  dstAt: number;
  /**
   * Upper-layer protocol (IPv4 protocol, or IPv6 next header after the extension headers
   * this parser walks). For a fragment, the protocol of the fragmentable part.
   */
  proto: number;
  /** Offset of the upper-layer payload (for a fragment: of the fragment data). */
  payloadAt: number;
  /** End of the packet: the header's length, Ethernet padding trimmed, clamped to the capture. */
  end: number;
  /** True when the header claims more bytes than were captured (`end` was clamped). */
  clamped: boolean;
  /** True for a fragment (IPv4 MF or offset != 0; IPv6 fragment header with M or offset != 0). */
  fragment: boolean;
  /** Fragment offset in bytes, more-fragments flag and identification (when `fragment`). */
  fragOffset: number;
  moreFragments: boolean;
  fragId: number;
}

export function newIpHeader(): IpHeader {
  return {
    version: 4,
    srcAt: 0,
    dstAt: 0,
    proto: 0,
    payloadAt: 0,
    end: 0,
    clamped: false,
    fragment: false,
    fragOffset: 0,
    moreFragments: false,
    fragId: 0,
  };
}

/** Outcomes of `parseIpv4Header` / `parseIpv6Header`. */
export const IP_OK = 0;
/** Fewer bytes than the fixed header or the header length the packet claims. */
export const IP_TRUNCATED = 1;
/** Wrong version, header length below the minimum, total length below the header length. */
export const IP_BAD = 2;
export type IpStatus = typeof IP_OK | typeof IP_TRUNCATED | typeof IP_BAD;

/** IP protocol numbers (https://www.iana.org/assignments/protocol-numbers). */
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_SCTP = 132;

/*
 * IPv4 header (RFC 791 3.1):
 *   0 version (4 bits) | IHL (4 bits, 32-bit words)   1 DSCP/ECN
 *   2 total length (2)   4 identification (2)   6 flags (3 bits) | fragment offset (13 bits, 8-byte units)
 *   8 TTL   9 protocol   10 header checksum (2)   12 source (4)   16 destination (4)   20 options
 */
const V4_MIN_HEADER = 20;
const V4_TOTAL_LENGTH = 2;
const V4_ID = 4;
const V4_FLAGS_OFFSET = 6;
const V4_PROTOCOL = 9;
const V4_SRC = 12;
const V4_DST = 16;
const V4_FLAG_MF = 0x2000;
const V4_OFFSET_MASK = 0x1fff;

/** Parses the IPv4 header at `off`; `limit` is the end of the captured bytes. */
export function parseIpv4Header(buf: Buffer, off: number, limit: number, h: IpHeader): IpStatus {
  if (limit - off < V4_MIN_HEADER) return limit - off >= 1 && (buf[off] as number) >> 4 !== 4 ? IP_BAD : IP_TRUNCATED;
  const b0 = buf[off] as number;
  if (b0 >> 4 !== 4) return IP_BAD;
  const headerLen = (b0 & 0x0f) * 4;
  if (headerLen < V4_MIN_HEADER) return IP_BAD;
  if (off + headerLen > limit) return IP_TRUNCATED;
  const total = buf.readUInt16BE(off + V4_TOTAL_LENGTH);
  let end: number;
  let clamped = false;
  if (total === 0) {
    // Segmentation offload: packets captured on the sending host before the NIC splits
    // them carry total length 0. Use what was captured.
    end = limit;
  } else if (total < headerLen) {
    return IP_BAD;
  } else if (off + total <= limit) {
    end = off + total; // trims Ethernet padding
  } else {
    end = limit;
    clamped = true;
  }
  const flagsOffset = buf.readUInt16BE(off + V4_FLAGS_OFFSET);
  h.version = 4;
  h.srcAt = off + V4_SRC;
  h.dstAt = off + V4_DST;
  h.proto = buf[off + V4_PROTOCOL] as number;
  h.payloadAt = off + headerLen;
  h.end = end;
  h.clamped = clamped;
  h.fragOffset = (flagsOffset & V4_OFFSET_MASK) * 8;
  h.moreFragments = (flagsOffset & V4_FLAG_MF) !== 0;
  h.fragment = h.moreFragments || h.fragOffset !== 0;
  h.fragId = buf.readUInt16BE(off + V4_ID);
  return IP_OK;
}

/*
 * IPv6 header (RFC 8200 3):
 *   0 version (4 bits) | traffic class (8) | flow label (20)
 *   4 payload length (2)   6 next header   7 hop limit   8 source (16)   24 destination (16)   40
 */
const V6_HEADER = 40;
const V6_PAYLOAD_LENGTH = 4;
const V6_NEXT_HEADER = 6;
const V6_SRC = 8;
const V6_DST = 24;

/** IPv6 extension header types (RFC 8200 4, RFC 4302, RFC 6275). */
export const V6_HOP_BY_HOP = 0;
export const V6_ROUTING = 43;
export const V6_FRAGMENT = 44;
export const V6_AH = 51;
export const V6_DEST_OPTIONS = 60;
export const V6_MOBILITY = 135;
export const V6_NO_NEXT_HEADER = 59;

/*
 * Generic extension header (RFC 8200 4.3-4.6): 0 next header, 1 length in 8-octet units
 * not counting the first 8. AH (RFC 4302 2.2): 1 length in 4-octet units minus 2.
 * Fragment header (RFC 8200 4.5), 8 bytes: 0 next header  1 reserved
 *   2 fragment offset (13 bits, 8-byte units) | res (2 bits) | M (1 bit)   4 identification (4)
 */
const V6_FRAG_HEADER = 8;
const V6_FRAG_OFFSET_MASK = 0xfff8;
const V6_FRAG_M = 0x0001;

/** Parses the IPv6 header at `off` and its extension headers; `limit` ends the capture. */
export function parseIpv6Header(buf: Buffer, off: number, limit: number, h: IpHeader): IpStatus {
  if (limit - off < V6_HEADER) return limit - off >= 1 && (buf[off] as number) >> 4 !== 6 ? IP_BAD : IP_TRUNCATED;
  if ((buf[off] as number) >> 4 !== 6) return IP_BAD;
  const payloadLen = buf.readUInt16BE(off + V6_PAYLOAD_LENGTH);
  let end: number;
  let clamped = false;
  const claimed = off + V6_HEADER + payloadLen;
  if (payloadLen === 0) {
    // Jumbogram (RFC 2675) or segmentation offload: use what was captured.
    end = limit;
  } else if (claimed <= limit) {
    end = claimed; // trims Ethernet padding
  } else {
    end = limit;
    clamped = true;
  }
  h.version = 6;
  h.srcAt = off + V6_SRC;
  h.dstAt = off + V6_DST;
  h.end = end;
  h.clamped = clamped;
  h.fragment = false;
  h.fragOffset = 0;
  h.moreFragments = false;
  h.fragId = 0;
  return walkIpv6Extensions(buf, off + V6_HEADER, end, buf[off + V6_NEXT_HEADER] as number, true, h);
}

/**
 * Walks IPv6 extension headers from `at` (whose type is `next`) up to the upper-layer
 * header, setting `h.proto` and `h.payloadAt`. A fragment header, when `fragmentAllowed`,
 * sets the fragment fields and ends the walk: the rest belongs to the fragmentable part.
 * No next header (59) ends the walk with proto 59.
 */
export function walkIpv6Extensions(
  buf: Buffer,
  at: number,
  end: number,
  next: number,
  fragmentAllowed: boolean,
  h: IpHeader,
): IpStatus {
  for (;;) {
    switch (next) {
      case V6_HOP_BY_HOP:
      case V6_ROUTING:
      case V6_DEST_OPTIONS:
      case V6_MOBILITY:
      case V6_AH: {
        if (end - at < 2) return IP_TRUNCATED;
        const len = next === V6_AH ? ((buf[at + 1] as number) + 2) * 4 : ((buf[at + 1] as number) + 1) * 8;
        if (at + len > end) return IP_TRUNCATED;
        next = buf[at] as number;
        at += len;
        break;
      }
      case V6_FRAGMENT: {
        if (!fragmentAllowed) {
          // A fragment header inside a reassembled payload: nothing sane to do with it.
          h.proto = next;
          h.payloadAt = at;
          return IP_OK;
        }
        if (end - at < V6_FRAG_HEADER) return IP_TRUNCATED;
        const offsetFlags = buf.readUInt16BE(at + 2);
        h.fragOffset = offsetFlags & V6_FRAG_OFFSET_MASK;
        h.moreFragments = (offsetFlags & V6_FRAG_M) !== 0;
        h.fragId = buf.readUInt32BE(at + 4);
        // An "atomic fragment" (offset 0, M 0; RFC 6946) is a whole packet: keep walking.
        h.fragment = h.moreFragments || h.fragOffset !== 0;
        next = buf[at] as number;
        at += V6_FRAG_HEADER;
        if (h.fragment) {
          h.proto = next;
          h.payloadAt = at;
          return IP_OK;
        }
        fragmentAllowed = false;
        break;
      }
      default:
        h.proto = next;
        h.payloadAt = at;
        return IP_OK;
    }
  }
}

/** Byte length of the source/destination address for an IP version. */
export function addressLength(version: 4 | 6): number {
  return version === 4 ? 4 : 16;
}
