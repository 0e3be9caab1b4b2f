import { safeText } from './dialog-report';
import { formatDateTime, type UtcOffset } from './clock';

/**
 * Raw text of messages, for reading and copying: each message headed
 * `YYYY/MM/DD HH:MM:SS.uuuuuu src -> dst`, then its text line by line. Captured bytes never
 * reach the terminal raw: control characters and escape sequences are shown escaped
 * (`\x1b`), tabs become spaces, CR/LF end lines.
 */

export interface RawMessage {
  sec: number;
  nsec: number;
  src: string;
  dst: string;
  /** The message bytes, or undefined when they could not be read back. */
  bytes: Buffer | undefined;
}

const TAB_WIDTH = 8;

/** One captured line made safe for a terminal. */
export function safeLine(line: string): string {
  let out = '';
  let col = 0;
  for (const ch of line) {
    if (ch === '\t') {
      const n = TAB_WIDTH - (col % TAB_WIDTH);
      out += ' '.repeat(n);
      col += n;
    } else {
      const safe = safeText(ch);
      out += safe;
      col += safe.length;
    }
  }
  return out;
}

/** Splits text into lines at CRLF, LF or a lone CR. A final line break adds no empty line. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function rawHeader(m: RawMessage, offset: UtcOffset): string {
  return `${formatDateTime(m.sec, m.nsec, offset)} ${safeText(m.src)} -> ${safeText(m.dst)}`;
}

/** Lines of one or more messages, a blank line between messages. */
export function rawLines(msgs: readonly RawMessage[], offset: UtcOffset): string[] {
  const out: string[] = [];
  msgs.forEach((m, i) => {
    if (i > 0) out.push('');
    out.push(rawHeader(m, offset));
    if (m.bytes === undefined) {
      out.push('(the bytes of this message cannot be read back: the capture file is gone or still loading)');
      return;
    }
    for (const line of splitLines(m.bytes.toString('utf8'))) out.push(safeLine(line));
  });
  return out;
}
