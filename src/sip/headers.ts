import type { SipHeader } from './types';

/*
 * Full header parsing on demand (views, filters). The engine's per-message fields come from
 * parser.ts, which reads only what it needs; this reads everything, as text.
 *
 *   message-header = field-name HCOLON field-value CRLF      (RFC 3261 §7.3, §7.3.1)
 *   folding: a line starting with SP or HTAB continues the previous one; CRLF + whitespace
 *   stands for one SP. The headers end at the first empty line.
 */

/**
 * Compact header forms (RFC 3261 §7.3.3, §20; IANA "Header Fields" registry of the SIP
 * parameters): every single-letter form and the header it stands for.
 */
export const COMPACT_FORMS: Readonly<Record<string, string>> = Object.freeze({
  a: 'Accept-Contact', // RFC 3841
  b: 'Referred-By', // RFC 3892
  c: 'Content-Type', // RFC 3261
  d: 'Request-Disposition', // RFC 3841
  e: 'Content-Encoding', // RFC 3261
  f: 'From', // RFC 3261
  i: 'Call-ID', // RFC 3261
  j: 'Reject-Contact', // RFC 3841
  k: 'Supported', // RFC 3261
  l: 'Content-Length', // RFC 3261
  m: 'Contact', // RFC 3261
  n: 'Identity-Info', // RFC 4474 (obsoleted by RFC 8224, still registered)
  o: 'Event', // RFC 6665
  r: 'Refer-To', // RFC 3515
  s: 'Subject', // RFC 3261
  t: 'To', // RFC 3261
  u: 'Allow-Events', // RFC 6665
  v: 'Via', // RFC 3261
  x: 'Session-Expires', // RFC 4028
  y: 'Identity', // RFC 8224
});

/**
 * Headers (lower-case long names) whose grammar is a comma-separated list, so that several
 * header lines and one line with commas mean the same (RFC 3261 §7.3.1). Not in this set,
 * on purpose: WWW-Authenticate, Authorization, Proxy-Authenticate, Proxy-Authorization
 * (commas inside their parameters, §7.3.1), Date, and unknown extension headers.
 */
const MULTI_VALUE: ReadonlySet<string> = new Set([
  'accept',
  'accept-contact',
  'accept-encoding',
  'accept-language',
  'accept-resource-priority',
  'alert-info',
  'allow',
  'allow-events',
  'call-info',
  'contact',
  'content-encoding',
  'content-language',
  'diversion',
  'error-info',
  'history-info',
  'in-reply-to',
  'p-asserted-identity',
  'p-associated-uri',
  'p-preferred-identity',
  'path',
  'proxy-require',
  'reason',
  'record-route',
  'reject-contact',
  'request-disposition',
  'require',
  'resource-priority',
  'route',
  'security-client',
  'security-server',
  'security-verify',
  'service-route',
  'supported',
  'unsupported',
  'via',
  'warning',
]);

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** The long name for a compact form (any case), or the name as given. */
function longName(name: string): string {
  return name.length === 1 ? (COMPACT_FORMS[name.toLowerCase()] ?? name) : name;
}

function unfold(t: string): string {
  return t.indexOf('\n') >= 0 ? t.replace(/\r?\n[ \t]*/g, ' ') : t;
}

/**
 * Parses the start line and all headers of the message at the start of buf (leading CR/LF
 * skipped, §7.5). bodyOffset is the index after the empty line, or buf.length when the
 * headers are not terminated. Lines without a colon are left out. Never throws.
 */
export function parseHeaders(buf: Buffer): { startLine: string; headers: SipHeader[]; bodyOffset: number } {
  const headers: SipHeader[] = [];
  const end = buf.length;
  let startLine = '';
  let p = 0;
  try {
    while (p < end && (buf[p] === CR || buf[p] === LF)) p++;
    let lf = buf.indexOf(LF, p);
    if (lf < 0) lf = end;
    let ce = lf;
    if (ce > p && buf[ce - 1] === CR) ce--;
    startLine = buf.toString('utf8', p, ce).trim();
    p = Math.min(lf + 1, end);
    while (p < end) {
      if (buf[p] === LF) return { startLine, headers, bodyOffset: p + 1 };
      if (buf[p] === CR && p + 1 < end && buf[p + 1] === LF) return { startLine, headers, bodyOffset: p + 2 };
      lf = buf.indexOf(LF, p);
      if (lf < 0) lf = end;
      while (lf + 1 < end && (buf[lf + 1] === SP || buf[lf + 1] === HTAB)) {
        const n = buf.indexOf(LF, lf + 1);
        lf = n < 0 ? end : n;
      }
      const colon = buf.indexOf(COLON, p);
      if (colon >= 0 && colon < lf) {
        const name = buf.toString('utf8', p, colon).trim();
        if (name !== '') {
          headers.push({ name: longName(name), value: unfold(buf.toString('utf8', colon + 1, lf)).trim() });
        }
      }
      p = lf + 1;
    }
  } catch {
    // Return what was read.
  }
  return { startLine, headers, bodyOffset: end };
}

/**
 * Splits a header value at commas that separate values: not inside a quoted string, not
 * inside <...> (RFC 3261 §7.3.1, §25.1).
 */
export function splitCommaValues(value: string): string[] {
  const out: string[] = [];
  let inQuote = false;
  let angle = 0;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c) angle++;
    else if (c === 0x3e) angle = Math.max(0, angle - 1);
    else if (c === 0x2c && angle === 0) {
      const v = value.slice(start, i).trim();
      if (v !== '') out.push(v);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last !== '') out.push(last);
  return out;
}

/**
 * All values of a header, in order: name compared case-insensitively, compact forms accepted
 * (`v` finds Via), and comma-separated values split for headers whose grammar is a list.
 */
export function headerValues(headers: SipHeader[], name: string): string[] {
  const want = longName(name.trim()).toLowerCase();
  const split = MULTI_VALUE.has(want);
  const out: string[] = [];
  for (const h of headers) {
    if (longName(h.name).toLowerCase() !== want) continue;
    if (split) {
      for (const v of splitCommaValues(h.value)) out.push(v);
    } else {
      out.push(h.value);
    }
  }
  return out;
}
