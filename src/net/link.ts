/**
 * Link layers: find where the IP packet starts in a frame, through VLAN tags (802.1Q,
 * QinQ), PPPoE sessions and MPLS label stacks (with Ethernet pseudowires). The same
 * EtherType walk (`decodeEtherType`, `decodeEthernetAt`) serves frames inside tunnels.
 *
 * `decodeLink` fills a caller-owned `LinkResult` and returns a status, so the per-frame
 * path allocates nothing.
 */
import { LINKTYPE } from '../pcap/types';

/** Where the IP packet of a frame is, as found by `decodeLink`. */
export interface LinkResult {
  /** Offset of the first byte of the IP header in the frame. */
  offset: number;
  /** IP version the link header announces (4, 6), or 0 when only the version nibble tells. */
  version: 0 | 4 | 6;
  /** True when at least one 802.1Q / 802.1ad tag was skipped. */
  vlan: boolean;
}

export function newLinkResult(): LinkResult {
  return { offset: 0, version: 0, vlan: false };
}

/** `decodeLink` outcomes. */
export const LINK_OK = 0;
/** Frame shorter than its link header. */
export const LINK_TRUNCATED = 1;
/** The link header announces something other than IPv4/IPv6 (ARP, LLDP, 802.3 LLC...). */
export const LINK_NOT_IP = 2;
/** A link type this module does not decode. */
export const LINK_UNKNOWN = 3;
export type LinkStatus = typeof LINK_OK | typeof LINK_TRUNCATED | typeof LINK_NOT_IP | typeof LINK_UNKNOWN;

/** EtherType values (IEEE 802 numbers, https://www.iana.org/assignments/ieee-802-numbers). */
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
/** IEEE 802.1Q customer VLAN tag. */
export const ETHERTYPE_VLAN = 0x8100;
/** IEEE 802.1ad service VLAN tag (outer tag of QinQ). */
export const ETHERTYPE_QINQ = 0x88a8;
/** Pre-standard QinQ outer tag used by some switches. */
export const ETHERTYPE_QINQ_OLD = 0x9100;
/** EtherType values below this are IEEE 802.3 lengths (LLC frames), not types. */
const ETHERTYPE_MIN = 0x0600;

/*
 * Ethernet II (IEEE 802.3 clause 3.2.6; LINKTYPE_ETHERNET):
 *   0  destination MAC (6)
 *   6  source MAC (6)
 *  12  EtherType (2)          ─┐ repeated while it is a VLAN tag TPID (802.1Q 9.6):
 *  14  payload                 │   12 TPID (2) 14 TCI (2) 16 next EtherType (2)
 */
const ETH_HEADER = 14;
const ETH_TYPE = 12;
const VLAN_TAG = 4;

/*
 * Linux cooked capture v1 (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html):
 *   0 packet type (2)  2 ARPHRD type (2)  4 address length (2)  6 address (8)
 *  14 protocol type (2, an EtherType for IP)  16 payload
 */
const SLL_HEADER = 16;
const SLL_PROTOCOL = 14;

/*
 * Linux cooked capture v2 (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html):
 *   0 protocol type (2)  2 reserved (2)  4 interface index (4)  8 ARPHRD type (2)
 *  10 packet type (1)  11 address length (1)  12 address (8)  20 payload
 */
const SLL2_HEADER = 20;
const SLL2_PROTOCOL = 0;

/*
 * BSD loopback (https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html, LINKTYPE_LOOP):
 *   0 address family (4; NULL: the writer's host byte order, LOOP: network byte order)
 *   4 payload
 */
const NULL_HEADER = 4;
/** AF_INET on every OS. */
const AF_INET = 2;
/** AF_INET6: Linux 10, NetBSD/OpenBSD/BSD/OS 24, FreeBSD/DragonFly 28, Darwin 30. */
const AF_INET6_LINUX = 10;
const AF_INET6_BSD = 24;
const AF_INET6_FREEBSD = 28;
const AF_INET6_DARWIN = 30;

function afVersion(family: number): 0 | 4 | 6 {
  switch (family) {
    case AF_INET:
      return 4;
    case AF_INET6_LINUX:
    case AF_INET6_BSD:
    case AF_INET6_FREEBSD:
    case AF_INET6_DARWIN:
      return 6;
    default:
      return 0;
  }
}

/** True for the link types `decodeLink` understands. */
export function isKnownLinkType(linktype: number): boolean {
  switch (linktype) {
    case LINKTYPE.ETHERNET:
    case LINKTYPE.LINUX_SLL:
    case LINKTYPE.LINUX_SLL2:
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_DLT12:
    case LINKTYPE.RAW_DLT14:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP:
      return true;
    default:
      return false;
  }
}

