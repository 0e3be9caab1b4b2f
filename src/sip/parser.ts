import { decodeNameAddr } from './name-addr';
import { multipartSdpRange } from './sdp';
import type { NameAddr, SipMalformed, SipMessage } from './types';

/*
 * SIP framing and the per-message fields the engine needs, read straight from the bytes.
 *
 * Wire layout (RFC 3261 §7):
 *
 *   start-line   Request-Line = Method SP Request-URI SP SIP-Version CRLF      (§7.1)
 *                Status-Line  = SIP-Version SP Status-Code SP Reason-Phrase CRLF (§7.2)
 *   *message-header                 name HCOLON value CRLF, folded lines start with SP/HTAB
 *   CRLF                            (§7.3.1)
 *   [ message-body ]                Content-Length bytes (§20.14)
 *
 * Framing: on UDP a datagram may hold several messages, each framed by Content-Length; the
 * body of a message without Content-Length runs to the end of the datagram (§18.3). On
 * stream transports Content-Length is mandatory (§18.3); `sipMessageEnd` frames those.
 * CRLFs before a start line are ignored (§7.5; also the RFC 5626 keep-alive).
 * LF alone is accepted as a line ending (§7.5 asks for tolerance on receipt).
 *
 * Performance: headers are matched on bytes (length, then lower-cased bytes); strings are
 * made only for the fields returned, with Buffer#toString(enc, s, e), which copies.
 */

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;
const SEMI = 0x3b;
const COMMA = 0x2c;
const EQUAL = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Bytes of headers a stream message may have before `sipMessageEnd` gives up ('bad'). */
export const MAX_STREAM_HEADER_BYTES = 64 * 1024;
/** Largest Content-Length `sipMessageEnd` accepts on a stream. */
export const MAX_STREAM_BODY_BYTES = 16 * 1024 * 1024;

function byteTable(chars: string): Uint8Array {
  const t = new Uint8Array(256);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/** RFC 3261 §25.1 `token` characters. */
const TOKEN = byteTable(
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~',
);

/** ASCII lower-casing table. */
const LOWER = ((): Uint8Array => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) t[i] = i >= 0x41 && i <= 0x5a ? i | 0x20 : i;
  return t;
})();

function lit(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'latin1'));
}

// Header names we read, lower-case (compact forms per RFC 3261 §7.3.3 and §20).
const H_CALL_ID = lit('call-id');
const H_FROM = lit('from');
const H_TO = lit('to');
const H_VIA = lit('via');
const H_CSEQ = lit('cseq');
const H_CONTENT_TYPE = lit('content-type');
const H_CONTENT_LENGTH = lit('content-length');
const H_REASON = lit('reason');
const H_WARNING = lit('warning');
const H_X_CALL_ID = lit('x-call-id');
const H_X_CID = lit('x-cid');
const H_USER_AGENT = lit('user-agent');
const H_SERVER = lit('server');
const SIP_VERSION = lit('sip/2.0');
const P_BRANCH = lit('branch');

/** Methods of RFC 3261 and its common extensions, kept as shared strings (case-sensitive, §7.1). */
const KNOWN_METHODS: readonly string[] = [
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'PRACK', 'SUBSCRIBE', 'NOTIFY',
  'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
];
const KNOWN_METHOD_BYTES: readonly Uint8Array[] = KNOWN_METHODS.map(lit);

/** Reason phrases of RFC 3261 §21 seen most, kept as shared strings. */
const KNOWN_PHRASES: readonly string[] = [
  'OK', 'Trying', 'Ringing', 'Session Progress', 'Unauthorized', 'Proxy Authentication Required',
  'Request Terminated', 'Not Found', 'Busy Here', 'Forbidden', 'Temporarily Unavailable',
  'Call/Transaction Does Not Exist', 'Accepted', 'Call Is Being Forwarded', 'Decline',
  'Server Internal Error', 'Service Unavailable', 'Request Timeout', 'Not Acceptable Here',
  'Moved Temporarily', 'Bad Request', 'Method Not Allowed', 'Interval Too Brief',
];
const KNOWN_PHRASE_BYTES: readonly Uint8Array[] = KNOWN_PHRASES.map(lit);

