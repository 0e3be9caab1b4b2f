/**
 * Recognisers for the header lines of SIP text captures: the line that says when a message
 * was seen, between which addresses and over what, before the message text itself. Pure
 * functions over one line of text (decoded as latin1, so one character is one byte); they
 * never throw and return undefined for a line that is no header.
 *
 * Formats (one recogniser each, tried in this order):
 *
 *   generic     sipscope -T export, sngrep's "save as txt", Kamailio/OpenSIPS-style logs:
 *                 2026/11/23 12:39:49.677850 127.0.0.1:5062 -> 127.0.0.1:5060 (UDP)
 *                 2026-11-23 12:39:49.677850 [2001:db8::1]:5060 -> [2001:db8::2]:5060
 *               The transport in parentheses is optional (UDP when absent).
 *   tcpdump     tcpdump's packet line, with or without -tttt (date), -tt (epoch), -e, -nn:
 *                 12:39:49.677850 IP 127.0.0.1.5062 > 127.0.0.1.5060: UDP, length 732
 *                 2026-11-23 12:39:49.677850 IP6 ::1.5060 > ::1.5062: Flags [P.], ... length 499: SIP...
 *               With -v the addresses come on the next, indented line (see `parseTcpdumpAddressLine`).
 *   asterisk    `pjsip set logger on` and chan_sip `sip set debug on`, optionally after a log
 *               prefix such as `[2026-11-23 12:39:49.677] VERBOSE[123] res_pjsip_logger.c: `:
 *                 <--- Received SIP request (913 bytes) from UDP:10.0.0.1:5060 --->
 *                 <--- Transmitting SIP response (500 bytes) to TLS:[2001:db8::1]:5061 --->
 *                 <--- SIP read from UDP:10.0.0.1:5060 --->
 *                 <--- Transmitting (no NAT) to 10.0.0.1:5060 --->
 *   freeswitch  `sofia global siptrace on` (sofia-sip's tport log):
 *                 recv 913 bytes from udp/[10.0.0.1]:5060 at 12:39:49.677850:
 *                 send 500 bytes to tcp/[10.0.0.1]:5060 at 12:39:49.678000:
 *               then a line of dashes, the message indented by three spaces, a line of dashes.
 *
 * Asterisk and FreeSWITCH print only the remote address; the local one is inferred from the
 * message (see text-input.ts).
 */

/** Transports a text header can name. */
export type TextTransport = 'UDP' | 'TCP' | 'TLS' | 'SCTP' | 'WS' | 'WSS';

export type TextFormat = 'generic' | 'tcpdump' | 'asterisk' | 'freeswitch';

/** An address as printed: an IP literal (or, from tcpdump without -n, a host name) and a port. */
export interface TextEndpoint {
  host: string;
  port: number;
}

/**
 * When the header says the message was seen. `date` false: only a time of day was printed
 * (sec is then seconds since midnight), true: sec is seconds since the Unix epoch (UTC).
 */
export interface TextTime {
  date: boolean;
  sec: number;
  nsec: number;
}

export interface TextHeader {
  format: TextFormat;
  time: TextTime | undefined;
  /** Both ends, when the header names them (generic, tcpdump). */
  src: TextEndpoint | undefined;
  dst: TextEndpoint | undefined;
  /** The far end and the direction, when only that is printed (asterisk, freeswitch). */
  remote: TextEndpoint | undefined;
  direction: 'in' | 'out' | undefined;
  transport: TextTransport;
  /** Bytes of payload the header announces (tcpdump length, Asterisk/FreeSWITCH byte count). */
  length: number | undefined;
  /** tcpdump -v: the addresses follow on the next line. */
  addressesFollow: boolean;
  /** tcpdump: the packet was decoded as SIP by tcpdump (so -v prints its text indented by a tab). */
  sipPrinted: boolean;
}

const TIME = String.raw`(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?`;
const DATE = String.raw`(\d{4})[-/](\d{2})[-/](\d{2})`;
/** An endpoint `1.2.3.4:5060` or `[v6]:5060` (a bare v6 literal cannot carry a port). */
const ENDPOINT = String.raw`(\[[0-9A-Fa-f:.%\w]+\]|[0-9]{1,3}(?:\.[0-9]{1,3}){3}):(\d{1,5})`;
const TRANSPORT = String.raw`(UDP|TCP|TLS|SCTP|WSS|WS)`;

const GENERIC_RE = new RegExp(
  String.raw`^${DATE}[ T]${TIME}Z?\s+${ENDPOINT}\s+->\s+${ENDPOINT}(?:\s+\(${TRANSPORT}\))?\s*\r?$`,
  'i',
);

