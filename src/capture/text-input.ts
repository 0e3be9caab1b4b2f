/**
 * Streaming reader of SIP text captures: tcpdump terminal output (-A, -v/-vvv, -x/-X/-XX,
 * with or without -tttt/-tt/-nn), phone-system SIP logs (Asterisk pjsip/chan_sip, FreeSWITCH
 * siptrace), and the `date time src -> dst (transport)` text of sipscope -T, sngrep and
 * Kamailio/OpenSIPS-style logs. See text-formats.ts for the header lines.
 *
 * Each message becomes one or more synthesized raw-IP frames (text-frames.ts) with the
 * header's addresses, ports, transport and time, and `fileOffset` -1 (the engine keeps
 * their bytes in memory), so dialogs, states and ladders come out as from a pcap. tcpdump
 * hex dumps give back the captured bytes exactly and are passed on as they are.
 *
 * Push-based and total, like CaptureReader: chunks of any size, one byte upward; input is
 * split into lines (decoded as latin1, one character per byte, so bytes survive); a block is
 * a header line and the lines up to the next header (or a format's end line). A block that
 * gives no message is counted in `unparsed` and reported as an issue naming its lines,
 * never dropped silently. Exceptions never leave `push`/`end`.
 *
 * Times: formats that print only a time of day are dated `baseDate` (default 1970-01-01:
 * the date is unknown, and a plausible but wrong date would mislead more than an obviously
 * absent one), moving to the next day when the time goes back by more than 12 hours; an
 * issue says so once. tcpdump prints local time; times are kept as printed.
 */
import type { Frame, ReadIssue } from '../pcap/types';
import type { CaptureSink } from '../pcap/reader';
import {
  DETECT_LINES,
  isBlockEnd,
  isDashLine,
  parseHexLine,
  parseTcpdumpAddressLine,
  parseTextHeader,
  type TextEndpoint,
  type TextFormat,
  type TextHeader,
  type TextTime,
} from './text-formats';
import { contentLengthOf, findSipStart, isSipStartLine, restoreMessage } from './text-message';
import { addressBytes, FrameSynthesizer, MAX_UDP_PAYLOAD, type SynthTransport } from './text-frames';
import { LINKTYPE } from '../pcap/types';

export interface TextReaderOptions {
  /**
   * Date for formats that print only a time of day, as seconds since the epoch of 00:00
   * UTC that day. Default 0 (1970-01-01).
   */
  baseDate?: number;
  /** Most issues reported one by one (later ones are counted, and summed up at the end). Default 50. */
  maxIssues?: number;
  /**
   * The input is text but its first lines hold no header of a supported format: the first
   * push ends it with a fatal "not a capture" issue rather than reading it all.
   */
  notRecognised?: boolean;
}

export interface TextReadCounters {
  /** Header lines seen. */
  blocks: number;
  /** SIP messages (or non-SIP payloads) handed on as frames. */
  messages: number;
  /** Blocks that gave nothing (garbled, no payload printed, no start line). */
  unparsed: number;
}

/** Largest block (header plus text) kept; larger ones are counted unparsed. */
const MAX_BLOCK_CHARS = 32 * 1024 * 1024;
/** A line longer than this is cut there (the rest starts a new line). */
const MAX_LINE_CHARS = 16 * 1024 * 1024;
/** How far into a tcpdump -A payload the SIP start line is looked for (past IP/TCP header junk). */
const JUNK_WITHIN = 200;
const TWELVE_HOURS = 12 * 3600;
const PLACEHOLDER_NET = '198.18.'; // RFC 2544 benchmarking range: never a real peer

/** The lines of one block while it is read. */
class Block {
  readonly lines: string[] = [];
  hex: number[] | undefined;
  hexProblem: string | undefined;
  size = 0;
  oversize = false;
  lastLine: number;
  awaitingAddresses: boolean;
  sawDash = false;
  /** The last line added was empty without even a CR: a separator, not part of a CRLF message. */
  lastWasBareBlank = false;
  // Content-Length guard: while a CRLF message's body is incomplete, lines are body even if
  // they look like header lines (so exact text round-trips whatever the body holds).
  private started = false;
  private crlf = false;
  private inHeaders = true;
  private cl: number | undefined;
  private bodyChars = 0;

