import type { Dialog } from '../store/dialog';
import type { DialogStore } from '../store/store';
import type { RtpStream } from '../rtp/rtp-stream';

/** One RTP stream of a dialog in the headless JSON (RFC 3550 statistics). */
export interface RtpRecord {
  /** "ip:port" of the sender and the receiver. */
  src: string;
  dst: string;
  /** SSRC as 8 hex digits, `0x` first (as tshark shows it). */
  ssrc: string;
  payloadType: number;
  /** Encoding name from the SDP rtpmap or the static table, '' when unknown. */
  codec: string;
  /** RTP clock rate (Hz) the jitter is computed with; 0 when unknown (jitter then 0). */
  clockRate: number;
  packets: number;
  /** From the sequence numbers (wraps and restarts followed). */
  expected: number;
  lost: number;
  /** lost / expected * 100, two decimals. */
  lossPercent: number;
  /** Packets out of sequence: gaps, late (reordered) and duplicates. */
  sequenceErrors: number;
  /** Interarrival jitter (RFC 3550 §6.4.1) in ms: highest and mean, three decimals. */
  maxJitterMs: number;
  meanJitterMs: number;
  /** First and last packet, ISO 8601 UTC with microseconds; duration in seconds. */
  start: string;
  end: string;
  duration: number;
}

/** A finding of a dialog as the headless JSON prints it (see analysis/findings.ts). */
export interface FindingRecord {
  label: string;
  severity: string;
  text: string;
}

/** One dialog as the headless JSON contract prints it (one object per line). */
export interface DialogRecord {
  index: number;
  callId: string;
  method: string;
  /** sngrep's call state for INVITE dialogs, null for others. */
  state: string | null;
  fromUser: string;
  fromUri: string;
  fromName: string;
  toUser: string;
  toUri: string;
  toName: string;
  src: string;
  dst: string;
  transport: string;
  messages: number;
  retransmissions: number;
  /** First and last message times, ISO 8601 UTC with microseconds. */
  start: string;
  end: string;
  /** Seconds from first to last message. */
  duration: number;
  /** Seconds from the ACK that started the call to the BYE (or the last message), null when never in call. */
  talkTime: number | null;
  /** Latest final response to the dialog's initial method, null while none. */
  finalStatus: number | null;
  /** Why it ended, in words: Reason header, else Warning, else the final response's phrase. */
  reason: string;
  warning: string;
  xCallId: string;
  userAgent: string;
  /** RTP streams tied to the dialog through its SDP, in order of their first packet. */
  rtp: RtpRecord[];
  /** RTCP packets to or from the dialog's SDP media endpoints. */
  rtcpPackets: number;
  /** The dialog's findings, when asked for (--findings). */
  findings?: FindingRecord[];
}

export function rtpRecord(s: RtpStream): RtpRecord {
  return {
    src: s.src,
    dst: s.dst,
    ssrc: '0x' + s.ssrc.toString(16).toUpperCase().padStart(8, '0'),
    payloadType: s.payloadType,
    codec: s.codec,
    clockRate: s.clockRate,
    packets: s.packets,
    expected: s.expected,
    lost: s.lost,
    lossPercent: Math.round(s.lossPercent * 100) / 100,
    sequenceErrors: s.sequenceErrors,
    maxJitterMs: Math.round(s.maxJitterMs * 1000) / 1000,
    meanJitterMs: Math.round(s.meanJitterMs * 1000) / 1000,
    start: isoTime(s.firstSec, s.firstNsec),
    end: isoTime(s.lastSec, s.lastNsec),
    duration: round6(s.duration),
  };
}

/** The record of a dialog; `findings` are added when given. */
export function dialogRecord(store: DialogStore, d: Dialog, findings?: readonly FindingRecord[]): DialogRecord {
  const first = d.msgs[0] ?? -1;
  const last = d.msgs[d.msgs.length - 1] ?? -1;
  const t0 = first >= 0 ? store.msgTime(first) : 0;
  const t1 = last >= 0 ? store.msgTime(last) : 0;
  let talkTime: number | null = null;
  if (d.connectMsg >= 0) {
    const endRow = d.endMsg >= 0 ? d.endMsg : last;
    talkTime = round6(store.msgTime(endRow) - store.msgTime(d.connectMsg));
  }
  return {
    index: d.index,
    callId: d.callId,
    method: d.method,
    state: d.isInvite ? d.state : null,
    fromUser: d.from.user,
    fromUri: d.from.uri,
    fromName: d.from.display,
    toUser: d.to.user,
    toUri: d.to.uri,
    toName: d.to.display,
    src: d.src,
    dst: d.dst,
    transport: d.transport,
    messages: d.msgs.length,
    retransmissions: d.retransmissions,
    start: isoTime(store.msgSec(first), store.msgNsec(first)),
    end: isoTime(store.msgSec(last), store.msgNsec(last)),
    duration: round6(t1 - t0),
    talkTime,
    finalStatus: d.finalStatus > 0 ? d.finalStatus : null,
    reason: d.reason !== '' ? d.reason : d.warning !== '' ? d.warning : d.finalPhrase,
    warning: d.warning,
    xCallId: d.xCallId,
    userAgent: d.userAgent,
    rtp: (d.media?.streams ?? []).map(rtpRecord),
    rtcpPackets: d.media?.rtcpPackets ?? 0,
    ...(findings !== undefined ? { findings: findings.map((f) => ({ label: f.label, severity: f.severity, text: f.text })) } : {}),
  };
}

