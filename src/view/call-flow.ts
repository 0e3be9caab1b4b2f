import type { Dialog } from '../store/dialog';
import { MSG_RETRANS, MSG_SDP, type ByteLocation, type DialogStore } from '../store/store';
import { headerValues, parseHeaders } from '../sip/headers';
import { parseSdp, sdpText } from '../sip/sdp';
import { safeText } from './dialog-report';
import { fit, formatClock, type UtcOffset } from './clock';
import type { RtpStream } from '../rtp/rtp-stream';
import { endpointIp } from '../analysis/dialog-messages';
import { staticPayloadName } from '../rtp/payload-types';

/**
 * The call flow (ladder) of a dialog as text: one column per address:port in order of
 * appearance, one line per message with an arrow between the sender's and the receiver's
 * columns, the capture time and the delta from the previous message on the left, and notes
 * (SDP codec and media address) on the right.
 */

export interface FlowMessage {
  /** Message row in the store (for the UI to open its raw text); -1 in crafted tests. */
  row: number;
  sec: number;
  nsec: number;
  src: string;
  dst: string;
  /** Method of a request, or `code phrase` of a response. */
  label: string;
  retrans: boolean;
  /** SDP summary when the message carries SDP and its bytes could be read. */
  sdp?: { codec: string; media: string };
  /** True when the message has SDP (even if the bytes could not be read back). */
  hasSdp: boolean;
  /** Shorter label used when `label` does not fit between the columns... */
  shortLabel?: string;
  /** ...and what it leaves out, then shown on the right before the note. */
  shortLabelRest?: string;
  /** Text on the right instead of the SDP notes. */
  note?: string;
  /** The RTP stream this line stands for (row is then -1). */
  stream?: RtpStream;
}

export interface FlowOptions {
  ascii: boolean;
  offset: UtcOffset;
  /** Name shown for an endpoint (config aliases); endpoints with the same name share a column. */
  alias?: (endpoint: string) => string;
}

export interface CallFlow {
  /** Endpoints, one per column, in order of appearance. */
  columns: string[];
  /** Column header line (addresses centred over their column). */
  header: string;
  /** One line per message, in message order. */
  lines: string[];
}

interface Glyphs {
  line: string;
  column: string;
  right: string;
  left: string;
  self: string;
}

const UTF8: Glyphs = { line: '─', column: '│', right: '>', left: '<', self: '├─' };
const ASCII: Glyphs = { line: '-', column: '|', right: '>', left: '<', self: '+-' };

/** Width of the time and delta margin: `HH:MM:SS.uuuuuu +0.500000 `. */
export const FLOW_MARGIN = 27;
const MIN_COLUMN = 20;
/** Appended to the label of a retransmitted message. */
const RETRANS = ' (retrans)';
const MAX_COLUMN = 40;

/** `+0.500000`, at most 10 cells. */
export function formatDelta(seconds: number): string {
  const d = Math.max(0, seconds);
  return d < 100 ? `+${d.toFixed(6)}` : d < 100000 ? `+${d.toFixed(3)}` : `+${Math.round(d)}`;
}

/**
 * An endpoint cut to `width` cells for a column header. A long IPv6 `[addr]:port` keeps its
 * port and both ends of the address (`[2001:db8:85a3…7334]:5060`) rather than losing the
 * port; anything else is cut at the end with `~`.
 */
export function shortenEndpoint(endpoint: string, width: number, ellipsis = '…'): string {
  const chars = [...endpoint];
  if (chars.length <= width) return endpoint;
  const m = /^\[([^\]]+)\](:\d+)?$/.exec(endpoint);
  if (m !== null) {
    const addr = [...(m[1] ?? '')];
    const port = m[2] ?? '';
    const room = width - 3 - port.length; // brackets and the ellipsis
    if (room >= 6) {
      const head = Math.ceil(room / 2);
      return `[${addr.slice(0, head).join('')}${ellipsis}${addr.slice(addr.length - (room - head)).join('')}]${port}`;
    }
  }
  return fit(endpoint, width).trimEnd();
}

/** Endpoints in order of first appearance (source before destination). */
export function flowColumns(msgs: readonly FlowMessage[], alias: (endpoint: string) => string = (e) => e): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const m of msgs) {
    for (const e of [alias(m.src), alias(m.dst)]) {
      if (!seen.has(e)) {
        seen.add(e);
        out.push(e);
      }
    }
  }
  return out;
}

function notes(m: FlowMessage): string {
  if (m.note !== undefined) return m.note;
  if (!m.hasSdp) return '';
  if (m.sdp === undefined) return '(SDP)';
  return `(SDP) ${m.sdp.codec} ${m.sdp.media}`.trimEnd();
}

