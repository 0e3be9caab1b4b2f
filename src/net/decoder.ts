/**
 * Network decoding: frame → link layer → IP (with fragment reassembly) → transport.
 *
 * UDP is decoded here, and so are the tunnels that carry SIP in practice (src/net/tunnels.ts):
 * IP-in-IP (4, 41), GRE (47) with ERSPAN and PPTP, NULL-encrypted ESP (50), and on UDP
 * VXLAN, VXLAN-GPE, Geneve, GTP-U and ESP-in-UDP by port; the link layer (link.ts) opens
 * MPLS and PPPoE. A tunnelled payload is reported with the INNER addresses and ports, and
 * keeps its offset in the frame; the IP filter still sees only the outermost IP header.
 * SCTP (132) is decoded by default (src/net/sctp.ts: DATA/I-DATA chunks, fragments
 * reassembled), and HEP v1/v2/v3 (src/net/hep.ts) is recognised inside UDP datagrams on any
 * port by its header and reported with the inner addresses, ports, transport and time.
 * Other transports (TCP 6) plug in with `registerTransport`, which also overrides a built-in
 * decoder or tunnel; external tunnel handlers re-enter with `decodeIp`.
 *
 * Contract: `decode` never throws. Malformed input becomes a counter in `NetCounters`; an
 * unexpected error inside a frame counts that frame as truncated.
 *
 * Cost per UDP frame: the Packet object, its payload view and the two address strings
 * (IPv4 strings come from a bounded cache, so usually not even those).
 */
import type { Frame } from '../pcap/types';
import { formatIpv4, formatIpv6 } from './address';
import { FragmentTable, MAX_DATAGRAM, type FragmentSet } from './fragments';
import { decodeHep, DEFAULT_MAX_HEP_INFLATE, HEP_NOT_HEP, HEP_OK, HEP_PROTO_SIP, newHepMessage, sniffHep, type HepMessage } from './hep';
import {
  IP_BAD,
  IP_OK,
  IP_TRUNCATED,
  newIpHeader,
  parseIpv4Header,
  parseIpv6Header,
  PROTO_SCTP,
  PROTO_TCP,
  PROTO_UDP,
  walkIpv6Extensions,
  type IpHeader,
  type IpStatus,
} from './ip';
import {
  decodeEtherType,
  decodeEthernetAt,
  decodeLink,
  LINK_NOT_IP,
  LINK_OK,
  LINK_TRUNCATED,
  newLinkResult,
  type LinkResult,
  type LinkStatus,
} from './link';
import {
  decodeEspNull,
  decodeGeneve,
  decodeGre,
  decodeGtpu,
  decodeVxlan,
  decodeVxlanGpe,
  INNER_ETHERNET,
  INNER_ETHERTYPE,
  INNER_IP,
  isEspInUdp,
  newInner,
  PORT_ESP_IN_UDP,
  PORT_GENEVE,
  PORT_GTPU,
  PORT_VXLAN,
  PORT_VXLAN_GPE,
  PROTO_ESP,
  PROTO_GRE,
  PROTO_IPIP,
  PROTO_IPV6_IN_IP,
  TUNNEL_BAD,
  TUNNEL_ENCRYPTED,
  TUNNEL_NOT_IP,
  TUNNEL_OK,
  TUNNEL_TRUNCATED,
  type Inner,
  type TunnelStatus,
} from './tunnels';
import { SctpDecoder } from './sctp';
import type { IpInfo, NetCounters, Packet, Transport } from './types';

/** The IP layer of a payload handed to a transport handler. */
export interface TransportIp {
  ipVersion: 4 | 6;
  src: string;
  dst: string;
  /** Capture time of the frame that carried (or completed) the payload. */
  sec: number;
  nsec: number;
}

/**
 * Decoder of one IP protocol's payload. `payload` is the upper-layer bytes (a view; copy to
 * keep). `frameOffset` is the payload's offset in the data of the frame being decoded, or
 * -1 when it is not one slice of it (reassembled). `frames` lists the handles of the frames
 * it came from when several, else undefined.
 */
export type TransportHandler = (
  ip: TransportIp,
  payload: Buffer,
  frameOffset: number,
  frames: number[] | undefined,
) => void;

