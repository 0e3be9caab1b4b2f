import type { SipMessage } from '../sip/types';
import type { Transport } from '../net/types';
import { Column, EndpointInterner, Interner, f64, i32, u16, u32, u8 } from './columns';
import { ByteArena } from './arena';
import { Dialog } from './dialog';
import { newRtpCounters, type RtpCounters } from '../rtp/dialog-media';

/** Source id 0: bytes kept in memory (the arena). Files get ids from 1. */
export const ARENA_SOURCE = 0;

/** Message flags (bit set). */
export const MSG_RETRANS = 1;
export const MSG_SDP = 2;
export const MSG_PROBLEM = 4;
export const MSG_REQUEST = 8;

export interface StoreOptions {
  /** Maximum dialogs kept (sngrep -l). */
  limit: number;
  /** Evict the oldest dialog whole when the limit is reached (sngrep -R); else new dialogs are dropped. */
  rotate: boolean;
  /** Keep only dialogs started by an INVITE (sngrep -c). */
  onlyInvite: boolean;
  /**
   * With -R: once this many rows belong to evicted dialogs (and they are at least half of
   * all rows), the tables are compacted so memory stays bounded in long runs.
   */
  compactMinRows: number;
}

/** Old row → new row (-1: gone) for messages and frames, handed to compaction listeners. */
export interface RowMaps {
  messages: Int32Array;
  frames: Int32Array;
}

export const DEFAULT_DIALOG_LIMIT = 1_000_000;

/** Where the bytes of a message or frame are: a source (file) and an offset in it. */
export interface ByteLocation {
  source: number;
  offset: number;
  length: number;
}

/** A frame's record, enough to write it back to pcap exactly as captured. */
export interface FrameRecord {
  source: number;
  offset: number;
  caplen: number;
  origLen: number;
  sec: number;
  nsec: number;
  linktype: number;
}

/** Network facts of one message: who sent it to whom (endpoint ids, see `endpoint`), when, over what. */
export interface MessageMeta {
  src: number;
  dst: number;
  transport: Transport;
  sec: number;
  nsec: number;
}

/** A stretch that looked like SIP but was not a usable message: counted and kept as raw text. */
export interface MalformedRecord {
  sec: number;
  nsec: number;
  src: string;
  dst: string;
  reason: string;
  bytes: ByteLocation;
}

/** What happened to a message handed to the store. */
export type AddResult = 'added' | 'skipped-not-invite' | 'dropped-limit';

/** Store-level counters, for the summary. */
export interface StoreCounters {
  sipMessages: number;
  retransmissions: number;
  /** Messages of new dialogs not kept because the dialog limit was reached without -R. */
  droppedDialogLimit: number;
  /** Messages skipped because -c keeps only INVITE dialogs. */
  skippedNotInvite: number;
  /** Dialogs evicted whole by -R. */
  rotatedDialogs: number;
  malformed: number;
}

const MAX_MALFORMED_KEPT = 100_000;
/** How many earlier messages of a dialog are compared to spot a retransmission. */
const RETRANS_WINDOW = 32;

/**
 * The one source of truth: dialogs by Call-ID, a columnar table of messages and of the
 * frames they came from, and change signalling for views. Pure: no I/O; bytes are read
 * back by a caller that owns the files (see `capture/`), or from the arena.
 */
export class DialogStore {
  readonly options: StoreOptions;
  readonly arena = new ByteArena();
  readonly counters: StoreCounters = {
    sipMessages: 0,
    retransmissions: 0,
    droppedDialogLimit: 0,
    skippedNotInvite: 0,
    rotatedDialogs: 0,
    malformed: 0,
  };
  readonly malformed: MalformedRecord[] = [];
  /** RTP and RTCP tied to dialogs (see rtp/rtp-tracker.ts): the engine counts, views read. */
  readonly rtp: RtpCounters = newRtpCounters();
  /** Source names by id (0 is the arena). */
  readonly sources: string[] = ['(memory)'];

  private readonly dialogs = new Map<string, Dialog>();
  private nextIndex = 1;

