import type { Sdp, SdpMedia } from './types';

/*
 * SDP (RFC 4566 §5, RFC 8866) as far as a call viewer needs it:
 *
 *   o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
 *   c=<nettype> <addrtype> <connection-address>[/ttl][/number]   session level or per m=
 *   m=<media> <port>[/<number>] <proto> <fmt> ...
 *   a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]
 *   a=sendrecv | a=sendonly | a=recvonly | a=inactive   (RFC 3264 §5.1; session level is the
 *                                                         default for every m= section)
 *
 * Lines that do not look like `x=value` are skipped: bodies seen on the wire carry junk.
 */

const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

/** Connection address of a c= value, without /ttl or /number ('' when unusable). */
function connectionAddress(value: string): string {
  const parts = value.trim().split(/\s+/);
  const addr = parts[2];
  if (addr === undefined) return '';
  const slash = addr.indexOf('/');
  return slash >= 0 ? addr.slice(0, slash) : addr;
}

interface MediaDraft {
  media: SdpMedia;
  connection: string;
  direction: string;
}

/** Parses an SDP body. Never throws: whatever could be read before a problem is returned. */
export function parseSdp(body: string): Sdp {
  const sdp: Sdp = { origin: '', connection: '', media: [] };
  const drafts: MediaDraft[] = [];
  let sessionDirection = '';
  try {
    const lines = body.split(/\r\n|\n|\r/);
    let cur: MediaDraft | undefined;
    for (const raw of lines) {
      const line = raw.trim();
      if (line.length < 2 || line.charCodeAt(1) !== 0x3d /* = */) continue;
      const value = line.slice(2);
      switch (line.charCodeAt(0)) {
        case 0x6f /* o */:
          if (cur === undefined && sdp.origin === '') sdp.origin = value.trim();
          break;
        case 0x63 /* c */: {
          const addr = connectionAddress(value);
          if (cur === undefined) {
            if (sdp.connection === '') sdp.connection = addr;
          } else if (cur.connection === '') {
            cur.connection = addr;
          }
          break;
        }
        case 0x6d /* m */: {
          const f = value.trim().split(/\s+/);
          const port = Number.parseInt(f[1] ?? '', 10);
          cur = {
            media: {
              media: f[0] ?? '',
              port: Number.isFinite(port) && port >= 0 ? port : 0,
              proto: f[2] ?? '',
              formats: f.slice(3),
              connection: '',
              rtpmap: new Map(),
              direction: 'sendrecv',
            },
            connection: '',
            direction: '',
          };
          drafts.push(cur);
          break;
        }
        case 0x61 /* a */: {
          const colon = value.indexOf(':');
          const name = (colon >= 0 ? value.slice(0, colon) : value).trim().toLowerCase();
          if (DIRECTIONS.has(name)) {
            if (cur === undefined) sessionDirection = name;
            else cur.direction = name;
          } else if (name === 'rtpmap' && cur !== undefined && colon >= 0) {
            const m = /^\s*(\S+)\s+(\S.*?)\s*$/.exec(value.slice(colon + 1));
            if (m !== null && m[1] !== undefined && m[2] !== undefined) cur.media.rtpmap.set(m[1], m[2]);
          }
          break;
        }
        default:
          break;
      }
    }
  } catch {
    // Keep what was read.
  }
  for (const d of drafts) {
    d.media.connection = d.connection !== '' ? d.connection : sdp.connection;
    d.media.direction = d.direction !== '' ? d.direction : sessionDirection !== '' ? sessionDirection : 'sendrecv';
    sdp.media.push(d.media);
  }
  return sdp;
}

const LF = 0x0a;
const CR = 0x0d;

