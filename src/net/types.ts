/** Transports a SIP message can arrive on (the `transport` column). */
export type Transport = 'UDP' | 'TCP' | 'SCTP' | 'TLS' | 'WS' | 'WSS';

/**
 * A transport payload handed from the network decoders to an application decoder (SIP).
 * Produced per UDP datagram (after IP reassembly); TCP/SCTP/WebSocket slot in later as
 * decoders that produce the same shape.
 */
export interface Packet {
  ipVersion: 4 | 6;
  /** Textual addresses: dotted IPv4, or RFC 5952 compressed IPv6. */
  src: string;
  dst: string;
  sport: number;
  dport: number;
  transport: Transport;
  /** Capture time of the packet (of the last frame that completed it). */
  sec: number;
  nsec: number;
  /** The payload bytes (a view; copy to keep). */
  payload: Buffer;
  /**
   * Offset of `payload` inside the data of the frame being decoded, when the payload is
   * one contiguous slice of that single frame; -1 when it was reassembled from several
   * frames or transformed (decompressed, unmasked).
   */
  frameOffset: number;
  /**
   * Handles (as given to the decoder) of the frames the payload came from when it spans
   * several frames (IP fragments, TCP segments), in capture order; undefined when it came
   * from the frame being decoded alone.
   */
  frames?: number[];
}

/** Why a frame or part of one did not become SIP. Counted, never silent. */
export interface NetCounters {
  /** Frames whose link type we cannot decode (see `unknownLinkTypes`). */
  unknownLinkType: number;
  /** Frames too short for the headers they claim. */
  truncated: number;
  /** Frames carrying something other than IPv4/IPv6 (ARP, LLDP, ...). */
  notIp: number;
  /** IP packets whose transport we do not decode (ICMP, ...), or not yet (TCP, SCTP...). */
  otherTransport: number;
  /** IP fragments received. */
  fragments: number;
  /** Datagrams reassembled from fragments. */
  reassembled: number;
  /** Fragment sets dropped incomplete (expired or evicted by the memory bound). */
  incompleteFragments: number;
  /** Packets with a bad IP header (version, header length, checksum is not checked). */
  badIp: number;
  /**
   * Encapsulations opened (IP-in-IP, GRE, ERSPAN, VXLAN, Geneve, GTP-U, NULL-encrypted
   * ESP), one per layer: a GTP-U packet carrying ESP counts 2. Not a drop.
   */
  tunnels: number;
  /** Tunnel headers that are malformed (wrong version, reserved bits, bad lengths). */
  badTunnel: number;
  /** ESP packets whose payload does not read as NULL encryption (RFC 2410): encrypted. */
  espEncrypted: number;
}

export function newNetCounters(): NetCounters {
  return {
    unknownLinkType: 0,
    truncated: 0,
    notIp: 0,
    otherTransport: 0,
    fragments: 0,
    reassembled: 0,
    incompleteFragments: 0,
    badIp: 0,
    tunnels: 0,
    badTunnel: 0,
    espEncrypted: 0,
  };
}

/**
 * What a packet filter sees of one IP packet (the outermost IP header of a frame, as
 * libpcap's filters do). Ports are -1 for non-first fragments and for transports without
 * ports, as a BPF program cannot read them there either.
 */
export interface IpInfo {
  ipVersion: 4 | 6;
  src: string;
  dst: string;
  /** IP protocol / IPv6 next header after extension headers: 17 UDP, 6 TCP, 132 SCTP, 1 ICMP... */
  proto: number;
  sport: number;
  dport: number;
  /** True when the frame carried at least one 802.1Q/802.1ad tag. */
  vlan: boolean;
}
