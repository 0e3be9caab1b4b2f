/**
 * BPF capture-filter expressions (pcap-filter(7)) evaluated on file input.
 *
 * Live capture hands the expression to libpcap; for capture files sipscope evaluates the
 * common subset itself, on the `IpInfo` of each frame (the outermost IP header, as libpcap's
 * filters see it). Anything beyond that subset is refused with a message naming the word,
 * never silently ignored, so a filter never means less on a file than the user wrote.
 *
 * The grammar follows libpcap 1.10's grammar.y: `and`/`or` share one precedence and
 * associate to the left, `not` binds tightest, and a bare address, number or name after
 * `and`/`or`/`not` (or inside parentheses there) reuses the qualifiers of the primitive
 * before it: `host a or b` is `host a or host b`, `port 5060 or 5070` is
 * `port 5060 or port 5070`, `not host a and b` is `(not host a) and host b`.
 *
 * Compilation builds closures once; the matcher does no parsing beyond turning an
 * address text into a number for `net` primitives that do not fall on an octet boundary.
 *
 * Known differences from libpcap on files (IpInfo cannot express them):
 * - libpcap reads ports of IPv6 packets only when the transport header follows the fixed
 *   header directly (so never in a first fragment or after a hop-by-hop header); sipscope
 *   uses IpInfo's ports, which are set for those packets too.
 * - `ip6 proto N`/`udp`/`tcp` on IPv6: libpcap looks at the fixed header's next header and
 *   at a fragment header; IpInfo gives the protocol after all extension headers.
 * - VLAN: libpcap on files shifts its offsets only after a `vlan` keyword, so `port 5060`
 *   alone misses tagged frames there. sipscope's primitives look through the tags (as a
 *   live capture on Linux does, where the kernel strips them); `vlan` tests for a tag.
 */
import { formatIpv4, formatIpv6, parseIpv6 } from './address';
import type { IpInfo } from './types';

export type BpfMatcher = (p: IpInfo) => boolean;

export type BpfCompileResult =
  | { ok: true; match: BpfMatcher }
  | { ok: false; error: string; position: number };

const SUPPORTED = 'host, net, port, portrange, udp, tcp, sctp, icmp, ip, ip6, proto, vlan with and/or/not';

/** Deepest nesting of parentheses and `not` accepted (keeps recursion bounded). */
const MAX_DEPTH = 200;

const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_SCTP = 132;

/** libpcap keywords this module does not evaluate (grammar.y / scanner.l of libpcap 1.10). */
const UNSUPPORTED_KEYWORDS: ReadonlySet<string> = new Set([
  'link', 'ether', 'ppp', 'slip', 'fddi', 'tr', 'wlan', 'arp', 'rarp', 'igmp', 'igrp', 'pim',
  'vrrp', 'carp', 'radio', 'atalk', 'aarp', 'decnet', 'lat', 'sca', 'moprc', 'mopdl', 'iso',
  'esis', 'es-is', 'isis', 'is-is', 'l1', 'l2', 'iih', 'lsp', 'snp', 'csnp', 'psnp', 'clnp',
  'stp', 'ipx', 'netbeui', 'less', 'greater', 'byte', 'broadcast', 'multicast', 'len',
  'inbound', 'outbound', 'ifindex', 'ifname', 'on', 'rnr', 'rulenum', 'srnr', 'subrulenum',
  'reason', 'rset', 'action', 'type', 'subtype', 'direction', 'dir', 'ra', 'ta', 'addr1',
  'addr2', 'addr3', 'addr4', 'mpls', 'pppoed', 'pppoes', 'geneve', 'lane', 'llc', 'metac',
  'bcc', 'oam', 'oamf4', 'oamf5', 'vpi', 'vci', 'sc', 'ilmic', 'connectmsg', 'metaconnect',
  'sio', 'opc', 'dpc', 'sls', 'hsio', 'hopc', 'hdpc', 'hsls', 'fisu', 'lssu', 'msu', 'hfisu',
  'hlssu', 'hmsu', 'gateway', 'protochain', 'ah', 'esp',
]);

/** Protocol qualifiers that may stand alone or before host/net/port/proto. */
type ProtoQual = 'default' | 'ip' | 'ip6' | 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmp6';
const PROTO_QUALS: ReadonlySet<string> = new Set(['ip', 'ip6', 'tcp', 'udp', 'sctp', 'icmp', 'icmp6']);
type DirQual = 'default' | 'src' | 'dst' | 'or' | 'and';
type AddrQual = 'default' | 'host' | 'net' | 'port' | 'portrange' | 'proto';
const ADDR_QUALS: ReadonlySet<string> = new Set(['host', 'net', 'port', 'portrange']);

const SUPPORTED_KEYWORDS: ReadonlySet<string> = new Set([
  ...PROTO_QUALS, ...ADDR_QUALS, 'src', 'dst', 'proto', 'vlan', 'mask',
]);