export interface NetDecoderOptions {
  /** One call per UDP datagram (after reassembly). */
  onPacket(p: Packet): void;
  /** Incremented in place. */
  counters: NetCounters;
  /** Called once per distinct link type this decoder does not know. */
  onUnknownLinkType?(linktype: number): void;
  /**
   * Filter on the outermost IP header of each frame; false drops the frame silently. The
   * IpInfo object is reused between calls: copy what you keep.
   */
  ipFilter?(info: IpInfo): boolean;
  /** Seconds of frame time an incomplete fragment set is kept (default 30, Linux ipfrag_time). */
  fragmentTimeoutSec?: number;
  /** Bound on fragment bytes held across all pending sets (default 64 MiB); oldest go first. */
  maxFragmentBytes?: number;
  /**
   * UDP ports of the UDP tunnels, replacing the well-known ones given in DEFAULT_UDP_TUNNEL_PORTS
   * for each kind named (e.g. `{ vxlan: [4789, 8472] }` for Linux's old VXLAN port). An empty
   * list turns that kind off. The destination port is looked up first, then the source port
   * (replies and mirrored reverse traffic). A datagram on such a port whose header does not
   * check out is handed on as plain UDP.
   */
  udpTunnelPorts?: Partial<UdpTunnelPorts>;
  /**
   * HEP (v1, v2, v3) inside UDP datagrams on any port, recognised by its header (default
   * true; sngrep needs -E for this). A HEP-carried SIP message is reported with the inner
   * addresses, ports, transport and capture time. False hands such datagrams on as plain UDP.
   */
  hep?: boolean;
  /** Bound on the size of a decompressed HEP payload (default 1 MiB); larger counts hepBad. */
  maxHepInflate?: number;
  /** SCTP decoding (default true); false counts SCTP as otherTransport, like other protocols. */
  sctp?: boolean;
  /** Seconds of frame time an SCTP fragment waits for the rest of its message (default 30). */
  sctpTimeoutSec?: number;
  /** Bound on SCTP fragment bytes held (default 16 MiB); the oldest streams go first. */
  maxSctpBytes?: number;
}

/** UDP ports per UDP tunnel kind. */
export interface UdpTunnelPorts {
  vxlan: number[];
  vxlanGpe: number[];
  geneve: number[];
  gtpu: number[];
  espInUdp: number[];
}

export const DEFAULT_UDP_TUNNEL_PORTS: Readonly<UdpTunnelPorts> = {
  vxlan: [PORT_VXLAN],
  vxlanGpe: [PORT_VXLAN_GPE],
  geneve: [PORT_GENEVE],
  gtpu: [PORT_GTPU],
  espInUdp: [PORT_ESP_IN_UDP],
};

/** UDP tunnel kinds in the port table (0: none). */
const UDP_VXLAN = 1;
const UDP_VXLAN_GPE = 2;
const UDP_GENEVE = 3;
const UDP_GTPU = 4;
const UDP_ESP = 5;

export const DEFAULT_FRAGMENT_TIMEOUT_SEC = 30;
export const DEFAULT_MAX_FRAGMENT_BYTES = 64 * 1024 * 1024;

/*
 * UDP header (RFC 768): 0 source port (2)  2 destination port (2)  4 length (2, header
 * included; 0 in IPv6 jumbograms, RFC 2675)  6 checksum (2)  8 data
 */
const UDP_HEADER = 8;
const UDP_LENGTH = 4;

/** Tunnels nested deeper than this (IP in IP in IP...) are treated as bad IP packets. */
const MAX_TUNNEL_DEPTH = 8;

/** IPv4 address strings cached (by 32-bit value) before the cache is cleared. */
const V4_CACHE_LIMIT = 4096;

export class NetDecoder {
  private readonly onPacket: (p: Packet) => void;
  private readonly counters: NetCounters;
  private readonly onUnknownLinkType: ((linktype: number) => void) | undefined;
  private readonly ipFilter: ((info: IpInfo) => boolean) | undefined;
  private readonly fragments: FragmentTable;
  private readonly transports: (TransportHandler | undefined)[] = [];
  private readonly unknownLinkTypes = new Set<number>();
  private readonly v4Names = new Map<number, string>();
  /**
   * UDP tunnel kind by port (0: none). The per-datagram cost of tunnel detection is reading
   * this table for both ports; the headers are only looked at on a hit.
   */
  private readonly udpTunnelPorts = new Uint8Array(65536);
  private readonly hep: boolean;
  private readonly maxHepInflate: number;
  private readonly hepMessage: HepMessage = newHepMessage();
  private readonly sctp: SctpDecoder | undefined;

