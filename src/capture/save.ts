import { writeFileAtomically } from './atomic-file';
import { PcapStreamWriter } from '../pcap/writer';
import type { Dialog } from '../store/dialog';

/** A dialog, or any group of message rows (one message saved from the call flow). */
export type MessageGroup = Pick<Dialog, 'msgs'>;
import type { DialogStore } from '../store/store';
import type { ByteReader } from './byte-reader';

export interface SaveResult {
  file: string;
  /** Frames written. */
  packets: number;
  /** Frames not written: a classic pcap file holds one link type, and these had another. */
  otherLinkType: number;
  /** Frames whose bytes could not be read back (source file gone or changed). */
  unreadable: number;
}

/**
 * Writes the frames the dialogs' messages came from to a pcap file, exactly as captured
 * (same bytes, times and original lengths), each frame once, in capture order. Written to a
 * temporary name and renamed, so a failed save never leaves a half file under the name.
 * Throws an Error whose message names the file and the reason when it cannot be written.
 */
export function saveDialogsPcap(store: DialogStore, bytes: ByteReader, dialogs: Iterable<MessageGroup>, file: string): SaveResult {
  const rows = new Set<number>();
  for (const d of dialogs) for (const m of d.msgs) for (const f of store.msgFrames(m)) rows.add(f);
  const frames = [...rows].map((r) => ({ row: r, ...store.frame(r) }));
  frames.sort((a, b) => a.sec - b.sec || a.nsec - b.nsec || a.row - b.row);
  const nanos = frames.some((f) => f.nsec % 1000 !== 0);

  const result: SaveResult = { file, packets: 0, otherLinkType: 0, unreadable: 0 };
  writeFileAtomically(file, (write, target) => {
    if (target.terminal) throw new Error('it is a terminal, and a pcap file is binary; save to a file, or pipe it (for example to tshark -r -)');
    const writer = new PcapStreamWriter(write, { nanos, linktype: frames[0]?.linktype });
    writer.start();
    for (const f of frames) {
      const data = bytes.read({ source: f.source, offset: f.offset, length: f.caplen });
      if (data === undefined) {
        result.unreadable++;
        continue;
      }
      if (writer.writePacket({ linktype: f.linktype, sec: f.sec, nsec: f.nsec, data, origLen: f.origLen })) result.packets++;
      else result.otherLinkType++;
    }
  });
  return result;
}