/**
 * The qualifiers a bare id after `and`/`or` inherits. `usable` is false after a primitive
 * that has none to give (`udp`, `vlan`), where libpcap reports a syntax error.
 */
interface Qual {
  proto: ProtoQual;
  dir: DirQual;
  addr: AddrQual;
  usable: boolean;
}
const QUAL_NONE: Qual = { proto: 'default', dir: 'default', addr: 'default', usable: false };

/**
 * Port names, as Debian 12's /etc/services gives them to libpcap; `proto` is set when the
 * name exists for one transport only (libpcap then matches that transport only).
 */
const PORT_NAMES: ReadonlyMap<string, { port: number; proto?: number }> = new Map([
  ['ftp-data', { port: 20, proto: IPPROTO_TCP }],
  ['ftp', { port: 21, proto: IPPROTO_TCP }],
  ['ssh', { port: 22, proto: IPPROTO_TCP }],
  ['telnet', { port: 23, proto: IPPROTO_TCP }],
  ['smtp', { port: 25, proto: IPPROTO_TCP }],
  ['domain', { port: 53 }],
  ['bootps', { port: 67, proto: IPPROTO_UDP }],
  ['bootpc', { port: 68, proto: IPPROTO_UDP }],
  ['tftp', { port: 69, proto: IPPROTO_UDP }],
  ['http', { port: 80, proto: IPPROTO_TCP }],
  ['www', { port: 80, proto: IPPROTO_TCP }],
  ['ntp', { port: 123, proto: IPPROTO_UDP }],
  ['snmp', { port: 161 }],
  ['snmp-trap', { port: 162 }],
  ['ldap', { port: 389 }],
  ['https', { port: 443 }],
  ['isakmp', { port: 500, proto: IPPROTO_UDP }],
  ['syslog', { port: 514, proto: IPPROTO_UDP }],
  ['rtsp', { port: 554 }],
  ['radius', { port: 1812 }],
  ['radius-acct', { port: 1813 }],
  ['ipsec-nat-t', { port: 4500, proto: IPPROTO_UDP }],
  ['iax', { port: 4569, proto: IPPROTO_UDP }],
  ['sip', { port: 5060 }],
  ['sip-tls', { port: 5061 }],
  ['http-alt', { port: 8080, proto: IPPROTO_TCP }],
]);

/** IP protocol names for `proto \name` (/etc/protocols; libpcap has no `icmp6` name there). */
const PROTO_NAMES: ReadonlyMap<string, number> = new Map([
  ['ip', 0], ['hopopt', 0], ['icmp', 1], ['igmp', 2], ['ipencap', 4], ['tcp', 6], ['udp', 17],
  ['dccp', 33], ['ipv6', 41], ['ipv6-route', 43], ['ipv6-frag', 44], ['gre', 47], ['esp', 50],
  ['ah', 51], ['ipv6-icmp', 58], ['ipv6-nonxt', 59], ['ipv6-opts', 60], ['ospf', 89],
  ['pim', 103], ['vrrp', 112], ['l2tp', 115], ['sctp', 132], ['udplite', 136],
]);

const PROTO_NUMBERS: Readonly<Record<string, number>> = {
  tcp: IPPROTO_TCP, udp: IPPROTO_UDP, sctp: IPPROTO_SCTP,
};

type TokenKind = 'word' | 'escaped' | '(' | ')' | 'and' | 'or' | 'not' | '/' | 'punct' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

/** Thrown inside the compiler only; compileBpf turns it into `{ok: false}`. */
class BpfError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

/**
 * Compile a pcap-filter(7) expression into a matcher over IpInfo. An empty expression
 * matches everything. Never throws: unsupported or malformed input gives `{ok: false}` with
 * a message naming the word and its character position.
 */
export function compileBpf(expr: string): BpfCompileResult {
  try {
    const tokens = tokenize(expr);
    refuseUnsupported(expr, tokens);
    const parser = new Parser(expr, tokens);
    return { ok: true, match: parser.parseProgram() };
  } catch (e) {
    if (e instanceof BpfError) return { ok: false, error: e.message, position: e.position };
    return { ok: false, error: `BPF filter '${expr}': cannot be compiled (${String(e)})`, position: 0 };
  }
}

// ---------------------------------------------------------------------------------------
// Tokens

function isWordChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || // 0-9
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    c === 0x2e || // .
    c === 0x2d || // -
    c === 0x5f || // _
    c === 0x3a // :  (IPv6 addresses)
  );
}

