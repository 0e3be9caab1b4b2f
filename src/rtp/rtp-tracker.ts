import type { Packet } from '../net/types';
import { DialogMedia, MAX_STREAMS_PER_DIALOG, type MediaOwner, type RtpCounters } from './dialog-media';
import { RtpStream } from './rtp-stream';
import { payloadFormat, type MediaEndpoint, type RtpmapEntry } from './sdp-media';

/*
 * Ties UDP packets that are not SIP to dialogs: an SDP registers where each side receives
 * media (c= address, m= port); a packet to (or else from) a registered address:port whose
 * first byte says RTP version 2 is RTP of that dialog (RFC 3550 §5.1), or RTCP when its
 * packet type is 192-223 (RFC 5761 §4: SR 200, RR 201, SDES 202, BYE 203, APP 204), on the
 * RTP port (rtcp-mux) or the next one (RFC 3550 §11). RTCP is counted, not analysed.
 *
 *    0                   1                   2                   3
 *   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *   |                           timestamp                           |
 *   |                             SSRC                              |
 *
 * Cost: nothing until the first SDP; then two Map lookups per non-SIP UDP packet that
 * starts like RTP, and a scan of the (few) streams of its dialog.
 */

interface Target {
  owner: MediaOwner;
  rtpmap: readonly RtpmapEntry[];
  /** Registered as port + 1 of an m= line: RTCP only. */
  rtcpOnly: boolean;
}

export class RtpTracker {
  /** address → port → where it belongs. The latest SDP naming an endpoint wins. */
  private readonly byIp = new Map<string, Map<number, Target>>();

  constructor(private readonly counters: RtpCounters) {}

  /** True once an SDP registered an endpoint: before that no packet is looked at. */
  get active(): boolean {
    return this.byIp.size > 0;
  }

  /** Registers the media endpoints of an SDP for a dialog (the owner of the media). */
  register(owner: MediaOwner, endpoints: readonly MediaEndpoint[]): void {
    for (const e of endpoints) {
      let ports = this.byIp.get(e.ip);
      if (ports === undefined) this.byIp.set(e.ip, (ports = new Map()));
      set(ports, e.port, owner, e.rtpmap, false);
      const next = ports.get(e.port + 1);
      if (e.port < 65535 && (next === undefined || next.rtcpOnly)) set(ports, e.port + 1, owner, e.rtpmap, true);
    }
  }

  /** Forgets endpoints whose dialog is gone (evicted by -R). */
  prune(alive: (owner: MediaOwner) => boolean): void {
    for (const [ip, ports] of this.byIp) {
      for (const [port, t] of ports) if (!alive(t.owner)) ports.delete(port);
      if (ports.size === 0) this.byIp.delete(ip);
    }
  }

  /**
   * Accounts a UDP payload that is not SIP. Returns true when it was RTP or RTCP of a
   * registered endpoint.
   */
  packet(p: Packet): boolean {
    const b = p.payload;
    const len = b.length;
    if (len < 8 || (b[0]! & 0xc0) !== 0x80) return false;
    const t = this.byIp.get(p.dst)?.get(p.dport) ?? this.byIp.get(p.src)?.get(p.sport);
    if (t === undefined) return false;
    const type = b[1]!;
    const media = t.owner.media ?? (t.owner.media = new DialogMedia());
    if (type >= 192 && type <= 223) {
      media.rtcpPackets++;
      this.counters.rtcpPackets++;
      return true;
    }
    if (t.rtcpOnly || len < 12) return false;
    // Header: 12 bytes, CSRC list, optional extension (RFC 3550 §5.3.1), padding at the end.
    const b0 = b[0]!;
    let header = 12 + 4 * (b0 & 0x0f);
    if ((b0 & 0x10) !== 0) {
      if (header + 4 > len) return false;
      header += 4 + 4 * b.readUInt16BE(header + 2);
    }
    let payload = len - header;
    if ((b0 & 0x20) !== 0) payload -= b[len - 1]!;
    if (payload < 0) return false;

    const pt = type & 0x7f;
    const ssrc = b.readUInt32BE(8);
    const streams = media.streams;
    let s: RtpStream | undefined;
    for (let i = 0; i < streams.length; i++) {
      const x = streams[i]!;
      if (x.ssrc === ssrc && x.srcPort === p.sport && x.dstPort === p.dport && x.srcIp === p.src && x.dstIp === p.dst) {
        s = x;
        break;
      }
    }
    if (s === undefined) {
      if (streams.length >= MAX_STREAMS_PER_DIALOG) {
        media.unfollowedPackets++;
        this.counters.rtpPackets++;
        return true;
      }
      const f = payloadFormat(t.rtpmap, pt);
      s = new RtpStream(p.src, p.sport, p.dst, p.dport, ssrc, pt, f?.name ?? '', f?.clockRate ?? 0);
      streams.push(s);
      this.counters.streams++;
    }
    s.add(b.readUInt16BE(2), b.readUInt32BE(4), pt, payload, p.sec, p.nsec);
    this.counters.rtpPackets++;
    return true;
  }
}

/** Points an endpoint at its (new) owner, reusing the entry when there is one. */
function set(ports: Map<number, Target>, port: number, owner: MediaOwner, rtpmap: readonly RtpmapEntry[], rtcpOnly: boolean): void {
  const t = ports.get(port);
  if (t === undefined) {
    ports.set(port, { owner, rtpmap, rtcpOnly });
  } else {
    t.owner = owner;
    t.rtpmap = rtpmap;
    t.rtcpOnly = rtcpOnly;
  }
}
