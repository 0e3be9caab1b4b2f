/*
 * Address patterns for the ip/srcip/dstip filter fields: one address or a CIDR prefix,
 * IPv4 (dotted quad) or IPv6 (RFC 4291 §2.2 text forms, §2.3 prefix notation).
 */

/** An address or prefix, as bytes and a prefix length in bits. */
export interface AddressPattern {
  bytes: Uint8Array;
  bits: number;
}

function parseV4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? '';
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function groups(s: string): number[] | undefined {
  if (s === '') return [];
  const out: number[] = [];
  const parts = s.split(':');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] ?? '';
    if (i === parts.length - 1 && p.includes('.')) {
      const v4 = parseV4(p);
      if (v4 === undefined) return undefined;
      out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      out.push(parseInt(p, 16));
    }
  }
  return out;
}

function parseV6(text: string): Uint8Array | undefined {
  const pct = text.indexOf('%');
  const s = pct >= 0 ? text.slice(0, pct) : text;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const head = groups(dbl >= 0 ? s.slice(0, dbl) : s);
  const tail = groups(dbl >= 0 ? s.slice(dbl + 2) : '');
  if (head === undefined || tail === undefined) return undefined;
  const total = head.length + tail.length;
  if (dbl >= 0 ? total > 7 : total !== 8) return undefined;
  const all = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** The bytes of an IPv4 or IPv6 address (brackets allowed around IPv6), or undefined. */
export function parseAddress(text: string): Uint8Array | undefined {
  const t = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return t.includes(':') ? parseV6(t) : parseV4(t);
}

/** `10.0.0.0/8`, `2001:db8::/32`, `192.0.2.1`, `::1`: a pattern, or undefined when not one. */
export function parseAddressPattern(text: string): AddressPattern | undefined {
  const slash = text.indexOf('/');
  const bytes = parseAddress(slash >= 0 ? text.slice(0, slash) : text);
  if (bytes === undefined) return undefined;
  const max = bytes.length * 8;
  if (slash < 0) return { bytes, bits: max };
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) return undefined;
  return { bytes, bits: Number(lenText) };
}

/** Whether an address lies in the pattern (same family, same leading `bits` bits). */
export function addressInPattern(addr: Uint8Array, p: AddressPattern): boolean {
  if (addr.length !== p.bytes.length) return false;
  const whole = p.bits >> 3;
  for (let i = 0; i < whole; i++) if (addr[i] !== p.bytes[i]) return false;
  const rest = p.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((addr[whole] ?? 0) & mask) === ((p.bytes[whole] ?? 0) & mask);
}

/** Splits the store's endpoint text `ip:port` / `[v6]:port` into address text and port. */
export function splitEndpoint(endpoint: string): { ip: string; port: number } {
  if (endpoint.startsWith('[')) {
    const close = endpoint.indexOf(']');
    if (close < 0) return { ip: endpoint, port: 0 };
    return { ip: endpoint.slice(1, close), port: Number(endpoint.slice(close + 2)) || 0 };
  }
  const colon = endpoint.lastIndexOf(':');
  if (colon < 0) return { ip: endpoint, port: 0 };
  return { ip: endpoint.slice(0, colon), port: Number(endpoint.slice(colon + 1)) || 0 };
}