/** Words as libpcap's scanner sees them: ids, numbers, addresses; `\x` escapes a keyword. */
function tokenize(expr: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      i++;
      continue;
    }
    const start = i;
    if (isWordChar(c)) {
      while (i < expr.length && isWordChar(expr.charCodeAt(i))) i++;
      const text = expr.slice(start, i);
      const kind = text === 'and' ? 'and' : text === 'or' ? 'or' : text === 'not' ? 'not' : 'word';
      out.push({ kind, text, pos: start });
      continue;
    }
    const two = expr.slice(i, i + 2);
    if (c === 0x5c /* \ */) {
      i++;
      while (i < expr.length && !' \t\r\n!()'.includes(expr[i] as string)) i++;
      out.push({ kind: 'escaped', text: expr.slice(start + 1, i), pos: start });
    } else if (two === '&&') {
      out.push({ kind: 'and', text: two, pos: start });
      i += 2;
    } else if (two === '||') {
      out.push({ kind: 'or', text: two, pos: start });
      i += 2;
    } else if (two === '!=' || two === '<=' || two === '>=' || two === '==' || two === '<<' || two === '>>') {
      out.push({ kind: 'punct', text: two, pos: start });
      i += 2;
    } else {
      const ch = expr[i] as string;
      const kind: TokenKind = ch === '(' ? '(' : ch === ')' ? ')' : ch === '!' ? 'not' : ch === '/' ? '/' : 'punct';
      out.push({ kind, text: ch, pos: start });
      i++;
    }
  }
  out.push({ kind: 'end', text: '', pos: expr.length });
  return out;
}

function beyond(expr: string, word: string, pos: number, what = ''): BpfError {
  return new BpfError(
    `BPF filter '${expr}': '${word}'${what} is beyond what sipscope evaluates for files (supported: ${SUPPORTED})`,
    pos,
  );
}

/**
 * Refuse the first keyword or operator outside the subset, before parsing, so that the
 * message names it even when the rest would not parse either.
 */
function refuseUnsupported(expr: string, tokens: readonly Token[]): void {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'word' && UNSUPPORTED_KEYWORDS.has(t.text)) throw beyond(expr, t.text, t.pos);
    if (t.kind !== 'punct') continue;
    if (t.text === '[') {
      // Name the whole accessor: `udp[8:4]`.
      const prev = tokens[i - 1];
      const from = prev !== undefined && prev.kind === 'word' && prev.pos + prev.text.length === t.pos ? prev.pos : t.pos;
      const close = expr.indexOf(']', t.pos);
      const word = expr.slice(from, close >= 0 ? close + 1 : expr.length);
      throw beyond(expr, word, from, ' (byte offsets)');
    }
    throw beyond(expr, t.text, t.pos, ' (comparisons and arithmetic)');
  }
}

// ---------------------------------------------------------------------------------------
// Parser (recursive descent over libpcap's grammar)

interface Parsed {
  m: BpfMatcher;
  q: Qual;
}

const matchAll: BpfMatcher = () => true;

class Parser {
  private i = 0;
  private depth = 0;

  constructor(
    private readonly expr: string,
    private readonly tokens: readonly Token[],
  ) {}

  parseProgram(): BpfMatcher {
    if (this.peek().kind === 'end') return matchAll;
    const r = this.parseExpr(QUAL_NONE);
    const t = this.peek();
    if (t.kind !== 'end') {
      throw this.syntax(t, t.kind === ')' ? 'no matching "("' : "expected 'and', 'or' or the end");
    }
    return r.m;
  }

  // expr: term | expr and term | expr or term | expr and id | expr or id
  private parseExpr(q0: Qual): Parsed {
    let left = this.parseTerm(q0);
    for (;;) {
      const op = this.peek();
      if (op.kind !== 'and' && op.kind !== 'or') return left;
      this.i++;
      const right = this.isIdStart() ? this.parseId(left.q) : this.parseTerm(left.q);
      const a = left.m;
      const b = right.m;
      left = { m: op.kind === 'and' ? (p) => a(p) && b(p) : (p) => a(p) || b(p), q: right.q };
    }
  }

  // term: rterm | not term
  private parseTerm(q: Qual): Parsed {
    const t = this.peek();
    if (t.kind === 'not') {
      this.i++;
      this.enter(t);
      const r = this.parseTerm(q);
      this.depth--;
      const m = r.m;
      return { m: (p) => !m(p), q: r.q };
    }
    return this.parseRterm(q);
  }