  // Scratch state reused per frame (no allocation per frame).
  private readonly link: LinkResult = newLinkResult();
  private readonly innerLink: LinkResult = newLinkResult();
  private readonly inner: Inner = newInner();
  private readonly hdr: IpHeader = newIpHeader();
  private readonly info: IpInfo = { ipVersion: 4, src: '', dst: '', proto: 0, sport: -1, dport: -1, vlan: false };

  // The frame being decoded.
  private sec = 0;
  private nsec = 0;
  private handle = 0;
  /** How many `decodeIp` calls are active (tunnel nesting) in the frame being decoded. */
  private depth = 0;

  constructor(opts: NetDecoderOptions) {
    this.onPacket = opts.onPacket;
    this.counters = opts.counters;
    this.onUnknownLinkType = opts.onUnknownLinkType;
    this.ipFilter = opts.ipFilter;
    this.fragments = new FragmentTable(opts.counters, {
      timeoutSec: opts.fragmentTimeoutSec ?? DEFAULT_FRAGMENT_TIMEOUT_SEC,
      maxBytes: opts.maxFragmentBytes ?? DEFAULT_MAX_FRAGMENT_BYTES,
    });
    for (let i = 0; i < 256; i++) this.transports.push(undefined);
    const ports = { ...DEFAULT_UDP_TUNNEL_PORTS, ...opts.udpTunnelPorts };
    const setPorts = (list: number[], kind: number): void => {
      for (const port of list) {
        if (Number.isInteger(port) && port > 0 && port < 65536) this.udpTunnelPorts[port] = kind;
      }
    };
    setPorts(ports.vxlan, UDP_VXLAN);
    setPorts(ports.vxlanGpe, UDP_VXLAN_GPE);
    setPorts(ports.geneve, UDP_GENEVE);
    setPorts(ports.gtpu, UDP_GTPU);
    setPorts(ports.espInUdp, UDP_ESP);
    this.hep = opts.hep !== false;
    this.maxHepInflate = opts.maxHepInflate ?? DEFAULT_MAX_HEP_INFLATE;
    if (opts.sctp !== false) {
      const sctp = new SctpDecoder(opts.onPacket, opts.counters, {
        timeoutSec: opts.sctpTimeoutSec,
        maxBytes: opts.maxSctpBytes,
      });
      this.sctp = sctp;
      this.transports[PROTO_SCTP] = (ip, payload, frameOffset, frames) => sctp.decode(ip, payload, frameOffset, frames, this.handle);
    }
  }

  /**
   * Plugs in the decoder of IP protocol `proto` (e.g. 6 TCP, 132 SCTP, 4 IP-in-IP). It
   * replaces the built-in UDP decoder when `proto` is 17.
   */
  registerTransport(proto: number, fn: TransportHandler): void {
    if (proto >= 0 && proto < 256) this.transports[proto] = fn;
  }

  /** Number of fragment sets waiting for fragments. */
  get pendingFragmentSets(): number {
    return this.fragments.pending;
  }

  /** Decodes one frame; `handle` identifies it in `Packet.frames` of reassembled payloads. */
  decode(frame: Frame, handle: number): void {
    this.sec = frame.sec;
    this.nsec = frame.nsec;
    this.handle = handle;
    this.depth = 0;
    try {
      this.fragments.expire(frame.sec + frame.nsec / 1e9);
      const data = frame.data;
      const status = decodeLink(frame.linktype, data, this.link);
      if (status === LINK_OK) {
        this.ip(data, this.link.offset, data.length, 0, undefined, this.link.version, true, this.link.vlan);
      } else if (status === LINK_TRUNCATED) {
        this.counters.truncated++;
      } else if (status === LINK_NOT_IP) {
        this.counters.notIp++;
      } else {
        this.unknownLinkType(frame.linktype);
      }
    } catch {
      this.counters.truncated++;
    }
  }