/** Locates the IP packet in `data` for `linktype`; fills `out` when the status is LINK_OK. */
export function decodeLink(linktype: number, data: Buffer, out: LinkResult): LinkStatus {
  out.vlan = false;
  switch (linktype) {
    case LINKTYPE.ETHERNET:
      return decodeEthernet(data, out);
    case LINKTYPE.LINUX_SLL:
      return decodeEtherTyped(data, SLL_HEADER, SLL_PROTOCOL, out);
    case LINKTYPE.LINUX_SLL2:
      return decodeEtherTyped(data, SLL2_HEADER, SLL2_PROTOCOL, out);
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_DLT12:
    case LINKTYPE.RAW_DLT14:
      out.offset = 0;
      out.version = 0;
      return LINK_OK;
    case LINKTYPE.IPV4:
      out.offset = 0;
      out.version = 4;
      return LINK_OK;
    case LINKTYPE.IPV6:
      out.offset = 0;
      out.version = 6;
      return LINK_OK;
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP:
      return decodeLoopback(data, linktype === LINKTYPE.LOOP, out);
    default:
      return LINK_UNKNOWN;
  }
}

function decodeEthernet(data: Buffer, out: LinkResult): LinkStatus {
  return decodeEthernetAt(data, 0, data.length, out);
}

/**
 * The Ethernet II frame at `data[at..end)` (an outer frame, or one carried by a tunnel:
 * GRE transparent bridging, ERSPAN, VXLAN, Geneve, an MPLS pseudowire).
 */
export function decodeEthernetAt(data: Buffer, at: number, end: number, out: LinkResult): LinkStatus {
  if (end - at < ETH_HEADER) return LINK_TRUNCATED;
  return decodeEtherType(data, at + ETH_HEADER, end, data.readUInt16BE(at + ETH_TYPE), out);
}

function decodeEtherTyped(data: Buffer, header: number, typeAt: number, out: LinkResult): LinkStatus {
  if (data.length < header) return LINK_TRUNCATED;
  return decodeEtherType(data, header, data.length, data.readUInt16BE(typeAt), out);
}

/** More tags, labels or pseudowire frames than this in one frame: not a frame we decode. */
const MAX_LINK_LAYERS = 64;

/**
 * Follows EtherType `type`, whose payload starts at `at` (and ends at `end`), through
 * VLAN tags, MPLS label stacks (and Ethernet pseudowires) and PPPoE sessions to an IPv4 or
 * IPv6 packet. Iterative, and each step consumes bytes, so it ends; MAX_LINK_LAYERS bounds
 * the work on hostile input.
 */
export function decodeEtherType(data: Buffer, at: number, end: number, type: number, out: LinkResult): LinkStatus {
  for (let layer = 0; layer < MAX_LINK_LAYERS; layer++) {
    switch (type) {
      case ETHERTYPE_IPV4:
      case ETHERTYPE_IPV6:
        out.offset = at;
        out.version = type === ETHERTYPE_IPV4 ? 4 : 6;
        return LINK_OK;
      case ETHERTYPE_VLAN:
      case ETHERTYPE_QINQ:
      case ETHERTYPE_QINQ_OLD:
        // 802.1Q 9.6: TCI (2) then the next EtherType (2); any number stacked (QinQ and beyond).
        out.vlan = true;
        if (at + VLAN_TAG > end) return LINK_TRUNCATED;
        type = data.readUInt16BE(at + 2);
        at += VLAN_TAG;
        break;
      case ETHERTYPE_PPPOE_SESSION: {
        const next = pppoeSession(data, at, end);
        if (next < 0) return next === -1 ? LINK_TRUNCATED : LINK_NOT_IP;
        // PPP protocol → EtherType, so the loop finishes the job.
        type = data.readUInt16BE(next - 2) === PPP_IPV4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
        at = next;
        break;
      }
      case ETHERTYPE_MPLS:
      case ETHERTYPE_MPLS_MULTICAST: {
        const r = mplsPayload(data, at, end);
        if (r === MPLS_TRUNCATED) return LINK_TRUNCATED;
        if (r === MPLS_NOT_IP) return LINK_NOT_IP;
        at = mplsAt(r);
        const kind = r & 3;
        if (kind === MPLS_KIND_V4) type = ETHERTYPE_IPV4;
        else if (kind === MPLS_KIND_V6) type = ETHERTYPE_IPV6;
        else {
          // Ethernet pseudowire (RFC 4448) after its control word.
          if (end - at < ETH_HEADER) return LINK_TRUNCATED;
          type = data.readUInt16BE(at + ETH_TYPE);
          at += ETH_HEADER;
        }
        break;
      }
      default:
        return LINK_NOT_IP;
    }
  }
  return LINK_NOT_IP;
}

/** PPPoE session stage (RFC 2516 4, 5) and the PPP protocols carrying IP (RFC 1332, RFC 5072). */
export const ETHERTYPE_PPPOE_SESSION = 0x8864;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