  private parseRterm(q: Qual): Parsed {
    const t = this.peek();
    if (t.kind === '(') {
      this.i++;
      this.enter(t);
      const r = this.parseExpr(q);
      this.expectClose(t);
      this.depth--;
      return { m: r.m, q };
    }
    if (t.kind === 'word' && SUPPORTED_KEYWORDS.has(t.text)) {
      if (PROTO_QUALS.has(t.text)) {
        const next = this.peek(1);
        const qualifies =
          next.kind === 'word' && (next.text === 'src' || next.text === 'dst' || next.text === 'proto' || ADDR_QUALS.has(next.text));
        if (!qualifies) {
          this.i++;
          return { m: protoAbbreviation(t.text as ProtoQual), q: QUAL_NONE };
        }
      }
      if (t.text === 'vlan') {
        this.i++;
        const next = this.peek();
        if (next.kind === 'word' && /^[0-9]/.test(next.text)) {
          throw beyond(this.expr, `vlan ${next.text}`, t.pos, ' (VLAN ids)');
        }
        return { m: (p) => p.vlan, q: QUAL_NONE };
      }
      if (t.text === 'mask') throw this.syntax(t, "'mask' belongs after a net address");
      return this.parseHeadAndId();
    }
    if (t.kind === 'word' || t.kind === 'escaped') {
      throw this.syntax(t, "a primitive starts with a qualifier: write e.g. 'host', 'net' or 'port' before an address or number");
    }
    throw this.syntax(t, 'expected a primitive (host, net, port, udp, ...)');
  }

  // head id: [proto] [src|dst|src or dst|src and dst] [host|net|port|portrange] | [proto] proto
  private parseHeadAndId(): Parsed {
    let proto: ProtoQual = 'default';
    let dir: DirQual = 'default';
    let addr: AddrQual = 'default';
    let t = this.peek();
    if (PROTO_QUALS.has(t.text)) {
      proto = t.text as ProtoQual;
      this.i++;
      t = this.peek();
    }
    if (t.kind === 'word' && t.text === 'proto') {
      this.i++;
      addr = 'proto';
    } else {
      if (t.kind === 'word' && (t.text === 'src' || t.text === 'dst')) {
        dir = t.text;
        this.i++;
        const op = this.peek();
        const other = this.peek(1);
        if ((op.kind === 'and' || op.kind === 'or') && other.kind === 'word' && (other.text === 'src' || other.text === 'dst') && other.text !== t.text) {
          dir = op.kind;
          this.i += 2;
        }
        t = this.peek();
      }
      if (t.kind === 'word' && ADDR_QUALS.has(t.text)) {
        addr = t.text as AddrQual;
        this.i++;
      } else if (dir === 'default') {
        throw this.syntax(t, 'expected host, net, port, portrange or proto');
      }
    }
    return this.parseId({ proto, dir, addr, usable: true });
  }

  /** After and/or/not: does an id (bare address, number, name, or one in parentheses) follow? */
  private isIdStart(): boolean {
    let k = 0;
    for (;;) {
      const t = this.peek(k);
      if (t.kind === 'not' || t.kind === '(') {
        k++;
        continue;
      }
      return t.kind === 'escaped' || (t.kind === 'word' && !SUPPORTED_KEYWORDS.has(t.text));
    }
  }

  // id: nid | not id | '(' pid ')'
  private parseId(q: Qual): Parsed {
    const t = this.peek();
    if (t.kind === 'not') {
      this.i++;
      this.enter(t);
      const r = this.parseId(q);
      this.depth--;
      const m = r.m;
      return { m: (p) => !m(p), q: r.q };
    }
    if (t.kind === '(') {
      this.i++;
      this.enter(t);
      // pid: id (and|or id)*, all with the same qualifiers
      if (this.peek().kind === '(') throw this.syntax(this.peek(), 'expected an address, number or name');
      let m = this.parseId(q).m;
      for (;;) {
        const op = this.peek();
        if (op.kind !== 'and' && op.kind !== 'or') break;
        this.i++;
        if (!this.isIdStart()) {
          throw this.syntax(this.peek(), `inside '(' only bare values of the same ${describeQual(q)} qualifier may follow 'and'/'or'`);
        }
        const a = m;
        const b = this.parseId(q).m;
        m = op.kind === 'and' ? (p) => a(p) && b(p) : (p) => a(p) || b(p);
      }
      this.expectClose(t);
      this.depth--;
      return { m, q };
    }
    return { m: this.parseNid(q), q };
  }

  private parseNid(q: Qual): BpfMatcher {
    const t = this.peek();
    if (t.kind !== 'word' && t.kind !== 'escaped') {
      throw this.syntax(t, q.addr === 'default' ? 'expected an address' : `expected a value for '${q.addr}'`);
    }
    if (!q.usable) {
      throw this.syntax(t, `'${t.text}' has no qualifier to reuse: write e.g. 'host ${t.text}' or 'port ${t.text}'`);
    }
    this.i++;
    const text = t.text;
    if (t.kind === 'word' && SUPPORTED_KEYWORDS.has(text)) {
      if (q.addr === 'proto' && PROTO_NAMES.has(text)) {
        throw this.err(t, `'${text}' is a keyword here: write '\\${text}' or its number ${String(PROTO_NAMES.get(text))} (libpcap's syntax, so the filter also works for live capture)`);
      }
      throw this.syntax(t, `expected an address, number or name after '${q.addr === 'default' ? q.dir : q.addr}'`);
    }

    switch (q.addr) {
      case 'port':
      case 'portrange':
        return this.portPrimitive(q, t);
      case 'proto':
        return this.protoPrimitive(q, t);
      default:
        return this.addressPrimitive(q, t);
    }
  }

