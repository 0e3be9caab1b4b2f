import { formatIpv6, parseIpv6 } from '../net/address';
import { STATIC_PAYLOAD_TYPES, parseRtpmap, type PayloadFormat } from './payload-types';

/*
 * The media endpoints of an SDP body (RFC 8866 §5.7 c=, §5.14 m=, §6.6 a=rtpmap), read
 * straight from the message bytes while SIP is ingested: this runs for every message with
 * SDP, so it looks at c=, m= and a=rtpmap lines only and allocates little. The full SDP
 * reading for views and findings is sip/sdp.ts.
 */

/** Where one m= section receives RTP, and the formats it lists. */
export interface MediaEndpoint {
  /** audio, video, ... */
  media: string;
  /** Connection address (media-level c=, else session-level), IPv6 in RFC 5952 form. */
  ip: string;
  port: number;
  /** Payload types of the m= line with their encoding and clock rate (rtpmap, else static table). */
  formats: Map<number, PayloadFormat>;
}

const LF = 0x0a;
const CR = 0x0d;
const EQ = 0x3d;
const A_RTPMAP = Buffer.from('a=rtpmap:', 'latin1');

interface Section {
  media: string;
  port: number;
  rtp: boolean;
  pts: number[];
  connection: string;
  rtpmap: Map<number, PayloadFormat>;
}

/** The address of a c= value (`IN IP4 192.0.2.1[/ttl]`), '' when unusable. */
function connectionAddress(value: string): string {
  const parts = value.trim().split(/\s+/);
  let addr = parts[2] ?? '';
  const slash = addr.indexOf('/');
  if (slash >= 0) addr = addr.slice(0, slash);
  if ((parts[1] ?? '').toUpperCase() === 'IP6') {
    const b = parseIpv6(addr);
    return b === undefined ? '' : formatIpv6(b, 0);
  }
  return addr;
}

/**
 * The RTP media endpoints of the SDP in buf[start, end). Sections with port 0 (rejected,
 * RFC 3264 §6), a null address (0.0.0.0, old-style hold) or a non-RTP transport are left
 * out. Never throws.
 */
export function scanSdpMedia(buf: Buffer, start: number, end: number): MediaEndpoint[] {
  const sections: Section[] = [];
  let session = '';
  let cur: Section | undefined;
  let i = start;
  while (i < end) {
    let e = buf.indexOf(LF, i);
    if (e < 0 || e > end) e = end;
    let le = e;
    if (le > i && buf[le - 1] === CR) le--;
    if (le - i >= 2 && buf[i + 1] === EQ) {
      const type = buf[i];
      if (type === 0x6d /* m */) {
        const f = buf.toString('latin1', i + 2, le).trim().split(/\s+/);
        const port = Number.parseInt(f[1] ?? '', 10);
        const pts: number[] = [];
        for (let k = 3; k < f.length; k++) {
          const pt = Number(f[k]);
          if (Number.isInteger(pt) && pt >= 0 && pt < 128) pts.push(pt);
        }
        cur = {
          media: f[0] ?? '',
          port: Number.isFinite(port) ? port : 0,
          rtp: (f[2] ?? '').toUpperCase().includes('RTP'),
          pts,
          connection: '',
          rtpmap: new Map(),
        };
        sections.push(cur);
      } else if (type === 0x63 /* c */) {
        const addr = connectionAddress(buf.toString('latin1', i + 2, le));
        if (cur === undefined) session = addr;
        else cur.connection = addr;
      } else if (type === 0x61 /* a */ && cur !== undefined && le - i > A_RTPMAP.length && buf.compare(A_RTPMAP, 0, A_RTPMAP.length, i, i + A_RTPMAP.length) === 0) {
        const m = /^\s*(\d{1,3})\s+(\S+)/.exec(buf.toString('latin1', i + A_RTPMAP.length, le));
        const format = m === null ? undefined : parseRtpmap(m[2] ?? '');
        if (m !== null && format !== undefined) cur.rtpmap.set(Number(m[1]), format);
      }
    }
    i = e + 1;
  }
  const out: MediaEndpoint[] = [];
  for (const s of sections) {
    const ip = s.connection !== '' ? s.connection : session;
    if (!s.rtp || s.port <= 0 || s.port > 65535 || ip === '' || ip === '0.0.0.0' || ip === '::') continue;
    const formats = new Map<number, PayloadFormat>();
    for (const pt of s.pts) {
      const f = s.rtpmap.get(pt) ?? STATIC_PAYLOAD_TYPES.get(pt);
      if (f !== undefined) formats.set(pt, f);
    }
    out.push({ media: s.media, ip, port: s.port, formats });
  }
  return out;
}
