/**
 * Tunnel and encapsulation headers: GRE (with ERSPAN and PPTP), VXLAN, VXLAN-GPE, Geneve,
 * GTP-U and ESP with NULL encryption.
 *
 * Each `decode*` function reads one header at `buf[at..end)` and fills a caller-owned
 * `Inner` saying where the encapsulated packet is and what it is, so the decoder can carry
 * on with the inner bytes in place (no copy: `frameOffset` stays exact). Pure and total:
 * any bytes give a status, nothing throws, nothing is allocated.
 */

/** What an encapsulation carries, as found by a `decode*` function. */
export interface Inner {
  /** Offset and end of the encapsulated packet or frame in the buffer. */
  at: number;
  end: number;
  /** INNER_IP, INNER_ETHERNET, INNER_ETHERTYPE or INNER_TRANSPORT. */
  kind: InnerKind;
  /** INNER_IP: the version the header announces (0: the version nibble tells). */
  version: 0 | 4 | 6;
  /** INNER_ETHERTYPE: the EtherType of the payload (MPLS, VLAN...). */
  etherType: number;
  /** INNER_TRANSPORT (ESP transport mode): the IP protocol of the payload. */
  proto: number;
}

export function newInner(): Inner {
  return { at: 0, end: 0, kind: INNER_IP, version: 0, etherType: 0, proto: 0 };
}

/** An IP packet. */
export const INNER_IP = 0;
/** An Ethernet II frame. */
export const INNER_ETHERNET = 1;
/** A payload identified by an EtherType other than IPv4/IPv6/Ethernet (MPLS, VLAN...). */
export const INNER_ETHERTYPE = 2;
/** A transport payload (UDP, TCP, SCTP) that shares the outer IP header (ESP transport mode). */
export const INNER_TRANSPORT = 3;
export type InnerKind = typeof INNER_IP | typeof INNER_ETHERNET | typeof INNER_ETHERTYPE | typeof INNER_TRANSPORT;

/** Outcomes of the `decode*` functions. */
export const TUNNEL_OK = 0;
/** Fewer bytes than the header needs. */
export const TUNNEL_TRUNCATED = 1;
/** Not a valid header of this kind (wrong version, reserved bits, inconsistent lengths). */
export const TUNNEL_BAD = 2;
/** A valid header whose payload is not IP (GTP-U echo, GRE carrying IPX, ERSPAN of another frame type...). */
export const TUNNEL_NOT_IP = 3;
/** ESP whose payload does not read as NULL encryption: really encrypted. */
export const TUNNEL_ENCRYPTED = 4;
export type TunnelStatus =
  | typeof TUNNEL_OK
  | typeof TUNNEL_TRUNCATED
  | typeof TUNNEL_BAD
  | typeof TUNNEL_NOT_IP
  | typeof TUNNEL_ENCRYPTED;

/** IP protocol numbers of the tunnels (https://www.iana.org/assignments/protocol-numbers). */
export const PROTO_IPIP = 4;
export const PROTO_IPV6_IN_IP = 41;
export const PROTO_GRE = 47;
export const PROTO_ESP = 50;

/** Well-known UDP destination ports of the UDP tunnels. */
export const PORT_GTPU = 2152; // 3GPP TS 29.281 4.4.2
export const PORT_VXLAN = 4789; // RFC 7348 5
export const PORT_VXLAN_GPE = 4790; // draft-ietf-nvo3-vxlan-gpe 3.4
export const PORT_GENEVE = 6081; // RFC 8926 3.3
export const PORT_ESP_IN_UDP = 4500; // RFC 3948 2 (IPsec NAT traversal), either direction

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** Transparent Ethernet bridging (RFC 1701 / IANA): an Ethernet frame follows. */
const ETHERTYPE_TEB = 0x6558;
/** ERSPAN type I and II (GRE protocol type, draft-foschiano-erspan-03 4.1, 4.2). */
const ETHERTYPE_ERSPAN_II = 0x88be;
/** ERSPAN type III (draft-foschiano-erspan-03 4.3). */
const ETHERTYPE_ERSPAN_III = 0x22eb;
/** PPP, as carried by PPTP's enhanced GRE (RFC 2637 4.1). */
const ETHERTYPE_PPP = 0x880b;