const TCPDUMP_TIME_RE = new RegExp(String.raw`^(?:${DATE} )?${TIME}\s+|^(\d{9,11})\.(\d{6,9})\s+`);
const TCPDUMP_ADDR_RE = /^(\S+)\.([A-Za-z0-9-]+) > (\S+)\.([A-Za-z0-9-]+):(.*)$/;

const ASTERISK_PJSIP_RE = new RegExp(
  String.raw`<--- (Received|Transmitting) SIP (?:request|response) \((\d+) bytes\) (from|to) ${TRANSPORT}:${ENDPOINT} --->\s*\r?$`,
  'i',
);
const ASTERISK_CHAN_SIP_READ_RE = new RegExp(
  String.raw`<--- SIP read from ${TRANSPORT}:${ENDPOINT} --->\s*\r?$`,
  'i',
);
const ASTERISK_CHAN_SIP_SEND_RE = new RegExp(
  String.raw`<--- (?:Reliably )?Transmitting (?:\([^)]*\) )?to ${ENDPOINT} --->\s*\r?$`,
  'i',
);
/** Log prefixes before an Asterisk header: `[2026-11-23 12:39:49.677]` or `[Nov 23 12:39:49]`. */
const ASTERISK_PREFIX_RE = new RegExp(String.raw`^\[(?:${DATE}[ T])?(?:[A-Z][a-z]{2} +\d{1,2} +)?${TIME}\]`);

const FREESWITCH_RE = new RegExp(
  String.raw`(recv|send) (\d+) bytes (from|to) (udp|tcp|tls|sctp|wss|ws)/\[([^\]]+)\]:(\d{1,5}) at ${TIME}:\s*\r?$`,
  'i',
);

/** Well-known service names tcpdump prints for ports when run without -n. */
const SERVICES: Readonly<Record<string, number>> = {
  sip: 5060,
  'sip-tls': 5061,
  sips: 5061,
  http: 80,
  https: 443,
  domain: 53,
  ntp: 123,
  snmp: 161,
};

function num(s: string | undefined): number {
  return s === undefined || s === '' ? 0 : Number(s);
}

/** Nanoseconds from a fraction of a second as printed (".677850" → 677850000). */
function fractionNs(s: string | undefined): number {
  if (s === undefined || s === '') return 0;
  return Number((s + '000000000').slice(0, 9));
}

function dayTime(h: string | undefined, m: string | undefined, s: string | undefined, frac: string | undefined): TextTime | undefined {
  const hh = num(h);
  const mm = num(m);
  const ss = num(s);
  if (hh > 23 || mm > 59 || ss > 60) return undefined;
  return { date: false, sec: hh * 3600 + mm * 60 + ss, nsec: fractionNs(frac) };
}