  /**
   * Decodes an IP packet (v4 or v6, by its version nibble) carried inside the frame being
   * decoded: the re-entry point for tunnels (IP-in-IP, GRE, ...) from a transport handler.
   * `frameOffset` and `frames` are as the handler received them for `packet`. The packet is
   * not the outermost header, so the IP filter does not see it. Nesting deeper than
   * MAX_TUNNEL_DEPTH counts badIp.
   */
  decodeIp(packet: Buffer, frameOffset: number, frames: number[] | undefined): void {
    if (this.depth >= MAX_TUNNEL_DEPTH) {
      this.counters.badIp++;
      return;
    }
    this.depth++;
    try {
      this.ip(packet, 0, packet.length, frameOffset, frames, 0, false, false);
    } catch {
      this.counters.truncated++;
    } finally {
      this.depth--;
    }
  }

  /** Number of SCTP streams holding fragments of an incomplete user message. */
  get pendingSctpStreams(): number {
    return this.sctp?.pendingStreams ?? 0;
  }

  /** End of input: pending IP fragment sets and SCTP fragments are counted incomplete. */
  finish(): void {
    this.fragments.finish();
    this.sctp?.finish();
  }

  private unknownLinkType(linktype: number): void {
    this.counters.unknownLinkType++;
    if (this.unknownLinkTypes.has(linktype)) return;
    this.unknownLinkTypes.add(linktype);
    this.onUnknownLinkType?.(linktype);
  }

  /**
   * The IP packet at `buf[off..limit)`. `base` is the frame offset of `buf[0]` (-1 when
   * `buf` is not a slice of the frame); `version` is what the link layer announced (0: look
   * at the version nibble).
   */
  private ip(
    buf: Buffer,
    off: number,
    limit: number,
    base: number,
    frames: number[] | undefined,
    version: 0 | 4 | 6,
    outermost: boolean,
    vlan: boolean,
  ): void {
    if (off >= limit) {
      this.counters.truncated++;
      return;
    }
    const nibble = (buf[off] as number) >> 4;
    if (version !== 0 && nibble !== version) {
      this.counters.badIp++;
      return;
    }
    const h = this.hdr;
    let status: IpStatus;
    if (nibble === 4) status = parseIpv4Header(buf, off, limit, h);
    else if (nibble === 6) status = parseIpv6Header(buf, off, limit, h);
    else status = IP_BAD;
    if (status !== IP_OK) {
      if (status === IP_TRUNCATED) this.counters.truncated++;
      else this.counters.badIp++;
      return;
    }
    // Copy what is needed out of the scratch header: a tunnel handler re-enters and reuses it.
    const ipVersion = h.version;
    const proto = h.proto;
    const payloadAt = h.payloadAt;
    const end = h.end;
    const isFragment = h.fragment;
    if (h.clamped) this.counters.truncated++;

    const handler = this.transports[proto];
    // Nothing to do with an unfragmented packet of a transport nobody decodes: skip the
    // address formatting, but still let the filter drop it silently.
    if (
      !isFragment &&
      handler === undefined &&
      proto !== PROTO_UDP &&
      !isBuiltinTunnel(proto) &&
      !(outermost && this.ipFilter !== undefined)
    ) {
      this.counters.otherTransport++;
      return;
    }
    const src = ipVersion === 4 ? this.v4Name(buf, h.srcAt) : formatIpv6(buf, h.srcAt);
    const dst = ipVersion === 4 ? this.v4Name(buf, h.dstAt) : formatIpv6(buf, h.dstAt);

    if (outermost && this.ipFilter !== undefined) {
      const info = this.info;
      info.ipVersion = ipVersion;
      info.src = src;
      info.dst = dst;
      info.proto = proto;
      info.vlan = vlan;
      const hasPorts =
        (!isFragment || h.fragOffset === 0) &&
        end - payloadAt >= 4 &&
        (proto === PROTO_UDP || proto === PROTO_TCP || proto === PROTO_SCTP);
      info.sport = hasPorts ? buf.readUInt16BE(payloadAt) : -1;
      info.dport = hasPorts ? buf.readUInt16BE(payloadAt + 2) : -1;
      if (!this.ipFilter(info)) return;
    }

    if (isFragment) {
      if (h.clamped) return; // a cut fragment would leave a hole that never fills; counted above
      this.fragment(buf, ipVersion, src, dst, proto, h.fragId, h.fragOffset, h.moreFragments, payloadAt, end, frames);
      return;
    }
    this.transport(ipVersion, src, dst, proto, buf, payloadAt, end, base, frames);
  }

