import type { NameAddr } from './types';

/*
 * From / To / Contact style values (RFC 3261 §20.10, §25.1):
 *
 *   name-addr  = [ display-name ] LAQUOT addr-spec RAQUOT
 *   addr-spec  = SIP-URI / SIPS-URI / absoluteURI
 *   display-name = *(token LWS) / quoted-string
 *   from-spec  = ( name-addr / addr-spec ) *( SEMI from-param )
 *
 * Without angle brackets the URI cannot carry parameters of its own: ';' starts the header
 * parameters (§20.10). One tolerance: `sip:+1234;npdi@host;tag=x` (user parameters written
 * without brackets, which the RFC forbids but phones send) keeps `;npdi` in the URI because
 * an '@' follows it.
 *
 * Works on the value as one string: the message parser decodes a From/To value once and the
 * parts are slices of it (one native string creation instead of four; the slices pin only
 * that value, which the NameAddr holds anyway through `uri` and `display`).
 */

const SP = 0x20;
const HTAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const LAQUOT = 0x3c;
const SEMI = 0x3b;
const COLON = 0x3a;
const AT = 0x40;
const EQUAL = 0x3d;
const COMMA = 0x2c;
const QUESTION = 0x3f;

function isLws(c: number): boolean {
  return c === SP || c === HTAB || c === CR || c === LF;
}

/** Lower-case ASCII letter of code c (others unchanged). */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** Content of a quoted-string (RFC 3261 §25.1: quoted-pair `\x` stands for x). */
function unquote(t: string): string {
  return t.indexOf('\\') >= 0 ? t.replace(/\\([\s\S])/g, '$1') : t;
}

/**
 * Decodes a name-addr or addr-spec with header parameters from bytes [start, end) of buf
 * (UTF-8). `folded`: the bytes may hold folded lines (CRLF + whitespace). Never throws.
 */
export function decodeNameAddr(buf: Buffer, start: number, end: number, folded = true): NameAddr {
  const s = Math.max(0, start);
  const e = Math.min(end, buf.length);
  if (s >= e) return { display: '', uri: '', user: '', tag: '' };
  const v = buf.toString('utf8', s, e);
  try {
    return parse(folded ? unfold(v) : v);
  } catch {
    return { display: '', uri: '', user: '', tag: '' };
  }
}

function unfold(v: string): string {
  return v.indexOf('\n') >= 0 ? v.replace(/\r?\n[ \t]*/g, ' ') : v;
}

/**
 * Parses a From/To/Contact style header value, e.g.
 * `"Bob \"B\" Smith" <sip:bob@biloxi.example.com;transport=tcp>;tag=a6c85cf`.
 * Never throws; parts that are absent are ''.
 */
export function parseNameAddr(value: string): NameAddr {
  try {
    return parse(unfold(value));
  } catch {
    return { display: '', uri: '', user: '', tag: '' };
  }
}

function parse(v: string): NameAddr {
  let s = 0;
  let e = v.length;
  while (s < e && isLws(v.charCodeAt(s))) s++;
  while (e > s && isLws(v.charCodeAt(e - 1))) e--;
  if (s >= e) return { display: '', uri: '', user: '', tag: '' };

  let display = '';
  let uriS: number;
  let uriE: number;
  let paramsS: number;
  let angle = false;
  let p = s;

  if (v.charCodeAt(s) === DQUOTE) {
    // quoted-string display name: the closing '"' is one not escaped by an odd number of '\'.
    let q = s + 1;
    for (;;) {
      q = v.indexOf('"', q);
      if (q < 0 || q >= e) {
        q = e;
        break;
      }
      let k = q - 1;
      while (k > s && v.charCodeAt(k) === BACKSLASH) k--;
      if (((q - 1 - k) & 1) === 0) break;
      q++;
    }
    let ds = s + 1;
    let de = q;
    while (ds < de && isLws(v.charCodeAt(ds))) ds++;
    while (de > ds && isLws(v.charCodeAt(de - 1))) de--;
    display = ds < de ? unquote(v.slice(ds, de)) : '';
    p = q + 1;
    while (p < e && isLws(v.charCodeAt(p))) p++;
    if (p < e && v.charCodeAt(p) === LAQUOT) angle = true;
  } else {
    const lt = v.indexOf('<', s);
    if (lt >= 0 && lt < e) {
      angle = true;
      p = lt;
      let de = lt;
      while (de > s && isLws(v.charCodeAt(de - 1))) de--;
      display = de > s ? v.slice(s, de) : '';
      // Tolerate `\"Name\"` and other stray quoting in an unquoted display name.
      if (display.indexOf('"') >= 0 || display.indexOf('\\') >= 0) {
        display = unquote(display);
        if (display.length >= 2 && display.startsWith('"') && display.endsWith('"')) {
          display = display.slice(1, -1).trim();
        }
      }
    }
  }

  if (angle) {
    uriS = p + 1;
    const gt = v.indexOf('>', uriS);
    uriE = gt >= 0 && gt < e ? gt : e;
    paramsS = uriE < e ? uriE + 1 : e;
  } else {
    // addr-spec: the URI ends at the first ';' (after the '@' when there is one, see above).
    uriS = p;
    let at = -1;
    for (let q = p; q < e; q++) {
      const c = v.charCodeAt(q);
      if (c === AT) {
        at = q;
        break;
      }
      if (c === COMMA || c === QUESTION || isLws(c)) break;
    }
    let q = at >= 0 ? at : p;
    while (q < e && v.charCodeAt(q) !== SEMI && !isLws(v.charCodeAt(q))) q++;
    uriE = q;
    paramsS = q;
  }
  while (uriS < uriE && isLws(v.charCodeAt(uriS))) uriS++;
  while (uriE > uriS && isLws(v.charCodeAt(uriE - 1))) uriE--;

  return {
    display,
    uri: uriS < uriE ? v.slice(uriS, uriE) : '',
    user: uriUser(v, uriS, uriE),
    tag: paramsS < e ? tagParam(v, paramsS, e) : '',
  };
}