/** Lays out the ladder. Pure: crafted messages in, text lines out. */
export function layoutCallFlow(msgs: readonly FlowMessage[], options: FlowOptions): CallFlow {
  const g = options.ascii ? ASCII : UTF8;
  const alias = options.alias ?? ((e: string) => e);
  const columns = flowColumns(msgs, alias);
  const index = new Map(columns.map((c, i) => [c, i]));
  const longestAddr = columns.reduce((n, c) => Math.max(n, [...c].length), 0);
  let longestLabel = 0;
  for (const m of msgs) {
    const a = index.get(alias(m.src)) ?? 0;
    const b = index.get(alias(m.dst)) ?? 0;
    const label = m.shortLabel ?? m.label;
    if (Math.abs(a - b) === 1) longestLabel = Math.max(longestLabel, [...label].length + (m.retrans ? RETRANS.length : 0));
  }
  const cw = Math.min(MAX_COLUMN, Math.max(MIN_COLUMN, longestAddr + 2, longestLabel + 6));
  const centre = (i: number): number => FLOW_MARGIN + i * cw;
  const width = FLOW_MARGIN + Math.max(0, columns.length - 1) * cw + 1;

  // Addresses centred over their column (the first may reach into the margin).
  const headerCells = Array.from({ length: width + cw }, () => ' ');
  columns.forEach((c, i) => {
    const text = [...shortenEndpoint(safeText(c), cw - 1, options.ascii ? '~' : '…')];
    const start = Math.max(0, centre(i) - Math.floor(text.length / 2));
    text.forEach((ch, k) => (headerCells[start + k] = ch));
  });

  const lines: string[] = [];
  let prev: FlowMessage | undefined;
  for (const m of msgs) {
    const cells = Array.from({ length: width }, () => ' ');
    const time = formatClock(m.sec, m.nsec, options.offset);
    const delta = prev === undefined ? '' : formatDelta(m.sec - prev.sec + (m.nsec - prev.nsec) / 1e9);
    const margin = `${time} ${delta.padEnd(10)} `;
    [...margin].forEach((ch, k) => (cells[k] = ch));
    for (let i = 0; i < columns.length; i++) cells[centre(i)] = g.column;
    const a = index.get(alias(m.src)) ?? 0;
    const b = index.get(alias(m.dst)) ?? 0;
    const label = safeText(m.label) + (m.retrans ? RETRANS : '');
    let arrow: string;
    let from: number;
    let shortened = false;
    if (a === b) {
      // A message to itself: a stub from its column with the label beside it.
      from = centre(a);
      arrow = g.self + ' ' + fit(label, cw - 4).trimEnd();
    } else {
      const lo = Math.min(centre(a), centre(b));
      const hi = Math.max(centre(a), centre(b));
      const span = hi - lo - 1;
      const room = Math.max(0, span - 5);
      const short = m.shortLabel === undefined ? label : safeText(m.shortLabel);
      const text = [...label].length <= room ? label : [...short].length <= room ? short : fit(short, room);
      shortened = text !== label;
      const free = span - 1 - [...text].length;
      const left = Math.floor(free / 2);
      const right = free - left;
      arrow =
        a < b
          ? g.line.repeat(left) + text + g.line.repeat(right) + g.right
          : g.left + g.line.repeat(left) + text + g.line.repeat(right);
      from = lo + 1;
    }
    // A message to itself may reach past the last column (endpoints merged by an alias).
    [...arrow].forEach((ch, k) => {
      if (from + k < width || a === b) cells[from + k] = ch;
    });
    const rest = shortened && m.shortLabelRest !== undefined ? m.shortLabelRest : '';
    const note = [rest, notes(m)].filter((x) => x !== '').join(' ');
    lines.push((cells.join('') + (note === '' ? '' : ' ' + safeText(note))).trimEnd());
    prev = m;
  }
  return { columns, header: headerCells.join('').trimEnd(), lines };
}

/** The codec and media address of an SDP body: first rtpmap of the first m= line. */
export function sdpSummary(text: string): { codec: string; media: string } | undefined {
  const sdp = parseSdp(text);
  const m = sdp.media[0];
  if (m === undefined) return undefined;
  const first = m.rtpmap.values().next();
  const encoding = first.done === true ? staticPayloadName(m.formats[0] ?? '') ?? m.formats[0] ?? '' : first.value;
  const codec = encoding.split('/')[0] ?? '';
  const host = m.connection.includes(':') ? `[${m.connection}]` : m.connection;
  return { codec, media: host === '' ? `:${m.port}` : `${host}:${m.port}` };
}

/**
 * The flow messages of a dialog from the store; `read` gives a message's bytes (for the
 * reason phrase and the SDP), or undefined when they cannot be had.
 */
