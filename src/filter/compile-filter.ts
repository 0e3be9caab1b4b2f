import type { Dialog } from '../store/dialog';
import { MSG_RETRANS, type ByteLocation, type DialogStore } from '../store/store';
import { headerValues, parseHeaders, splitCommaValues } from '../sip/headers';
import { parseNameAddr } from '../sip/name-addr';
import type { SipHeader } from '../sip/types';
import { FilterLexer, FilterSyntaxError, type Token } from './filter-lexer';
import { normaliseNumber, numberMatches, type NormalisedNumber } from './phone-number';
import { addressInPattern, parseAddress, parseAddressPattern, splitEndpoint, type AddressPattern } from './ip-match';

/*
 * The telephony filter language (--filter), compiled once to a predicate over dialogs.
 *
 *   expr    = or
 *   or      = and *( ("or" / "||") and )
 *   and     = unary *( ("and" / "&&") unary )
 *   unary   = ("not" / "!") unary / "(" expr ")" / clause
 *   clause  = NUMBER-FIELD 1*number            srcnum dstnum telnum diversion pai ppi rpid
 *           / ADDR-FIELD 1*(address / cidr)    ip srcip dstip
 *           / "port" 1*(port / port "-" port)
 *           / "method" 1*method
 *           / ("status" / "final") 1*(code / class)     code 486, class 4xx
 *           / "state" 1*state
 *           / ("callid" / "ua") (1*value / "~" regex)
 *           / "has" 1*header-name
 *           / "header" header-name "~" regex
 *           / "payload" "~" regex
 *           / "duration" (">" / "<" / ">=" / "<=" / "=") duration     30s, 500ms, 2m, 1h, 5
 *           / ("after" / "before") time        12:00[:ss] (time of day, UTC) or
 *                                              2026-11-23[THH:MM[:SS]] (UTC)
 *           / "finding" 1*label
 *
 * Several values after one field mean any of them. Keywords and field names ignore case.
 * Regular expressions ignore case. Values may be quoted ('IN CALL', "a b").
 *
 * Cost: dialog-level fields (numbers of From/To, addresses, ports, methods, status codes,
 * state, Call-ID, User-Agent, times) use the store only. Header and payload fields read
 * message bytes back, and `finding` runs the analysis; `and`/`or` evaluate the cheap side
 * first, so bytes are read only for dialogs the cheap side left undecided.
 */

/** Where message bytes are read back from (capture/ByteReader satisfies it). */
export interface MessageByteSource {
  read(loc: ByteLocation): Buffer | undefined;
}

export interface FilterContext {
  store: DialogStore;
  /** Needed by the header, payload, diversion, pai, ppi, rpid fields (without it they never match). */
  bytes?: MessageByteSource;
  /** Labels of a dialog's findings, for `finding NAME` (without it `finding` never matches). */
  findings?: (d: Dialog) => readonly string[];
}

export interface CompiledFilter {
  ok: true;
  test(dialog: Dialog, ctx: FilterContext): boolean;
  /** The expression uses fields that read message bytes. */
  readsBytes: boolean;
  /** The expression uses `finding`. */
  usesFindings: boolean;
}

export interface FilterError {
  ok: false;
  /** e.g. "expected a number after 'srcnum' at 'and' (position 7)". */
  error: string;
  /** 0-based offset of the offending word in the expression. */
  position: number;
}

export interface CompileOptions {
  /** Known finding labels: `finding X` with another label is an error naming them. */
  findingLabels?: readonly string[];
}

/** Field names, for help texts and error messages. */
export const FILTER_FIELDS: readonly string[] = [
  'srcnum',
  'dstnum',
  'telnum',
  'diversion',
  'pai',
  'ppi',
  'rpid',
  'ip',
  'srcip',
  'dstip',
  'port',
  'method',
  'status',
  'final',
  'state',
  'callid',
  'ua',
  'has',
  'header',
  'payload',
  'duration',
  'after',
  'before',
  'finding',
];

// ---------------------------------------------------------------------------------------
// Evaluation