  private fragment(
    buf: Buffer,
    ipVersion: 4 | 6,
    src: string,
    dst: string,
    proto: number,
    id: number,
    offset: number,
    more: boolean,
    at: number,
    end: number,
    frames: number[] | undefined,
  ): void {
    this.counters.fragments++;
    if (offset + (end - at) > MAX_DATAGRAM) {
      this.counters.badIp++; // would reassemble beyond 65535 bytes ("ping of death")
      return;
    }
    // RFC 791 3.2: (src, dst, protocol, id); RFC 8200 4.5: (src, dst, id).
    const key = ipVersion === 4 ? `4 ${src} ${dst} ${id} ${proto}` : `6 ${src} ${dst} ${id}`;
    const table = this.fragments;
    const set = table.get(key, this.sec + this.nsec / 1e9, ipVersion, src, dst, proto);
    if (offset === 0) set.proto = proto; // IPv6: the first fragment's next header counts
    if (frames === undefined) set.frames.push(this.handle);
    else for (const f of frames) set.frames.push(f);
    const done = table.add(key, set, offset, buf.subarray(at, end), !more);
    if (done !== undefined) this.reassembled(done);
  }

  private reassembled(set: FragmentSet): void {
    const data = set.assemble();
    if (set.ipVersion === 6) {
      // The fragmentable part may start with more extension headers (RFC 8200 4.5).
      const h = this.hdr;
      const status = walkIpv6Extensions(data, 0, data.length, set.proto, false, h);
      if (status !== IP_OK) {
        this.counters.truncated++;
        return;
      }
      this.transport(6, set.src, set.dst, h.proto, data, h.payloadAt, data.length, -1, set.frames);
      return;
    }
    this.transport(set.ipVersion, set.src, set.dst, set.proto, data, 0, data.length, -1, set.frames);
  }

  /** Hands `buf[at..end)`, the payload of IP protocol `proto`, to its decoder. */
  private transport(
    ipVersion: 4 | 6,
    src: string,
    dst: string,
    proto: number,
    buf: Buffer,
    at: number,
    end: number,
    base: number,
    frames: number[] | undefined,
  ): void {
    const handler = this.transports[proto];
    if (handler !== undefined) {
      const ip: TransportIp = { ipVersion, src, dst, sec: this.sec, nsec: this.nsec };
      handler(ip, buf.subarray(at, end), base < 0 ? -1 : base + at, frames);
      return;
    }
    switch (proto) {
      case PROTO_UDP:
        this.udp(ipVersion, src, dst, buf, at, end, base, frames);
        return;
      case PROTO_IPIP:
        this.counters.tunnels++;
        this.tunnelIp(buf, at, end, base, frames, 4);
        return;
      case PROTO_IPV6_IN_IP:
        this.counters.tunnels++;
        this.tunnelIp(buf, at, end, base, frames, 6);
        return;
      case PROTO_GRE:
        this.tunnel(decodeGre(buf, at, end, this.inner), buf, base, frames);
        return;
      case PROTO_ESP:
        this.esp(ipVersion, src, dst, buf, at, end, base, frames);
        return;
      default:
        this.counters.otherTransport++;
    }
  }

  /**
   * ESP (RFC 4303) read as NULL encryption when it is consistent: tunnel mode re-enters
   * the IP decoder, transport mode hands the payload on with the outer addresses.
   */
  private esp(
    ipVersion: 4 | 6,
    src: string,
    dst: string,
    buf: Buffer,
    at: number,
    end: number,
    base: number,
    frames: number[] | undefined,
  ): void {
    const inner = this.inner;
    const status = decodeEspNull(buf, at, end, inner);
    if (status !== TUNNEL_OK || inner.kind === INNER_IP) {
      this.tunnel(status, buf, base, frames);
      return;
    }
    // Transport mode can nest too (ESP in UDP on port 4500 in ESP...): bound it like the rest.
    if (this.depth >= MAX_TUNNEL_DEPTH) {
      this.counters.badIp++;
      return;
    }
    this.counters.tunnels++;
    this.depth++;
    try {
      this.transport(ipVersion, src, dst, inner.proto, buf, inner.at, inner.end, base, frames);
    } finally {
      this.depth--;
    }
  }