function setIp(out: Inner, at: number, end: number, version: 0 | 4 | 6): TunnelStatus {
  out.kind = INNER_IP;
  out.at = at;
  out.end = end;
  out.version = version;
  return TUNNEL_OK;
}

function setEthernet(out: Inner, at: number, end: number): TunnelStatus {
  out.kind = INNER_ETHERNET;
  out.at = at;
  out.end = end;
  return TUNNEL_OK;
}

/** An EtherType-typed payload: IP, Ethernet (0x6558) or something the link layer follows. */
function setEtherTyped(out: Inner, at: number, end: number, type: number): TunnelStatus {
  if (type === ETHERTYPE_IPV4) return setIp(out, at, end, 4);
  if (type === ETHERTYPE_IPV6) return setIp(out, at, end, 6);
  if (type === ETHERTYPE_TEB) return setEthernet(out, at, end);
  out.kind = INNER_ETHERTYPE;
  out.at = at;
  out.end = end;
  out.etherType = type;
  return TUNNEL_OK;
}

/*
 * GRE header (RFC 2784 2.1, RFC 2890 2; RFC 1701 2.1 for R and the routing field; RFC
 * 2637 4.1 for PPTP's version 1):
 *   0 C (checksum present) | R (routing present) | K (key present) | S (sequence present)
 *     | s (strict source route) | Recur (3 bits)
 *   1 A (PPTP: acknowledgment present) | flags (4 bits, 0) | Ver (3 bits: 0 GRE, 1 PPTP)
 *   2 protocol type (2, an EtherType)
 *   4 [checksum (2) | offset (2)]     when C or R
 *     [key (4)]                       when K (PPTP: payload length (2) | call id (2))
 *     [sequence number (4)]           when S
 *     [acknowledgment number (4)]     PPTP, when A
 *     [routing: SREs]                 when R (RFC 1701): address family (2) | SRE offset (1)
 *                                     | SRE length (1) | routing info; ends with family 0, length 0
 *   payload
 */
const GRE_C = 0x80;
const GRE_R = 0x40;
const GRE_K = 0x20;
const GRE_S = 0x10;
const GRE_PPTP_A = 0x80;
const GRE_VERSION = 0x07;
const GRE_HEADER = 4;

/** Decodes the GRE header at `at` and what it announces (ERSPAN and PPTP's PPP included). */
export function decodeGre(buf: Buffer, at: number, end: number, out: Inner): TunnelStatus {
  if (end - at < GRE_HEADER) return TUNNEL_TRUNCATED;
  const flags = buf[at] as number;
  const b1 = buf[at + 1] as number;
  const version = b1 & GRE_VERSION;
  const type = buf.readUInt16BE(at + 2);
  let p = at + GRE_HEADER;
  if (version === 1) {
    // PPTP (RFC 2637 4.1): K always set, no C/R, protocol PPP.
    if ((flags & (GRE_C | GRE_R)) !== 0 || (flags & GRE_K) === 0 || type !== ETHERTYPE_PPP) return TUNNEL_BAD;
    p += 4;
    if ((flags & GRE_S) !== 0) p += 4;
    if ((b1 & GRE_PPTP_A) !== 0) p += 4;
    if (p > end) return TUNNEL_TRUNCATED;
    return decodePpp(buf, p, end, out);
  }
  if (version !== 0) return TUNNEL_BAD;
  if ((flags & (GRE_C | GRE_R)) !== 0) p += 4;
  if ((flags & GRE_K) !== 0) p += 4;
  if ((flags & GRE_S) !== 0) p += 4;
  if (p > end) return TUNNEL_TRUNCATED;
  if ((flags & GRE_R) !== 0) {
    // Source route entries until the NULL SRE; each consumes at least 4 bytes.
    for (;;) {
      if (p + 4 > end) return TUNNEL_TRUNCATED;
      const family = buf.readUInt16BE(p);
      const sreLength = buf[p + 3] as number;
      p += 4 + sreLength;
      if (family === 0 && sreLength === 0) break;
      if (p > end) return TUNNEL_TRUNCATED;
    }
  }
  if (type === ETHERTYPE_ERSPAN_II) return decodeErspanII(buf, p, end, (flags & GRE_S) !== 0, out);
  if (type === ETHERTYPE_ERSPAN_III) return decodeErspanIII(buf, p, end, out);
  return setEtherTyped(out, p, end, type);
}

