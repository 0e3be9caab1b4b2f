/**
 * TZSP (TaZmen Sniffer Protocol): a remote sniffer (a MikroTik router's packet sniffer with
 * "streaming", many access points) sends each captured frame in one UDP datagram, by
 * default to port 37008. `decodeTzsp` reads the header and tags and says where the
 * captured frame starts and which pcap link type it has. Total: any bytes give a status.
 *
 * Layout (Tazmen Technologies' TZSP application note; Wireshark's packet-tzsp.c agrees):
 *   0 version (1: 1)
 *   1 type (1): 0 received packet, 1 packet for transmission (both carry a frame),
 *               2 reserved, 3 configuration, 4 keep-alive (null), 5 port opener
 *   2 encapsulated protocol (2, network order): 1 Ethernet, 2 Token Ring, 3 SLIP, 4 PPP,
 *               5 FDDI, 7 raw IP, 18 IEEE 802.11, 119 802.11 with Prism header,
 *               127 802.11 with AVS header
 *   4 tagged fields, each: tag (1) length (1) value (length), except
 *               tag 0 PADDING and tag 1 END, which are one byte alone; END closes the list
 *               (10 raw RSSI, 11 SNR, 12 data rate, 13 timestamp, 15 contention free,
 *               16 decrypted, 17 FCS error, 18 RX channel, 40 packet count, 41 frame
 *               length, 60 radio header serial: read past, not used)
 *   then the encapsulated frame, to the end of the datagram.
 */

export const TZSP_DEFAULT_PORT = 37008;

const TZSP_VERSION = 1;
const TZSP_HEADER = 4;

export const TZSP_TYPE_RECEIVED = 0;
export const TZSP_TYPE_TRANSMIT = 1;
export const TZSP_TYPE_RESERVED = 2;
export const TZSP_TYPE_CONFIG = 3;
export const TZSP_TYPE_KEEPALIVE = 4;
export const TZSP_TYPE_PORT_OPENER = 5;

export const TZSP_TAG_PADDING = 0;
export const TZSP_TAG_END = 1;

export const TZSP_ENCAP_ETHERNET = 1;
export const TZSP_ENCAP_TOKEN_RING = 2;
export const TZSP_ENCAP_SLIP = 3;
export const TZSP_ENCAP_PPP = 4;
export const TZSP_ENCAP_FDDI = 5;
export const TZSP_ENCAP_RAW = 7;
export const TZSP_ENCAP_80211 = 18;
export const TZSP_ENCAP_80211_PRISM = 119;
export const TZSP_ENCAP_80211_AVS = 127;

/** TZSP encapsulation → pcap LINKTYPE (https://www.tcpdump.org/linktypes.html). */
const LINKTYPE_OF_ENCAP: ReadonlyMap<number, number> = new Map([
  [TZSP_ENCAP_ETHERNET, 1], // LINKTYPE_ETHERNET
  [TZSP_ENCAP_TOKEN_RING, 6], // LINKTYPE_IEEE802_5
  [TZSP_ENCAP_SLIP, 8], // LINKTYPE_SLIP
  [TZSP_ENCAP_PPP, 9], // LINKTYPE_PPP
  [TZSP_ENCAP_FDDI, 10], // LINKTYPE_FDDI
  [TZSP_ENCAP_RAW, 101], // LINKTYPE_RAW
  [TZSP_ENCAP_80211, 105], // LINKTYPE_IEEE802_11
  [TZSP_ENCAP_80211_PRISM, 119], // LINKTYPE_PRISM_HEADER
  [TZSP_ENCAP_80211_AVS, 163], // LINKTYPE_IEEE802_11_AVS
]);

/** The pcap link type of a TZSP encapsulation, or -1 when unknown. */
export function linktypeOfTzspEncapsulation(encapsulation: number): number {
  return LINKTYPE_OF_ENCAP.get(encapsulation) ?? -1;
}

