import type { Dialog } from '../store/dialog';
import { flowMessages, layoutCallFlow, rtpStreamLines, withRtpStreams, type CallFlow, type FlowMessage } from '../view/call-flow';
import { rawLines } from '../view/raw-view';
import { scrollTop } from '../view/list-view';
import { safeText } from '../view/dialog-report';
import { cachedFindings, telephonyOf } from '../view/dialog-filter';
import type { Finding } from '../analysis/findings';
import { bindingsOf, footerHint, type KeyAction, type KeyBinding } from './keymap';
import { bold, inverse, plain, type Size, type StyledLine } from './canvas';
import { padTo, type Rendered, type UiContext, type WindowController } from './window';
import { RawWindow } from './raw-window';

const MIN_PREVIEW = 30;
/** Findings lines under the title at most (the rest are counted on the last one). */
const MAX_FINDING_LINES = 3;

/** The call flow of one dialog: arrows on the left, the selected message's text on the right. */
export class FlowWindow implements WindowController {
  readonly window = 'flow' as const;
  private cursor = 0;
  private top = 0;
  private pageRows = 10;
  private msgs: FlowMessage[] = [];
  private flow: CallFlow | undefined;
  private builtFor = '';
  private readonly findingsOf: (d: Dialog) => readonly Finding[];

  constructor(
    private readonly ctx: UiContext,
    readonly dialog: Dialog,
  ) {
    this.findingsOf = telephonyOf(ctx.load)?.findings ?? cachedFindings(ctx.store, { read: (loc) => ctx.readBytes(loc) });
  }

  /** The dialog's findings as one line each: `! no-response: INVITE got no response ...`. */
  private findingLines(): string[] {
    const f = this.findingsOf(this.dialog);
    const mark = (x: Finding): string => (x.severity === 'error' ? '!' : x.severity === 'warning' ? '*' : '-');
    const lines = f.map((x) => safeText(`${mark(x)} ${x.label}: ${x.text}`));
    if (lines.length <= MAX_FINDING_LINES) return lines;
    return [...lines.slice(0, MAX_FINDING_LINES - 1), `  (${lines.length - MAX_FINDING_LINES + 1} more findings)`];
  }

  bindings(): KeyBinding[] {
    return bindingsOf('flow');
  }

  private build(): CallFlow {
    // Rebuilt when messages or RTP streams arrive or compaction (-R) renumbered rows.
    const streams = this.dialog.media?.streams ?? [];
    const built = `${this.dialog.msgs.length} ${streams.length} ${streams.reduce((n, s) => n + s.packets, 0)} ${this.ctx.store.generation}`;
    if (this.flow === undefined || this.builtFor !== built) {
      this.msgs = withRtpStreams(flowMessages(this.ctx.store, this.dialog, (loc) => this.ctx.readBytes(loc)), streams);
      this.flow = layoutCallFlow(this.msgs, { ascii: this.ctx.ascii, offset: this.ctx.offset });
      this.builtFor = built;
    }
    return this.flow;
  }

  render(size: Size): Rendered {
    const { cols, rows } = size;
    const flow = this.build();
    const natural = flow.lines.reduce((n, l) => Math.max(n, [...l].length), [...flow.header].length);
    let left = Math.min(natural + 1, cols);
    if (cols - left - 1 < MIN_PREVIEW) left = Math.max(Math.floor(cols * 0.6), Math.min(natural + 1, cols - MIN_PREVIEW - 1));
    const preview = cols - left - 1 >= MIN_PREVIEW ? cols - left - 1 : 0;
    if (preview === 0) left = cols;
    const sep = this.ctx.ascii ? '|' : '│';
    const d = this.dialog;
    const title = `Call flow  ${safeText(d.from.user || d.from.uri)} -> ${safeText(d.to.user || d.to.uri)}  ${d.isInvite ? d.state : d.method}  Call-ID: ${safeText(d.callId)}`;
    const findings = rows >= 10 ? this.findingLines() : [];
    const lines: StyledLine[] = [bold(padTo(title, cols)), ...findings.map((f) => plain(padTo(f, cols))), plain(padTo(flow.header, cols))];
    this.pageRows = Math.max(1, rows - 3 - findings.length);
    this.cursor = Math.max(0, Math.min(this.cursor, flow.lines.length - 1));
    this.top = scrollTop(this.top, this.cursor, this.pageRows, flow.lines.length);
    const selected = this.msgs[this.cursor];
    const previewLines =
      preview === 0 || selected === undefined
        ? []
        : selected.stream !== undefined
          ? rtpStreamLines(selected.stream, this.ctx.offset).map(safeText)
          : rawLines(
            [{ sec: selected.sec, nsec: selected.nsec, src: selected.src, dst: selected.dst, bytes: this.ctx.readBytes(this.ctx.store.msgBytes(selected.row)) }],
            this.ctx.offset,
          );
    for (let i = 0; i < this.pageRows; i++) {
      const k = this.top + i;
      const arrow = flow.lines[k];
      const leftText = padTo(arrow ?? '', left);
      const line: StyledLine = [{ text: leftText, inverse: arrow !== undefined && k === this.cursor }];
      if (preview > 0) line.push({ text: sep + padTo(previewLines[i] ?? '', preview) });
      lines.push(line);
    }
    lines.push(inverse(padTo(footerHint([['Up/Down', 'Message'], ['Enter', 'Raw message'], ['F6', 'Raw dialog'], ['Esc', 'Back'], ['F1', 'Help']]), cols)));
    return { lines };
  }

  action(a: KeyAction): void {
    const n = this.build().lines.length;
    switch (a) {
      case 'up':
        this.cursor = Math.max(0, this.cursor - 1);
        break;
      case 'down':
        this.cursor = Math.min(n - 1, this.cursor + 1);
        break;
      case 'page-up':
        this.cursor = Math.max(0, this.cursor - this.pageRows);
        break;
      case 'page-down':
        this.cursor = Math.max(0, Math.min(n - 1, this.cursor + this.pageRows));
        break;
      case 'home':
        this.cursor = 0;
        break;
      case 'end':
        this.cursor = Math.max(0, n - 1);
        break;
      case 'open-raw': {
        const m = this.msgs[this.cursor];
        if (m !== undefined && m.row >= 0) this.ctx.open(RawWindow.ofRows(this.ctx, [m.row], 'Raw message'));
        break;
      }
      case 'open-dialog-raw':
        this.ctx.open(RawWindow.ofDialog(this.ctx, this.dialog));
        break;
      case 'back':
        this.ctx.close();
        break;
      default:
        break;
    }
  }
}