  constructor(
    public header: TextHeader,
    readonly firstLine: number,
    readonly offset: number,
  ) {
    this.lastLine = firstLine;
    this.awaitingAddresses = header.addressesFollow;
  }

  add(line: string, lineNo: number): void {
    this.lastLine = lineNo;
    this.lastWasBareBlank = line === '';
    this.size += line.length + 1;
    if (this.size > MAX_BLOCK_CHARS) {
      this.oversize = true;
      this.lines.length = 0;
      this.hex = undefined;
      return;
    }
    if (this.header.format === 'tcpdump' && !this.started) {
      const hx = parseHexLine(line);
      if (hx !== undefined) {
        this.hex ??= [];
        if (hx.offset !== this.hex.length && this.hexProblem === undefined) {
          this.hexProblem = `line ${lineNo}: hex dump offset 0x${hx.offset.toString(16)} where 0x${this.hex.length.toString(16)} was expected`;
        }
        for (const b of hx.bytes) this.hex.push(b);
        return;
      }
    }
    if (this.hex !== undefined) return; // text after a hex dump (-X's own lines are all hex)
    this.lines.push(line);
    this.track(line);
  }

  private track(line: string): void {
    if (!this.started) {
      const t = line.trimStart();
      if (t === '' || t === '\r') return;
      this.started = true;
      this.crlf = line.endsWith('\r') && isSipStartLine(line);
      return;
    }
    if (!this.crlf) return;
    if (this.inHeaders) {
      if (line === '\r' || line === '') this.inHeaders = false;
      else this.cl ??= contentLengthOf(line);
      return;
    }
    this.bodyChars += line.length + 1;
  }

  get guardActive(): boolean {
    return this.crlf && !this.inHeaders && this.cl !== undefined && this.bodyChars < this.cl;
  }
}

export class TextCaptureReader {
  readonly counters: TextReadCounters = { blocks: 0, messages: 0, unparsed: 0 };
  private readonly synth = new FrameSynthesizer();
  private readonly baseDate: number;
  private readonly maxIssues: number;
  private partial = '';
  private lineNo = 0;
  private offset = 0;
  private _bytesRead = 0;
  private _format: TextFormat | undefined;
  private _failed = false;
  private ended = false;
  private block: Block | undefined;
  private issuesReported = 0;
  private issuesHeld = 0;
  // Clock for time-only formats.
  private dayOffset = 0;
  private lastTimeOfDay = -1;
  private lastSec = 0;
  private lastNsec = 0;
  // Once-only notices.
  private readonly noticed = new Set<string>();
  /** Local address of the logging phone system (Asterisk, FreeSWITCH), learnt from Via headers. */
  private local: TextEndpoint | undefined;
  /** A weaker guess at it, from a Request-URI or Contact, used until a Via tells. */
  private localGuess: TextEndpoint | undefined;
  private readonly hostNames = new Map<string, string>();
  private readonly notRecognised: boolean;

  constructor(
    private readonly sink: CaptureSink,
    options: TextReaderOptions = {},
  ) {
    this.baseDate = options.baseDate ?? 0;
    this.maxIssues = options.maxIssues ?? 50;
    this.notRecognised = options.notRecognised === true;
  }

  /** The format of the first header read. */
  get format(): TextFormat | undefined {
    return this._format;
  }

  get failed(): boolean {
    return this._failed;
  }

  get bytesRead(): number {
    return this._bytesRead;
  }

