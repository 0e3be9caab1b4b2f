import type { Sdp } from '../sip/types';
import { staticPayloadName } from '../rtp/payload-types';

/*
 * Small readings of SIP and SDP values that the findings need.
 */

/** sent-by host and the received/rport parameters of one Via value (RFC 3261 §20.42, §18.2.1; RFC 3581). */
export interface ViaFacts {
  host: string;
  port: number;
  received: string;
  rport: string;
}

/** `SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK..;received=198.51.100.7;rport=4021`. */
export function parseVia(value: string): ViaFacts {
  const m = /^\s*SIP\s*\/\s*[^/\s]+\s*\/\s*\S+\s+(\[[^\]]*\]|[^;:\s]+)(?::(\d+))?\s*(.*)$/i.exec(value);
  if (m === null) return { host: '', port: 0, received: '', rport: '' };
  const host = (m[1] ?? '').replace(/^\[|\]$/g, '');
  const params = m[3] ?? '';
  return {
    host,
    port: m[2] === undefined ? 0 : Number(m[2]),
    received: /;\s*received\s*=\s*([^;\s,]+)/i.exec(params)?.[1] ?? '',
    rport: /;\s*rport\s*=\s*(\d+)/i.exec(params)?.[1] ?? '',
  };
}

/** Host and port of a SIP URI (`sip:user@host:port;params`), '' when there is none. */
export function uriHost(uri: string): { host: string; port: number } {
  const m = /^(?:sips?:)?(?:[^@]*@)?(\[[^\]]*\]|[^;:?>\s]+)(?::(\d+))?/i.exec(uri.trim());
  if (m === null) return { host: '', port: 0 };
  return { host: (m[1] ?? '').replace(/^\[|\]$/g, ''), port: m[2] === undefined ? 0 : Number(m[2]) };
}

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function v4(text: string): number[] | undefined {
  const m = DOTTED_QUAD.exec(text);
  if (m === null) return undefined;
  const b = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return b.every((x) => x <= 255) ? b : undefined;
}

export function isIpLiteral(text: string): boolean {
  return v4(text) !== undefined || (text.includes(':') && /^[0-9a-f:.]+$/i.test(text));
}

/**
 * Addresses that cannot be reached from the internet: RFC 1918 private (10/8, 172.16/12,
 * 192.168/16), RFC 6598 shared address space used by carrier-grade NAT (100.64/10),
 * RFC 3927 IPv4 link-local (169.254/16), RFC 4193 IPv6 unique local (fc00::/7) and RFC 4291
 * IPv6 link-local (fe80::/10). Returns which, or '' for any other address (or a name).
 */
export function privateRange(addr: string): string {
  const b = v4(addr);
  if (b !== undefined) {
    const [a, c] = [b[0] ?? 0, b[1] ?? 0];
    if (a === 10 || (a === 172 && c >= 16 && c <= 31) || (a === 192 && c === 168)) return 'RFC 1918';
    if (a === 100 && c >= 64 && c <= 127) return 'RFC 6598 CGN';
    if (a === 169 && c === 254) return 'link-local';
    return '';
  }
  const l = addr.toLowerCase();
  if (!l.includes(':')) return '';
  if (/^f[cd][0-9a-f]{0,2}:/.test(l)) return 'RFC 4193 ULA';
  if (/^fe[89ab][0-9a-f]?:/.test(l)) return 'link-local';
  return '';
}

/**
 * Formats that are not codecs in the sense of "can the two sides hear each other":
 * DTMF (RFC 4733), comfort noise (RFC 3389), redundancy (RFC 2198) and FEC (RFC 5109).
 */
const AUXILIARY = new Set(['TELEPHONE-EVENT', 'CN', 'RED', 'ULPFEC', 'FLEXFEC']);

/**
 * Codec names (upper case) of the m= sections of one media type that are not rejected
 * (port 0, RFC 3264 §6); `withRejected` lists those too (an SDP of capabilities, e.g. in a 488).
 */
export function sdpCodecs(sdp: Sdp, media = 'audio', withRejected = false): { codecs: string[]; auxiliary: string[]; rejected: boolean } {
  const codecs: string[] = [];
  const auxiliary: string[] = [];
  let any = false;
  let open = false;
  for (const m of sdp.media) {
    if (m.media.toLowerCase() !== media) continue;
    any = true;
    if (m.port === 0 && !withRejected) continue;
    if (m.port !== 0) open = true;
    for (const f of m.formats) {
      const map = m.rtpmap.get(f);
      const name = (map !== undefined ? map.split('/')[0] ?? '' : (staticPayloadName(f) ?? `PT${f}`)).toUpperCase();
      const list = AUXILIARY.has(name) ? auxiliary : codecs;
      if (!list.includes(name)) list.push(name);
    }
  }
  return { codecs, auxiliary, rejected: any && !open };
}

/** ITU-T Q.850 cause values most seen in Reason headers (RFC 3326), in words. */
const Q850: Readonly<Record<number, string>> = {
  1: 'unallocated number',
  2: 'no route to network',
  3: 'no route to destination',
  16: 'normal call clearing',
  17: 'user busy',
  18: 'no user responding',
  19: 'no answer',
  20: 'subscriber absent',
  21: 'call rejected',
  22: 'number changed',
  27: 'destination out of order',
  28: 'invalid number format',
  29: 'facility rejected',
  31: 'normal, unspecified',
  34: 'no circuit available',
  38: 'network out of order',
  41: 'temporary failure',
  42: 'switching equipment congestion',
  44: 'requested circuit not available',
  47: 'resource unavailable',
  50: 'facility not subscribed',
  55: 'incoming calls barred',
  57: 'bearer capability not authorised',
  58: 'bearer capability not available',
  63: 'service or option not available',
  65: 'bearer capability not implemented',
  79: 'service not implemented',
  88: 'incompatible destination',
  102: 'recovery on timer expiry',
  111: 'protocol error',
  127: 'interworking, unspecified',
};

/** `Q.850;cause=21;text="..."` → "Q.850 cause 21 (call rejected)"; other Reason values as written. */
export function describeReason(reason: string): string {
  const m = /^\s*(Q\.850|SIP)\s*;.*?cause\s*=\s*(\d+)(?:.*?text\s*=\s*"([^"]*)")?/i.exec(reason);
  if (m === null) return reason.trim();
  const proto = (m[1] ?? '').toUpperCase();
  const cause = Number(m[2]);
  const text = m[3] ?? '';
  if (proto === 'Q.850') {
    const words = Q850[cause];
    return `Q.850 cause ${cause}${words !== undefined ? ` (${words})` : ''}${text !== '' && text.toLowerCase() !== words ? `, "${text}"` : ''}`;
  }
  return `SIP cause ${cause}${text !== '' ? ` "${text}"` : ''}`;
}

/** The text of a Warning value (RFC 3261 §20.43: `code agent "text"`), with its code. */
export function describeWarning(warning: string): string {
  const m = /^\s*(\d{3})\s+\S+\s+"((?:[^"\\]|\\.)*)"/.exec(warning);
  if (m === null) return warning.trim();
  return `${m[1]} "${m[2]}"`;
}