  /** Carries on with what a tunnel decoder found in `this.inner`, or counts why not. */
  private tunnel(status: TunnelStatus, buf: Buffer, base: number, frames: number[] | undefined): void {
    const c = this.counters;
    switch (status) {
      case TUNNEL_OK:
        break;
      case TUNNEL_TRUNCATED:
        c.truncated++;
        return;
      case TUNNEL_BAD:
        c.badTunnel++;
        return;
      case TUNNEL_NOT_IP:
        c.notIp++;
        return;
      case TUNNEL_ENCRYPTED:
        c.espEncrypted++;
        return;
    }
    c.tunnels++;
    const inner = this.inner;
    const at = inner.at;
    const end = inner.end;
    if (inner.kind === INNER_IP) {
      this.tunnelIp(buf, at, end, base, frames, inner.version);
    } else if (inner.kind === INNER_ETHERNET) {
      this.tunnelLink(decodeEthernetAt(buf, at, end, this.innerLink), buf, end, base, frames);
    } else if (inner.kind === INNER_ETHERTYPE) {
      this.tunnelLink(decodeEtherType(buf, at, end, inner.etherType, this.innerLink), buf, end, base, frames);
    }
  }

  /** The IP packet a tunnel's inner link layer led to (status from link.ts into `innerLink`). */
  private tunnelLink(status: LinkStatus, buf: Buffer, end: number, base: number, frames: number[] | undefined): void {
    if (status === LINK_OK) {
      this.tunnelIp(buf, this.innerLink.offset, end, base, frames, this.innerLink.version);
    } else if (status === LINK_TRUNCATED) {
      this.counters.truncated++;
    } else {
      this.counters.notIp++;
    }
  }

  /** An inner IP packet at `buf[at..end)`, one tunnel level deeper (bounded like `decodeIp`). */
  private tunnelIp(buf: Buffer, at: number, end: number, base: number, frames: number[] | undefined, version: 0 | 4 | 6): void {
    if (this.depth >= MAX_TUNNEL_DEPTH) {
      this.counters.badIp++;
      return;
    }
    this.depth++;
    try {
      this.ip(buf, at, end, base, frames, version, false, false);
    } finally {
      this.depth--;
    }
  }

  /**
   * A UDP datagram on a tunnel port: true when it was a tunnel (decoded or counted), false
   * when its header does not check out and it should go on as plain UDP.
   */
  private udpTunnel(
    kind: number,
    ipVersion: 4 | 6,
    src: string,
    dst: string,
    buf: Buffer,
    at: number,
    end: number,
    base: number,
    frames: number[] | undefined,
  ): boolean {
    const inner = this.inner;
    let status: TunnelStatus;
    switch (kind) {
      case UDP_VXLAN:
        status = decodeVxlan(buf, at, end, inner);
        break;
      case UDP_VXLAN_GPE:
        status = decodeVxlanGpe(buf, at, end, inner);
        break;
      case UDP_GENEVE:
        status = decodeGeneve(buf, at, end, inner);
        break;
      case UDP_GTPU:
        status = decodeGtpu(buf, at, end, inner);
        break;
      case UDP_ESP: {
        if (!isEspInUdp(buf, at, end)) return false; // IKE or a NAT keepalive
        if (decodeEspNull(buf, at, end, inner) !== TUNNEL_OK && looksLikeText(buf, at, end)) {
          return false; // SIP from an ephemeral port that happens to be 4500 (Windows' 1025-5000)
        }
        this.esp(ipVersion, src, dst, buf, at, end, base, frames);
        return true;
      }
      default:
        return false;
    }
    // A header that is not what the port promised is more likely something else on that port.
    if (status === TUNNEL_BAD || status === TUNNEL_TRUNCATED) return false;
    this.tunnel(status, buf, base, frames);
    return true;
  }