  push(chunk: Buffer): void {
    if (this.ended || this._failed || chunk.length === 0) return;
    this._bytesRead += chunk.length;
    if (this.notRecognised) {
      this._failed = true;
      this.sink.onIssue({
        fatal: true,
        offset: 0,
        message:
          `not a capture: not a pcap or pcapng capture, and no SIP text capture header in the first ${DETECT_LINES} lines ` +
          '(sipscope reads tcpdump -A/-X/-v output, Asterisk and FreeSWITCH SIP logs, and sipscope -T text)',
      });
      return;
    }
    try {
      let text = this.partial + chunk.toString('latin1');
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        this.line(text.slice(start, nl));
        start = nl + 1;
      }
      text = text.slice(start);
      while (text.length > MAX_LINE_CHARS) {
        this.line(text.slice(0, MAX_LINE_CHARS), false);
        text = text.slice(MAX_LINE_CHARS);
      }
      this.partial = text;
    } catch (err) {
      this.internal(err);
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    try {
      if (this.partial !== '') this.line(this.partial, false);
      this.partial = '';
      this.closeBlock(true);
      if (this.issuesHeld > 0) {
        this.report(this.offset, `${this.issuesHeld} more problem${this.issuesHeld === 1 ? '' : 's'} not listed (${this.counters.unparsed} blocks unparsed in all)`, true);
      }
      if (this.counters.blocks === 0 && !this._failed) {
        this._failed = true;
        this.sink.onIssue({ fatal: true, offset: 0, message: 'not a capture: not a pcap or pcapng capture, and no SIP text capture header found' });
      }
    } catch (err) {
      this.internal(err);
    }
  }

  private internal(err: unknown): void {
    // A bug here must not take the program down: report it and stop this input.
    this._failed = true;
    this.sink.onIssue({ fatal: true, offset: this.offset, message: `line ${this.lineNo}: text reader error: ${(err as Error).message}` });
  }

  private line(line: string, terminated = true): void {
    this.lineNo++;
    const at = this.offset;
    this.offset += line.length + (terminated ? 1 : 0);
    const b = this.block;
    if (b !== undefined) {
      // A header line right after a bare blank line (the export's separator) still starts a
      // new block: the message before it was shorter than its Content-Length said.
      if (b.guardActive && !(b.lastWasBareBlank && parseTextHeader(line) !== undefined)) {
        b.add(line, this.lineNo);
        return;
      }
      if (b.awaitingAddresses) {
        b.awaitingAddresses = false;
        const a = parseTcpdumpAddressLine(line);
        if (a !== undefined) {
          b.header = { ...b.header, ...a, addressesFollow: false };
          b.lastLine = this.lineNo;
          return;
        }
      }
    }
    const h = parseTextHeader(line);
    if (h !== undefined) {
      this.closeBlock(false);
      this._format ??= h.format;
      this.counters.blocks++;
      this.block = new Block(h, this.lineNo, at);
      return;
    }
    if (b === undefined) return; // text outside any message: other log lines
    if (isBlockEnd(b.header.format, line) || (b.header.format === 'tcpdump' && isTcpdumpOtherPacket(line))) {
      this.closeBlock(false);
      return;
    }
    if (b.header.format === 'freeswitch' && isDashLine(line)) {
      if (!b.sawDash && b.lines.every((l) => l.trim() === '')) {
        b.sawDash = true;
        b.lines.length = 0;
        return;
      }
      this.closeBlock(false);
      return;
    }
    b.add(line, this.lineNo);
  }

  private closeBlock(cut: boolean): void {
    const b = this.block;
    if (b === undefined) return;
    this.block = undefined;
    try {
      this.emit(b, cut);
    } catch (err) {
      this.unparsed(b, `text reader error: ${(err as Error).message}`);
    }
  }

  private unparsed(b: Block, reason: string): void {
    this.counters.unparsed++;
    const lines = b.lastLine > b.firstLine ? `lines ${b.firstLine}-${b.lastLine}` : `line ${b.firstLine}`;
    this.report(b.offset, `${lines}: ${reason}; block skipped`);
  }

  private report(offset: number, message: string, force = false): void {
    if (!force && this.issuesReported >= this.maxIssues) {
      this.issuesHeld++;
      return;
    }
    this.issuesReported++;
    const issue: ReadIssue = { fatal: false, offset, message };
    this.sink.onIssue(issue);
  }

  private notice(key: string, offset: number, message: string): void {
    if (this.noticed.has(key)) return;
    this.noticed.add(key);
    this.report(offset, message, true);
  }