/*
 * ERSPAN type II header (draft-foschiano-erspan-03 4.2), 8 bytes, after a GRE header with
 * the S bit; type I (4.1) has no S bit and no header, the mirrored frame follows GRE:
 *   0 Ver (4 bits, 1) | VLAN (12)   2 COS (3) | En (2) | T (1) | session id (10)
 *   4 reserved (12) | index (20)    8 mirrored Ethernet frame
 */
const ERSPAN_II_HEADER = 8;
const ERSPAN_II_VERSION = 1;

function decodeErspanII(buf: Buffer, at: number, end: number, sequenced: boolean, out: Inner): TunnelStatus {
  if (!sequenced) return setEthernet(out, at, end); // type I
  if (end - at < ERSPAN_II_HEADER) return TUNNEL_TRUNCATED;
  if ((buf[at] as number) >> 4 !== ERSPAN_II_VERSION) return TUNNEL_BAD;
  return setEthernet(out, at + ERSPAN_II_HEADER, end);
}

/*
 * ERSPAN type III header (draft-foschiano-erspan-03 4.3), 12 bytes:
 *   0 Ver (4 bits, 2) | VLAN (12)   2 COS (3) | BSO (2) | T (1) | session id (10)
 *   4 timestamp (4)   8 SGT (2)
 *  10 P (1) | FT, frame type (5: 0 Ethernet, 2 IP) | HW ID (6) | D (1) | Gra (2) | O (1)
 *  12 [platform specific subheader (8)] when O
 *     mirrored frame
 */
const ERSPAN_III_HEADER = 12;
const ERSPAN_III_VERSION = 2;
const ERSPAN_III_SUBHEADER = 8;
const ERSPAN_FT_ETHERNET = 0;
const ERSPAN_FT_IP = 2;

function decodeErspanIII(buf: Buffer, at: number, end: number, out: Inner): TunnelStatus {
  if (end - at < ERSPAN_III_HEADER) return TUNNEL_TRUNCATED;
  if ((buf[at] as number) >> 4 !== ERSPAN_III_VERSION) return TUNNEL_BAD;
  const b10 = buf[at + 10] as number;
  const frameType = (b10 >> 2) & 0x1f;
  let p = at + ERSPAN_III_HEADER;
  if (((buf[at + 11] as number) & 0x01) !== 0) p += ERSPAN_III_SUBHEADER;
  if (p > end) return TUNNEL_TRUNCATED;
  if (frameType === ERSPAN_FT_ETHERNET) return setEthernet(out, p, end);
  if (frameType === ERSPAN_FT_IP) return setIp(out, p, end, 0);
  return TUNNEL_NOT_IP;
}

/*
 * PPP in HDLC-like framing as PPTP sends it (RFC 1662 3.1, RFC 1661 2, 6.5, 6.6):
 *   [address 0xff | control 0x03] (omitted with address-and-control-field compression)
 *   protocol (2, or 1 when protocol-field compression gives an odd first byte)
 *   information: 0x0021 IPv4 (RFC 1332), 0x0057 IPv6 (RFC 5072)
 */