function lowerByte(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

/** True when bytes [s, e) equal the lower-case ASCII literal `lit`, ignoring case. */
function bytesEqualLower(buf: Buffer, s: number, e: number, lit: string): boolean {
  if (e - s !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) {
    if (lowerByte(buf[s + i] ?? 0) !== lit.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The `boundary` parameter of a multipart Content-Type value (RFC 2046 §5.1.1), or ''.
 * Accepts a quoted or a token value.
 */
export function multipartBoundary(contentType: string): string {
  const m = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(contentType);
  if (m === null) return '';
  return m[1] ?? m[2] ?? '';
}

/**
 * Finds the first body part with Content-Type application/sdp in a multipart body
 * (RFC 2046 §5.1: parts start after `--boundary` lines; each has headers, a blank line, then
 * content up to the CRLF before the next delimiter). Returns [start, end) of that part's
 * content in buf, or null.
 */
export function multipartSdpRange(
  buf: Buffer,
  bodyStart: number,
  bodyEnd: number,
  boundary: string,
): [number, number] | null {
  if (boundary === '') return null;
  const delim = Buffer.from('--' + boundary, 'latin1');
  let p = buf.indexOf(delim, bodyStart);
  while (p >= 0 && p + delim.length <= bodyEnd) {
    // Rest of the delimiter line (`--` marks the close delimiter).
    let q = p + delim.length;
    if (q + 1 < bodyEnd && buf[q] === 0x2d && buf[q + 1] === 0x2d) return null;
    const lf = buf.indexOf(LF, q);
    if (lf < 0 || lf >= bodyEnd) return null;
    q = lf + 1;
    // Part headers up to a blank line.
    let isSdp = false;
    let contentStart = -1;
    while (q < bodyEnd) {
      let le = buf.indexOf(LF, q);
      if (le < 0 || le > bodyEnd) le = bodyEnd;
      let ce = le;
      if (ce > q && buf[ce - 1] === CR) ce--;
      if (ce === q) {
        contentStart = Math.min(le + 1, bodyEnd);
        break;
      }
      const colon = buf.indexOf(0x3a, q);
      if (colon >= 0 && colon < ce) {
        let ne = colon;
        while (ne > q && (buf[ne - 1] === 0x20 || buf[ne - 1] === 0x09)) ne--;
        if (bytesEqualLower(buf, q, ne, 'content-type') || bytesEqualLower(buf, q, ne, 'c')) {
          let vs = colon + 1;
          while (vs < ce && (buf[vs] === 0x20 || buf[vs] === 0x09)) vs++;
          let ve = vs;
          while (ve < ce && buf[ve] !== 0x3b && buf[ve] !== 0x20 && buf[ve] !== 0x09) ve++;
          isSdp = bytesEqualLower(buf, vs, ve, 'application/sdp');
        }
      }
      q = le + 1;
    }
    if (contentStart < 0) return null;
    let next = buf.indexOf(delim, contentStart);
    if (next < 0 || next > bodyEnd) next = bodyEnd;
    if (isSdp) {
      // The CRLF before the delimiter belongs to the delimiter (RFC 2046 §5.1.1).
      let ce = next;
      if (next < bodyEnd) {
        if (ce > contentStart && buf[ce - 1] === LF) ce--;
        if (ce > contentStart && buf[ce - 1] === CR) ce--;
      }
      return [contentStart, ce];
    }
    if (next >= bodyEnd) return null;
    p = next;
  }
  return null;
}

/**
 * The SDP text of a message body: the whole body for application/sdp, the first
 * application/sdp part of a multipart body, otherwise null. `contentType` is the Content-Type
 * header value as written (with parameters).
 */
export function sdpText(contentType: string, body: Buffer): string | null {
  try {
    const semi = contentType.indexOf(';');
    const type = (semi >= 0 ? contentType.slice(0, semi) : contentType).trim().toLowerCase();
    if (type === 'application/sdp') return body.toString('utf8');
    if (type.startsWith('multipart/')) {
      const r = multipartSdpRange(body, 0, body.length, multipartBoundary(contentType));
      return r === null ? null : body.toString('utf8', r[0], r[1]);
    }
    return null;
  } catch {
    return null;
  }
}
