/** Crafted RTP and RTCP payloads for tests (RFC 3550 headers, 20 ms of audio at 8 kHz). */

/** An RTP packet: version 2, payload type `pt`, timestamp `ts` (default seq × 160), 160 bytes of `fill`. */
export function rtpPacket(seq: number, ssrc: number, opts: { pt?: number; ts?: number; fill?: number } = {}): Buffer {
  const b = Buffer.alloc(12 + 160, opts.fill ?? 0xd5);
  b[0] = 0x80;
  b[1] = opts.pt ?? 0;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((opts.ts ?? seq * 160) >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

/** An RTCP receiver report (RFC 3550 §6.4.2) with no report blocks. */
export function rtcpReceiverReport(ssrc: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 0x80;
  b[1] = 201;
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(ssrc, 4);
  return b;
}