  // Message table, one row per message.
  private rows = 0;
  private readonly mSec = f64();
  private readonly mNsec = u32();
  private readonly mStatus = u16();
  private readonly mMethod = u16();
  private readonly mCseq = u32();
  private readonly mSrc = u32();
  private readonly mDst = u32();
  private readonly mTransport = u8();
  private readonly mFlags = u8();
  private readonly mSource = u16();
  private readonly mOffset = f64();
  private readonly mLength = u32();
  private readonly mFrame = i32();
  private readonly mBranch = u32();
  private readonly extraFrames = new Map<number, number[]>();
  private readonly msgColumns: Column<Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array>[] = [
    this.mSec,
    this.mNsec,
    this.mStatus,
    this.mMethod,
    this.mCseq,
    this.mSrc,
    this.mDst,
    this.mTransport,
    this.mFlags,
    this.mSource,
    this.mOffset,
    this.mLength,
    this.mFrame,
    this.mBranch,
  ];

  // Frame table, one row per frame that carried a kept message.
  private frameRows = 0;
  private readonly fSource = u16();
  private readonly fOffset = f64();
  private readonly fCaplen = u32();
  private readonly fOrigLen = u32();
  private readonly fSec = f64();
  private readonly fNsec = u32();
  private readonly fLinktype = u16();
  private readonly frameColumns: Column<Float64Array | Uint32Array | Uint16Array>[] = [
    this.fSource,
    this.fOffset,
    this.fCaplen,
    this.fOrigLen,
    this.fSec,
    this.fNsec,
    this.fLinktype,
  ];

  private readonly methods = new Interner();
  private readonly addresses = new EndpointInterner();
  private readonly transports = new Interner();
  private lastTransport = '';
  private lastTransportId = 0;

  private transportId(t: string): number {
    this.lastTransport = t;
    this.lastTransportId = this.transports.id(t);
    return this.lastTransportId;
  }

  /** Bumped on every change; views redraw when it differs from what they drew. */
  version = 0;
  /** Bumped when compaction renumbers rows: row ids read before it are stale. */
  generation = 0;
  /** Rows of evicted dialogs not reclaimed yet. */
  private deadRows = 0;
  private readonly compactListeners: ((maps: RowMaps) => void)[] = [];

  constructor(options: Partial<StoreOptions> = {}) {
    this.options = {
      limit: options.limit ?? DEFAULT_DIALOG_LIMIT,
      rotate: options.rotate ?? false,
      onlyInvite: options.onlyInvite ?? false,
      compactMinRows: options.compactMinRows ?? 100_000,
    };
  }

  /**
   * Called after compaction renumbered rows; holders of message or frame row ids (the
   * engine's recent-frame ring, taps walking new rows) remap them with the maps.
   */
  onCompact(listener: (maps: RowMaps) => void): void {
    this.compactListeners.push(listener);
  }

  addSource(name: string): number {
    this.sources.push(name);
    return this.sources.length - 1;
  }

  get dialogCount(): number {
    return this.dialogs.size;
  }

  get messageRows(): number {
    return this.rows;
  }

  /** Dialogs in creation order (oldest first). */
  dialogList(): IterableIterator<Dialog> {
    return this.dialogs.values();
  }

  dialog(callId: string): Dialog | undefined {
    return this.dialogs.get(callId);
  }

  /** Records a frame and returns its row, for `addMessage`. */
  addFrame(f: FrameRecord): number {
    const r = this.frameRows++;
    if (r >= this.fSource.data.length) for (const c of this.frameColumns) c.ensure(r + 1);
    this.fSource.data[r] = f.source;
    this.fOffset.data[r] = f.offset;
    this.fCaplen.data[r] = f.caplen;
    this.fOrigLen.data[r] = f.origLen;
    this.fSec.data[r] = f.sec;
    this.fNsec.data[r] = f.nsec;
    this.fLinktype.data[r] = f.linktype;
    return r;
  }

  frame(row: number): FrameRecord {
    return {
      source: this.fSource.data[row] ?? 0,
      offset: this.fOffset.data[row] ?? 0,
      caplen: this.fCaplen.data[row] ?? 0,
      origLen: this.fOrigLen.data[row] ?? 0,
      sec: this.fSec.data[row] ?? 0,
      nsec: this.fNsec.data[row] ?? 0,
      linktype: this.fLinktype.data[row] ?? 0,
    };
  }

