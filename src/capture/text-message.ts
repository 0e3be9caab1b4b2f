/**
 * Turns the text of one SIP message as a log printed it back into message bytes.
 *
 * Text is handled as latin1 strings (one character per byte), so whatever bytes the log
 * holds come back unchanged. Two cases:
 *
 * - The text still has its CRLF line endings (sipscope -T, sngrep's txt, most raw logs):
 *   the message is framed by its Content-Length (RFC 3261 §20.14) and taken as is; text
 *   after it (the separator blank line) is dropped, unless it is another message (a UDP
 *   datagram may carry several, §18.3), which then stays in the payload.
 * - The log lost the CRs (tcpdump -A and -v, Asterisk and FreeSWITCH console output, files
 *   passed through a Unix tool): lines are joined with CRLF again, and the body is given the
 *   line ending and trailing newline that make it as long as Content-Length says (or as the
 *   header's announced byte count says). When nothing fits, Content-Length is rewritten to
 *   the body's length, with a note, so the message parses as the original did.
 *
 * A message cut by the end of the input keeps its Content-Length (the SIP parser then
 * reports it short) and gets a note.
 */

export interface RestoredMessage {
  bytes: Buffer;
  /** What was changed or found wrong, for a warning; empty when the text was used as is. */
  notes: string[];
}

