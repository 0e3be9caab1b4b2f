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
  /** TCP segments with a readable header (src/net/tcp.ts). Not a drop. */
  tcpSegments: number;
  /** TCP stream directions (one per direction of a 4-tuple and connection) followed. Not a drop. */
  tcpStreams: number;
  /** TCP headers with a data offset below 5 words. */
  tcpBadHeader: number;
  /** TCP segments that arrived ahead of a hole and waited for it. Not a drop. */
  tcpOutOfOrder: number;
  /** TCP bytes received again (retransmissions, overlaps) and trimmed: the first copy wins. Not a drop. */
  tcpDuplicateBytes: number;
  /** Holes in TCP streams given up (never filled): delivery resumed after them. */
  tcpGaps: number;
  /** Bytes lost in those holes. */
  tcpGapBytes: number;
  /** TCP streams closed early by the memory bound (least recently active first). */
  tcpStreamsEvicted: number;
  /** TCP stream directions that carry no SIP (nor SIP over WebSocket), counted once each. */
  tcpNotSip: number;
  /** TCP stream directions starting with a TLS record (RFC 8446 §5.1): encrypted, counted once each. */
  tlsStreams: number;
  /** TCP stream directions read as WebSocket (upgrade seen, or frames recognised). Not a drop. */
  wsStreams: number;
  /** WebSocket frames read (RFC 6455 §5.2). Not a drop. */
  wsFrames: number;
  /** WebSocket data messages handed on (continuations joined). Not a drop. */
  wsMessages: number;
  /** WebSocket control frames (close, ping, pong) skipped. Not a drop. */
  wsControlFrames: number;
  /** WebSocket frames that break RFC 6455 (bad header, stray continuation, message cut by a new one). */
  wsBadFrames: number;
  /** WebSocket frames with RSV bits set (an extension such as permessage-deflate): unreadable. */
  wsUnreadable: number;
  /** WebSocket frames or messages over the size bound (1 MiB), skipped. */
  wsOversized: number;
  /** Bytes skipped in WebSocket streams (resynchronising, oversized frames). */
  wsSkippedBytes: number;
  /** SIP messages framed on TCP streams (RFC 3261 §18.3). Not a drop. */
  sipStreamMessages: number;
  /** Bytes skipped on TCP streams looking for a SIP start line (joined mid-message, after gaps). */
  sipStreamSkippedBytes: number;
  /** SIP start lines on TCP whose message could not be framed (bad Content-Length, headers over 64 KiB). */
  sipStreamBadFraming: number;
  /** SIP messages on TCP over the size bound (1 MiB), dropped. */
  sipStreamOversized: number;
  /** Partial SIP messages dropped at a TCP gap or at the end of a stream. */
  sipStreamIncomplete: number;
  /** RFC 5626 CRLF keep-alives (double-CRLF ping, CRLF pong) skipped on TCP. Not a drop. */
  sipKeepAlives: number;
  /** SCTP packets (RFC 9260) with a readable common header, with or without DATA. Not a drop. */
  sctpPackets: number;
  /** SCTP packets carrying no DATA/I-DATA chunk (INIT, SACK, HEARTBEAT, ...). Not a drop. */
  sctpControl: number;
  /** SCTP packets or chunks that are malformed (short header, chunk length below 4 or past the end). */
  sctpBad: number;
  /** DATA/I-DATA chunks carrying a fragment (B and E not both set) of a user message. */
  sctpFragments: number;
  /** SCTP user messages reassembled from fragments. */
  sctpReassembled: number;
  /** SCTP fragments dropped before their message completed (expired, evicted, or at end of input). */
  sctpIncomplete: number;
  /** HEP packets (v1, v2 or v3) found inside UDP datagrams. Not a drop. */
  hepPackets: number;
  /** HEP packets that are truncated or malformed (bad lengths, missing addresses, bad compression). */
  hepBad: number;
  /** Well-formed HEP packets that carry no SIP (another protocol type, or no payload). */
  hepNotSip: number;
  /** HEP v3 chunks skipped as unknown (unknown generic types, vendor chunks). Not a drop. */
  hepUnknownChunks: number;
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
    tcpSegments: 0,
    tcpStreams: 0,
    tcpBadHeader: 0,
    tcpOutOfOrder: 0,
    tcpDuplicateBytes: 0,
    tcpGaps: 0,
    tcpGapBytes: 0,
    tcpStreamsEvicted: 0,
    tcpNotSip: 0,
    tlsStreams: 0,
    wsStreams: 0,
    wsFrames: 0,
    wsMessages: 0,
    wsControlFrames: 0,
    wsBadFrames: 0,
    wsUnreadable: 0,
    wsOversized: 0,
    wsSkippedBytes: 0,
    sipStreamMessages: 0,
    sipStreamSkippedBytes: 0,
    sipStreamBadFraming: 0,
    sipStreamOversized: 0,
    sipStreamIncomplete: 0,
    sipKeepAlives: 0,
    sctpPackets: 0,
    sctpControl: 0,
    sctpBad: 0,
    sctpFragments: 0,
    sctpReassembled: 0,
    sctpIncomplete: 0,
    hepPackets: 0,
    hepBad: 0,
    hepNotSip: 0,
    hepUnknownChunks: 0,
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