export function flowMessages(store: DialogStore, d: Dialog, read: (loc: ByteLocation) => Buffer | undefined): FlowMessage[] {
  return d.msgs.map((row) => {
    const flags = store.msgFlags(row);
    const hasSdp = (flags & MSG_SDP) !== 0;
    const status = store.msgStatus(row);
    let label = store.msgIsRequest(row) ? store.msgMethod(row) : String(status);
    let sdp: { codec: string; media: string } | undefined;
    const needBytes = !store.msgIsRequest(row) || hasSdp;
    const bytes = needBytes ? read(store.msgBytes(row)) : undefined;
    if (bytes !== undefined) {
      const parsed = parseHeaders(bytes);
      if (!store.msgIsRequest(row)) {
        const m = /^SIP\/\d\.\d\s+\d{3}\s*(.*)$/i.exec(parsed.startLine);
        const phrase = m?.[1]?.trim() ?? '';
        if (phrase !== '') label = `${status} ${phrase}`;
      }
      if (hasSdp) {
        const ct = headerValues(parsed.headers, 'Content-Type')[0] ?? '';
        const text = sdpText(ct, bytes.subarray(parsed.bodyOffset));
        if (text !== null) sdp = sdpSummary(text);
      }
    }
    const msg: FlowMessage = {
      row,
      sec: store.msgSec(row),
      nsec: store.msgNsec(row),
      src: store.msgSrc(row),
      dst: store.msgDst(row),
      label,
      retrans: (flags & MSG_RETRANS) !== 0,
      hasSdp,
    };
    if (sdp !== undefined) msg.sdp = sdp;
    return msg;
  });
}

// ---- RTP streams as arrows ----

/** `RTP PCMA 101 pkts loss 0% jitter 0.5 ms` (jitter: the highest, RFC 3550 §6.4.1). */
export function rtpLabel(s: RtpStream): { label: string; short: string; rest: string } {
  const codec = s.codec !== '' ? s.codec : `PT${s.payloadType}`;
  const loss = s.lossPercent === 0 ? '0' : s.lossPercent < 10 ? s.lossPercent.toFixed(1) : String(Math.round(s.lossPercent));
  const jitter = s.clockRate > 0 ? ` jitter ${s.maxJitterMs.toFixed(1)} ms` : '';
  return { label: `RTP ${codec} ${s.packets} pkts loss ${loss}%${jitter}`, short: `RTP ${codec} ${s.packets}`, rest: `loss ${loss}%${jitter}` };
}

/** The stream's figures, one per line, for the preview beside the ladder. */
export function rtpStreamLines(s: RtpStream, offset: UtcOffset): string[] {
  return [
    `RTP stream ${s.src} -> ${s.dst}`,
    `SSRC 0x${s.ssrc.toString(16).toUpperCase().padStart(8, '0')}, payload type ${s.payloadType}${s.codec !== '' ? ` (${s.codec}${s.clockRate > 0 ? `/${s.clockRate}` : ''})` : ''}`,
    `first packet ${formatClock(s.firstSec, s.firstNsec, offset)}, last ${formatClock(s.lastSec, s.lastNsec, offset)} (${s.duration.toFixed(3)} s)`,
    `packets ${s.packets}, expected ${s.expected}, lost ${s.lost} (${s.lossPercent.toFixed(2)}%)`,
    `sequence errors ${s.sequenceErrors} (late or duplicate ${s.late})${s.otherPayload > 0 ? `, other payload types ${s.otherPayload}` : ''}`,
    s.clockRate > 0
      ? `jitter max ${s.maxJitterMs.toFixed(3)} ms, mean ${s.meanJitterMs.toFixed(3)} ms`
      : 'jitter not computed: clock rate of the payload type unknown',
  ];
}

/**
 * The ladder's messages with one line per RTP stream added at the time of its first packet.
 * A stream is drawn between the columns of the SIP endpoints whose SDP announced its media
 * addresses (as sngrep does); failing that, the column of a SIP endpoint with the same IP;
 * failing that (or when both ends fall in one column), columns of the media addresses.
 */
export function withRtpStreams(msgs: readonly FlowMessage[], streams: readonly RtpStream[]): FlowMessage[] {
  if (streams.length === 0) return [...msgs];
  const announcedBy = new Map<string, string>();
  for (const m of msgs) if (m.sdp !== undefined && !announcedBy.has(m.sdp.media)) announcedBy.set(m.sdp.media, m.src);
  const columns = flowColumns(msgs);
  const byIp = (ip: string): string | undefined => columns.find((c) => endpointIp(c) === ip);
  const out: FlowMessage[] = [...msgs];
  for (const s of streams) {
    let src = announcedBy.get(s.src) ?? byIp(s.srcIp);
    let dst = announcedBy.get(s.dst) ?? byIp(s.dstIp);
    if (src === undefined || dst === undefined || src === dst) {
      src = s.src;
      dst = s.dst;
    }
    const { label, short, rest } = rtpLabel(s);
    out.push({
      row: -1,
      sec: s.firstSec,
      nsec: s.firstNsec,
      src,
      dst,
      label,
      shortLabel: short,
      shortLabelRest: rest,
      note: src === s.src && dst === s.dst ? '' : `${s.src} > ${s.dst}`,
      retrans: false,
      hasSdp: false,
      stream: s,
    });
  }
  // Stable: SIP messages keep their order; a stream goes after the messages of its instant.
  return out
    .map((m, i) => ({ m, i }))
    .sort((x, y) => x.m.sec - y.m.sec || x.m.nsec - y.m.nsec || x.i - y.i)
    .map((x) => x.m);
}