  // --- host / net -----------------------------------------------------------------------

  private addressPrimitive(q: Qual, t: Token): BpfMatcher {
    const text = t.text;
    if (q.proto !== 'default' && q.proto !== 'ip' && q.proto !== 'ip6') {
      throw this.err(t, `'${q.proto}' cannot qualify ${q.addr === 'net' ? 'a net' : 'a host'}: write '${q.proto} and host ${text}'`);
    }
    const isNet = q.addr === 'net';
    const slash = this.peek();
    const hasPrefix = slash.kind === '/';
    const hasMask = slash.kind === 'word' && slash.text === 'mask';

    if (t.kind === 'word' && isNumber(text)) {
      if (hasPrefix || hasMask) throw this.syntax(slash, `'${text}' is a number: write the network as a dotted address, e.g. ${text}.0.0.0/8`);
      let v = this.number(t);
      let mask = 0xffffffff;
      if (isNet) {
        // libpcap promotes a short net number: `net 10` is 10.0.0.0/8.
        while (v !== 0 && (v & 0xff000000) === 0) {
          v = (v << 8) >>> 0;
          mask = (mask << 8) >>> 0;
        }
      }
      if (v > 0xffffffff) throw this.err(t, `'${text}' is not an IPv4 address`);
      this.checkFamily(q, t, 4);
      return v4Primitive(q.dir, v >>> 0, mask >>> 0);
    }

    const v4 = t.kind === 'word' ? parsePartialIpv4(text) : undefined;
    if (v4 === 'invalid') throw this.err(t, `'${text}' is not a valid IPv4 address`);
    if (v4 !== undefined) {
      this.checkFamily(q, t, 4);
      let value = v4.value;
      let mask = v4.bits === 0 ? 0 : (0xffffffff << (32 - v4.bits)) >>> 0;
      let shown = text;
      if (hasPrefix || hasMask) {
        if (!isNet) throw this.err(slash, `'${text}${hasPrefix ? '/' : ' mask'}': a prefix or mask is for 'net', not 'host'`);
        this.i++;
        const m = this.peek();
        this.i++;
        if (hasPrefix) {
          if (m.kind !== 'word' || !isNumber(m.text)) throw this.syntax(m, 'expected a prefix length after /');
          const len = this.number(m);
          if (len > 32) throw this.err(m, `prefix length ${m.text} is more than 32`);
          mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
          shown = `${text}/${m.text}`;
        } else {
          const mv = m.kind === 'word' ? parsePartialIpv4(m.text) : undefined;
          if (mv === undefined || mv === 'invalid' || mv.bits !== 32) throw this.syntax(m, 'expected a dotted mask after mask, e.g. 255.255.0.0');
          mask = mv.value;
          shown = `${text} mask ${m.text}`;
        }
        if (((value & ~mask) >>> 0) !== 0) throw this.err(t, `non-network bits set in '${shown}'`);
        value = (value & mask) >>> 0;
      }
      return v4Primitive(q.dir, value, mask);
    }

    if (text.includes(':')) {
      const bytes = parseIpv6(text);
      if (bytes === undefined) {
        if (/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(text)) throw beyond(this.expr, text, t.pos, ' (a MAC address needs ether)');
        throw this.err(t, `'${text}' is not a valid IPv6 address`);
      }
      this.checkFamily(q, t, 6);
      let len = 128;
      if (hasMask) throw this.syntax(slash, "IPv6 networks take a prefix length ('/64'), not 'mask'");
      if (hasPrefix) {
        if (!isNet) throw this.err(slash, `'${text}/': a prefix is for 'net', not 'host'`);
        this.i++;
        const m = this.peek();
        this.i++;
        if (m.kind !== 'word' || !isNumber(m.text)) throw this.syntax(m, 'expected a prefix length after /');
        len = this.number(m);
        if (len > 128) throw this.err(m, `prefix length ${m.text} is more than 128`);
        for (let bit = len; bit < 128; bit++) {
          if (((bytes[bit >> 3] as number) & (0x80 >> (bit & 7))) !== 0) {
            throw this.err(t, `non-network bits set in '${text}/${m.text}'`);
          }
        }
      }
      return v6Primitive(q.dir, bytes, len);
    }

    throw this.err(
      t,
      `'${text}' is a host name: sipscope does not resolve names in filters for files; use an address (e.g. host 192.0.2.10)`,
    );
  }

  private checkFamily(q: Qual, t: Token, family: 4 | 6): void {
    if (q.proto === 'ip' && family === 6) throw this.err(t, `'ip' cannot qualify the IPv6 address '${t.text}': use 'ip6'`);
    if (q.proto === 'ip6' && family === 4) throw this.err(t, `'ip6' cannot qualify the IPv4 address '${t.text}': use 'ip'`);
  }

