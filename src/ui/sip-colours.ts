/**
 * Syntax colouring of SIP text and call-flow arrows, as styled segments. The text itself is
 * never changed (it was made safe before), only split and tagged with colours, so copying
 * from the screen gives the same characters with or without colours.
 *
 * Scheme: requests cyan, 1xx yellow, 2xx green, 3xx blue, 4xx-6xx red, RTP magenta; in message
 * text the start line in the colour of its kind and bold, header names cyan, SDP lines that
 * say where media goes (c=, m=) and the codecs (a=rtpmap) yellow.
 */
import type { Colour, Segment, StyledLine } from './canvas';
import { displayWidth, takeWidth } from '../view/text-width';

/** The colour of a message by its call-flow label: `INVITE`, `180 Ringing`, `RTP ...`. */
export function labelColour(label: string): Colour {
  if (label.startsWith('RTP')) return 'magenta';
  const m = /^([1-6])\d\d\b/.exec(label);
  if (m === null) return 'cyan';
  switch (m[1]) {
    case '1':
      return 'yellow';
    case '2':
      return 'green';
    case '3':
      return 'blue';
    default:
      return 'red';
  }
}

/** The line sipscope puts above each message: `2026/11/23 12:39:49.677850 a:1 -> b:2`. */
const RAW_HEADER = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d/;
const STATUS_LINE = /^SIP\/2\.0 ([1-6])\d\d\b/;
const REQUEST_LINE = /^[A-Z][A-Z0-9_.!%*+`'~-]* \S+ SIP\/2\.0$/;
const HEADER = /^([!-9;-~]+)(\s*:)(.*)$/;

type Part = 'start' | 'headers' | 'body';

/**
 * Styles message text line by line. `lines` is what the raw view and preview show: messages,
 * each after its date/address line, headers, a blank line, the body.
 */
export function styleSipLines(lines: readonly string[]): StyledLine[] {
  let part: Part = 'start';
  const out: StyledLine[] = [];
  for (const line of lines) {
    if (RAW_HEADER.test(line)) {
      out.push([{ text: line, bold: true }]);
      part = 'start';
      continue;
    }
    if (part === 'start') {
      if (line === '') {
        out.push([{ text: line }]);
        continue;
      }
      const status = STATUS_LINE.exec(line);
      if (status !== null) out.push([{ text: line, bold: true, fg: labelColour(line.slice(8)) }]);
      else if (REQUEST_LINE.test(line)) out.push([{ text: line, bold: true, fg: 'cyan' }]);
      else out.push([{ text: line }]);
      part = 'headers';
      continue;
    }
    if (part === 'headers') {
      if (line === '') {
        part = 'body';
        out.push([{ text: line }]);
        continue;
      }
      const h = HEADER.exec(line);
      if (h === null) {
        out.push([{ text: line }]);
        continue;
      }
      const segs: Segment[] = [{ text: h[1] as string, fg: 'cyan' }, { text: `${h[2] as string}${h[3] as string}` }];
      out.push(segs);
      continue;
    }
    // Body: SDP lines that matter for "no audio" questions stand out.
    if (/^(c|m)=/.test(line) || /^a=rtpmap:/.test(line)) out.push([{ text: line, fg: 'yellow' }]);
    else out.push([{ text: line }]);
  }
  return out;
}

/**
 * A styled line cut or padded to `width` terminal cells (as padTo does for text: wide
 * characters take two, a wide one straddling the edge becomes a space), styles kept.
 */
export function fitStyled(line: StyledLine, width: number): StyledLine {
  const out: StyledLine = [];
  let left = width;
  for (const seg of line) {
    if (left <= 0) break;
    const w = displayWidth(seg.text);
    if (w <= left) {
      out.push({ ...seg });
      left -= w;
      continue;
    }
    const cut = takeWidth(seg.text, left);
    out.push({ ...seg, text: cut.text });
    left -= cut.width;
    break;
  }
  if (left > 0) out.push({ text: ' '.repeat(left) });
  return out;
}