  private emit(b: Block, cut: boolean): void {
    const h = b.header;
    if (b.oversize) return this.unparsed(b, `block larger than ${MAX_BLOCK_CHARS / (1024 * 1024)} MiB`);
    if (b.hex !== undefined) return this.emitHex(b);
    let text: string;
    let announced = h.length;
    if (h.format === 'tcpdump') {
      if (h.length === 0) return; // a packet without payload (TCP SYN, ACK, FIN): nothing to read
      let lines = b.lines;
      if (h.sipPrinted && lines.length > 0 && lines.every((l) => l.startsWith('\t') || l === '')) {
        lines = lines.map((l) => l.slice(1)); // -v: tcpdump's SIP printer indents by a tab
      }
      text = lines.join('\n');
      if (text.trim() === '') {
        return this.unparsed(b, 'tcpdump printed no payload for this packet (run tcpdump with -A or -X to include it)');
      }
      const start = findSipStart(text, JUNK_WITHIN);
      // The payload is the last `length` bytes of the packet; tcpdump's text lost only the CR
      // of each CRLF (and the IP/transport headers in front are junk we skip): put the CRs
      // back and take the tail. Exact when the payload used CRLF throughout, whatever it
      // holds (several messages of a TCP segment, part of one); checked by its first line.
      if (h.length !== undefined) {
        const restored = text.includes('\r') ? text : text.replace(/\n/g, '\r\n');
        for (const candidate of [restored, restored + '\r\n']) {
          if (candidate.length < h.length) continue;
          const payload = candidate.slice(candidate.length - h.length);
          if (start < 0 || isSipStartLine(firstLine(payload))) return this.deliver(b, Buffer.from(payload, 'latin1'));
        }
      }
      if (start < 0) {
        return this.unparsed(b, h.length === undefined ? 'no SIP start line and no payload length in the tcpdump line' : `fewer than the ${h.length} payload bytes the tcpdump line announces`);
      }
      text = text.slice(start);
    } else {
      let lines = b.lines;
      if (h.format === 'freeswitch' && lines.some((l) => l !== '') && lines.every((l) => l.trim() === '' || l.startsWith('   '))) {
        lines = lines.map((l) => l.slice(3)); // sofia-sip indents the message by three spaces
      }
      let first = 0;
      while (first < lines.length && (lines[first] as string).trim() === '') first++;
      const startLine = lines[first];
      if (startLine === undefined) return this.unparsed(b, 'no message after the header line');
      if (!isSipStartLine(startLine)) {
        return this.unparsed(b, `line ${b.firstLine + 1 + first} is no SIP request or status line: ${excerpt(startLine)}`);
      }
      text = lines.slice(first).join('\n');
      if (h.format === 'generic') announced = undefined;
    }
    const restored = restoreMessage(text, announced, cut);
    for (const n of restored.notes) this.report(b.offset, `line ${b.firstLine}: ${n}`);
    this.deliver(b, restored.bytes);
  }

  private emitHex(b: Block): void {
    const hex = b.hex ?? [];
    if (b.hexProblem !== undefined) return this.unparsed(b, b.hexProblem);
    const data = Buffer.from(hex);
    const linktype = hexLinkType(data);
    if (linktype === undefined) return this.unparsed(b, 'the hex dump starts with no IP, Ethernet, Linux cooked or loopback header');
    const t = this.time(b);
    this.counters.messages++;
    const f: Frame = { linktype, sec: t.sec, nsec: t.nsec, data, origLen: data.length, fileOffset: -1, ifIndex: 0 };
    this.sink.onFrame(f);
  }

