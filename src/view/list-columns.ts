import type { Dialog } from '../store/dialog';
import { MSG_RETRANS, type ByteLocation, type DialogStore } from '../store/store';
import { headerValues, parseHeaders } from '../sip/headers';
import { safeText } from './dialog-report';
import { formatClockSeconds, formatDateTime, formatDuration, type UtcOffset } from './clock';

/**
 * The dialog list's column table: every column the list can show (sngrep's names in the
 * comments), how wide it wants to be, how its cell is computed and how it sorts. Columns
 * named `hdr:NAME` show any SIP header: its value in the dialog's first message carrying it.
 */

/** What a cell may read besides the dialog. */
export interface CellSource {
  store: DialogStore;
  offset: UtcOffset;
  /** Labels of the dialog's findings (given only for rows on screen: analysis reads bytes). */
  findings?: readonly string[];
  /** Value of a header in the dialog's first message carrying it ('' when none or unreadable). */
  header?: (d: Dialog, name: string) => string;
  /** Name shown for an "ip:port" endpoint (config aliases); the endpoint itself when none. */
  alias?: (endpoint: string) => string;
}

export interface ListColumn {
  id: string;
  title: string;
  /** Narrowest useful width. */
  min: number;
  /** Width wanted when there is room. */
  pref: number;
  /** Share of spare width this column takes (0: fixed). */
  flex: number;
  /** Dropped first when the terminal is too narrow: higher drops earlier. */
  drop: number;
  align?: 'right';
  /** One-line description for the columns window. */
  about: string;
  /** The cell text (before escaping). */
  value: (d: Dialog, src: CellSource) => string;
  /** Sort key when the text does not sort right (numbers, times). */
  sortKey?: (d: Dialog, src: CellSource) => number;
  /** False for a column computed only for the rows on screen (findings): not offered for sorting. */
  sortable?: boolean;
  /** True when a dialog's value never changes once the dialog exists (new messages leave it). */
  stable?: boolean;
}

const firstTime = (d: Dialog, s: CellSource): number => (d.msgs[0] === undefined ? 0 : s.store.msgTime(d.msgs[0]));
const lastTime = (d: Dialog, s: CellSource): number => {
  const last = d.msgs[d.msgs.length - 1];
  return last === undefined ? 0 : s.store.msgTime(last);
};
/** Seconds from the first to the last message. */
const totalSeconds = (d: Dialog, s: CellSource): number => lastTime(d, s) - firstTime(d, s);
/** Seconds in call: from the ACK that connected it to the BYE (or the last message); -1 when never connected. */
const conversationSeconds = (d: Dialog, s: CellSource): number => {
  if (d.connectMsg < 0) return -1;
  const end = d.endMsg >= 0 ? s.store.msgTime(d.endMsg) : lastTime(d, s);
  return end - s.store.msgTime(d.connectMsg);
};
const endpoint = (e: string, s: CellSource): string => (s.alias === undefined ? e : s.alias(e));