/** Lazily parsed messages of the dialog under test (one per `test` call). */
class DialogMessages {
  private readonly headerCache = new Map<number, SipHeader[] | null>();
  private readonly textCache = new Map<number, string | null>();
  private rowList: number[] | undefined;

  constructor(
    private readonly store: DialogStore,
    private readonly bytes: MessageByteSource | undefined,
    private readonly dialog: Dialog,
  ) {}

  /** Rows of the dialog without retransmissions (they repeat an earlier message unchanged). */
  rows(): number[] {
    if (this.rowList === undefined) this.rowList = this.dialog.msgs.filter((r) => (this.store.msgFlags(r) & MSG_RETRANS) === 0);
    return this.rowList;
  }

  private buffer(row: number): Buffer | undefined {
    return this.bytes?.read(this.store.msgBytes(row));
  }

  headers(row: number): SipHeader[] | null {
    let h = this.headerCache.get(row);
    if (h === undefined) {
      const buf = this.buffer(row);
      h = buf === undefined ? null : parseHeaders(buf).headers;
      this.headerCache.set(row, h);
    }
    return h;
  }

  text(row: number): string | null {
    let t = this.textCache.get(row);
    if (t === undefined) {
      const buf = this.buffer(row);
      t = buf === undefined ? null : buf.toString('utf8');
      this.textCache.set(row, t);
    }
    return t;
  }

  /** Every value of a header across the dialog's messages. */
  *values(name: string): Generator<string> {
    for (const row of this.rows()) {
      const h = this.headers(row);
      if (h !== null) yield* headerValues(h, name);
    }
  }
}

interface Env {
  d: Dialog;
  ctx: FilterContext;
  messages: DialogMessages | undefined;
}

function messagesOf(env: Env): DialogMessages {
  if (env.messages === undefined) env.messages = new DialogMessages(env.ctx.store, env.ctx.bytes, env.d);
  return env.messages;
}

/** A compiled node: cost 0 store only, 1 reads bytes, 2 runs the analysis. */
interface Node {
  cost: number;
  eval(env: Env): boolean;
}

const COST_STORE = 0;
const COST_BYTES = 1;
const COST_FINDINGS = 2;

function allOf(items: Node[]): Node {
  const sorted = items.slice().sort((a, b) => a.cost - b.cost);
  return {
    cost: Math.max(...sorted.map((n) => n.cost)),
    eval: (env) => sorted.every((n) => n.eval(env)),
  };
}

function anyOf(items: Node[]): Node {
  const sorted = items.slice().sort((a, b) => a.cost - b.cost);
  return {
    cost: Math.max(...sorted.map((n) => n.cost)),
    eval: (env) => sorted.some((n) => n.eval(env)),
  };
}

// ---------------------------------------------------------------------------------------
// Parsing

type Describe = (t: Token) => string;

const describe: Describe = (t) => (t.kind === 'end' ? `the end (position ${t.pos})` : `'${t.text}' (position ${t.pos})`);

function fail(what: string, after: string, t: Token): never {
  throw new FilterSyntaxError(`expected ${what} after '${after}' at ${describe(t)}`, t.pos);
}

function isKeyword(t: Token, ...words: string[]): boolean {
  return t.kind === 'word' && words.includes(t.text.toLowerCase());
}

/** A token that can be a value: a word that is not and/or/not, or a quoted string. */
function isValue(t: Token): boolean {
  return t.kind === 'string' || (t.kind === 'word' && !isKeyword(t, 'and', 'or', 'not'));
}

interface ParseState {
  lexer: FilterLexer;
  options: CompileOptions;
  readsBytes: boolean;
  usesFindings: boolean;
  /** Parsed endpoint addresses, shared by the address fields of this filter. */
  addressCache: Map<string, Uint8Array | null>;
}

function parseOr(s: ParseState, after?: string): Node {
  const items = [parseAnd(s, after)];
  for (;;) {
    const t = s.lexer.peek();
    if (!(isKeyword(t, 'or') || (t.kind === 'op' && t.text === '||'))) break;
    s.lexer.next();
    items.push(parseAnd(s, t.text));
  }
  return items.length === 1 ? items[0]! : anyOf(items);
}