  private udp(
    ipVersion: 4 | 6,
    src: string,
    dst: string,
    buf: Buffer,
    at: number,
    end: number,
    base: number,
    frames: number[] | undefined,
  ): void {
    if (end - at < UDP_HEADER) {
      this.counters.truncated++;
      return;
    }
    const length = buf.readUInt16BE(at + UDP_LENGTH);
    // Trust the length field only within the bytes there; below 8 it is unusable (or a
    // jumbogram's 0): take everything.
    const payloadEnd = length >= UDP_HEADER && at + length < end ? at + length : end;
    const payloadAt = at + UDP_HEADER;
    const sport = buf.readUInt16BE(at);
    const dport = buf.readUInt16BE(at + 2);
    const ports = this.udpTunnelPorts;
    const tunnelKind = (ports[dport] as number) || (ports[sport] as number);
    if (tunnelKind !== 0 && this.udpTunnel(tunnelKind, ipVersion, src, dst, buf, payloadAt, payloadEnd, base, frames)) return;
    if (this.hep && payloadEnd - payloadAt >= 8) {
      // HEP starts with 'H' (HEP3) or version 1/2; SIP with a letter or CR/LF: one or three compares.
      const b0 = buf[payloadAt] as number;
      if ((b0 === 0x48 || b0 === 2 || b0 === 1) && sniffHep(buf, payloadAt, payloadEnd)) {
        this.hepDatagram(buf, payloadAt, payloadEnd, base, frames);
        return;
      }
    }
    this.onPacket({
      ipVersion,
      src,
      dst,
      sport,
      dport,
      transport: 'UDP',
      sec: this.sec,
      nsec: this.nsec,
      payload: buf.subarray(payloadAt, payloadEnd),
      frameOffset: base < 0 ? -1 : base + payloadAt,
      frames,
    });
  }

  /**
   * The HEP packets of a UDP datagram at `buf[at..end)` (sniffed as HEP): each SIP payload
   * becomes a Packet with the inner addresses, ports, transport and time; the rest is counted.
   */
  private hepDatagram(buf: Buffer, at: number, end: number, base: number, frames: number[] | undefined): void {
    const c = this.counters;
    const m = this.hepMessage;
    let p = at;
    // A v3 packet ends at its total length and another may follow (a v1/v2 one runs to the end).
    while (p < end) {
      const status = decodeHep(buf, p, end, m, this.maxHepInflate);
      if (status !== HEP_OK) {
        if (status === HEP_NOT_HEP && p > at) c.hepBad++; // trailing bytes after a HEP packet
        else if (status !== HEP_NOT_HEP) c.hepBad++;
        return;
      }
      c.hepPackets++;
      c.hepUnknownChunks += m.unknownChunks;
      p = m.next;
      const payload = m.payload;
      if (payload === undefined || payload.length === 0 || (m.protoType !== HEP_PROTO_SIP && m.protoType !== -1)) {
        c.hepNotSip++;
        continue;
      }
      const v4 = m.ipVersion === 4;
      this.onPacket({
        ipVersion: m.ipVersion,
        src: v4 ? this.v4Name(buf, m.srcAt) : formatIpv6(buf, m.srcAt),
        dst: v4 ? this.v4Name(buf, m.dstAt) : formatIpv6(buf, m.dstAt),
        sport: m.sport,
        dport: m.dport,
        transport: hepTransport(m.ipProto),
        sec: m.hasTime ? m.sec : this.sec,
        nsec: m.hasTime ? m.nsec : this.nsec,
        payload,
        frameOffset: base < 0 || m.payloadAt < 0 ? -1 : base + m.payloadAt,
        frames,
      });
    }
  }

  /** Dotted text of the IPv4 address at `at`, from a bounded per-decoder cache. */
  private v4Name(buf: Buffer, at: number): string {
    const key =
      ((buf[at] as number) << 24) | ((buf[at + 1] as number) << 16) | ((buf[at + 2] as number) << 8) | (buf[at + 3] as number);
    let name = this.v4Names.get(key);
    if (name === undefined) {
      if (this.v4Names.size >= V4_CACHE_LIMIT) this.v4Names.clear();
      name = formatIpv4(buf, at);
      this.v4Names.set(key, name);
    }
    return name;
  }
}

/** The transport of a HEP-carried message from its IP protocol (chunk 2, or v1/v2's protocol byte). */
function hepTransport(ipProto: number): Transport {
  if (ipProto === PROTO_TCP) return 'TCP';
  if (ipProto === PROTO_SCTP) return 'SCTP';
  return 'UDP';
}

/** IP protocols the decoder opens itself when no handler is registered for them. */
function isBuiltinTunnel(proto: number): boolean {
  return proto === PROTO_IPIP || proto === PROTO_IPV6_IN_IP || proto === PROTO_GRE || proto === PROTO_ESP;
}

/** True when the bytes at `at` start with three upper-case ASCII letters, as a SIP request or "SIP/2.0" does. */
function looksLikeText(buf: Buffer, at: number, end: number): boolean {
  if (end - at < 3) return false;
  for (let i = 0; i < 3; i++) {
    const c = buf[at + i] as number;
    if (c < 0x41 || c > 0x5a) return false;
  }
  return true;
}