  // --- port / portrange -----------------------------------------------------------------

  private portPrimitive(q: Qual, t: Token): BpfMatcher {
    const text = t.text;
    if (q.proto !== 'default' && q.proto !== 'tcp' && q.proto !== 'udp' && q.proto !== 'sctp') {
      throw this.err(t, `'${q.proto} ${q.addr}' is not valid: '${q.addr}' takes tcp, udp or sctp as qualifier`);
    }
    if (t.kind === 'word' && (parsePartialIpv4(text) !== undefined || (text.includes(':') && parseIpv6(text) !== undefined))) {
      throw this.err(t, `'${text}' is an address, but '${q.addr}' needs a port number`);
    }
    let proto = q.proto === 'default' ? -1 : (PROTO_NUMBERS[q.proto] as number);
    let lo: number;
    let hi: number;
    if (q.addr === 'port') {
      const r = this.port(t, text, proto);
      lo = hi = r.port;
      proto = r.proto;
    } else {
      const dash = isNumber(text) ? -1 : text.indexOf('-');
      if (dash < 0) {
        const r = this.port(t, text, proto);
        lo = hi = r.port;
        proto = r.proto;
      } else {
        const a = this.port(t, text.slice(0, dash), proto);
        const b = this.port(t, text.slice(dash + 1), proto);
        if (a.proto !== b.proto) throw this.err(t, `'${text}': the two ports are for different transports`);
        lo = Math.min(a.port, b.port);
        hi = Math.max(a.port, b.port);
        proto = a.proto;
      }
    }
    return portMatcher(proto, q.dir, lo, hi);
  }

  /** A port number or name; `proto` -1 = any of tcp/udp/sctp. */
  private port(t: Token, text: string, proto: number): { port: number; proto: number } {
    if (isNumber(text)) {
      const v = this.number({ ...t, text });
      if (v > 65535) throw this.err(t, `port number ${text} is more than 65535`);
      return { port: v, proto };
    }
    const named = PORT_NAMES.get(text);
    if (named === undefined) {
      throw this.err(t, `unknown port '${text}' (names known: ${[...PORT_NAMES.keys()].join(', ')}; or give the number)`);
    }
    if (named.proto === undefined) return { port: named.port, proto };
    if (proto >= 0 && proto !== named.proto) {
      throw this.err(t, `port '${text}' exists only for ${named.proto === IPPROTO_TCP ? 'tcp' : 'udp'}`);
    }
    return { port: named.port, proto: named.proto };
  }

  // --- proto ----------------------------------------------------------------------------

  private protoPrimitive(q: Qual, t: Token): BpfMatcher {
    if (q.proto !== 'default' && q.proto !== 'ip' && q.proto !== 'ip6') {
      throw this.err(t, `'${q.proto} proto' is not valid: 'proto' takes ip or ip6 as qualifier`);
    }
    let v: number;
    if (t.kind === 'word' && isNumber(t.text)) {
      v = this.number(t);
    } else {
      const named = PROTO_NAMES.get(t.text);
      if (named === undefined) throw this.err(t, `unknown IP protocol '${t.text}' (give the number)`);
      v = named;
    }
    if (q.proto === 'ip') return (p) => p.ipVersion === 4 && p.proto === v;
    if (q.proto === 'ip6') return (p) => p.ipVersion === 6 && p.proto === v;
    return (p) => p.proto === v;
  }

  // --- helpers --------------------------------------------------------------------------

  private number(t: Token): number {
    const v = numberValue(t.text);
    if (v === undefined) {
      const why = t.text.startsWith('0') && !/^0[xX]/.test(t.text) ? ' (a leading 0 means octal)' : '';
      throw this.err(t, `'${t.text}' is not a valid number${why}`);
    }
    return v;
  }

  private peek(k = 0): Token {
    const t = this.tokens[this.i + k];
    return t ?? (this.tokens[this.tokens.length - 1] as Token);
  }

  private enter(t: Token): void {
    if (++this.depth > MAX_DEPTH) throw this.err(t, `nested more than ${MAX_DEPTH} levels deep`);
  }

  private expectClose(open: Token): void {
    const t = this.peek();
    if (t.kind !== ')') {
      throw this.syntax(t, `expected ')' to close the '(' at position ${open.pos}`);
    }
    this.i++;
  }

  private syntax(t: Token, detail: string): BpfError {
    const where = t.kind === 'end' ? `at the end (position ${t.pos})` : `at '${t.text}' (position ${t.pos})`;
    return new BpfError(`BPF filter '${this.expr}': syntax error ${where}: ${detail}`, t.pos);
  }

