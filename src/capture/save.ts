import { writeFileAtomically } from './atomic-file';
import { PcapStreamWriter } from '../pcap/writer';
import type { Dialog } from '../store/dialog';
import { ARENA_SOURCE, type DialogStore } from '../store/store';
import type { ByteReader } from './byte-reader';
import { safeText } from '../view/dialog-report';
import { isMicrosecondPcap, mediaFrames, mediaSpans, type MediaFrame } from './rtp-frames';

/** A dialog, or any group of message rows (one message saved from the call flow). */
export type MessageGroup = Pick<Dialog, 'msgs'> & Partial<Pick<Dialog, 'media'>>;

export interface SaveResult {
  file: string;
  /** Frames written (RTP frames included). */
  packets: number;
  /** Frames not written: a classic pcap file holds one link type, and these had another. */
  otherLinkType: number;
  /** Frames whose bytes could not be read back (source file gone or changed). */
  unreadable: number;
  /** With RTP asked for: the RTP and RTCP frames written, and why some could not be looked for. */
  rtp?: { packets: number; problems: string[] };
}

/**
 * Writes the frames the dialogs' messages came from to a pcap file, exactly as captured
 * (same bytes, times and original lengths), each frame once, in capture order. Written to a
 * temporary name and renamed, so a failed save never leaves a half file under the name.
 * Throws an Error whose message names the file and the reason when it cannot be written.
 */
export function saveDialogsPcap(store: DialogStore, bytes: ByteReader, dialogs: Iterable<MessageGroup>, file: string): SaveResult {
  return writeFrames(bytes, sipFrames(store, dialogs), file, undefined);
}

/**
 * As saveDialogsPcap, plus the frames of the dialogs' RTP streams (and their RTCP), found
 * by reading the capture files again in one pass (see rtp-frames.ts) and merged in time
 * order. Inputs that cannot be read again (live capture, standard input whose spool copy is
 * gone) are named in `rtp.problems`; the SIP frames are written all the same.
 */
export function saveDialogsPcapWithRtp(
  store: DialogStore,
  bytes: ByteReader,
  dialogs: readonly MessageGroup[],
  file: string,
  /** Files holding live traffic too (the -O file being written), searched for the RTP of live sources. */
  liveFiles: readonly string[] = [],
): SaveResult {
  const frames = sipFrames(store, dialogs);
  const spans = mediaSpans(dialogs.map((d) => d.media));
  const problems: string[] = [];
  if (spans.size === 0) {
    problems.push(`no RTP stream is tied to ${dialogs.length === 1 ? 'it' : 'them'}`);
    return writeFrames(bytes, frames, file, { frames: undefined, problems, nanos: false });
  }
  const files = bytes.files();
  const filed = new Set(files.map((f) => f.source));
  const unfiled = new Set<number>();
  for (const f of frames) if (!filed.has(f.source)) unfiled.add(f.source);
  for (const s of unfiled) {
    if (s === ARENA_SOURCE && liveFiles.length > 0) {
      // Live traffic: its RTP is in the -O file (as far as it goes back: not before a rotation).
      liveFiles.forEach((path, i) => files.push({ source: LIVE_FILE_SOURCE - i, path }));
      continue;
    }
    problems.push(s === ARENA_SOURCE ? 'the packets of a live capture or listener are not kept (capture with -O to have them)' : `${store.sources[s] ?? 'an input'} cannot be read again`);
  }
  const sip = new Set(frames.map((f) => `${f.source} ${f.offset}`));
  const rtp = mediaFrames(files, spans, (source, offset) => sip.has(`${source} ${offset}`), problems);
  const nanos = files.some((f) => !isMicrosecondPcap(f.path));
  return writeFrames(bytes, frames, file, { frames: rtp, problems, nanos });
}

/** Source numbers given to -O files searched for live RTP (never a store source). */
const LIVE_FILE_SOURCE = -1;