function parseAnd(s: ParseState, after?: string): Node {
  const items = [parseUnary(s, after)];
  for (;;) {
    const t = s.lexer.peek();
    if (!(isKeyword(t, 'and') || (t.kind === 'op' && t.text === '&&'))) break;
    s.lexer.next();
    items.push(parseUnary(s, t.text));
  }
  return items.length === 1 ? items[0]! : allOf(items);
}

function parseUnary(s: ParseState, after?: string): Node {
  const t = s.lexer.next();
  if (isKeyword(t, 'not') || (t.kind === 'op' && t.text === '!')) {
    const inner = parseUnary(s, t.text);
    return { cost: inner.cost, eval: (env) => !inner.eval(env) };
  }
  if (t.kind === 'lparen') {
    const inner = parseOr(s, '(');
    const close = s.lexer.next();
    if (close.kind !== 'rparen') {
      throw new FilterSyntaxError(`expected ')' or 'and'/'or' to go with '(' at position ${t.pos}, at ${describe(close)}`, close.pos);
    }
    return inner;
  }
  if (t.kind === 'word') {
    const field = t.text.toLowerCase();
    if (FILTER_FIELDS.includes(field)) return parseClause(s, field, t);
  }
  throw new FilterSyntaxError(
    `expected a field (${FILTER_FIELDS.join(', ')}), 'not' or '('${after === undefined ? '' : ` after '${after}'`} at ${describe(t)}`,
    t.pos,
  );
}

/** One or more values after a field; each checked by `parse` (undefined: not acceptable). */
function values<T>(s: ParseState, field: string, what: string, parse: (text: string) => T | undefined): T[] {
  const out: T[] = [];
  for (;;) {
    const t = s.lexer.peek();
    if (!isValue(t)) {
      if (out.length === 0) fail(what, field, t);
      return out;
    }
    const v = parse(t.text);
    if (v === undefined) fail(what, field, t);
    s.lexer.next();
    out.push(v);
  }
}

function regexAfter(s: ParseState, after: string, flags: string): RegExp {
  const op = s.lexer.next();
  if (op.kind !== 'op' || op.text !== '~') fail("'~' and a regular expression", after, op);
  const t = s.lexer.regex();
  if (t.kind === 'end' || t.text === '') fail('a regular expression', `${after} ~`, t);
  try {
    return new RegExp(t.text, flags);
  } catch (err) {
    throw new FilterSyntaxError(`'${t.text}' after '${after} ~' is not a valid regular expression (position ${t.pos}): ${(err as Error).message}`, t.pos);
  }
}

const NUMBER_FIELDS: Readonly<Record<string, string[]>> = {
  diversion: ['Diversion'], // RFC 5806
  pai: ['P-Asserted-Identity'], // RFC 3325 §9.1
  ppi: ['P-Preferred-Identity'], // RFC 3325 §9.2
  rpid: ['Remote-Party-ID'], // draft-ietf-sip-privacy-04
};

const STATE_NAMES: Readonly<Record<string, string>> = {
  callsetup: 'CALL SETUP',
  setup: 'CALL SETUP',
  incall: 'IN CALL',
  cancelled: 'CANCELLED',
  canceled: 'CANCELLED',
  rejected: 'REJECTED',
  busy: 'BUSY',
  diverted: 'DIVERTED',
  completed: 'COMPLETED',
};