/** A frame to hand on (type 0 or 1, known encapsulation). */
export const TZSP_OK = 0;
/** A well-formed control datagram (keep-alive, port opener, configuration): nothing to capture. */
export const TZSP_CONTROL = 1;
/** Shorter than its header, or the tag list runs past the end or has no END. */
export const TZSP_TRUNCATED = 2;
/** Not version 1, or a type out of range. */
export const TZSP_BAD = 3;
/** A frame of an encapsulation with no pcap link type we know. */
export const TZSP_UNKNOWN_ENCAPSULATION = 4;
export type TzspStatus =
  | typeof TZSP_OK
  | typeof TZSP_CONTROL
  | typeof TZSP_TRUNCATED
  | typeof TZSP_BAD
  | typeof TZSP_UNKNOWN_ENCAPSULATION;

/** One datagram as read by `decodeTzsp` (caller-owned, reused). */
export interface TzspPacket {
  type: number;
  encapsulation: number;
  /** pcap link type of the frame, -1 when unknown. */
  linktype: number;
  /** Where the encapsulated frame starts; it runs to the end of the datagram. */
  frameAt: number;
  /** Tags read (padding and END excluded). */
  tags: number;
}

export function newTzspPacket(): TzspPacket {
  return { type: 0, encapsulation: 0, linktype: -1, frameAt: 0, tags: 0 };
}

/** Reads the TZSP datagram `buf` into `out`. */
export function decodeTzsp(buf: Buffer, out: TzspPacket): TzspStatus {
  out.type = 0;
  out.encapsulation = 0;
  out.linktype = -1;
  out.frameAt = 0;
  out.tags = 0;
  if (buf.length < TZSP_HEADER) return TZSP_TRUNCATED;
  if (buf[0] !== TZSP_VERSION) return TZSP_BAD;
  const type = buf[1] as number;
  if (type > TZSP_TYPE_PORT_OPENER) return TZSP_BAD;
  out.type = type;
  out.encapsulation = buf.readUInt16BE(2);
  // Control datagrams may stop after the header (keep-alives from some senders do).
  const carriesFrame = type === TZSP_TYPE_RECEIVED || type === TZSP_TYPE_TRANSMIT;
  if (!carriesFrame && buf.length === TZSP_HEADER) return TZSP_CONTROL;

  let p = TZSP_HEADER;
  for (;;) {
    if (p >= buf.length) return TZSP_TRUNCATED; // no END tag
    const tag = buf[p] as number;
    if (tag === TZSP_TAG_END) {
      p++;
      break;
    }
    if (tag === TZSP_TAG_PADDING) {
      p++;
      continue;
    }
    if (p + 2 > buf.length) return TZSP_TRUNCATED;
    const length = buf[p + 1] as number;
    if (p + 2 + length > buf.length) return TZSP_TRUNCATED;
    p += 2 + length;
    out.tags++;
  }
  out.frameAt = p;
  if (!carriesFrame) return TZSP_CONTROL;
  out.linktype = linktypeOfTzspEncapsulation(out.encapsulation);
  if (out.linktype < 0) return TZSP_UNKNOWN_ENCAPSULATION;
  if (p >= buf.length) return TZSP_TRUNCATED; // header and tags but no frame
  return TZSP_OK;
}

/** Encodes a TZSP datagram (tests, and any future relay): header, the given tags, END, frame. */
export function encodeTzsp(frame: Buffer, opts: { type?: number; encapsulation?: number; tags?: Buffer } = {}): Buffer {
  const head = Buffer.alloc(TZSP_HEADER);
  head[0] = TZSP_VERSION;
  head[1] = opts.type ?? TZSP_TYPE_RECEIVED;
  head.writeUInt16BE(opts.encapsulation ?? TZSP_ENCAP_ETHERNET, 2);
  return Buffer.concat([head, opts.tags ?? Buffer.alloc(0), Buffer.from([TZSP_TAG_END]), frame]);
}