  /** Id of an "ip:port" endpoint (IPv6 shown in brackets), for MessageMeta. */
  endpoint(ip: string, port: number, v6: boolean): number {
    return this.addresses.id(ip, port, v6);
  }

  endpointText(id: number): string {
    return this.addresses.value(id);
  }

  /**
   * The dialog a message belongs to, created if needed subject to -c and the dialog limit
   * (evicting the oldest with -R); undefined when the message is not kept, counted by
   * reason. One Call-ID lookup per message.
   */
  dialogFor(msg: SipMessage, meta: MessageMeta, matched: boolean): Dialog | undefined {
    let dialog = this.dialogs.get(msg.callId);
    if (dialog !== undefined) {
      if (matched) dialog.matched = true;
      return dialog;
    }
    if (this.options.onlyInvite && !(msg.isRequest && msg.method === 'INVITE')) {
      this.counters.skippedNotInvite++;
      return undefined;
    }
    if (this.dialogs.size >= this.options.limit) {
      if (!this.options.rotate || this.options.limit <= 0) {
        this.counters.droppedDialogLimit++;
        return undefined;
      }
      this.evictOldest();
    }
    dialog = new Dialog(
      this.nextIndex++,
      msg.callId,
      msg.isRequest ? msg.method : msg.cseqMethod || msg.method,
      msg.from,
      msg.to,
      this.addresses.value(meta.src),
      this.addresses.value(meta.dst),
      meta.transport,
      matched,
    );
    this.dialogs.set(msg.callId, dialog);
    return dialog;
  }

  /**
   * Appends a message to its dialog (from `dialogFor`): its bytes are at `offset`/`length`
   * in `source`; it came from frame row `frame` (-1 if unknown) or, when it spans several,
   * from `frames` (first one first).
   */
  append(
    dialog: Dialog,
    msg: SipMessage,
    meta: MessageMeta,
    source: number,
    offset: number,
    length: number,
    frame: number,
    frames?: readonly number[],
  ): void {
    const row = this.appendRow(msg, meta, source, offset, length, frame, frames);
    this.insertInOrder(dialog, row);
    this.counters.sipMessages++;

    if (this.isRetransmission(dialog, row)) {
      this.mFlags.data[row] = (this.mFlags.data[row] ?? 0) | MSG_RETRANS;
      dialog.retransmissions++;
      this.counters.retransmissions++;
    } else {
      dialog.advanceState(row, msg.isRequest, msg.method, msg.status, msg.cseq);
    }
    if (!msg.isRequest && msg.status >= 200 && msg.cseqMethod === dialog.method) {
      dialog.finalStatus = msg.status;
      dialog.finalPhrase = msg.reasonPhrase;
    }
    const reason = msg.reason;
    if (reason !== '') dialog.reason = reason;
    const warning = msg.warning;
    if (warning !== '') dialog.warning = warning;
    if (dialog.xCallId === '') dialog.xCallId = msg.xCallId;
    if (dialog.userAgent === '') dialog.userAgent = msg.userAgent;
    this.version++;
  }

  /** Both steps at once (tests, simple callers). */
  addMessage(msg: SipMessage, meta: MessageMeta, bytes: ByteLocation, frames: readonly number[], matched: boolean): AddResult {
    const before = this.counters.skippedNotInvite;
    const dialog = this.dialogFor(msg, meta, matched);
    if (dialog === undefined) return this.counters.skippedNotInvite > before ? 'skipped-not-invite' : 'dropped-limit';
    this.append(dialog, msg, meta, bytes.source, bytes.offset, bytes.length, frames[0] ?? -1, frames.length > 1 ? frames : undefined);
    return 'added';
  }

  /** Keeps the raw text of something that looked like SIP but could not be parsed. */
  addMalformed(record: MalformedRecord): void {
    this.counters.malformed++;
    if (this.malformed.length < MAX_MALFORMED_KEPT) this.malformed.push(record);
    this.version++;
  }

  // ---- per-message accessors (views, output) ----