/** `202 pkts 0.0% lost` over all of a dialog's streams, '' without RTP. */
export function rtpSummary(r: DialogRecord): string {
  if (r.rtp.length === 0) return '';
  let packets = 0;
  let expected = 0;
  let lost = 0;
  for (const s of r.rtp) {
    packets += s.packets;
    expected += s.expected;
    lost += s.lost;
  }
  return `${packets} pkts ${expected > 0 ? ((lost / expected) * 100).toFixed(1) : '0.0'}% lost`;
}

/** `2026-11-23T12:00:00.123456Z` */
export function isoTime(sec: number, nsec: number): string {
  return `${isoSecond(sec)}.${String(Math.floor(nsec / 1000)).padStart(6, '0')}Z`;
}

/** `2026-11-23T12:00:00` computed arithmetically (proleptic Gregorian, UTC): no Date object per call. */
function isoSecond(sec: number): string {
  const days = Math.floor(sec / 86400);
  const rem = sec - days * 86400;
  // Civil date from days since 1970-01-01 (eras of 400 years, March-based years).
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const h = Math.floor(rem / 3600);
  const m = Math.floor((rem % 3600) / 60);
  const s = Math.floor(rem % 60);
  return `${year}-${two(month)}-${two(day)}T${two(h)}:${two(m)}:${two(s)}`;
}

function two(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export interface TableColumn {
  title: string;
  width: number;
  align?: 'right';
  value: (r: DialogRecord) => string;
}

/** Columns of the readable headless table (like SIPvestigator's conversation list). */
export const TABLE_COLUMNS: readonly TableColumn[] = [
  { title: '#', width: 5, align: 'right', value: (r) => String(r.index) },
  { title: 'Start (UTC)', width: 23, value: (r) => r.start.slice(0, 23).replace('T', ' ') },
  { title: 'Method', width: 9, value: (r) => r.method },
  { title: 'From', width: 16, value: (r) => r.fromUser || r.fromUri },
  { title: 'To', width: 16, value: (r) => r.toUser || r.toUri },
  { title: 'Source', width: 21, value: (r) => r.src },
  { title: 'Destination', width: 21, value: (r) => r.dst },
  { title: 'Proto', width: 5, value: (r) => r.transport },
  { title: 'Msgs', width: 5, align: 'right', value: (r) => String(r.messages) },
  { title: 'State', width: 10, value: (r) => r.state ?? '' },
  { title: 'Final', width: 5, value: (r) => (r.finalStatus === null ? '' : String(r.finalStatus)) },
  { title: 'Dur', width: 8, align: 'right', value: (r) => r.duration.toFixed(1) + 's' },
  { title: 'RTP', width: 19, value: rtpSummary },
  { title: 'Reason', width: 30, value: (r) => r.reason },
];

/** The Findings column, added with --findings: the labels of the dialog's findings. */
export const FINDINGS_COLUMN: TableColumn = { title: 'Findings', width: 30, value: (r) => (r.findings ?? []).map((f) => f.label).join(',') };

/**
 * Renders records as a fixed-width text table. Cell text from the capture is made safe
 * for a terminal: control characters are shown escaped, never written raw.
 */
export function formatTable(records: Iterable<DialogRecord>, columns: readonly TableColumn[] = TABLE_COLUMNS): string {
  const lines: string[] = [];
  lines.push(columns.map((c) => pad(c.title, c.width, c.align)).join(' ').trimEnd());
  lines.push(columns.map((c) => '-'.repeat(c.width)).join(' '));
  for (const r of records) {
    lines.push(columns.map((c) => pad(safeText(c.value(r)), c.width, c.align)).join(' ').trimEnd());
  }
  return lines.join('\n') + '\n';
}

function pad(s: string, width: number, align?: 'right'): string {
  const cut = s.length > width ? s.slice(0, width - 1) + '~' : s;
  return align === 'right' ? cut.padStart(width) : cut.padEnd(width);
}

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x1f\x7f-\x9f]/;

/** Escapes C0/C1 control characters and DEL as \xNN so captured text cannot drive the terminal. */
export function safeText(s: string): string {
  // Most text has nothing to escape: testing first is ~4x quicker than an empty replace
  // (the list's cells of 100,000 dialogs are built through here).
  if (!UNSAFE.test(s)) return s;
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}