/** Every built-in column, in the order the columns window lists them. */
export const COLUMN_CATALOG: readonly ListColumn[] = [
  // index
  { id: 'index', stable: true, title: 'Idx', min: 4, pref: 6, flex: 0, drop: 0, align: 'right', about: 'dialog number', value: (d) => String(d.index), sortKey: (d) => d.index },
  // method
  { id: 'method', stable: true, title: 'Method', min: 8, pref: 9, flex: 0, drop: 1, about: 'method of the first request', value: (d) => d.method },
  // sipfromuser
  { id: 'from', stable: true, title: 'From', min: 12, pref: 16, flex: 2, drop: 0, about: 'From user (or URI)', value: (d) => d.from.user || d.from.uri },
  // siptouser
  { id: 'to', stable: true, title: 'To', min: 12, pref: 16, flex: 2, drop: 0, about: 'To user (or URI)', value: (d) => d.to.user || d.to.uri },
  // sipfrom
  { id: 'fromuri', stable: true, title: 'From URI', min: 14, pref: 24, flex: 2, drop: 4, about: 'From URI', value: (d) => d.from.uri },
  // sipto
  { id: 'touri', stable: true, title: 'To URI', min: 14, pref: 24, flex: 2, drop: 4, about: 'To URI', value: (d) => d.to.uri },
  { id: 'fromname', stable: true, title: 'From name', min: 10, pref: 16, flex: 1, drop: 4, about: 'From display name', value: (d) => d.from.display },
  { id: 'toname', stable: true, title: 'To name', min: 10, pref: 16, flex: 1, drop: 4, about: 'To display name', value: (d) => d.to.display },
  // msgcnt
  { id: 'msgs', title: 'Msgs', min: 4, pref: 4, flex: 0, drop: 2, align: 'right', about: 'messages', value: (d) => String(d.msgs.length), sortKey: (d) => d.msgs.length },
  // src, dst
  { id: 'src', stable: true, title: 'Source', min: 14, pref: 21, flex: 1, drop: 4, about: 'source of the first message', value: (d, s) => endpoint(d.src, s) },
  { id: 'dst', stable: true, title: 'Destination', min: 14, pref: 21, flex: 1, drop: 4, about: 'destination of the first message', value: (d, s) => endpoint(d.dst, s) },
  // state
  { id: 'state', title: 'State', min: 10, pref: 10, flex: 0, drop: 0, about: 'call state (INVITE dialogs)', value: (d) => (d.isInvite ? d.state : '') },
  { id: 'findings', title: 'Findings', min: 10, pref: 16, flex: 1, drop: 3, about: 'problems found', sortable: false, value: (_d, s) => (s.findings === undefined ? '' : [...new Set(s.findings)].join(',')) },
  // time
  { id: 'start', stable: true, title: 'Start', min: 8, pref: 8, flex: 0, drop: 3, about: 'time of the first message', value: (d, s) => (d.msgs[0] === undefined ? '' : formatClockSeconds(s.store.msgSec(d.msgs[0]), s.offset)), sortKey: firstTime },
  // date
  { id: 'date', stable: true, title: 'Date', min: 10, pref: 10, flex: 0, drop: 3, about: 'date of the first message', value: (d, s) => (d.msgs[0] === undefined ? '' : formatDateTime(s.store.msgSec(d.msgs[0]), 0, s.offset).slice(0, 10)), sortKey: firstTime },
  // totaldur
  { id: 'duration', title: 'Dur', min: 6, pref: 6, flex: 0, drop: 3, align: 'right', about: 'first to last message', value: (d, s) => formatDuration(totalSeconds(d, s)), sortKey: totalSeconds },
  // convdur
  { id: 'convdur', title: 'Conv', min: 6, pref: 6, flex: 0, drop: 3, align: 'right', about: 'in call: ACK to BYE', value: (d, s) => { const c = conversationSeconds(d, s); return c < 0 ? '' : formatDuration(c); }, sortKey: conversationSeconds },
  // transport
  { id: 'transport', stable: true, title: 'Proto', min: 5, pref: 5, flex: 0, drop: 5, about: 'transport', value: (d) => d.transport },
  // callid
  { id: 'callid', stable: true, title: 'Call-ID', min: 12, pref: 24, flex: 3, drop: 6, about: 'Call-ID', value: (d) => d.callId },
  // reason
  { id: 'reason', title: 'Reason', min: 10, pref: 20, flex: 2, drop: 5, about: 'Reason, Warning or final status', value: (d) => (d.reason !== '' ? d.reason : d.warning !== '' ? d.warning : d.finalStatus > 0 ? `${d.finalStatus} ${d.finalPhrase}` : '') },
  // warning
  { id: 'warning', title: 'Warning', min: 10, pref: 20, flex: 2, drop: 5, about: 'last Warning header', value: (d) => d.warning },
  { id: 'status', title: 'Final', min: 5, pref: 5, flex: 0, drop: 4, align: 'right', about: 'final response status', value: (d) => (d.finalStatus > 0 ? String(d.finalStatus) : ''), sortKey: (d) => d.finalStatus },
  // xcallid
  { id: 'xcallid', title: 'X-Call-ID', min: 12, pref: 24, flex: 2, drop: 6, about: 'X-Call-ID header', value: (d) => d.xCallId },
  { id: 'useragent', title: 'User-Agent', min: 12, pref: 24, flex: 2, drop: 5, about: 'User-Agent of the first message carrying one', value: (d) => d.userAgent },
];