/*
 * PPPoE header (RFC 2516 4):
 *   0 VER (4 bits, 1) | TYPE (4 bits, 1)   1 CODE (0x00 in the session stage)
 *   2 SESSION_ID (2)   4 LENGTH (2, of the PPP payload, protocol field included)
 *   6 PPP protocol (2, RFC 1661 2)   8 PPP information (the IP packet)
 */
const PPPOE_HEADER = 6;

/**
 * Offset of the IP packet in a PPPoE session frame at `at`, or -1 when truncated, -2 when
 * it is not a session frame carrying IPv4/IPv6 (LCP, IPCP, ...).
 */
function pppoeSession(data: Buffer, at: number, end: number): number {
  if (end - at < PPPOE_HEADER + 2) return -1;
  if (data[at] !== 0x11 || data[at + 1] !== 0x00) return -2;
  const proto = data.readUInt16BE(at + PPPOE_HEADER);
  if (proto !== PPP_IPV4 && proto !== PPP_IPV6) return -2;
  return at + PPPOE_HEADER + 2;
}

/** MPLS (RFC 3032 5; EtherTypes from RFC 5332). */
export const ETHERTYPE_MPLS = 0x8847;
export const ETHERTYPE_MPLS_MULTICAST = 0x8848;
/*
 * MPLS label stack entry (RFC 3032 2.1), 4 bytes each:
 *   label (20 bits) | traffic class (3) | S, bottom of stack (1) | TTL (8)
 * After the bottom entry there is no type field: the payload is guessed as routers do, by
 * its first nibble (4 IPv4, 6 IPv6), or as the Ethernet pseudowire control word (RFC 4385
 * 3: first nibble 0, 4 bytes) followed by an Ethernet frame (RFC 4448).
 */
const MPLS_ENTRY = 4;
const MPLS_BOTTOM = 0x100;
const PW_CONTROL_WORD = 4;
/** Packed result of `mplsPayload`: payload offset * 4 + kind; or one of the negatives. */
const MPLS_TRUNCATED = -1;
const MPLS_NOT_IP = -2;
const MPLS_KIND_V4 = 0;
const MPLS_KIND_V6 = 1;
const MPLS_KIND_ETHERNET = 2;

function mplsAt(r: number): number {
  return Math.floor(r / 4);
}

/** Pops the label stack at `at`: where the payload starts and what it is. */
function mplsPayload(data: Buffer, at: number, end: number): number {
  for (;;) {
    if (at + MPLS_ENTRY > end) return MPLS_TRUNCATED;
    const bottom = (data.readUInt32BE(at) & MPLS_BOTTOM) !== 0;
    at += MPLS_ENTRY;
    if (bottom) break;
  }
  if (at >= end) return MPLS_TRUNCATED;
  const nibble = (data[at] as number) >> 4;
  if (nibble === 4) return at * 4 + MPLS_KIND_V4;
  if (nibble === 6) return at * 4 + MPLS_KIND_V6;
  if (nibble === 0) {
    // Control word, then an Ethernet frame whose type we check before believing it.
    const eth = at + PW_CONTROL_WORD;
    if (eth + ETH_HEADER > end) return MPLS_TRUNCATED;
    const type = data.readUInt16BE(eth + ETH_TYPE);
    if (type < ETHERTYPE_MIN) return MPLS_NOT_IP;
    return eth * 4 + MPLS_KIND_ETHERNET;
  }
  return MPLS_NOT_IP;
}

function decodeLoopback(data: Buffer, networkOrder: boolean, out: LinkResult): LinkStatus {
  if (data.length < NULL_HEADER) {
    return rawFallback(data, out) ? LINK_OK : LINK_TRUNCATED;
  }
  // NULL is in the writer's byte order, which the file does not record: accept either.
  let version = afVersion(data.readUInt32BE(0));
  if (version === 0 && !networkOrder) version = afVersion(data.readUInt32LE(0));
  if (version !== 0) {
    out.offset = NULL_HEADER;
    out.version = version;
    return LINK_OK;
  }
  return rawFallback(data, out) ? LINK_OK : LINK_NOT_IP;
}

/**
 * Some writers label raw IP as NULL (e.g. pkts' cool.pcap: link type 0, packets start with
 * 0x45). No valid family starts with a byte 0x45..0x4f (IPv4, IHL >= 5) or 0x60..0x6f
 * (IPv6), so such a frame is read as raw IP.
 */
function rawFallback(data: Buffer, out: LinkResult): boolean {
  const first = data.length > 0 ? (data[0] as number) : 0;
  if (first >= 0x45 && first <= 0x4f) {
    out.offset = 0;
    out.version = 4;
    return true;
  }
  if (first >> 4 === 6) {
    out.offset = 0;
    out.version = 6;
    return true;
  }
  return false;
}