function decodePpp(buf: Buffer, at: number, end: number, out: Inner): TunnelStatus {
  let p = at;
  if (end - p >= 2 && buf[p] === 0xff && buf[p + 1] === 0x03) p += 2;
  if (p >= end) return TUNNEL_TRUNCATED;
  let proto: number;
  if (((buf[p] as number) & 1) === 1) {
    proto = buf[p] as number;
    p += 1;
  } else {
    if (end - p < 2) return TUNNEL_TRUNCATED;
    proto = buf.readUInt16BE(p);
    p += 2;
  }
  if (proto === 0x0021) return setIp(out, p, end, 4);
  if (proto === 0x0057) return setIp(out, p, end, 6);
  return TUNNEL_NOT_IP;
}

/*
 * VXLAN header (RFC 7348 5), 8 bytes:
 *   0 flags: R R R R I R R R (I, 0x08: the VNI is valid; MUST be set)
 *   1 reserved (3)   4 VNI (3)   7 reserved (0)   8 inner Ethernet frame
 * Other flag bits and bytes 1-3 are left unchecked: extensions (Group Based Policy) use
 * them. Byte 7 must be 0, which also keeps text (SIP on the VXLAN port: 'I' has bit 0x08)
 * from passing for VXLAN.
 */
const VXLAN_HEADER = 8;
const VXLAN_I = 0x08;

export function decodeVxlan(buf: Buffer, at: number, end: number, out: Inner): TunnelStatus {
  if (end - at < VXLAN_HEADER) return TUNNEL_TRUNCATED;
  if (((buf[at] as number) & VXLAN_I) === 0 || buf[at + 7] !== 0) return TUNNEL_BAD;
  return setEthernet(out, at + VXLAN_HEADER, end);
}

/*
 * VXLAN-GPE header (draft-ietf-nvo3-vxlan-gpe-12 3.3), 8 bytes:
 *   0 flags: R R Ver (2 bits, 0) I P B O (P, 0x04: next protocol present)
 *   1 reserved (2)   3 next protocol (1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH, 5 MPLS)
 *   4 VNI (3)   7 reserved   8 payload
 */
const GPE_P = 0x04;
const GPE_VERSION = 0x30;

export function decodeVxlanGpe(buf: Buffer, at: number, end: number, out: Inner): TunnelStatus {
  if (end - at < VXLAN_HEADER) return TUNNEL_TRUNCATED;
  const flags = buf[at] as number;
  if ((flags & GPE_VERSION) !== 0 || (flags & VXLAN_I) === 0 || buf[at + 7] !== 0) return TUNNEL_BAD;
  const p = at + VXLAN_HEADER;
  // Senders differ on the P bit (Wireshark ignores it): a known next protocol is taken as
  // it is; without P and with 0 there, it is plain VXLAN (an Ethernet frame).
  const next = buf[at + 3] as number;
  if (next === 0 && (flags & GPE_P) === 0) return setEthernet(out, p, end);
  switch (next) {
    case 1:
      return setIp(out, p, end, 4);
    case 2:
      return setIp(out, p, end, 6);
    case 3:
      return setEthernet(out, p, end);
    case 5:
      return setEtherTyped(out, p, end, 0x8847);
    default:
      return TUNNEL_NOT_IP;
  }
}

/*
 * Geneve header (RFC 8926 3.4):
 *   0 Ver (2 bits, 0) | Opt Len (6 bits, options length in 4-byte words)
 *   1 O (control) | C (critical options) | reserved (6)
 *   2 protocol type (2, an EtherType: 0x6558 Ethernet, 0x0800, 0x86dd)
 *   4 VNI (3)   7 reserved   8 options (Opt Len * 4)   payload
 */
const GENEVE_HEADER = 8;

