/**
 * Builds raw-IP frames (LINKTYPE_RAW, 101) around message payloads read from text
 * captures, so that they go through the same decoders as captured packets.
 *
 * Layouts written (checksums are left 0: nothing here checks them, and the frames are
 * synthesized, not captured):
 *   IPv4 (RFC 791 §3.1): 20 bytes, version 4, IHL 5, total length, TTL 64, protocol.
 *   IPv6 (RFC 8200 §3): 40 bytes, payload length, next header, hop limit 64.
 *   UDP (RFC 768): ports, length, checksum 0.
 *   TCP (RFC 9293 §3.1): ports, seq, ack, data offset 5, flags, window.
 *   SCTP (RFC 9260 §3): common header, one DATA chunk (B/E flags, TSN, stream 0, PPID 0).
 *   WebSocket (RFC 6455 §5.2): one unmasked text frame per message, over TCP.
 *
 * One instance per input: TCP sequence numbers and SCTP TSNs are kept per direction.
 */
import { parseIpv4, parseIpv6 } from '../net/address';
import { LINKTYPE, type Frame } from '../pcap/types';

export type SynthTransport = 'UDP' | 'TCP' | 'SCTP' | 'WS';

const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_SCTP = 132;
/** Largest transport payload put in one synthesized IP packet (below 65535 - headers). */
export const MAX_SEGMENT = 65000;
/** Largest UDP payload an IPv4 datagram can carry (65535 - 20 - 8). */
export const MAX_UDP_PAYLOAD = 65507;
const TCP_SYN = 0x02;
const TCP_PSH_ACK = 0x18;
const SCTP_DATA = 0;
const SCTP_B = 0x02;
const SCTP_E = 0x01;

export interface SynthEndpoint {
  /** 4 or 16 address bytes. */
  addr: Buffer;
  port: number;
}

/** Address bytes of an IP literal (brackets and zone allowed), or undefined. */
export function addressBytes(host: string): Buffer | undefined {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return h.includes(':') ? parseIpv6(h) : parseIpv4(h);
}

export class FrameSynthesizer {
  private readonly tcpSeq = new Map<string, number>();
  private readonly sctpTsn = new Map<string, number>();

  /**
   * The frames carrying `payload` from src to dst at the given time: one for UDP; for TCP
   * a SYN the first time a direction is seen, then data segments of at most MAX_SEGMENT
   * bytes; for SCTP one DATA chunk per MAX_SEGMENT bytes. Both ends must be of the same
   * address family (the caller maps them).
   */
  frames(transport: SynthTransport, src: SynthEndpoint, dst: SynthEndpoint, payload: Buffer, sec: number, nsec: number): Frame[] {
    const out: Frame[] = [];
    const push = (proto: number, l4: Buffer): void => {
      const data = ipPacket(src.addr, dst.addr, proto, l4);
      out.push({ linktype: LINKTYPE.RAW, sec, nsec, data, origLen: data.length, fileOffset: -1, ifIndex: 0 });
    };
    const key = `${src.addr.toString('hex')}/${src.port}>${dst.addr.toString('hex')}/${dst.port}`;
    if (transport === 'UDP') {
      push(PROTO_UDP, udp(src.port, dst.port, payload));
      return out;
    }
    if (transport === 'SCTP') {
      let tsn = this.sctpTsn.get(key) ?? 1;
      for (let at = 0; at < payload.length || at === 0; at += MAX_SEGMENT) {
        const end = Math.min(payload.length, at + MAX_SEGMENT);
        const flags = (at === 0 ? SCTP_B : 0) | (end >= payload.length ? SCTP_E : 0);
        push(PROTO_SCTP, sctpData(src.port, dst.port, tsn, flags, payload.subarray(at, end)));
        tsn = (tsn + 1) >>> 0;
        if (end >= payload.length) break;
      }
      this.sctpTsn.set(key, tsn);
      return out;
    }
    const data = transport === 'WS' ? wsFrame(payload) : payload;
    let seq = this.tcpSeq.get(key);
    if (seq === undefined) {
      const isn = 1000;
      push(PROTO_TCP, tcp(src.port, dst.port, isn, TCP_SYN, Buffer.alloc(0)));
      seq = isn + 1;
    }
    for (let at = 0; at < data.length; at += MAX_SEGMENT) {
      const piece = data.subarray(at, Math.min(data.length, at + MAX_SEGMENT));
      push(PROTO_TCP, tcp(src.port, dst.port, seq, TCP_PSH_ACK, piece));
      seq = (seq + piece.length) >>> 0;
    }
    this.tcpSeq.set(key, seq);
    return out;
  }
}

function ipPacket(src: Buffer, dst: Buffer, proto: number, l4: Buffer): Buffer {
  if (src.length === 16) {
    const h = Buffer.alloc(40);
    h[0] = 0x60;
    h.writeUInt16BE(l4.length, 4);
    h[6] = proto;
    h[7] = 64;
    src.copy(h, 8);
    dst.copy(h, 24);
    return Buffer.concat([h, l4]);
  }
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + l4.length, 2);
  h[8] = 64;
  h[9] = proto;
  src.copy(h, 12);
  dst.copy(h, 16);
  return Buffer.concat([h, l4]);
}

function udp(sport: number, dport: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([h, payload]);
}

function tcp(sport: number, dport: number, seq: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h.writeUInt32BE(flags === TCP_SYN ? 0 : 1, 8);
  h[12] = 5 << 4;
  h[13] = flags;
  h.writeUInt16BE(65535, 14);
  return Buffer.concat([h, payload]);
}

function sctpData(sport: number, dport: number, tsn: number, flags: number, payload: Buffer): Buffer {
  const pad = (4 - (payload.length % 4)) % 4;
  const b = Buffer.alloc(12 + 16 + payload.length + pad);
  b.writeUInt16BE(sport, 0);
  b.writeUInt16BE(dport, 2);
  b.writeUInt32BE(1, 4);
  b[12] = SCTP_DATA;
  b[13] = flags;
  b.writeUInt16BE(16 + payload.length, 14);
  b.writeUInt32BE(tsn >>> 0, 16);
  payload.copy(b, 28);
  return b;
}

/** An unmasked final text frame (RFC 6455 §5.2): server-style, which the decoder accepts either way. */
function wsFrame(payload: Buffer): Buffer {
  let h: Buffer;
  if (payload.length < 126) {
    h = Buffer.from([0x81, payload.length]);
  } else if (payload.length < 65536) {
    h = Buffer.alloc(4);
    h[0] = 0x81;
    h[1] = 126;
    h.writeUInt16BE(payload.length, 2);
  } else {
    h = Buffer.alloc(10);
    h[0] = 0x81;
    h[1] = 127;
    h.writeUInt32BE(Math.floor(payload.length / 2 ** 32), 2);
    h.writeUInt32BE(payload.length >>> 0, 6);
  }
  return Buffer.concat([h, payload]);
}