/** The list's columns when no config says otherwise (the order sipscope always had). */
export const DEFAULT_COLUMN_IDS: readonly string[] = [
  'index', 'method', 'from', 'to', 'msgs', 'src', 'dst', 'state', 'findings', 'start', 'duration', 'transport', 'callid', 'reason',
];

const HEADER_PREFIX = 'hdr:';
/** A SIP header name (RFC 3261 §25.1 token). */
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/** The column id of a header column: `hdr:User-Agent`. */
export function headerColumnId(name: string): string {
  return HEADER_PREFIX + name;
}

/** A column showing any header by name, from the dialog's first message carrying it. */
export function headerColumn(name: string): ListColumn {
  const lower = name.toLowerCase();
  return {
    id: headerColumnId(name),
    title: name,
    min: Math.min(12, Math.max(6, name.length)),
    pref: Math.max(16, Math.min(30, name.length + 4)),
    flex: 2,
    // Asked for by name: kept before most built-in columns when the terminal is narrow.
    drop: 2,
    about: `${name} header`,
    // User-Agent and X-Call-ID are kept by the store; others are read from the message bytes.
    value: (d, s) => (lower === 'user-agent' ? d.userAgent : lower === 'x-call-id' ? d.xCallId : (s.header?.(d, name) ?? '')),
  };
}

/**
 * The column of an id (`from`, `hdr:Diversion`), with an optional fixed width; an error
 * message for an unknown id or a width out of range.
 */
export function columnById(id: string, width?: number): ListColumn | string {
  let column: ListColumn | undefined;
  if (id.toLowerCase().startsWith(HEADER_PREFIX)) {
    const name = id.slice(HEADER_PREFIX.length);
    if (!TOKEN.test(name)) return `'${name}' is not a header name`;
    column = headerColumn(name);
  } else {
    column = COLUMN_CATALOG.find((c) => c.id === id.toLowerCase());
  }
  if (column === undefined) return `unknown column '${id}' (columns: ${COLUMN_CATALOG.map((c) => c.id).join(' ')}, or hdr:NAME for any header)`;
  if (width === undefined) return column;
  if (!Number.isInteger(width) || width < 1 || width > 200) return `column width must be 1 to 200, not ${width}`;
  // A fixed width: the column takes exactly that, never more.
  return { ...column, min: Math.min(column.min, width), pref: width, flex: 0 };
}

/** The default columns as column objects. */
export function defaultColumns(): ListColumn[] {
  return DEFAULT_COLUMN_IDS.map((id) => columnById(id) as ListColumn);
}

/**
 * A dialog's cells for some columns, escaped for the terminal. Text is composed (NFC), so
 * `e` + combining acute becomes one `é`: terminals and neo-blessed agree on its width.
 */
export function columnCells(columns: readonly ListColumn[], d: Dialog, src: CellSource): string[] {
  return columns.map((c) => safeText(c.value(d, src)).normalize('NFC'));
}

/**
 * Value of a header in the first of the dialog's messages carrying it ('' when none carries
 * it or the bytes cannot be read back). Retransmissions repeat an earlier message: skipped.
 */
export function firstHeaderValue(store: DialogStore, d: Dialog, read: (loc: ByteLocation) => Buffer | undefined, name: string): string {
  for (const row of d.msgs) {
    if ((store.msgFlags(row) & MSG_RETRANS) !== 0) continue;
    const buf = read(store.msgBytes(row));
    if (buf === undefined) continue;
    const value = headerValues(parseHeaders(buf).headers, name)[0];
    if (value !== undefined) return value;
  }
  return '';
}