  private err(t: Token, detail: string): BpfError {
    return new BpfError(`BPF filter '${this.expr}': ${detail} (position ${t.pos})`, t.pos);
  }
}

function describeQual(q: Qual): string {
  return q.addr === 'default' ? 'address' : q.addr === 'proto' ? 'protocol' : q.addr;
}

// ---------------------------------------------------------------------------------------
// Values

/** libpcap's NUM: decimal, 0x hex, or octal with a leading 0. */
function isNumber(text: string): boolean {
  return /^(?:[0-9]+|0[xX][0-9a-fA-F]+)$/.test(text);
}

function numberValue(text: string): number | undefined {
  let v: number;
  if (/^0[xX]/.test(text)) v = parseInt(text.slice(2), 16);
  else if (text.length > 1 && text.startsWith('0')) {
    if (!/^[0-7]+$/.test(text)) return undefined;
    v = parseInt(text, 8);
  } else v = parseInt(text, 10);
  return v <= 0xffffffff ? v : undefined;
}

/**
 * libpcap's HID: 2 to 4 dotted decimal parts; a partial address is a network of 8 bits per
 * part (`192.168` is 192.168.0.0/16, for `host` as for `net`).
 */
function parsePartialIpv4(text: string): { value: number; bits: number } | 'invalid' | undefined {
  if (!/^[0-9]+(?:\.[0-9]+){1,3}$/.test(text)) return undefined;
  const parts = text.split('.');
  let value = 0;
  for (const part of parts) {
    const n = Number(part);
    if (n > 255) return 'invalid';
    value = value * 256 + n;
  }
  const bits = parts.length * 8;
  return { value: (value * 2 ** (32 - bits)) >>> 0, bits };
}

// ---------------------------------------------------------------------------------------
// Matchers

function protoAbbreviation(name: ProtoQual): BpfMatcher {
  switch (name) {
    case 'ip':
      return (p) => p.ipVersion === 4;
    case 'ip6':
      return (p) => p.ipVersion === 6;
    case 'tcp':
      return (p) => p.proto === IPPROTO_TCP;
    case 'udp':
      return (p) => p.proto === IPPROTO_UDP;
    case 'sctp':
      return (p) => p.proto === IPPROTO_SCTP;
    case 'icmp':
      return (p) => p.ipVersion === 4 && p.proto === IPPROTO_ICMP;
    case 'icmp6':
      return (p) => p.ipVersion === 6 && p.proto === IPPROTO_ICMPV6;
    default:
      return () => false;
  }
}

/** Applies an address test to src, dst, either or both. */
function byDirection(dir: DirQual, version: 4 | 6, test: (addr: string) => boolean): BpfMatcher {
  switch (dir) {
    case 'src':
      return (p) => p.ipVersion === version && test(p.src);
    case 'dst':
      return (p) => p.ipVersion === version && test(p.dst);
    case 'and':
      return (p) => p.ipVersion === version && test(p.src) && test(p.dst);
    default:
      return (p) => p.ipVersion === version && (test(p.src) || test(p.dst));
  }
}

/**
 * IPv4 host or network `value`/`mask`. A host compares the dotted text; a network on an
 * octet boundary compares a text prefix ("10." for 10.0.0.0/8); others compare numbers.
 */
function v4Primitive(dir: DirQual, value: number, mask: number): BpfMatcher {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  if (mask === 0xffffffff) {
    const text = formatIpv4(bytes, 0);
    return byDirection(dir, 4, (a) => a === text);
  }
  if (mask === 0) return byDirection(dir, 4, () => true);
  const octets = [0xff000000, 0xffff0000, 0xffffff00].indexOf(mask) + 1;
  if (octets > 0) {
    const prefix = formatIpv4(bytes, 0).split('.').slice(0, octets).join('.') + '.';
    return byDirection(dir, 4, startsWith(prefix));
  }
  const bits = prefixLength(mask);
  if (bits > 0 && bits % 8 !== 0) {
    // Contiguous mask off an octet boundary (/12, /23): compare the whole octets as text,
    // then the one partial octet as a number.
    const whole = bits >> 3;
    const prefix = whole === 0 ? '' : formatIpv4(bytes, 0).split('.').slice(0, whole).join('.') + '.';
    const octetMask = (0xff << (8 - (bits & 7))) & 0xff;
    const want = (bytes[whole] as number) & octetMask;
    const from = prefix.length;
    const hasPrefix = startsWith(prefix);
    return byDirection(dir, 4, (a) => {
      if (!hasPrefix(a)) return false;
      let octet = 0;
      for (let i = from; i < a.length; i++) {
        const c = a.charCodeAt(i);
        if (c === 0x2e) break;
        octet = octet * 10 + (c - 0x30);
      }
      return (octet & octetMask) === want;
    });
  }
  // Non-contiguous masks (`mask 255.0.255.0`): compare numbers.
  return byDirection(dir, 4, (a) => {
    const n = ipv4Number(a);
    return n >= 0 && ((n & mask) >>> 0) === value;
  });
}