export function decodeGeneve(buf: Buffer, at: number, end: number, out: Inner): TunnelStatus {
  if (end - at < GENEVE_HEADER) return TUNNEL_TRUNCATED;
  const b0 = buf[at] as number;
  if (b0 >> 6 !== 0) return TUNNEL_BAD;
  const p = at + GENEVE_HEADER + (b0 & 0x3f) * 4;
  if (p > end) return TUNNEL_TRUNCATED;
  return setEtherTyped(out, p, end, buf.readUInt16BE(at + 2));
}

/*
 * GTP-U header (3GPP TS 29.281 5.1):
 *   0 version (3 bits, 1) | PT (1, protocol type: 1 GTP) | spare (1) | E (extension header
 *     present) | S (sequence number present) | PN (N-PDU number present)
 *   1 message type (255 G-PDU; 1/2 echo, 26 error indication, 254 end marker...)
 *   2 length (2): octets after the first 8 (optional fields and extension headers included)
 *   4 TEID (4)
 *   8 [sequence number (2) | N-PDU number (1) | next extension header type (1)] when any of E, S, PN
 * Extension header (5.2): length (1, in 4-octet units, this byte and the next-type byte
 * included; never 0) | contents | next extension header type (1; 0: no more).
 * A G-PDU carries a T-PDU: for IP PDN connections an IPv4 or IPv6 packet.
 */
const GTP_HEADER = 8;
const GTP_OPTIONAL = 4;
const GTP_VERSION_PT = 0x30; // version 1 in the top 3 bits, PT set
const GTP_E = 0x04;
const GTP_S = 0x02;
const GTP_PN = 0x01;
const GTP_G_PDU = 255;

export function decodeGtpu(buf: Buffer, at: number, end: number, out: Inner): TunnelStatus {
  if (end - at < GTP_HEADER) return TUNNEL_TRUNCATED;
  const flags = buf[at] as number;
  if ((flags & 0xf0) !== GTP_VERSION_PT) return TUNNEL_BAD;
  const length = buf.readUInt16BE(at + 2);
  // Trust the length only within the captured bytes (a cut capture keeps what is there).
  const pduEnd = Math.min(end, at + GTP_HEADER + length);
  if (buf[at + 1] !== GTP_G_PDU) return TUNNEL_NOT_IP;
  let p = at + GTP_HEADER;
  if ((flags & (GTP_E | GTP_S | GTP_PN)) !== 0) {
    if (pduEnd - p < GTP_OPTIONAL) return TUNNEL_TRUNCATED;
    let next = (flags & GTP_E) !== 0 ? (buf[p + 3] as number) : 0;
    p += GTP_OPTIONAL;
    // Each extension header consumes at least 4 bytes, so the walk ends.
    while (next !== 0) {
      if (p >= pduEnd) return TUNNEL_TRUNCATED;
      const units = buf[p] as number;
      if (units === 0) return TUNNEL_BAD;
      const len = units * 4;
      if (p + len > pduEnd) return TUNNEL_TRUNCATED;
      next = buf[p + len - 1] as number;
      p += len;
    }
  }
  if (p >= pduEnd) return TUNNEL_TRUNCATED;
  const nibble = (buf[p] as number) >> 4;
  if (nibble !== 4 && nibble !== 6) return TUNNEL_NOT_IP;
  return setIp(out, p, pduEnd, nibble);
}

/*
 * ESP packet (RFC 4303 2), with NULL encryption (RFC 2410: no IV, payload in clear):
 *   0 SPI (4)   4 sequence number (4)   8 payload data
 *   padding (0-255 bytes; by default 1, 2, 3, ... RFC 4303 2.4)
 *   pad length (1)   next header (1)   ICV (length set by the SA's integrity algorithm)
 * The ICV length is not in the packet, so each usual length is tried and the first that
 * gives a consistent trailer and a consistent inner header wins: 12 (HMAC-SHA1-96,
 * HMAC-MD5-96, AES-XCBC-MAC-96; RFC 2404, 2403, 3566), 16 (HMAC-SHA-256-128, RFC 4868),
 * 0 (no integrity), 24 (HMAC-SHA-384-192) and 32 (HMAC-SHA-512-256).
 * A random (encrypted) payload passes all checks with odds of about 1 in 10^4 for TCP and
 * far less for UDP and IP, whose length fields must match too.
 */