/** Content types kept as shared strings. */
const KNOWN_TYPES: readonly string[] = [
  'application/sdp', 'multipart/mixed', 'application/dtmf-relay', 'application/pidf+xml',
  'message/sipfrag', 'application/simple-message-summary', 'text/plain', 'application/isup',
];
const KNOWN_TYPE_BYTES: readonly Uint8Array[] = KNOWN_TYPES.map(lit);

/** Lower-cased bytes [s, s + name.length) of buf equal name (already lower-case). */
function nameIs(buf: Buffer, s: number, name: Uint8Array): boolean {
  for (let i = 0; i < name.length; i++) {
    if (LOWER[buf[s + i] ?? 0] !== name[i]) return false;
  }
  return true;
}

function bytesAre(buf: Buffer, s: number, e: number, b: Uint8Array): boolean {
  if (e - s !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (buf[s + i] !== b[i]) return false;
  return true;
}

function isWs(b: number | undefined): boolean {
  return b === SP || b === HTAB || b === CR || b === LF;
}

/** The method at [s, e) as a string, shared for well-known methods. */
function methodString(buf: Buffer, s: number, e: number): string {
  for (let i = 0; i < KNOWN_METHOD_BYTES.length; i++) {
    const k = KNOWN_METHOD_BYTES[i];
    if (k !== undefined && bytesAre(buf, s, e, k)) return KNOWN_METHODS[i] ?? '';
  }
  return buf.toString('latin1', s, e);
}

/** The reason phrase at [s, e), shared for common ones. */
function phraseString(buf: Buffer, s: number, e: number): string {
  for (let i = 0; i < KNOWN_PHRASE_BYTES.length; i++) {
    const k = KNOWN_PHRASE_BYTES[i];
    if (k !== undefined && bytesAre(buf, s, e, k)) return KNOWN_PHRASES[i] ?? '';
  }
  return valueText(buf, s, e, false);
}

/** Text of a header value [s, e) as UTF-8, folding turned into one space (§7.3.1). */
function valueText(buf: Buffer, s: number, e: number, folded: boolean): string {
  if (s < 0 || s >= e) return '';
  const t = buf.toString('utf8', s, e);
  return folded ? t.replace(/\r?\n[ \t]*/g, ' ') : t;
}

function skipCrlf(buf: Buffer, p: number, end: number): number {
  while (p < end && (buf[p] === CR || buf[p] === LF)) p++;
  return p;
}

/** A recognised start line (positions into the buffer). */
interface StartLine {
  isRequest: boolean;
  /** Method (requests) [a0, a1). */
  a0: number;
  a1: number;
  /** Request-URI (requests) or Reason-Phrase (responses) [b0, b1). */
  b0: number;
  b1: number;
  status: number;
  /** Index after the start line's LF (or the end of the data when it has none). */
  next: number;
  /** False when the data ends without the line's LF. */
  terminated: boolean;
}

const NOT_START = -1;
const NEED_MORE = -2;

/**
 * Recognises a start line at p (RFC 3261 §7.1, §7.2). Methods are any token; SIP-Version is
 * compared case-insensitively (§7.1). Extra SP between elements is tolerated. NEED_MORE when
 * the data ends while everything so far could still be a start line.
 */
function scanStartLine(buf: Buffer, p: number, end: number): StartLine | typeof NOT_START | typeof NEED_MORE {
  if (p >= end) return NEED_MORE;
  // Status-Line: SIP/2.0 SP 3DIGIT SP Reason-Phrase
  if (LOWER[buf[p] ?? 0] === 0x73 /* s */) {
    let i = 0;
    while (i < 7 && p + i < end && LOWER[buf[p + i] ?? 0] === SIP_VERSION[i]) i++;
    if (i === 7) return scanStatusLine(buf, p, end);
    if (p + i === end) return NEED_MORE;
    // Otherwise it may still be a method starting with S (SUBSCRIBE).
  }
  const a0 = p;
  while (p < end && TOKEN[buf[p] ?? 0] === 1) p++;
  if (p === end) return NEED_MORE;
  if (p === a0 || buf[p] !== SP) return NOT_START;
  const a1 = p;
  while (p < end && buf[p] === SP) p++;
  const b0 = p;
  while (p < end) {
    const b = buf[p] ?? 0;
    if (b <= SP || b === 0x7f) break;
    p++;
  }
  if (p === end) return NEED_MORE;
  if (p === b0 || buf[p] !== SP) return NOT_START;
  const b1 = p;
  while (p < end && buf[p] === SP) p++;
  for (let i = 0; i < 7; i++) {
    if (p + i >= end) return NEED_MORE;
    if (LOWER[buf[p + i] ?? 0] !== SIP_VERSION[i]) return NOT_START;
  }
  p += 7;
  while (p < end && (buf[p] === SP || buf[p] === HTAB)) p++;
  return lineEnd(buf, p, end, true, a0, a1, b0, b1, 0);
}

function scanStatusLine(buf: Buffer, p: number, end: number): StartLine | typeof NOT_START | typeof NEED_MORE {
  p += 7;
  if (p >= end) return NEED_MORE;
  if (buf[p] !== SP) return NOT_START;
  while (p < end && buf[p] === SP) p++;
  let status = 0;
  for (let i = 0; i < 3; i++, p++) {
    if (p >= end) return NEED_MORE;
    const d = (buf[p] ?? 0) - 0x30;
    if (d < 0 || d > 9) return NOT_START;
    status = status * 10 + d;
  }
  if (p < end && buf[p] !== SP && buf[p] !== HTAB && buf[p] !== CR && buf[p] !== LF) return NOT_START;
  while (p < end && (buf[p] === SP || buf[p] === HTAB)) p++;
  const b0 = p;
  let b1 = p;
  while (b1 < end && buf[b1] !== CR && buf[b1] !== LF) b1++;
  const r = lineEnd(buf, b1, end, false, 0, 0, b0, b1, status);
  if (typeof r !== 'number') {
    while (r.b1 > r.b0 && (buf[r.b1 - 1] === SP || buf[r.b1 - 1] === HTAB)) r.b1--;
  }
  return r;
}

/** Expects CRLF / LF / end of data at p; builds the StartLine. */
function lineEnd(
  buf: Buffer,
  p: number,
  end: number,
  isRequest: boolean,
  a0: number,
  a1: number,
  b0: number,
  b1: number,
  status: number,
): StartLine | typeof NOT_START {
  let terminated = false;
  if (p < end && buf[p] === CR) p++;
  if (p < end) {
    if (buf[p] !== LF) return NOT_START;
    p++;
    terminated = true;
  }
  return { isRequest, a0, a1, b0, b1, status, next: p, terminated };
}

/** Parses unsigned decimal digits [s, e) (whitespace around allowed); -1 when not a number. */
function parseDecimal(buf: Buffer, s: number, e: number): number {
  while (s < e && isWs(buf[s])) s++;
  while (e > s && isWs(buf[e - 1])) e--;
  if (s >= e || e - s > 15) return -1;
  let n = 0;
  for (let p = s; p < e; p++) {
    const d = (buf[p] ?? 0) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * branch parameter of the first via-parm in [s, e) (RFC 3261 §20.42: Via values are
 * comma-separated; params follow sent-by after ';').
 */
function viaBranch(buf: Buffer, s: number, e: number): string {
  // sent-protocol and sent-by hold no ';', ',' or '"': find the first ';' natively; a ','
  // before it means the first via-parm has no parameters.
  const semi = buf.indexOf(SEMI, s);
  if (semi < 0 || semi >= e) return '';
  for (let q = s; q < semi; q++) if (buf[q] === COMMA) return '';
  let p = semi;
  while (p < e) {
    const b = buf[p];
    if (b === COMMA) return '';
    if (b === DQUOTE) {
      p++;
      while (p < e && buf[p] !== DQUOTE) p += buf[p] === BACKSLASH ? 2 : 1;
      p++;
      continue;
    }
    if (b !== SEMI) {
      p++;
      continue;
    }
    p++;
    while (p < e && isWs(buf[p])) p++;
    if (p + 6 <= e && nameIs(buf, p, P_BRANCH)) {
      let q = p + 6;
      while (q < e && isWs(buf[q])) q++;
      if (q < e && buf[q] === EQUAL) {
        q++;
        while (q < e && isWs(buf[q])) q++;
        const vs = q;
        while (q < e && buf[q] !== SEMI && buf[q] !== COMMA && !isWs(buf[q])) q++;
        return q > vs ? buf.toString('latin1', vs, q) : '';
      }
    }
  }
  return '';
}

/** Media type of a Content-Type value [s, e): lower-cased, without parameters. */
function mediaType(buf: Buffer, s: number, e: number): string {
  let q = s;
  while (q < e && buf[q] !== SEMI && !isWs(buf[q])) q++;
  if (q === s) return '';
  for (let i = 0; i < KNOWN_TYPE_BYTES.length; i++) {
    const k = KNOWN_TYPE_BYTES[i];
    if (k !== undefined && q - s === k.length && nameIs(buf, s, k)) return KNOWN_TYPES[i] ?? '';
  }
  return buf.toString('latin1', s, q).toLowerCase();
}

/** Short printable excerpt of [s, e) for a reason text. */
function excerpt(buf: Buffer, s: number, e: number): string {
  const t = buf.toString('latin1', s, Math.min(e, s + 40));
  return JSON.stringify(e - s > 40 ? t + '…' : t);
}

// Fields read by parseMessage.
const F_CALL_ID = 1;
const F_FROM = 2;
const F_TO = 3;
const F_VIA = 4;
const F_CSEQ = 5;
const F_CONTENT_TYPE = 6;
const F_CONTENT_LENGTH = 7;
const F_REASON = 8;
const F_WARNING = 9;
const F_X_CALL_ID = 10;
const F_USER_AGENT = 11;

/** Result slot of `parseMessage`, one per parse call (no module state). */
interface Outcome {
  msg: SipMessage | null;
  bad: SipMalformed | null;
}

/**
 * Parses the message whose start line `sl` begins at `start`; data ends at `end`. Fills
 * `out` and returns the index after the message. Content-Length absent or unusable: the body
 * runs to `end` (§18.3, datagram rule).
 */
function parseMessage(buf: Buffer, start: number, end: number, sl: StartLine, out: Outcome): number {
  let problems: string[] | null = null;
  let p = sl.next;
  let nHeaders = 0;
  let bodyStart = -1;
  let noColon = 0;
  // Value ranges [s, e) of the headers we read; -1 when absent. First occurrence wins.
  let cidS = -1, cidE = -1, cidF = false;
  let fromS = -1, fromE = -1, fromF = false;
  let toS = -1, toE = -1, toF = false;
  let viaS = -1, viaE = -1;
  let cseqS = -1, cseqE = -1;
  let ctS = -1, ctE = -1;
  let clS = -1, clE = -1;
  let reasonS = -1, reasonE = -1, reasonF = false;
  let warnS = -1, warnE = -1, warnF = false;
  let xcidS = -1, xcidE = -1, xcidF = false;
  let uaS = -1, uaE = -1, uaF = false;

  if (!sl.terminated) p = end;
  while (p < end) {
    const b = buf[p];
    // Blank line: end of headers (§7.3.1, §7.5).
    if (b === LF) {
      bodyStart = p + 1;
      break;
    }
    if (b === CR && (p + 1 === end || buf[p + 1] === LF)) {
      if (p + 1 < end) bodyStart = p + 2; // else: truncated inside the blank line
      break;
    }
    // One logical header line: physical lines joined while the next starts with SP/HTAB.
    let lf = buf.indexOf(LF, p);
    if (lf < 0 || lf >= end) lf = end;
    let folded = false;
    while (lf + 1 < end && (buf[lf + 1] === SP || buf[lf + 1] === HTAB)) {
      folded = true;
      const n = buf.indexOf(LF, lf + 1);
      lf = n < 0 || n >= end ? end : n;
    }
    const next = lf < end ? lf + 1 : end;
    let ce = lf;
    if (ce > p && buf[ce - 1] === CR) ce--;

    let colon = p;
    while (colon < ce && buf[colon] !== COLON) colon++;
    if (colon === ce) {
      // A line inside the headers that is no header (or a stray continuation line).
      noColon++;
      p = next;
      continue;
    }
    let ne = colon;
    while (ne > p && (buf[ne - 1] === SP || buf[ne - 1] === HTAB)) ne--;
    nHeaders++;

    // Which field this header is (0: one we skip, without touching its value).
    let field = 0;
    switch (ne - p) {
      case 1:
        switch (LOWER[buf[p] ?? 0]) {
          case 0x69 /* i */: field = F_CALL_ID; break;
          case 0x66 /* f */: field = F_FROM; break;
          case 0x74 /* t */: field = F_TO; break;
          case 0x76 /* v */: field = F_VIA; break;
          case 0x63 /* c */: field = F_CONTENT_TYPE; break;
          case 0x6c /* l */: field = F_CONTENT_LENGTH; break;
          default: break;
        }
        break;
      case 2:
        if (nameIs(buf, p, H_TO)) field = F_TO;
        break;
      case 3:
        if (nameIs(buf, p, H_VIA)) field = F_VIA;
        break;
      case 4:
        if (nameIs(buf, p, H_FROM)) field = F_FROM;
        else if (nameIs(buf, p, H_CSEQ)) field = F_CSEQ;
        break;
      case 5:
        if (nameIs(buf, p, H_X_CID)) field = F_X_CALL_ID;
        break;
      case 6:
        if (nameIs(buf, p, H_REASON)) field = F_REASON;
        else if (nameIs(buf, p, H_SERVER)) field = F_USER_AGENT;
        break;
      case 7:
        if (nameIs(buf, p, H_CALL_ID)) field = F_CALL_ID;
        else if (nameIs(buf, p, H_WARNING)) field = F_WARNING;
        break;
      case 9:
        if (nameIs(buf, p, H_X_CALL_ID)) field = F_X_CALL_ID;
        break;
      case 10:
        if (nameIs(buf, p, H_USER_AGENT)) field = F_USER_AGENT;
        break;
      case 12:
        if (nameIs(buf, p, H_CONTENT_TYPE)) field = F_CONTENT_TYPE;
        break;
      case 14:
        if (nameIs(buf, p, H_CONTENT_LENGTH)) field = F_CONTENT_LENGTH;
        break;
      default:
        break;
    }
    if (field !== 0) {
      let vs = colon + 1;
      while (vs < ce && isWs(buf[vs])) vs++;
      let ve = ce;
      while (ve > vs && isWs(buf[ve - 1])) ve--;
      // First occurrence wins.
      switch (field) {
        case F_CALL_ID: if (cidS < 0) { cidS = vs; cidE = ve; cidF = folded; } break;
        case F_FROM: if (fromS < 0) { fromS = vs; fromE = ve; fromF = folded; } break;
        case F_TO: if (toS < 0) { toS = vs; toE = ve; toF = folded; } break;
        case F_VIA: if (viaS < 0) { viaS = vs; viaE = ve; } break;
        case F_CSEQ: if (cseqS < 0) { cseqS = vs; cseqE = ve; } break;
        case F_CONTENT_TYPE: if (ctS < 0) { ctS = vs; ctE = ve; } break;
        case F_CONTENT_LENGTH: if (clS < 0) { clS = vs; clE = ve; } break;
        case F_REASON: if (reasonS < 0) { reasonS = vs; reasonE = ve; reasonF = folded; } break;
        case F_WARNING: if (warnS < 0) { warnS = vs; warnE = ve; warnF = folded; } break;
        case F_X_CALL_ID: if (xcidS < 0) { xcidS = vs; xcidE = ve; xcidF = folded; } break;
        case F_USER_AGENT: if (uaS < 0) { uaS = vs; uaE = ve; uaF = folded; } break;
        default: break;
      }
    }
    p = next;
  }

  if (bodyStart < 0) {
    bodyStart = end;
    if (nHeaders > 0) (problems ??= []).push('headers not ended by a blank line (truncated?)');
  }
  if (noColon > 0) {
    (problems ??= []).push(noColon === 1 ? 'one header line without a colon' : `${noColon} header lines without a colon`);
  }

  // Body framing (§18.3, §20.14).
  let bodyEnd = end;
  if (clS >= 0) {
    const cl = parseDecimal(buf, clS, clE);
    if (cl < 0) {
      (problems ??= []).push(`unparsable Content-Length ${excerpt(buf, clS, clE)}`);
    } else if (cl > end - bodyStart) {
      (problems ??= []).push(`Content-Length ${cl} exceeds the ${end - bodyStart} bytes present`);
    } else {
      bodyEnd = bodyStart + cl;
    }
  }
  out.msg = null;
  out.bad = null;

  if (nHeaders === 0) {
    out.bad = { offset: start, length: bodyEnd - start, reason: 'no headers after the start line' };
    return bodyEnd;
  }
  if (cidS < 0 || cidS >= cidE) {
    out.bad = {
      offset: start,
      length: bodyEnd - start,
      reason: cidS < 0 ? 'no Call-ID header' : 'empty Call-ID header',
    };
    return bodyEnd;
  }
  if (cseqS < 0) {
    out.bad = { offset: start, length: bodyEnd - start, reason: 'no CSeq header' };
    return bodyEnd;
  }
  // CSeq = 1*DIGIT LWS Method (§20.16)
  let q = cseqS;
  let cseq = 0;
  while (q < cseqE && q - cseqS < 10) {
    const d = (buf[q] ?? 0) - 0x30;
    if (d < 0 || d > 9) break;
    cseq = cseq * 10 + d;
    q++;
  }
  const digitsEnd = q;
  while (q < cseqE && isWs(buf[q])) q++;
  const cmS = q;
  while (q < cseqE && TOKEN[buf[q] ?? 0] === 1) q++;
  if (digitsEnd === cseqS || q === cmS || cmS === digitsEnd || q !== cseqE) {
    out.bad = { offset: start, length: bodyEnd - start, reason: `unparsable CSeq ${excerpt(buf, cseqS, cseqE)}` };
    return bodyEnd;
  }
  const cmE = q;

  let method: string;
  let reasonPhrase = '';
  let cseqMethod: string;
  if (sl.isRequest) {
    method = methodString(buf, sl.a0, sl.a1);
    if (bytesAreRange(buf, cmS, cmE, sl.a0, sl.a1)) {
      cseqMethod = method;
    } else {
      cseqMethod = methodString(buf, cmS, cmE);
      (problems ??= []).push(`CSeq method ${cseqMethod} differs from the request method ${method}`);
    }
  } else {
    cseqMethod = methodString(buf, cmS, cmE);
    method = cseqMethod;
    reasonPhrase = phraseString(buf, sl.b0, sl.b1);
  }
  if (fromS < 0) (problems ??= []).push('no From header');
  if (toS < 0) (problems ??= []).push('no To header');

  const contentType = ctS >= 0 ? mediaType(buf, ctS, ctE) : '';
  const bodyLength = bodyEnd - bodyStart;
  let hasSdp = false;
  if (bodyLength > 0) {
    if (contentType === 'application/sdp') hasSdp = true;
    else if (contentType.startsWith('multipart/')) {
      const boundary = boundaryParam(buf, ctS, ctE);
      hasSdp = multipartSdpRange(buf, bodyStart, bodyEnd, boundary) !== null;
    }
  }

  const m = new ParsedMessage(buf);
  m.isRequest = sl.isRequest;
  m.method = method;
  m.status = sl.status;
  m.reasonPhrase = reasonPhrase;
  m.callId = valueText(buf, cidS, cidE, cidF);
  m.cseq = cseq;
  m.cseqMethod = cseqMethod;
  m.branch = viaS >= 0 ? viaBranch(buf, viaS, viaE) : '';
  m.contentType = contentType;
  m.reason = valueText(buf, reasonS, reasonE, reasonF);
  m.warning = valueText(buf, warnS, warnE, warnF);
  m.offset = start;
  m.length = bodyEnd - start;
  m.bodyLength = bodyLength;
  m.hasSdp = hasSdp;
  m.problems = problems ?? [];
  m.uriS = sl.isRequest ? sl.b0 : -1;
  m.uriE = sl.b1;
  m.fromS = fromS;
  m.fromE = fromE;
  m.fromF = fromF;
  m.toS = toS;
  m.toE = toE;
  m.toF = toF;
  m.xcidS = xcidS;
  m.xcidE = xcidE;
  m.xcidF = xcidF;
  m.uaS = uaS;
  m.uaE = uaE;
  m.uaF = uaF;
  out.msg = m;
  return bodyEnd;
}

const NO_NAME_ADDR: NameAddr = Object.freeze({ display: '', uri: '', user: '', tag: '' });

/**
 * A parsed message whose rarely needed fields (From, To, Request-URI, X-Call-ID,
 * User-Agent) are decoded on first access: most messages belong to a dialog that already
 * has them, and building those strings for every message was a third of the parser's time.
 * Contract: the buffer given to the parser must not be modified while the message is
 * used (capture chunks never are); consumers read what they keep at once.
 */
class ParsedMessage implements SipMessage {
  isRequest = false;
  method = '';
  status = 0;
  reasonPhrase = '';
  callId = '';
  cseq = 0;
  cseqMethod = '';
  branch = '';
  contentType = '';
  reason = '';
  warning = '';
  offset = 0;
  length = 0;
  bodyLength = 0;
  hasSdp = false;
  problems: string[] = [];
  uriS = -1;
  uriE = -1;
  fromS = -1;
  fromE = -1;
  fromF = false;
  toS = -1;
  toE = -1;
  toF = false;
  xcidS = -1;
  xcidE = -1;
  xcidF = false;
  uaS = -1;
  uaE = -1;
  uaF = false;
  private fromValue: NameAddr | undefined = undefined;
  private toValue: NameAddr | undefined = undefined;
  private uriValue: string | undefined = undefined;
  private xcidValue: string | undefined = undefined;
  private uaValue: string | undefined = undefined;

  constructor(private readonly buf: Buffer) {}

  get from(): NameAddr {
    return (this.fromValue ??= this.fromS >= 0 ? decodeNameAddr(this.buf, this.fromS, this.fromE, this.fromF) : NO_NAME_ADDR);
  }
  get to(): NameAddr {
    return (this.toValue ??= this.toS >= 0 ? decodeNameAddr(this.buf, this.toS, this.toE, this.toF) : NO_NAME_ADDR);
  }
  get requestUri(): string {
    return (this.uriValue ??= this.uriS >= 0 ? this.buf.toString('latin1', this.uriS, this.uriE) : '');
  }
  get xCallId(): string {
    return (this.xcidValue ??= valueText(this.buf, this.xcidS, this.xcidE, this.xcidF));
  }
  get userAgent(): string {
    return (this.uaValue ??= valueText(this.buf, this.uaS, this.uaE, this.uaF));
  }
  /** Plain-object form (all fields decoded), for tests and JSON. */
  toJSON(): SipMessage {
    return {
      isRequest: this.isRequest,
      method: this.method,
      requestUri: this.requestUri,
      status: this.status,
      reasonPhrase: this.reasonPhrase,
      callId: this.callId,
      from: this.from,
      to: this.to,
      cseq: this.cseq,
      cseqMethod: this.cseqMethod,
      branch: this.branch,
      contentType: this.contentType,
      reason: this.reason,
      warning: this.warning,
      xCallId: this.xCallId,
      userAgent: this.userAgent,
      offset: this.offset,
      length: this.length,
      bodyLength: this.bodyLength,
      hasSdp: this.hasSdp,
      problems: this.problems,
    };
  }
}

function bytesAreRange(buf: Buffer, s1: number, e1: number, s2: number, e2: number): boolean {
  if (e1 - s1 !== e2 - s2) return false;
  for (let i = 0; i < e1 - s1; i++) if (buf[s1 + i] !== buf[s2 + i]) return false;
  return true;
}

/** boundary parameter of the Content-Type value [s, e) (RFC 2046 §5.1.1), '' when none. */
function boundaryParam(buf: Buffer, s: number, e: number): string {
  const v = buf.toString('latin1', s, e);
  const m = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(v);
  return m === null ? '' : (m[1] ?? m[2] ?? '');
}

/**
 * Parses one UDP payload (RFC 3261 §18.3). Returns false, calling nothing, when the payload
 * is not SIP: after leading CR/LF it does not begin with a start line. Otherwise calls
 * onMessage / onMalformed for each message in order (several may share a datagram, each
 * framed by Content-Length) and once more for trailing bytes that start no message, and
 * returns true. Never throws (exceptions from the callbacks excepted); always terminates.
 */
export function parseSipDatagram(
  buf: Buffer,
  onMessage: (m: SipMessage) => void,
  onMalformed: (m: SipMalformed) => void,
): boolean {
  const end = buf.length;
  let pos = skipCrlf(buf, 0, end);
  let sl: StartLine | number;
  try {
    sl = scanStartLine(buf, pos, end);
  } catch {
    return false;
  }
  if (typeof sl === 'number') return false;
  const out: Outcome = { msg: null, bad: null };
  for (;;) {
    let next: number;
    try {
      next = parseMessage(buf, pos, end, sl, out);
    } catch (e) {
      out.msg = null;
      out.bad = { offset: pos, length: end - pos, reason: `parser error: ${String(e)}` };
      next = end;
    }
    if (next <= pos) next = end; // cannot happen (a start line has bytes); never loop
    const msg = out.msg;
    const bad = out.bad;
    pos = skipCrlf(buf, next, end);
    let s: StartLine | number = NOT_START;
    if (pos < end) {
      try {
        s = scanStartLine(buf, pos, end);
      } catch {
        s = NOT_START;
      }
    }
    const trailing = pos < end && typeof s === 'number';
    if (msg !== null) {
      // §18.3: bytes past the Content-Length body of a datagram are discarded; say so on the message.
      if (trailing) msg.problems.push(`${end - pos} bytes after the Content-Length body discarded (RFC 3261 §18.3)`);
      onMessage(msg);
    } else if (bad !== null) {
      onMalformed(trailing ? { ...bad, length: end - bad.offset } : bad);
    }
    if (pos >= end || typeof s === 'number') return true;
    sl = s;
  }
}

/**
 * Frames a message on a stream transport (TCP, TLS, WebSocket; RFC 3261 §18.3): given the
 * offset of a start line, returns the index one past the message's last byte, 'incomplete'
 * when more bytes are needed to know or to hold the whole message, or 'bad' when the bytes
 * at offset are no start line, Content-Length is unusable, or the headers exceed
 * MAX_STREAM_HEADER_BYTES (the caller must resynchronise). The caller skips CR/LF
 * keep-alives (RFC 5626 §4.4.1) before calling. A missing Content-Length counts as 0.
 */
export function sipMessageEnd(buf: Buffer, offset: number): number | 'incomplete' | 'bad' {
  try {
    const end = buf.length;
    if (offset < 0 || !Number.isInteger(offset)) return 'bad';
    if (offset >= end) return 'incomplete';
    const sl = scanStartLine(buf, offset, end);
    if (sl === NOT_START) return 'bad';
    if (sl === NEED_MORE || !sl.terminated) {
      return end - offset > MAX_STREAM_HEADER_BYTES ? 'bad' : 'incomplete';
    }
    let p = sl.next;
    let cl = -1;
    let bodyStart = -1;
    while (p < end) {
      const b = buf[p];
      if (b === LF) {
        bodyStart = p + 1;
        break;
      }
      if (b === CR) {
        if (p + 1 >= end) break;
        if (buf[p + 1] === LF) {
          bodyStart = p + 2;
          break;
        }
      }
      let lf = buf.indexOf(LF, p);
      if (lf < 0) break;
      // Folding: whether the next line continues this one needs its first byte.
      while (lf + 1 < end && (buf[lf + 1] === SP || buf[lf + 1] === HTAB)) {
        lf = buf.indexOf(LF, lf + 1);
        if (lf < 0) break;
      }
      if (lf < 0 || lf + 1 >= end) break;
      let colon = p;
      while (colon < lf && buf[colon] !== COLON) colon++;
      if (colon < lf && cl < 0) {
        let ne = colon;
        while (ne > p && (buf[ne - 1] === SP || buf[ne - 1] === HTAB)) ne--;
        const n = ne - p;
        if ((n === 1 && LOWER[buf[p] ?? 0] === 0x6c) || (n === 14 && nameIs(buf, p, H_CONTENT_LENGTH))) {
          cl = parseDecimal(buf, colon + 1, lf);
          if (cl < 0 || cl > MAX_STREAM_BODY_BYTES) return 'bad';
        }
      }
      p = lf + 1;
      if (p - offset > MAX_STREAM_HEADER_BYTES) return 'bad';
    }
    if (bodyStart < 0) return end - offset > MAX_STREAM_HEADER_BYTES ? 'bad' : 'incomplete';
    const msgEnd = bodyStart + Math.max(cl, 0);
    return msgEnd <= end ? msgEnd : 'incomplete';
  } catch {
    return 'bad';
  }
}