  private deliver(b: Block, payload: Buffer): void {
    const h = b.header;
    let src: TextEndpoint | undefined = h.src;
    let dst: TextEndpoint | undefined = h.dst;
    if (h.remote !== undefined) {
      const local = this.localFor(payload, h, b.offset);
      if (h.direction === 'in') {
        src = h.remote;
        dst = local;
      } else {
        src = local;
        dst = h.remote;
      }
    }
    if (src === undefined || dst === undefined) return this.unparsed(b, 'the header names no addresses');
    let sa = this.address(src.host, b.offset);
    let da = this.address(dst.host, b.offset);
    if (sa.length !== da.length) {
      sa = mapToV6(sa);
      da = mapToV6(da);
    }
    let transport: SynthTransport;
    switch (h.transport) {
      case 'TLS':
        this.notice('tls', b.offset, `line ${b.firstLine}: TLS messages are read as TCP (the log holds them decrypted)`);
        transport = 'TCP';
        break;
      case 'WSS':
        this.notice('wss', b.offset, `line ${b.firstLine}: WSS messages are read as WS (the log holds them decrypted)`);
        transport = 'WS';
        break;
      default:
        transport = h.transport;
    }
    if (transport === 'UDP' && payload.length > MAX_UDP_PAYLOAD) {
      this.notice('big-udp', b.offset, `line ${b.firstLine}: a ${payload.length}-byte message cannot be one UDP datagram; such messages are read as TCP`);
      transport = 'TCP';
    }
    const t = this.time(b);
    const frames = this.synth.frames(transport, { addr: sa, port: src.port }, { addr: da, port: dst.port }, payload, t.sec, t.nsec);
    this.counters.messages++;
    for (const f of frames) this.sink.onFrame(f);
  }

  /** Capture time of a block: its own, or the previous one's when the format printed none. */
  private time(b: Block): { sec: number; nsec: number } {
    const t: TextTime | undefined = b.header.time;
    if (t === undefined) {
      this.notice('no-time', b.offset, `line ${b.firstLine}: the log prints no times; messages keep their order with the time of the message before (or 1970-01-01 00:00:00)`);
      return { sec: this.lastSec, nsec: this.lastNsec };
    }
    let sec: number;
    if (t.date) {
      sec = t.sec;
    } else {
      this.notice(
        'no-date',
        b.offset,
        `line ${b.firstLine}: the log prints times without a date; they are dated ${isoDate(this.baseDate)}` +
          (b.header.format === 'tcpdump' ? ' (run tcpdump with -tttt to print dates)' : ''),
      );
      if (this.lastTimeOfDay >= 0 && t.sec < this.lastTimeOfDay - TWELVE_HOURS) this.dayOffset += 86400;
      this.lastTimeOfDay = t.sec;
      sec = this.baseDate + this.dayOffset + t.sec;
    }
    this.lastSec = sec;
    this.lastNsec = t.nsec;
    return { sec, nsec: t.nsec };
  }

  /** Address bytes of a printed host: an IP literal, localhost, or a placeholder for a name. */
  private address(host: string, offset: number): Buffer {
    const direct = addressBytes(host);
    if (direct !== undefined) return direct;
    if (host === 'localhost') return Buffer.from([127, 0, 0, 1]);
    let ph = this.hostNames.get(host);
    if (ph === undefined) {
      const n = this.hostNames.size + 1;
      ph = `${PLACEHOLDER_NET}${Math.floor(n / 256) % 256}.${n % 256}`;
      this.hostNames.set(host, ph);
      this.report(offset, `host name ${host} has no address in the text (run tcpdump with -n); shown as ${ph}`);
    }
    return addressBytes(ph) ?? Buffer.alloc(4);
  }

  /**
   * The logging system's own address, which Asterisk and FreeSWITCH do not print: the top
   * Via of a request it sent or of a response it received is its own; failing that, the
   * Request-URI of a request it received or the Contact of a response it sent; failing
   * that, the last one learnt or guessed, or 0.0.0.0:5060.
   */
  private localFor(payload: Buffer, h: TextHeader, offset: number): TextEndpoint {
    const text = payload.toString('latin1', 0, Math.min(payload.length, 16 * 1024));
    const isRequest = !text.startsWith('SIP/2.0 ');
    const ours = (h.direction === 'out') === isRequest;
    if (ours) {
      const via = /^(?:Via|v)[ \t]*:[ \t]*SIP\/2\.0\/[A-Za-z]+[ \t]+(\[[^\]]+\]|[^;:,\s]+)(?::(\d{1,5}))?/im.exec(text);
      const ep = via === null ? undefined : literalEndpoint(via[1], via[2], h.transport);
      if (ep !== undefined) {
        this.local = ep;
        return ep;
      }
    }
    if (this.local !== undefined) return this.local;
    const uri = isRequest
      ? /^[A-Za-z]+ sips?:(?:[^@\s]*@)?(\[[^\]]+\]|[^;:>\s]+)(?::(\d{1,5}))?/.exec(text)
      : /^(?:Contact|m)[ \t]*:[^\n]*?sips?:(?:[^@\s>]*@)?(\[[^\]]+\]|[^;:>\s]+)(?::(\d{1,5}))?/im.exec(text);
    const guess = uri === null ? undefined : literalEndpoint(uri[1], uri[2], h.transport);
    if (guess !== undefined) {
      this.localGuess = guess;
      return guess;
    }
    if (this.localGuess !== undefined) return this.localGuess;
    const v6 = h.remote !== undefined && h.remote.host.includes(':');
    this.notice('no-local', offset, `the log does not show the local address; messages until one is found in a Via header use ${v6 ? '[::]' : '0.0.0.0'}:5060`);
    return { host: v6 ? '::' : '0.0.0.0', port: 5060 };
  }
}