  msgSec(row: number): number {
    return this.mSec.data[row] ?? 0;
  }
  msgNsec(row: number): number {
    return this.mNsec.data[row] ?? 0;
  }
  /** Time as seconds since the epoch (microsecond precision). */
  msgTime(row: number): number {
    return (this.mSec.data[row] ?? 0) + Math.floor((this.mNsec.data[row] ?? 0) / 1000) / 1e6;
  }
  msgIsRequest(row: number): boolean {
    return ((this.mFlags.data[row] ?? 0) & MSG_REQUEST) !== 0;
  }
  msgStatus(row: number): number {
    return this.mStatus.data[row] ?? 0;
  }
  msgMethod(row: number): string {
    return this.methods.value(this.mMethod.data[row] ?? 0);
  }
  msgCseq(row: number): number {
    return this.mCseq.data[row] ?? 0;
  }
  msgSrc(row: number): string {
    return this.addresses.value(this.mSrc.data[row] ?? 0);
  }
  msgDst(row: number): string {
    return this.addresses.value(this.mDst.data[row] ?? 0);
  }
  msgTransport(row: number): string {
    return this.transports.value(this.mTransport.data[row] ?? 0);
  }
  msgFlags(row: number): number {
    return this.mFlags.data[row] ?? 0;
  }
  msgBytes(row: number): ByteLocation {
    return {
      source: this.mSource.data[row] ?? 0,
      offset: this.mOffset.data[row] ?? 0,
      length: this.mLength.data[row] ?? 0,
    };
  }
  /** Frame rows the message came from, in capture order. */
  msgFrames(row: number): number[] {
    const first = this.mFrame.data[row] ?? -1;
    const extra = this.extraFrames.get(row);
    if (extra !== undefined) return extra;
    return first >= 0 ? [first] : [];
  }

  // ---- internals ----

  private appendRow(
    msg: SipMessage,
    meta: MessageMeta,
    source: number,
    offset: number,
    length: number,
    frame: number,
    frames: readonly number[] | undefined,
  ): number {
    const r = this.rows++;
    const n = r + 1;
    if (n > this.mSec.data.length) for (const c of this.msgColumns) c.ensure(n);
    this.mSec.data[r] = meta.sec;
    this.mNsec.data[r] = meta.nsec;
    this.mStatus.data[r] = msg.isRequest ? 0 : msg.status;
    this.mMethod.data[r] = this.methods.id(msg.isRequest ? msg.method : msg.cseqMethod);
    this.mCseq.data[r] = msg.cseq >>> 0;
    this.mSrc.data[r] = meta.src;
    this.mDst.data[r] = meta.dst;
    this.mTransport.data[r] = meta.transport === this.lastTransport ? this.lastTransportId : this.transportId(meta.transport);
    let flags = msg.isRequest ? MSG_REQUEST : 0;
    if (msg.hasSdp) flags |= MSG_SDP;
    if (msg.problems.length > 0) flags |= MSG_PROBLEM;
    this.mFlags.data[r] = flags;
    this.mSource.data[r] = source;
    this.mOffset.data[r] = offset;
    this.mLength.data[r] = length;
    this.mFrame.data[r] = frame;
    if (frames !== undefined && frames.length > 1) this.extraFrames.set(r, frames.slice());
    this.mBranch.data[r] = hashString(msg.branch);
    return r;
  }

  /** Appends, or inserts by capture time when messages arrive out of order (merged live sources). */
  private insertInOrder(dialog: Dialog, row: number): void {
    const msgs = dialog.msgs;
    let i = msgs.length;
    while (i > 0 && this.before(row, msgs[i - 1]!)) i--;
    if (i === msgs.length) msgs.push(row);
    else msgs.splice(i, 0, row);
  }

  private before(a: number, b: number): boolean {
    const sa = this.mSec.data[a]!;
    const sb = this.mSec.data[b]!;
    return sa < sb || (sa === sb && this.mNsec.data[a]! < this.mNsec.data[b]!);
  }

