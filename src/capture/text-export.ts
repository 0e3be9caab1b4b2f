/**
 * Text export of dialogs (-T FILE, and the save window): every message of the chosen
 * dialogs in capture order, each as
 *
 *   2026/11/23 12:39:49.677850 127.0.0.1:5062 -> 127.0.0.1:5060 (UDP)
 *   <the message bytes exactly as captured>
 *   <blank line>
 *
 * like sngrep's raw window. The header is the `generic` format of text-formats.ts, so
 * `sipscope -I FILE` reads the file back to the same dialogs: same Call-IDs, messages,
 * states, addresses and times (to the microsecond), and the same message bytes (messages
 * are framed by Content-Length on reading, so a body may hold anything).
 *
 * Message bytes are written as captured, control characters included: the file is meant
 * for tickets and for reading back, not for a terminal. One separator line (LF) follows
 * each message, plus an LF first when the message does not end with one.
 */
import { writeFileAtomically } from './atomic-file';
import { safeLine } from '../view/raw-view';
import type { MessageGroup } from './save';
import type { DialogStore } from '../store/store';
import type { ByteReader } from './byte-reader';

export interface TextExportResult {
  file: string;
  /** Messages written. */
  messages: number;
  /** Messages whose bytes could not be read back (source file gone or changed): not written. */
  unreadable: number;
}

/** Message rows of the dialogs, each once, in capture order (time, then arrival). */
export function exportRows(store: DialogStore, dialogs: Iterable<MessageGroup>): number[] {
  const rows = new Set<number>();
  for (const d of dialogs) for (const m of d.msgs) rows.add(m);
  return [...rows].sort((a, b) => store.msgSec(a) - store.msgSec(b) || store.msgNsec(a) - store.msgNsec(b) || a - b);
}

/** `2026/11/23 12:39:49.677850 127.0.0.1:5062 -> 127.0.0.1:5060 (UDP)` for a message row. */
export function formatTextHeader(store: DialogStore, row: number): string {
  return `${formatStamp(store.msgSec(row), store.msgNsec(row))} ${store.msgSrc(row)} -> ${store.msgDst(row)} (${store.msgTransport(row)})`;
}

/** `YYYY/MM/DD HH:MM:SS.uuuuuu` in UTC. */
export function formatStamp(sec: number, nsec: number): string {
  const iso = new Date(Math.floor(sec) * 1000).toISOString(); // 2026-11-23T12:39:49.000Z
  const us = String(Math.floor(nsec / 1000)).padStart(6, '0');
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)} ${iso.slice(11, 19)}.${us}`;
}

/**
 * The export as a sequence of buffers (header and message per message), for a caller that
 * writes them where it likes. `unreadable` counts messages left out.
 */
export function* renderDialogsText(
  store: DialogStore,
  bytes: ByteReader,
  dialogs: Iterable<MessageGroup>,
  counts: { messages: number; unreadable: number } = { messages: 0, unreadable: 0 },
): Generator<Buffer> {
  for (const row of exportRows(store, dialogs)) {
    const data = bytes.read(store.msgBytes(row));
    if (data === undefined) {
      counts.unreadable++;
      continue;
    }
    counts.messages++;
    const last = data.length > 0 ? data[data.length - 1] : undefined;
    yield Buffer.from(formatTextHeader(store, row) + '\n', 'latin1');
    yield data;
    yield Buffer.from(last === 0x0a ? '\n' : '\n\n', 'latin1');
  }
}

/** Text made safe for display: each line through safeLine, line ends kept as LF. */
function terminalSafe(chunk: Buffer): string {
  return chunk
    .toString('utf8')
    .split('\n')
    .map((l) => safeLine(l.endsWith('\r') ? l.slice(0, -1) : l))
    .join('\n');
}

/**
 * Writes the export to `file` (through a temporary name, renamed at the end, so a failed
 * write never leaves half a file). Throws an Error naming the file and the reason when it
 * cannot be written.
 */
export function saveDialogsText(store: DialogStore, bytes: ByteReader, dialogs: Iterable<MessageGroup>, file: string): TextExportResult {
  const counts = { messages: 0, unreadable: 0 };
  writeFileAtomically(file, (write, target) => {
    // Buffers are gathered up to 1 MiB per write.
    let pending: Buffer[] = [];
    let size = 0;
    const flush = (): void => {
      if (size === 0) return;
      const chunk = Buffer.concat(pending, size);
      // To a terminal the text is displayed, not kept: captured control characters and escape
      // sequences are shown escaped (`\x1b`), as in the windows.
      write(target.terminal ? Buffer.from(terminalSafe(chunk)) : chunk);
      pending = [];
      size = 0;
    };
    for (const b of renderDialogsText(store, bytes, dialogs, counts)) {
      pending.push(b);
      size += b.length;
      // To a terminal, each message goes out whole (escaping works line by line).
      if (size >= (target.terminal ? 1 : 1 << 20)) flush();
    }
    flush();
  });
  return { file, ...counts };
}