function literalEndpoint(host: string | undefined, port: string | undefined, transport: string): TextEndpoint | undefined {
  if (host === undefined) return undefined;
  const h = host.startsWith('[') ? host.slice(1, -1) : host;
  if (addressBytes(h) === undefined) return undefined;
  const p = port === undefined ? (transport === 'TLS' || transport === 'WSS' ? 5061 : 5060) : Number(port);
  if (p > 65535) return undefined;
  return { host: h, port: p };
}

function mapToV6(a: Buffer): Buffer {
  if (a.length === 16) return a;
  const out = Buffer.alloc(16);
  out[10] = 0xff;
  out[11] = 0xff;
  a.copy(out, 12);
  return out;
}

/** tcpdump's line for a packet that is not IP (ARP, LLDP...): ends the block before it. */
function isTcpdumpOtherPacket(line: string): boolean {
  return /^(?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d\.\d{6,9} \S|^\d{9,11}\.\d{6,9} \S/.test(line);
}

/** The link type of a tcpdump hex dump: -x/-X start at the IP header, -xx/-XX at the link header. */
function hexLinkType(d: Buffer): number | undefined {
  if (d.length >= 20) {
    const v = (d[0] as number) >> 4;
    if (v === 4) {
      const ihl = ((d[0] as number) & 0x0f) * 4;
      const total = d.readUInt16BE(2);
      if (ihl >= 20 && total >= ihl && total + 46 >= d.length) return LINKTYPE.RAW;
    } else if (v === 6 && d.length >= 40 && d.readUInt16BE(4) + 40 >= d.length) {
      return LINKTYPE.RAW;
    }
  }
  const isIpType = (t: number): boolean => t === 0x0800 || t === 0x86dd || t === 0x8100 || t === 0x88a8;
  if (d.length >= 14 && isIpType(d.readUInt16BE(12))) return LINKTYPE.ETHERNET;
  if (d.length >= 20 && (d.readUInt16BE(0) === 0x0800 || d.readUInt16BE(0) === 0x86dd) && d.readUInt16BE(2) === 0) return LINKTYPE.LINUX_SLL2;
  if (d.length >= 16 && d.readUInt16BE(0) <= 4 && isIpType(d.readUInt16BE(14))) return LINKTYPE.LINUX_SLL;
  if (d.length >= 4) {
    const le = d.readUInt32LE(0);
    const be = d.readUInt32BE(0);
    if ([2, 24, 28, 30].includes(le) || [2, 24, 28, 30].includes(be)) return LINKTYPE.NULL;
  }
  return undefined;
}

function firstLine(s: string): string {
  const nl = s.indexOf('\n');
  return nl < 0 ? s : s.slice(0, nl);
}

function excerpt(s: string): string {
  const t = s.length > 60 ? s.slice(0, 60) + '...' : s;
  // eslint-disable-next-line no-control-regex
  return JSON.stringify(t.replace(/[\x00-\x1f\x7f-\xff]/g, '.'));
}

function isoDate(sec: number): string {
  return new Date(sec * 1000).toISOString().slice(0, 10);
}