/** A test for a fixed text prefix; char codes compared inline (String#startsWith is slower here). */
function startsWith(prefix: string): (a: string) => boolean {
  const codes = Array.from(prefix, (ch) => ch.charCodeAt(0));
  const n = codes.length;
  return (a) => {
    if (a.length < n) return false;
    for (let i = 0; i < n; i++) if (a.charCodeAt(i) !== codes[i]) return false;
    return true;
  };
}

/** Length of a contiguous IPv4 mask (255.240.0.0 → 12), or -1 for a non-contiguous one. */
function prefixLength(mask: number): number {
  for (let bits = 0; bits <= 32; bits++) {
    if ((bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0) === mask) return bits;
  }
  return -1;
}

/** IPv6 host (text compare: IpInfo carries RFC 5952 text) or network of `len` bits. */
function v6Primitive(dir: DirQual, bytes: Buffer, len: number): BpfMatcher {
  if (len === 128) {
    const text = formatIpv6(bytes, 0);
    return byDirection(dir, 6, (a) => a === text);
  }
  if (len === 0) return byDirection(dir, 6, () => true);
  const want = new Uint16Array(8);
  for (let g = 0; g < 8; g++) want[g] = bytes.readUInt16BE(2 * g);
  const fullGroups = len >> 4;
  const partMask = (0xffff << (16 - (len & 15))) & 0xffff;
  // One scratch array per compiled filter, reused for every packet.
  const got = new Uint16Array(8);
  return byDirection(dir, 6, (a) => {
    if (!ipv6Groups(a, got)) return false;
    for (let g = 0; g < fullGroups; g++) if (got[g] !== want[g]) return false;
    if (partMask !== 0 && (((got[fullGroups] as number) ^ (want[fullGroups] as number)) & partMask) !== 0) return false;
    return true;
  });
}

function portMatcher(proto: number, dir: DirQual, lo: number, hi: number): BpfMatcher {
  const protoOk =
    proto < 0
      ? (n: number) => n === IPPROTO_UDP || n === IPPROTO_TCP || n === IPPROTO_SCTP
      : (n: number) => n === proto;
  // Non-first fragments carry port -1, outside every range: like libpcap, no match there.
  const inRange = lo === hi ? (v: number) => v === lo : (v: number) => v >= lo && v <= hi;
  switch (dir) {
    case 'src':
      return (p) => protoOk(p.proto) && inRange(p.sport);
    case 'dst':
      return (p) => protoOk(p.proto) && inRange(p.dport);
    case 'and':
      return (p) => protoOk(p.proto) && inRange(p.sport) && inRange(p.dport);
    default:
      return (p) => protoOk(p.proto) && (inRange(p.sport) || inRange(p.dport));
  }
}

/** Dotted-quad text to a number, -1 when it is not one (no allocation). */
function ipv4Number(a: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
      part = part * 10 + (c - 0x30);
      digits++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0 || part > 255) return -1;
  return n * 256 + part;
}

/**
 * IPv6 text (any RFC 4291 2.2 form) into 8 groups in `out`; false when it is not one.
 * No allocation: runs per packet for IPv6 `net` primitives.
 */
function ipv6Groups(a: string, out: Uint16Array): boolean {
  out.fill(0);
  let g = 0; // groups written
  let gap = -1; // group index where "::" stands
  let i = 0;
  const n = a.length;
  if (n >= 2 && a.charCodeAt(0) === 0x3a && a.charCodeAt(1) === 0x3a) {
    gap = 0;
    i = 2;
  }
  while (i < n) {
    // Trailing dotted IPv4 (::ffff:1.2.3.4).
    let j = i;
    let value = 0;
    let digits = 0;
    while (j < n) {
      const c = a.charCodeAt(j);
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else break;
      value = value * 16 + d;
      digits++;
      j++;
    }
    if (j < n && a.charCodeAt(j) === 0x2e) {
      const v4 = ipv4Number(a.slice(i));
      if (v4 < 0 || g > 6) return false;
      out[g++] = v4 >>> 16;
      out[g++] = v4 & 0xffff;
      i = n;
      break;
    }
    if (digits === 0 || digits > 4 || g > 7) return false;
    out[g++] = value;
    i = j;
    if (i === n) break;
    if (a.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < n && a.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false;
      gap = g;
      i++;
    } else if (i === n) {
      return false;
    }
  }
  if (gap < 0) return g === 8;
  if (g > 7) return false;
  // Move the groups after "::" to the end.
  const tail = g - gap;
  for (let k = tail - 1; k >= 0; k--) {
    out[8 - tail + k] = out[gap + k] as number;
  }
  for (let k = gap; k < 8 - tail; k++) out[k] = 0;
  return true;
}