  /**
   * A retransmission is the same message sent again on the same path: same direction,
   * method or status, CSeq, top Via branch and length as an earlier message of the dialog
   * (RFC 3261 §17: retransmissions repeat the request or response unchanged).
   */
  private isRetransmission(dialog: Dialog, row: number): boolean {
    const msgs = dialog.msgs;
    const stop = Math.max(0, msgs.length - 1 - RETRANS_WINDOW);
    const d = this.mMethod.data;
    for (let i = msgs.length - 1; i >= stop; i--) {
      const o = msgs[i]!;
      if (o === row) continue;
      if (
        this.mCseq.data[o] === this.mCseq.data[row] &&
        this.mStatus.data[o] === this.mStatus.data[row] &&
        d[o] === d[row] &&
        this.mSrc.data[o] === this.mSrc.data[row] &&
        this.mDst.data[o] === this.mDst.data[row] &&
        this.mBranch.data[o] === this.mBranch.data[row] &&
        this.mLength.data[o] === this.mLength.data[row] &&
        this.before(o, row)
      ) {
        return true;
      }
    }
    return false;
  }

  private evictOldest(): void {
    const oldest = this.dialogs.keys().next();
    if (oldest.done === true) return;
    const dialog = this.dialogs.get(oldest.value);
    this.dialogs.delete(oldest.value);
    this.counters.rotatedDialogs++;
    if (dialog === undefined) return;
    this.deadRows += dialog.msgs.length;
    if (this.deadRows >= this.options.compactMinRows && this.deadRows * 2 >= this.rows) this.compact();
  }

  /**
   * Reclaims the rows of evicted dialogs: live message and frame rows move down in order
   * (so capture order and every relative order is kept), dialogs and listeners are told
   * the new ids. O(rows); runs only after as many rows died as remain alive.
   */
  compact(): void {
    const n = this.rows;
    const msgMap = new Int32Array(n).fill(-1);
    for (const d of this.dialogs.values()) for (const r of d.msgs) msgMap[r] = 0;
    let k = 0;
    for (let r = 0; r < n; r++) if (msgMap[r] === 0) msgMap[r] = k++;

    // Frames still referenced by a live message.
    const fn = this.frameRows;
    const frameMap = new Int32Array(fn).fill(-1);
    const extra = new Map<number, number[]>();
    for (let r = 0; r < n; r++) {
      if (msgMap[r]! < 0) continue;
      const f = this.mFrame.data[r]!;
      if (f >= 0) frameMap[f] = 0;
      const more = this.extraFrames.get(r);
      if (more !== undefined) {
        for (const x of more) frameMap[x] = 0;
        extra.set(msgMap[r]!, more);
      }
    }
    let fk = 0;
    for (let f = 0; f < fn; f++) if (frameMap[f] === 0) frameMap[f] = fk++;

    // Move rows down (new id <= old id, ascending: never overwrites a row still to move).
    for (let r = 0; r < n; r++) {
      const to = msgMap[r]!;
      if (to < 0 || to === r) continue;
      for (const c of this.msgColumns) c.data[to] = c.data[r]!;
    }
    for (let r = 0; r < k; r++) {
      const f = this.mFrame.data[r]!;
      this.mFrame.data[r] = f >= 0 ? frameMap[f]! : -1;
    }
    for (let f = 0; f < fn; f++) {
      const to = frameMap[f]!;
      if (to < 0 || to === f) continue;
      for (const c of this.frameColumns) c.data[to] = c.data[f]!;
    }
    this.extraFrames.clear();
    for (const [r, frames] of extra) this.extraFrames.set(r, frames.map((f) => frameMap[f]!));
    for (const d of this.dialogs.values()) {
      for (let i = 0; i < d.msgs.length; i++) d.msgs[i] = msgMap[d.msgs[i]!]!;
      if (d.connectMsg >= 0) d.connectMsg = msgMap[d.connectMsg]!;
      if (d.endMsg >= 0) d.endMsg = msgMap[d.endMsg]!;
    }
    this.rows = k;
    this.frameRows = fk;
    this.deadRows = 0;
    this.generation++;
    this.version++;
    const maps: RowMaps = { messages: msgMap, frames: frameMap };
    for (const l of this.compactListeners) l(maps);
  }
}

/** FNV-1a over UTF-16 code units: a compact fingerprint of a short string. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