const START_LINE_RE = /^(?:[A-Za-z][A-Za-z0-9.!%*_+`'~-]* [^ \r\n]+ SIP\/2\.0\r?$|SIP\/2\.0 [1-6]\d\d(?: [^\r\n]*)?\r?$)/;
const KNOWN_METHODS = 'INVITE|ACK|BYE|CANCEL|REGISTER|OPTIONS|PRACK|SUBSCRIBE|NOTIFY|PUBLISH|INFO|REFER|MESSAGE|UPDATE';
/** A request line of a known method or a status line, anywhere (tcpdump -A puts header junk before it). */
const EMBEDDED_START_RE = new RegExp(String.raw`(?:${KNOWN_METHODS}) [^ \r\n]+ SIP/2\.0\r?\n|SIP/2\.0 [1-6]\d\d[ \r\n]`);
const CONTENT_LENGTH_RE = /^(?:Content-Length|l)[ \t]*:[ \t]*(\d{1,10})[ \t]*\r?$/im;

/** Whether `line` is a SIP request or status line. */
export function isSipStartLine(line: string): boolean {
  return START_LINE_RE.test(line);
}

/**
 * Where a SIP start line begins in the first `within` characters of `text` (tcpdump -A
 * prints the IP and transport headers as junk characters before the payload), or -1.
 */
export function findSipStart(text: string, within: number): number {
  const head = text.slice(0, within + 200);
  const m = EMBEDDED_START_RE.exec(head);
  if (m === null || m.index > within) return -1;
  return m.index;
}

/** The value of the first Content-Length header in the header section, or undefined. */
export function contentLengthOf(headers: string): number | undefined {
  const m = CONTENT_LENGTH_RE.exec(headers);
  return m === null ? undefined : Number(m[1]);
}

/**
 * Restores one message (or a datagram's messages) from `text`, which starts at the start
 * line. `announced`: the byte count the log header gave, if any. `cut`: the text ended
 * because the input did.
 */
export function restoreMessage(text: string, announced: number | undefined, cut: boolean): RestoredMessage {
  const notes: string[] = [];
  const firstNl = text.indexOf('\n');
  const crlf = firstNl > 0 && text[firstNl - 1] === '\r';
  const out = crlf ? restoreExact(text, cut, notes) : restoreLossy(text, announced, cut, notes);
  return { bytes: Buffer.from(out, 'latin1'), notes };
}

/** Text with CRLFs: frame by Content-Length; keep following messages of the same datagram. */
function restoreExact(text: string, cut: boolean, notes: string[]): string {
  let out = '';
  let rest = text;
  for (let guard = 0; guard < 64; guard++) {
    const hdrEnd = headerEnd(rest);
    if (hdrEnd < 0) {
      // No blank line: headers only (cut, or a log that dropped the empty line).
      const trimmed = rest.replace(/\n+$/, '');
      out += trimmed.endsWith('\r') ? trimmed + '\n' : trimmed;
      if (cut) notes.push('message cut by the end of the input (no end of headers)');
      return out;
    }
    const cl = contentLengthOf(rest.slice(0, hdrEnd));
    if (cl === undefined) {
      // No Content-Length: the body runs to the end of the datagram (§18.3); the log's own
      // separator (one trailing LF line) is not part of it.
      return out + stripSeparator(rest);
    }
    const end = hdrEnd + cl;
    if (end > rest.length) {
      if (cut) notes.push(`message cut by the end of the input: Content-Length ${cl}, ${rest.length - hdrEnd} bytes present`);
      else notes.push(`Content-Length ${cl} but only ${rest.length - hdrEnd} bytes of body in the log`);
      return out + stripSeparator(rest);
    }
    out += rest.slice(0, end);
    rest = rest.slice(end);
    const next = rest.search(/\S/);
    if (next < 0 || !isSipStartLine(firstLine(rest.slice(next)))) return out;
    rest = rest.slice(next);
  }
  return out;
}

function firstLine(s: string): string {
  const nl = s.indexOf('\n');
  return nl < 0 ? s : s.slice(0, nl);
}

/** Index just past the blank line ending the headers (CRLF CRLF, or LF LF), or -1. */
function headerEnd(s: string): number {
  const a = s.indexOf('\r\n\r\n');
  const b = s.indexOf('\n\n');
  if (a >= 0 && (b < 0 || a + 2 <= b)) return a + 4;
  return b >= 0 ? b + 2 : -1;
}

/** Drops the one blank separator line a log adds after a message (a lone LF after the last CRLF). */
function stripSeparator(s: string): string {
  let t = s;
  while (t.endsWith('\n') && !t.endsWith('\r\n')) t = t.slice(0, -1);
  return t;
}

/** Text whose CRs were lost: rebuild CRLF lines and a body of the right length. */
function restoreLossy(text: string, announced: number | undefined, cut: boolean, notes: string[]): string {
  const lines = text.split('\n');
  let blank = lines.findIndex((l) => l === '');
  if (blank < 0) blank = lines.length;
  const headerLines = lines.slice(0, blank);
  const bodyLines = lines.slice(blank + 1);
  let trailing = 0;
  while (bodyLines.length > 0 && bodyLines[bodyLines.length - 1] === '') {
    bodyLines.pop();
    trailing++;
  }
  const head = headerLines.join('\r\n') + '\r\n\r\n';
  if (blank >= lines.length) {
    if (cut) notes.push('message cut by the end of the input (no end of headers)');
    return head;
  }
  const cl = contentLengthOf(headerLines.join('\n'));
  if (bodyLines.length === 0) {
    if (cl !== undefined && cl > 0) {
      notes.push(cut ? `message cut by the end of the input: Content-Length ${cl}, no body` : `Content-Length ${cl} but no body in the log`);
    }
    return head;
  }
  if (cl === undefined) {
    const b = bodyLines.join('\r\n');
    return head + (trailing > 0 ? b + '\r\n' : b);
  }
  // The body is the first k lines, joined with CRLF (or LF, for a sender that wrote bare
  // LFs), with or without a final line ending: take the longest k and the form whose length
  // is Content-Length (the announced total breaks ties). Lines after it are the log's own.
  let best: { body: string; k: number } | undefined;
  for (const eol of ['\r\n', '\n']) {
    let joined = '';
    for (let k = 1; k <= bodyLines.length; k++) {
      joined = k === 1 ? (bodyLines[0] as string) : joined + eol + (bodyLines[k - 1] as string);
      if (joined.length > cl) break;
      for (const form of [joined + eol, joined, joined + eol + eol]) {
        if (form.length !== cl) continue;
        const total = head.length + form.length;
        if (best === undefined || k > best.k || (k === best.k && total === announced)) best = { body: form, k };
      }
    }
    if (best !== undefined && best.k === bodyLines.length) break;
  }
  if (best !== undefined) {
    const extra = bodyLines.slice(best.k).filter((l) => l.trim() !== '').length;
    if (extra > 0) notes.push(`${extra} line${extra === 1 ? '' : 's'} after the message's ${cl}-byte body ignored`);
    return head + best.body;
  }
  const joinedCrlf = bodyLines.join('\r\n');
  const body = trailing > 0 ? joinedCrlf + '\r\n' : joinedCrlf;
  if (cut && body.length < cl) {
    notes.push(`message cut by the end of the input: Content-Length ${cl}, ${body.length} bytes present`);
    return head + body;
  }
  notes.push(`Content-Length ${cl} does not match the ${body.length} bytes of body in the log; rewritten to ${body.length}`);
  const fixedHead = head.replace(CONTENT_LENGTH_RE, (line) => line.replace(/\d+/, String(body.length)));
  return fixedHead + body;
}