function withDate(y: string | undefined, mo: string | undefined, d: string | undefined, t: TextTime): TextTime | undefined {
  const month = num(mo);
  const day = num(d);
  if (y === undefined || month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return { date: true, sec: Date.UTC(num(y), month - 1, day) / 1000 + t.sec, nsec: t.nsec };
}

function endpoint(host: string | undefined, port: string | undefined): TextEndpoint | undefined {
  if (host === undefined || port === undefined) return undefined;
  const p = Number(port);
  if (!Number.isInteger(p) || p > 65535) return undefined;
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return { host: h, port: p };
}

function transportOf(s: string | undefined): TextTransport {
  const t = (s ?? 'UDP').toUpperCase();
  return t === 'TCP' || t === 'TLS' || t === 'SCTP' || t === 'WS' || t === 'WSS' ? t : 'UDP';
}

function header(format: TextFormat, fields: Partial<TextHeader>): TextHeader {
  return {
    format,
    time: undefined,
    src: undefined,
    dst: undefined,
    remote: undefined,
    direction: undefined,
    transport: 'UDP',
    length: undefined,
    addressesFollow: false,
    sipPrinted: false,
    ...fields,
  };
}

/** The header of any supported format that `line` is, or undefined. */
export function parseTextHeader(line: string): TextHeader | undefined {
  if (line.length > 1000) return undefined;
  return parseGenericHeader(line) ?? parseTcpdumpHeader(line) ?? parseAsteriskHeader(line) ?? parseFreeswitchHeader(line);
}

export function parseGenericHeader(line: string): TextHeader | undefined {
  const m = GENERIC_RE.exec(line);
  if (m === null) return undefined;
  const t = dayTime(m[4], m[5], m[6], m[7]);
  const time = t === undefined ? undefined : withDate(m[1], m[2], m[3], t);
  const src = endpoint(m[8], m[9]);
  const dst = endpoint(m[10], m[11]);
  if (time === undefined || src === undefined || dst === undefined) return undefined;
  return header('generic', { time, src, dst, transport: transportOf(m[12]) });
}

export function parseTcpdumpHeader(line: string): TextHeader | undefined {
  const tm = TCPDUMP_TIME_RE.exec(line);
  let time: TextTime | undefined;
  let rest: string;
  if (tm !== null) {
    if (tm[8] !== undefined) {
      time = { date: true, sec: Number(tm[8]), nsec: fractionNs(tm[9]) };
    } else {
      const t = dayTime(tm[4], tm[5], tm[6], tm[7]);
      if (t === undefined) return undefined;
      time = tm[1] !== undefined ? withDate(tm[1], tm[2], tm[3], t) : t;
      if (time === undefined) return undefined;
    }
    rest = line.slice(tm[0].length);
  } else if (/^IP6? /.test(line)) {
    rest = line; // tcpdump -t: no time stamp at all
  } else {
    return undefined;
  }
  let after: string;
  const eth = /ethertype IPv[46] \(0x[0-9a-fA-F]+\), length \d+: (.*)$/.exec(rest);
  if (eth !== null) {
    after = eth[1] ?? '';
  } else {
    const ip = /(?:^|\s)IP6? /.exec(rest);
    if (ip === null) return undefined;
    after = rest.slice(ip.index + ip[0].length);
  }
  after = after.trimStart();
  if (after.startsWith('(')) {
    // -v: "IP (tos 0x0, ttl 64, ..., proto UDP (17), length 809)"; addresses on the next line.
    const proto = /proto (\w+)/.exec(after);
    return header('tcpdump', { time, transport: transportOf(proto?.[1]), addressesFollow: true });
  }
  const addr = parseTcpdumpAddresses(after);
  if (addr === undefined) return undefined;
  return header('tcpdump', { time, ...addr });
}

/** tcpdump -v's second line: `    127.0.0.1.5062 > 127.0.0.1.5060: [bad udp cksum ...] SIP, length: 781`. */
export function parseTcpdumpAddressLine(line: string): Partial<TextHeader> | undefined {
  if (!/^\s+\S/.test(line)) return undefined;
  return parseTcpdumpAddresses(line.trim());
}

function parseTcpdumpAddresses(s: string): Partial<TextHeader> | undefined {
  const m = TCPDUMP_ADDR_RE.exec(s);
  if (m === null) return undefined;
  const sp = tcpdumpPort(m[2]);
  const dp = tcpdumpPort(m[4]);
  if (sp === undefined || dp === undefined || m[1] === undefined || m[3] === undefined) return undefined;
  const tail = m[5] ?? '';
  let transport: TextTransport = 'UDP';
  if (/Flags \[/.test(tail)) transport = 'TCP';
  else if (/\bsctp\b|\bSCTP\b|\[DATA\]/.test(tail)) transport = 'SCTP';
  const lengths = [...tail.matchAll(/length:? (\d+)/g)];
  const last = lengths[lengths.length - 1];
  return {
    src: { host: m[1], port: sp },
    dst: { host: m[3], port: dp },
    transport,
    length: last === undefined ? undefined : Number(last[1]),
    sipPrinted: /\bSIP[,:]/.test(tail),
  };
}

function tcpdumpPort(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (/^\d{1,5}$/.test(s)) {
    const n = Number(s);
    return n <= 65535 ? n : undefined;
  }
  return SERVICES[s.toLowerCase()];
}

export function parseAsteriskHeader(line: string): TextHeader | undefined {
  if (!line.includes('<--- ')) return undefined;
  const time = asteriskPrefixTime(line);
  let m = ASTERISK_PJSIP_RE.exec(line);
  if (m !== null) {
    const remote = endpoint(m[5], m[6]);
    if (remote === undefined) return undefined;
    return header('asterisk', {
      time,
      remote,
      direction: m[1]?.toLowerCase() === 'received' ? 'in' : 'out',
      transport: transportOf(m[4]),
      length: Number(m[2]),
    });
  }
  m = ASTERISK_CHAN_SIP_READ_RE.exec(line);
  if (m !== null) {
    const remote = endpoint(m[2], m[3]);
    if (remote === undefined) return undefined;
    return header('asterisk', { time, remote, direction: 'in', transport: transportOf(m[1]) });
  }
  m = ASTERISK_CHAN_SIP_SEND_RE.exec(line);
  if (m !== null) {
    const remote = endpoint(m[1], m[2]);
    if (remote === undefined) return undefined;
    return header('asterisk', { time, remote, direction: 'out' });
  }
  return undefined;
}

function asteriskPrefixTime(line: string): TextTime | undefined {
  const p = ASTERISK_PREFIX_RE.exec(line);
  if (p === null) return undefined;
  const t = dayTime(p[4], p[5], p[6], p[7]);
  if (t === undefined) return undefined;
  return p[1] !== undefined ? withDate(p[1], p[2], p[3], t) : t;
}

export function parseFreeswitchHeader(line: string): TextHeader | undefined {
  const m = FREESWITCH_RE.exec(line);
  if (m === null) return undefined;
  const remote = endpoint(m[5], m[6]);
  const time = dayTime(m[7], m[8], m[9], m[10]);
  if (remote === undefined || time === undefined) return undefined;
  return header('freeswitch', {
    time,
    remote,
    direction: m[1]?.toLowerCase() === 'recv' ? 'in' : 'out',
    transport: transportOf(m[4]),
    length: Number(m[2]),
  });
}

/** Lines that end a block without starting one: an Asterisk log line, chan_sip's closing line. */
export function isBlockEnd(format: TextFormat, line: string): boolean {
  if (format === 'asterisk') {
    return /^<-{5,}>\s*\r?$/.test(line) || /^\[[^\]]{4,40}\] [A-Z]+\[\d+\]/.test(line);
  }
  return false;
}

/** A line of dashes: FreeSWITCH's separators around a message. */
export function isDashLine(line: string): boolean {
  return /^\s*-{20,}\s*\r?$/.test(line);
}

/**
 * One line of a tcpdump -x/-X/-xx/-XX dump: `\t0x0010:  7f00 0001 13c6 ...  ascii`.
 * Returns the offset and the bytes, or undefined for any other line. At most 16 bytes (8
 * groups) are read, so the ASCII column, which follows two or more spaces, is never taken
 * for hex.
 */
export function parseHexLine(line: string): { offset: number; bytes: number[] } | undefined {
  const m = /^\s+0x([0-9a-fA-F]{4,8}):/.exec(line);
  if (m === null) return undefined;
  const bytes: number[] = [];
  let p = m[0].length;
  // tcpdump writes one space after the colon before each group, plus one more before the first.
  if (line[p] === ' ' && line[p + 1] === ' ') p++;
  for (let g = 0; g < 8; g++) {
    if (line[p] !== ' ') break;
    const four = line.slice(p + 1, p + 5);
    const after4 = line[p + 5];
    if (/^[0-9a-fA-F]{4}$/.test(four) && (after4 === undefined || after4 === ' ' || after4 === '\r')) {
      bytes.push(parseInt(four.slice(0, 2), 16), parseInt(four.slice(2), 16));
      p += 5;
      continue;
    }
    const two = line.slice(p + 1, p + 3);
    const after2 = line[p + 3];
    if (/^[0-9a-fA-F]{2}$/.test(two) && (after2 === undefined || after2 === ' ' || after2 === '\r')) {
      bytes.push(parseInt(two, 16));
      p += 3;
    }
    break;
  }
  if (bytes.length === 0) return undefined;
  return { offset: parseInt(m[1] ?? '0', 16), bytes };
}

/** How many of the first lines `detectTextCapture` looks at. */
export const DETECT_LINES = 400;

/**
 * Whether the start of an input is a SIP text capture: among its first lines (up to
 * `DETECT_LINES` non-empty ones) one is a header of a supported format. Text only: bytes
 * that no text file holds (NUL, most C0 controls) in the first kilobytes say it is not.
 * Returns the format of the first header found, or undefined.
 */
export function detectTextCapture(head: Buffer): TextFormat | undefined {
  if (!looksLikeText(head)) return undefined;
  const probe = head.subarray(0, Math.min(head.length, 256 * 1024));
  const lines = probe.toString('latin1').split('\n');
  let seen = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const h = parseTextHeader(line);
    if (h !== undefined) return h.format;
    if (++seen >= DETECT_LINES) break;
  }
  return undefined;
}

/**
 * Text rather than binary data: the first line holds no control bytes but tab, CR and ESC,
 * and at most 5% of the first 4 KiB are other control bytes (captured messages may carry
 * a few, and the text export writes them as they are).
 */
export function looksLikeText(head: Buffer): boolean {
  const n = Math.min(head.length, 4096);
  if (n === 0) return false;
  let odd = 0;
  let firstLine = true;
  for (let i = 0; i < n; i++) {
    const b = head[i] as number;
    if (b === 0x0a) firstLine = false;
    else if (b < 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x1b) {
      if (firstLine) return false;
      odd++;
    }
  }
  return odd * 20 <= n;
}