const ESP_HEADER = 8;
const ESP_TRAILER = 2;
const ESP_ICV_LENGTHS: readonly number[] = [12, 16, 0, 24, 32];

/** Decodes ESP at `at` as NULL-encrypted when its trailer and payload are consistent. */
export function decodeEspNull(buf: Buffer, at: number, end: number, out: Inner): TunnelStatus {
  const payloadAt = at + ESP_HEADER;
  if (end - payloadAt < ESP_TRAILER) return TUNNEL_TRUNCATED;
  for (const icv of ESP_ICV_LENGTHS) {
    const t = end - icv - ESP_TRAILER; // pad length byte
    if (t < payloadAt) continue;
    const padLength = buf[t] as number;
    const next = buf[t + 1] as number;
    const innerEnd = t - padLength;
    if (innerEnd < payloadAt) continue;
    let padOk = true;
    for (let i = 0; i < padLength; i++) {
      if (buf[innerEnd + i] !== i + 1) {
        padOk = false;
        break;
      }
    }
    if (!padOk || !plausibleInner(buf, payloadAt, innerEnd, next)) continue;
    out.at = payloadAt;
    out.end = innerEnd;
    if (next === 4 || next === 41) {
      out.kind = INNER_IP;
      out.version = next === 4 ? 4 : 6;
    } else {
      out.kind = INNER_TRANSPORT;
      out.proto = next;
    }
    return TUNNEL_OK;
  }
  return TUNNEL_ENCRYPTED;
}

/** True when `buf[at..end)` reads as a whole packet of IP protocol `next`. */
function plausibleInner(buf: Buffer, at: number, end: number, next: number): boolean {
  const len = end - at;
  switch (next) {
    case 17: // UDP (RFC 768): the length field covers exactly the payload
      return len >= 8 && buf.readUInt16BE(at + 4) === len;
    case 6: {
      // TCP (RFC 9293 3.1): data offset within 5..15 words and within the payload
      if (len < 20) return false;
      const dataOffset = ((buf[at + 12] as number) >> 4) * 4;
      return dataOffset >= 20 && dataOffset <= len;
    }
    case 132: {
      // SCTP (RFC 9260 3): 12-byte common header, then chunks of length >= 4 within the packet
      if (len < 16) return false;
      const chunkLength = buf.readUInt16BE(at + 14);
      return chunkLength >= 4 && chunkLength <= len - 12;
    }
    case 4: {
      // IPv4 (RFC 791 3.1): version 4, IHL >= 5, total length = the payload
      if (len < 20) return false;
      const b0 = buf[at] as number;
      return b0 >> 4 === 4 && (b0 & 0x0f) >= 5 && buf.readUInt16BE(at + 2) === len;
    }
    case 41: // IPv6 (RFC 8200 3): version 6, 40 + payload length = the payload
      return len >= 40 && (buf[at] as number) >> 4 === 6 && 40 + buf.readUInt16BE(at + 4) === len;
    default:
      return false;
  }
}

/*
 * UDP-encapsulated ESP (RFC 3948 2): the UDP payload is an ESP packet, unless it starts
 * with the non-ESP marker (4 zero bytes: IKE follows) or is the one-byte NAT keepalive 0xff.
 */
export function isEspInUdp(buf: Buffer, at: number, end: number): boolean {
  if (end - at < ESP_HEADER + ESP_TRAILER) return false;
  return buf.readUInt32BE(at) !== 0;
}
