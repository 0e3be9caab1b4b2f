/**
 * IP address formatting (the hot path: two strings per packet) and parsing (tests, filters).
 *
 * Formatting reads straight from the packet bytes; nothing here allocates beyond the
 * resulting string.
 */

/** Decimal text of every byte value, so IPv4 formatting is four lookups and three joins. */
const DECIMAL: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

/** Dotted-quad text of the 4 bytes at `offset` (caller guarantees 4 bytes are there). */
export function formatIpv4(buf: Buffer, offset: number): string {
  return (
    (DECIMAL[buf[offset] as number] as string) +
    '.' +
    (DECIMAL[buf[offset + 1] as number] as string) +
    '.' +
    (DECIMAL[buf[offset + 2] as number] as string) +
    '.' +
    (DECIMAL[buf[offset + 3] as number] as string)
  );
}

/**
 * RFC 5952 text of the 16 bytes at `offset` (caller guarantees 16 bytes are there):
 * lower-case hex without leading zeros (4.1, 4.3), the longest run of two or more zero
 * groups compressed to "::", the first such run on ties (4.2), and IPv4-mapped addresses
 * as ::ffff:a.b.c.d (5).
 */
export function formatIpv6(buf: Buffer, offset: number): string {
  // Longest run of zero 16-bit groups (only runs of >= 2 are compressed, RFC 5952 4.2.2).
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    const o = offset + 2 * i;
    if (buf[o] === 0 && buf[o + 1] === 0) {
      if (runStart < 0) runStart = i;
      const len = i - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  // IPv4-mapped ::ffff:0:0/96 (RFC 4291 2.5.5.2), shown in mixed notation (RFC 5952 5).
  if (bestStart === 0 && bestLen === 5 && buf[offset + 10] === 0xff && buf[offset + 11] === 0xff) {
    return '::ffff:' + formatIpv4(buf, offset + 12);
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out.length > 0 && i !== bestStart + bestLen) out += ':';
    const o = offset + 2 * i;
    out += (((buf[o] as number) << 8) | (buf[o + 1] as number)).toString(16);
  }
  return out;
}

/** The 4 bytes of a dotted-quad IPv4 address, or undefined when `text` is not one. */
export function parseIpv4(text: string): Buffer | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

/**
 * The 16 bytes of an IPv6 address in any RFC 4291 2.2 text form (full, "::"-compressed,
 * trailing dotted IPv4), or undefined when `text` is not one. A zone ("%eth0") is ignored.
 */
export function parseIpv6(text: string): Buffer | undefined {
  const pct = text.indexOf('%');
  const s = pct >= 0 ? text.slice(0, pct) : text;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : '';
  const headGroups = parseGroups(head);
  const tailGroups = parseGroups(tail);
  if (headGroups === undefined || tailGroups === undefined) return undefined;
  const total = headGroups.length + tailGroups.length;
  if (dbl >= 0 ? total > 7 : total !== 8) return undefined;
  const out = Buffer.alloc(16);
  headGroups.forEach((g, i) => out.writeUInt16BE(g, 2 * i));
  tailGroups.forEach((g, i) => out.writeUInt16BE(g, 16 - 2 * (tailGroups.length - i)));
  return out;
}

/** 16-bit groups of one side of "::" (the last may be dotted IPv4, giving two groups). */
function parseGroups(s: string): number[] | undefined {
  if (s === '') return [];
  const parts = s.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    if (i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIpv4(p);
      if (v4 === undefined) return undefined;
      groups.push(v4.readUInt16BE(0), v4.readUInt16BE(2));
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      groups.push(parseInt(p, 16));
    }
  }
  return groups;
}

/** The bytes of an IPv4 or IPv6 address text (IPv6 when it contains ':'), or undefined. */
export function parseIp(text: string): Buffer | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}