/**
 * User part of a sip:/sips: URI (RFC 3261 §19.1.1, without user parameters or password),
 * the number of a tel: URI (RFC 3966), or for a URI without scheme the part before '@'.
 */
function uriUser(v: string, s: number, e: number): string {
  if (s >= e) return '';
  let colon = -1;
  for (let q = s; q < e && q - s <= 5; q++) {
    if (v.charCodeAt(q) === COLON) {
      colon = q;
      break;
    }
  }
  const n = colon - s;
  let us: number;
  if (colon < 0) {
    us = s;
  } else if (n >= 3) {
    const c0 = lower(v.charCodeAt(s));
    const c1 = lower(v.charCodeAt(s + 1));
    const c2 = lower(v.charCodeAt(s + 2));
    if (c0 === 0x73 && c1 === 0x69 && c2 === 0x70 && (n === 3 || (n === 4 && lower(v.charCodeAt(s + 3)) === 0x73))) {
      us = colon + 1; // sip: / sips:
    } else if (n === 3 && c0 === 0x74 && c1 === 0x65 && c2 === 0x6c) {
      // tel:+1-201-555-0123;phone-context=... → the number.
      let q = v.indexOf(';', colon + 1);
      if (q < 0 || q > e) q = e;
      return q > colon + 1 ? v.slice(colon + 1, q) : '';
    } else {
      return '';
    }
  } else {
    return '';
  }
  const at = v.indexOf('@', us);
  if (at < 0 || at >= e) return '';
  const question = v.indexOf('?', us);
  if (question >= 0 && question < at) return '';
  let ue = us;
  while (ue < at) {
    const c = v.charCodeAt(ue);
    if (c === SEMI || c === COLON) break;
    ue++;
  }
  return ue > us ? v.slice(us, ue) : '';
}

/** The tag parameter among header parameters `;name[=value]...` in [s, e) (RFC 3261 §20.20). */
function tagParam(v: string, s: number, e: number): string {
  const quote = v.indexOf('"', s);
  if (quote >= 0 && quote < e) return tagParamQuoted(v, s, e);
  // No quoted values: parameters end at the first ',' (a second value, not ours).
  const comma = v.indexOf(',', s);
  const end = comma >= 0 && comma < e ? comma : e;
  let p = v.indexOf(';', s);
  while (p >= 0 && p < end) {
    p++;
    while (p < end && isLws(v.charCodeAt(p))) p++;
    const t = tagValue(v, p, end);
    if (t !== null) return t;
    p = v.indexOf(';', p);
  }
  return '';
}

/** At p, `tag = value`: the value; otherwise null. */
function tagValue(v: string, p: number, e: number): string | null {
  if (p + 3 > e || lower(v.charCodeAt(p)) !== 0x74 || lower(v.charCodeAt(p + 1)) !== 0x61 || lower(v.charCodeAt(p + 2)) !== 0x67) {
    return null;
  }
  let q = p + 3;
  while (q < e && isLws(v.charCodeAt(q))) q++;
  if (q >= e || v.charCodeAt(q) !== EQUAL) return null;
  q++;
  while (q < e && isLws(v.charCodeAt(q))) q++;
  const vs = q;
  while (q < e) {
    const c = v.charCodeAt(q);
    if (c === SEMI || c === COMMA || isLws(c)) break;
    q++;
  }
  return q > vs ? v.slice(vs, q) : '';
}

/** tagParam for parameters that may hold quoted strings (skipped whole). */
function tagParamQuoted(v: string, s: number, e: number): string {
  let p = s;
  while (p < e) {
    const c = v.charCodeAt(p);
    if (c === DQUOTE) {
      p++;
      while (p < e && v.charCodeAt(p) !== DQUOTE) p += v.charCodeAt(p) === BACKSLASH ? 2 : 1;
      p++;
      continue;
    }
    if (c === COMMA) return '';
    p++;
    if (c !== SEMI) continue;
    while (p < e && isLws(v.charCodeAt(p))) p++;
    const t = tagValue(v, p, e);
    if (t !== null) return t;
  }
  return '';
}