function parseClause(s: ParseState, field: string, fieldToken: Token): Node {
  switch (field) {
    case 'srcnum':
    case 'dstnum':
    case 'telnum':
      return numberClause(values(s, field, 'a number', normaliseNumber), field);
    case 'diversion':
    case 'pai':
    case 'ppi':
    case 'rpid': {
      s.readsBytes = true;
      const want = values(s, field, 'a number', normaliseNumber);
      const headers = NUMBER_FIELDS[field] ?? [];
      return {
        cost: COST_BYTES,
        eval: (env) => {
          const m = messagesOf(env);
          for (const h of headers) {
            for (const value of m.values(h)) {
              for (const one of splitCommaValues(value)) {
                const n = normaliseNumber(parseNameAddr(one).user);
                if (n !== undefined && want.some((w) => numberMatches(n, w))) return true;
              }
            }
          }
          return false;
        },
      };
    }
    case 'ip':
    case 'srcip':
    case 'dstip':
      return addressClause(s, field, values(s, field, 'an address or CIDR prefix (192.0.2.1, 10.0.0.0/8, 2001:db8::/32)', parseAddressPattern));
    case 'port': {
      const ranges = values(s, field, 'a port (5060) or range (5060-5070)', parsePortRange);
      // Endpoint texts are interned by the store: one verdict per distinct endpoint.
      const verdicts = new Map<string, boolean>();
      const hit = (endpoint: string): boolean => {
        let v = verdicts.get(endpoint);
        if (v === undefined) {
          const p = splitEndpoint(endpoint).port;
          v = ranges.some(([lo, hi]) => p >= lo && p <= hi);
          verdicts.set(endpoint, v);
        }
        return v;
      };
      return {
        cost: COST_STORE,
        eval: (env) => env.d.msgs.some((row) => hit(env.ctx.store.msgSrc(row)) || hit(env.ctx.store.msgDst(row))),
      };
    }
    case 'method': {
      const methods = values(s, field, 'a method (INVITE, REGISTER, ...)', (v) => (/^[A-Za-z][A-Za-z0-9_.!%*+`'~-]*$/.test(v) ? v.toUpperCase() : undefined));
      return {
        cost: COST_STORE,
        eval: (env) =>
          methods.includes(env.d.method) ||
          env.d.msgs.some((row) => env.ctx.store.msgIsRequest(row) && methods.includes(env.ctx.store.msgMethod(row))),
      };
    }
    case 'status':
    case 'final': {
      const ranges = values(s, field, 'a status code (486) or class (4xx)', parseStatus);
      const hit = (code: number): boolean => ranges.some(([lo, hi]) => code >= lo && code <= hi);
      if (field === 'final') return { cost: COST_STORE, eval: (env) => env.d.finalStatus > 0 && hit(env.d.finalStatus) };
      return {
        cost: COST_STORE,
        eval: (env) => env.d.msgs.some((row) => !env.ctx.store.msgIsRequest(row) && hit(env.ctx.store.msgStatus(row))),
      };
    }
    case 'state': {
      const states = values(s, field, `a call state (${Object.keys(STATE_NAMES).join(', ')})`, (v) => STATE_NAMES[v.toLowerCase().replace(/[^a-z]/g, '')]);
      return { cost: COST_STORE, eval: (env) => states.includes(env.d.state) };
    }
    case 'callid':
    case 'ua': {
      const get = field === 'callid' ? (d: Dialog) => d.callId : (d: Dialog) => d.userAgent;
      const next = s.lexer.peek();
      if (next.kind === 'op' && next.text === '~') {
        const re = regexAfter(s, field, 'i');
        return { cost: COST_STORE, eval: (env) => re.test(get(env.d)) };
      }
      if (field === 'callid') {
        const ids = values(s, field, "a Call-ID or '~' and a regular expression", (v) => v);
        return { cost: COST_STORE, eval: (env) => ids.includes(env.d.callId) };
      }
      const parts = values(s, field, "a User-Agent word or '~' and a regular expression", (v) => v.toLowerCase());
      return { cost: COST_STORE, eval: (env) => parts.some((p) => env.d.userAgent.toLowerCase().includes(p)) };
    }
    case 'has': {
      s.readsBytes = true;
      const names = values(s, field, 'a header name', (v) => (/^[!-9;-~]+$/.test(v) ? v : undefined));
      return {
        cost: COST_BYTES,
        eval: (env) => {
          const m = messagesOf(env);
          return names.some((n) => !m.values(n).next().done);
        },
      };
    }
    case 'header': {
      s.readsBytes = true;
      const nameToken = s.lexer.next();
      if (nameToken.kind !== 'word' && nameToken.kind !== 'string') fail('a header name', field, nameToken);
      const name = nameToken.text;
      const re = regexAfter(s, `header ${name}`, 'i');
      return {
        cost: COST_BYTES,
        eval: (env) => {
          for (const v of messagesOf(env).values(name)) if (re.test(v)) return true;
          return false;
        },
      };
    }
    case 'payload': {
      s.readsBytes = true;
      const re = regexAfter(s, field, 'im');
      return {
        cost: COST_BYTES,
        eval: (env) => {
          const m = messagesOf(env);
          return m.rows().some((row) => {
            const t = m.text(row);
            return t !== null && re.test(t);
          });
        },
      };
    }
    case 'duration': {
      const op = s.lexer.next();
      if (op.kind !== 'op' || !['>', '<', '>=', '<=', '=', '=='].includes(op.text)) fail("'>', '<', '>=', '<=' or '='", field, op);
      const vt = s.lexer.next();
      const limit = isValue(vt) ? parseDuration(vt.text) : undefined;
      if (limit === undefined) fail('a duration (30s, 500ms, 2m, 1h or seconds)', `duration ${op.text}`, vt);
      const cmp = comparator(op.text);
      return {
        cost: COST_STORE,
        eval: (env) => {
          const m = env.d.msgs;
          if (m.length === 0) return false;
          const dur = env.ctx.store.msgTime(m[m.length - 1]!) - env.ctx.store.msgTime(m[0]!);
          return cmp(dur, limit);
        },
      };
    }
    case 'after':
    case 'before': {
      const vt = s.lexer.next();
      const when = isValue(vt) ? parseTime(vt.text) : undefined;
      if (when === undefined) fail('a time (12:00, 12:00:30, 2026-11-23 or 2026-11-23T13:00, UTC)', field, vt);
      const after = field === 'after';
      return {
        cost: COST_STORE,
        eval: (env) => {
          const first = env.d.msgs[0];
          if (first === undefined) return false;
          let t = env.ctx.store.msgTime(first);
          if (when.timeOfDay) t = ((t % 86400) + 86400) % 86400;
          return after ? t >= when.seconds : t < when.seconds;
        },
      };
    }
    case 'finding': {
      s.usesFindings = true;
      const known = s.options.findingLabels;
      const what = known === undefined ? 'a finding label' : `a finding label (${known.join(', ')})`;
      const labels = values(s, field, what, (v) => {
        const l = v.toLowerCase();
        return known === undefined || known.includes(l) ? l : undefined;
      });
      return {
        cost: COST_FINDINGS,
        eval: (env) => {
          const f = env.ctx.findings?.(env.d);
          return f !== undefined && f.some((l) => labels.includes(l));
        },
      };
    }
    default:
      throw new FilterSyntaxError(`unknown field '${fieldToken.text}' (position ${fieldToken.pos})`, fieldToken.pos);
  }
}

function numberClause(want: NormalisedNumber[], field: string): Node {
  // One verdict per distinct user part (calls repeat numbers); bounded by the dialogs.
  const verdicts = new Map<string, boolean>();
  const matches = (user: string): boolean => {
    let v = verdicts.get(user);
    if (v === undefined) {
      const n = normaliseNumber(user);
      v = n !== undefined && want.some((w) => numberMatches(n, w));
      verdicts.set(user, v);
    }
    return v;
  };
  if (field === 'srcnum') return { cost: COST_STORE, eval: (env) => matches(env.d.from.user) };
  if (field === 'dstnum') return { cost: COST_STORE, eval: (env) => matches(env.d.to.user) };
  return { cost: COST_STORE, eval: (env) => matches(env.d.from.user) || matches(env.d.to.user) };
}

function addressClause(s: ParseState, field: string, patterns: AddressPattern[]): Node {
  const cache = s.addressCache;
  // One verdict per distinct endpoint text (the store interns them).
  const verdicts = new Map<string, boolean>();
  const hit = (endpoint: string): boolean => {
    const known = verdicts.get(endpoint);
    if (known !== undefined) return known;
    let a = cache.get(endpoint);
    if (a === undefined) {
      a = parseAddress(splitEndpoint(endpoint).ip) ?? null;
      cache.set(endpoint, a);
    }
    const addr = a;
    const v = addr !== null && patterns.some((p) => addressInPattern(addr, p));
    verdicts.set(endpoint, v);
    return v;
  };
  if (field === 'srcip') return { cost: COST_STORE, eval: (env) => hit(env.d.src) };
  if (field === 'dstip') return { cost: COST_STORE, eval: (env) => hit(env.d.dst) };
  return {
    cost: COST_STORE,
    eval: (env) =>
      hit(env.d.src) || hit(env.d.dst) || env.d.msgs.some((row) => hit(env.ctx.store.msgSrc(row)) || hit(env.ctx.store.msgDst(row))),
  };
}

function parsePortRange(v: string): [number, number] | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(v);
  if (m === null) return undefined;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi > 65535 || hi < lo) return undefined;
  return [lo, hi];
}

function parseStatus(v: string): [number, number] | undefined {
  if (/^[1-6]\d\d$/.test(v)) return [Number(v), Number(v)];
  const m = /^([1-6])xx$/i.exec(v);
  if (m === null) return undefined;
  const c = Number(m[1]) * 100;
  return [c, c + 99];
}

const DURATION_UNITS: Readonly<Record<string, number>> = { '': 1, s: 1, ms: 0.001, m: 60, min: 60, h: 3600 };

function parseDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([a-z]*)$/i.exec(v);
  if (m === null) return undefined;
  const unit = DURATION_UNITS[(m[2] ?? '').toLowerCase()];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

function comparator(op: string): (a: number, b: number) => boolean {
  switch (op) {
    case '>':
      return (a, b) => a > b;
    case '<':
      return (a, b) => a < b;
    case '>=':
      return (a, b) => a >= b;
    case '<=':
      return (a, b) => a <= b;
    default:
      return (a, b) => Math.abs(a - b) < 0.0005;
  }
}

/** A time of day in seconds since midnight, or seconds since the epoch; both UTC. */
function parseTime(v: string): { seconds: number; timeOfDay: boolean } | undefined {
  const tod = /^(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?$/.exec(v);
  if (tod !== null) {
    const h = Number(tod[1]);
    const m = Number(tod[2]);
    const sec = tod[3] === undefined ? 0 : Number(tod[3]);
    if (h > 23 || m > 59 || sec >= 61) return undefined;
    return { seconds: h * 3600 + m * 60 + sec, timeOfDay: true };
  }
  const dt = /^(\d{4})-(\d{2})-(\d{2})(?:[T_](\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?)?Z?$/.exec(v);
  if (dt === null) return undefined;
  const [y, mo, d, h, mi] = [Number(dt[1]), Number(dt[2]), Number(dt[3]), Number(dt[4] ?? 0), Number(dt[5] ?? 0)];
  const sec = dt[6] === undefined ? 0 : Number(dt[6]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec >= 61) return undefined;
  return { seconds: Date.UTC(y, mo - 1, d, h, mi, 0) / 1000 + sec, timeOfDay: false };
}

/**
 * Compiles a filter expression (grammar above). Errors are returned, never thrown, with the
 * 0-based position of the offending word.
 */
export function compileFilter(expr: string, options: CompileOptions = {}): CompiledFilter | FilterError {
  const s: ParseState = { lexer: new FilterLexer(expr), options, readsBytes: false, usesFindings: false, addressCache: new Map() };
  try {
    if (s.lexer.peek().kind === 'end') return { ok: false, error: 'the filter is empty', position: 0 };
    const root = parseOr(s);
    const rest = s.lexer.next();
    if (rest.kind !== 'end') {
      const what = rest.kind === 'rparen' ? `unmatched ')' at position ${rest.pos}` : `expected 'and', 'or' or the end at ${describe(rest)}`;
      return { ok: false, error: what, position: rest.pos };
    }
    return {
      ok: true,
      readsBytes: s.readsBytes,
      usesFindings: s.usesFindings,
      test: (dialog, ctx) => root.eval({ d: dialog, ctx, messages: undefined }),
    };
  } catch (err) {
    if (err instanceof FilterSyntaxError) return { ok: false, error: err.message, position: err.position };
    return { ok: false, error: `cannot compile the filter: ${(err as Error).message}`, position: 0 };
  }
}