/**
 * The status line after a pcap save: `Saved 1 dialog (208 packets: 202 RTP) to f.pcap`, with
 * what was left out and why RTP could not be (all) looked for.
 */
export function savedPcapMessage(r: SaveResult, what: string): string {
  const skipped = r.otherLinkType + r.unreadable;
  const rtp = r.rtp === undefined ? '' : `: ${r.rtp.packets} RTP/RTCP`;
  let text = `Saved ${what} (${r.packets} packets${rtp}) to ${r.file}${skipped > 0 ? `; ${skipped} packets left out` : ''}`;
  if (r.rtp !== undefined && r.rtp.problems.length > 0) text += `; RTP ${r.rtp.packets > 0 ? 'partly ' : ''}not included: ${r.rtp.problems.join('; ')}`;
  return safeText(text); // file names may hold control characters
}

interface SipFrame {
  row: number;
  source: number;
  offset: number;
  caplen: number;
  origLen: number;
  sec: number;
  nsec: number;
  linktype: number;
}

/** The frames of the groups' messages, each once, in time order. */
function sipFrames(store: DialogStore, dialogs: Iterable<MessageGroup>): SipFrame[] {
  const rows = new Set<number>();
  for (const d of dialogs) for (const m of d.msgs) for (const f of store.msgFrames(m)) rows.add(f);
  const frames = [...rows].map((r) => ({ row: r, ...store.frame(r) }));
  frames.sort((a, b) => a.sec - b.sec || a.nsec - b.nsec || a.row - b.row);
  return frames;
}

/** The RTP frame goes before the SIP frame: earlier, or at the same time before it in the same file. */
function before(r: MediaFrame, f: SipFrame): boolean {
  if (r.sec !== f.sec) return r.sec < f.sec;
  if (r.nsec !== f.nsec) return r.nsec < f.nsec;
  return r.source === f.source && r.fileOffset < f.offset;
}

function writeFrames(
  bytes: ByteReader,
  frames: SipFrame[],
  file: string,
  media: { frames: Generator<MediaFrame> | undefined; problems: string[]; nanos: boolean } | undefined,
): SaveResult {
  const nanos = frames.some((f) => f.nsec % 1000 !== 0) || media?.nanos === true;
  const result: SaveResult = { file, packets: 0, otherLinkType: 0, unreadable: 0 };
  if (media !== undefined) result.rtp = { packets: 0, problems: media.problems };
  try {
    writeFileAtomically(file, (write, target) => writeAll(write, target.terminal));
  } finally {
    media?.frames?.return(undefined); // closes the capture files when writing failed half way
  }
  return result;

  function writeAll(write: (b: Buffer) => void, terminal: boolean): void {
    if (terminal) throw new Error('it is a terminal, and a pcap file is binary; save to a file, or pipe it (for example to tshark -r -)');
    const writer = new PcapStreamWriter(write, { nanos, linktype: frames[0]?.linktype });
    writer.start();
    const put = (f: { linktype: number; sec: number; nsec: number; origLen: number }, data: Buffer): boolean => {
      if (writer.writePacket({ linktype: f.linktype, sec: f.sec, nsec: f.nsec, data, origLen: f.origLen })) {
        result.packets++;
        return true;
      }
      result.otherLinkType++;
      return false;
    };
    const rtp = media?.frames;
    let next = rtp?.next();
    let i = 0;
    while (i < frames.length || (next !== undefined && next.done !== true)) {
      const f = frames[i];
      if (next !== undefined && next.done !== true && (f === undefined || before(next.value, f))) {
        if (put(next.value, next.value.data)) result.rtp!.packets++;
        next = rtp!.next();
        continue;
      }
      i++;
      if (f === undefined) continue;
      const data = bytes.read({ source: f.source, offset: f.offset, length: f.caplen });
      if (data === undefined) result.unreadable++;
      else put(f, data);
    }
  }
}
