import { formatIpv6, parseIpv6 } from '../net/address';
import { STATIC_PAYLOAD_TYPES, type PayloadFormat } from './payload-types';

/*
 * The media endpoints of an SDP body (RFC 8866 §5.7 c=, §5.14 m=, §6.6 a=rtpmap), read
 * straight from the message bytes while SIP is ingested: this runs for every message with
 * SDP, so it looks at c=, m= and a=rtpmap lines only and allocates little. The full SDP
 * reading for views and findings is sip/sdp.ts.
 */

/** An a=rtpmap line: payload type and format. */
export type RtpmapEntry = readonly [number, PayloadFormat];

/** Where one m= section receives RTP, and its a=rtpmap lines. */
export interface MediaEndpoint {
  /** Connection address (media-level c=, else session-level), IPv6 in RFC 5952 form. */
  ip: string;
  port: number;
  rtpmap: readonly RtpmapEntry[];
}

/** The format of a payload type: the section's a=rtpmap (dynamic types), else the static table (RFC 3551). */
export function payloadFormat(rtpmap: readonly RtpmapEntry[], pt: number): PayloadFormat | undefined {
  for (const [n, f] of rtpmap) if (n === pt) return f;
  return STATIC_PAYLOAD_TYPES.get(pt);
}

const LF = 0x0a;
const CR = 0x0d;
const EQ = 0x3d;
const SP = 0x20;
const TAB = 0x09;
const SLASH = 0x2f;
const A_RTPMAP = Buffer.from('a=rtpmap:', 'latin1');

interface Section {
  port: number;
  rtp: boolean;
  connection: string;
  rtpmap: RtpmapEntry[];
}

function startsWith(buf: Buffer, i: number, end: number, prefix: Buffer): boolean {
  if (end - i <= prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (buf[i + k] !== prefix[k]) return false;
  return true;
}

function isSpace(c: number | undefined): boolean {
  return c === SP || c === TAB;
}

/** Decimal number at buf[i, end) up to the first non-digit; -1 when there is none (or it is huge). */
function readInt(buf: Buffer, i: number, end: number): number {
  let v = -1;
  for (; i < end; i++) {
    const c = buf[i]! - 0x30;
    if (c < 0 || c > 9) break;
    v = (v < 0 ? 0 : v * 10) + c;
    if (v > 0xffffff) return -1;
  }
  return v;
}

function digitsEnd(buf: Buffer, i: number, end: number): number {
  while (i < end && buf[i]! >= 0x30 && buf[i]! <= 0x39) i++;
  return i;
}

function skipSpaces(buf: Buffer, i: number, end: number): number {
  while (i < end && isSpace(buf[i])) i++;
  return i;
}

function tokenEnd(buf: Buffer, i: number, end: number): number {
  while (i < end && !isSpace(buf[i])) i++;
  return i;
}

/** An address as packets show it: IPv6 in RFC 5952 form, anything else as written. */
export function normaliseAddress(addr: string): string {
  if (!addr.includes(':')) return addr;
  const b = parseIpv6(addr);
  return b === undefined ? addr : formatIpv6(b, 0);
}

/** The address of a c= value (`IN IP4 192.0.2.1[/ttl]`) in buf[i, end), '' when unusable. */
function connectionAddress(buf: Buffer, i: number, end: number): string {
  i = tokenEnd(buf, skipSpaces(buf, i, end), end); // IN
  const typeStart = skipSpaces(buf, i, end);
  const typeEnd = tokenEnd(buf, typeStart, end);
  const addrStart = skipSpaces(buf, typeEnd, end);
  let addrEnd = addrStart;
  while (addrEnd < end && !isSpace(buf[addrEnd]) && buf[addrEnd] !== SLASH) addrEnd++;
  if (addrEnd === addrStart) return '';
  const addr = buf.toString('latin1', addrStart, addrEnd);
  if (typeEnd - typeStart === 3 && buf[typeEnd - 1] === 0x36 /* IP6 */) {
    const b = parseIpv6(addr);
    return b === undefined ? '' : formatIpv6(b, 0);
  }
  return addr;
}

/** `m=<media> <port>[/<n>] <proto> <fmt> ...` in buf[i, end): the port and whether the transport is RTP. */
function mediaSection(buf: Buffer, i: number, end: number): Section {
  const portStart = skipSpaces(buf, tokenEnd(buf, i, end), end);
  const port = readInt(buf, portStart, end);
  const protoStart = skipSpaces(buf, tokenEnd(buf, portStart, end), end);
  const protoEnd = tokenEnd(buf, protoStart, end);
  let rtp = false;
  for (let k = protoStart; k + 2 < protoEnd && !rtp; k++) rtp = buf[k] === 0x52 && buf[k + 1] === 0x54 && buf[k + 2] === 0x50; // RTP
  return { port, rtp, connection: '', rtpmap: [] };
}

/**
 * `a=rtpmap:<pt> <name>/<rate>[/<channels>]` from buf[i, end) (after `a=rtpmap:`). Static
 * payload types (below 96) are left out: their format is known (RFC 3551) and SDP may not
 * change it, so the common PCMU/PCMA lines cost nothing.
 */
function rtpmapEntry(buf: Buffer, i: number, end: number): RtpmapEntry | undefined {
  const ptStart = skipSpaces(buf, i, end);
  const pt = readInt(buf, ptStart, end);
  if (pt < 96 || pt > 127) return undefined;
  const nameStart = skipSpaces(buf, digitsEnd(buf, ptStart, end), end);
  let nameEnd = nameStart;
  while (nameEnd < end && buf[nameEnd] !== SLASH && !isSpace(buf[nameEnd])) nameEnd++;
  if (nameEnd === nameStart) return undefined;
  const rate = buf[nameEnd] === SLASH ? readInt(buf, nameEnd + 1, end) : 0;
  return [pt, { name: buf.toString('latin1', nameStart, nameEnd), clockRate: rate > 0 ? rate : 0 }];
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
  end = Math.min(end, buf.length);
  while (i < end) {
    // Lines are short: a loop beats a native indexOf call per line.
    let e = i;
    while (e < end && buf[e] !== LF) e++;
    let le = e;
    if (le > i && buf[le - 1] === CR) le--;
    if (le - i >= 2 && buf[i + 1] === EQ) {
      const type = buf[i];
      if (type === 0x6d /* m */) {
        cur = mediaSection(buf, i + 2, le);
        sections.push(cur);
      } else if (type === 0x63 /* c */) {
        const addr = connectionAddress(buf, i + 2, le);
        if (cur === undefined) session = addr;
        else cur.connection = addr;
      } else if (type === 0x61 /* a */ && cur !== undefined && startsWith(buf, i, le, A_RTPMAP)) {
        const entry = rtpmapEntry(buf, i + A_RTPMAP.length, le);
        if (entry !== undefined) cur.rtpmap.push(entry);
      }
    }
    i = e + 1;
  }
  const out: MediaEndpoint[] = [];
  for (const s of sections) {
    const ip = s.connection !== '' ? s.connection : session;
    if (!s.rtp || s.port <= 0 || s.port > 65535 || ip === '' || ip === '0.0.0.0' || ip === '::') continue;
    out.push({ ip, port: s.port, rtpmap: s.rtpmap });
  }
  return out;
}
