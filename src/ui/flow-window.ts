import type { Dialog } from '../store/dialog';
import { FLOW_MARGIN, rtpStreamLines } from '../view/call-flow';
import { LEG_MARGIN, legTag, multiFlowOf, type MultiFlow } from '../view/multi-flow';
import { relatedChain } from '../view/related-dialogs';
import { rawLines } from '../view/raw-view';
import { scrollTop } from '../view/list-view';
import { safeText } from '../view/dialog-report';
import { cachedFindings, telephonyOf } from '../view/dialog-filter';
import type { Finding } from '../analysis/findings';
import { bindingsOf, footerHint, type KeyAction, type KeyBinding } from './keymap';
import { bold, inverse, plain, type Colour, type Size, type StyledLine } from './canvas';
import { fitStyled, labelColour, styleSipLines } from './sip-colours';
import { aliasLookup } from '../view/aliases';
import { padTo, type Rendered, type UiContext, type WindowController } from './window';
import { RawWindow } from './raw-window';
import { DiffWindow } from './diff-window';
import { SaveForm } from './save-form';

const MIN_PREVIEW = 30;
/** Colours of leg tags L1, L2, ... in turn. */
const LEG_COLOURS: readonly Colour[] = ['cyan', 'yellow', 'green', 'magenta', 'blue', 'red'];

function legColour(tag: string): Colour {
  const n = Number(/^L(\d+)/.exec(tag)?.[1] ?? 1);
  return LEG_COLOURS[(n - 1) % LEG_COLOURS.length]!;
}
/** Findings lines under the title at most (the rest are counted on the last one). */
const MAX_FINDING_LINES = 3;
/** Leg lines under the title at most, when several dialogs share the ladder. */
const MAX_LEG_LINES = 4;
/** Cells moved by Left/Right. */
const SCROLL_STEP = 10;

/** A dialog shown with the first one, and why (`selected`, `same X-Call-ID`, ...). */
export interface ExtraLeg {
  dialog: Dialog;
  how: string;
}

/**
 * The call flow of one dialog, or one ladder of several (selected dialogs, or a dialog and
 * its related dialogs): arrows on the left, the selected message's text on the right.
 */
export class FlowWindow implements WindowController {
  readonly window = 'flow' as const;
  status = '';
  private cursor = 0;
  private top = 0;
  private shift = 0;
  /**
   * The message preview beside the ladder: 'auto' shows it when the whole ladder fits
   * beside it (on a narrow terminal the ladder comes first); `t` switches it on or off.
   */
  private previewMode: 'auto' | 'on' | 'off' = 'auto';
  private previewShown = false;
  private pageRows = 10;
  /** Row of the message marked for a diff (Space), or undefined. */
  private marked: number | undefined;
  /** Store generation when the message was marked (compaction renumbers rows: -R). */
  private markedIn = -1;
  private flow: MultiFlow | undefined;
  private builtFor = '';
  private readonly findingsOf: (d: Dialog) => readonly Finding[];
  readonly dialogs: readonly Dialog[];

  constructor(
    private readonly ctx: UiContext,
    readonly dialog: Dialog,
    readonly extra: readonly ExtraLeg[] = [],
  ) {
    this.findingsOf = telephonyOf(ctx.load)?.findings ?? cachedFindings(ctx.store, { read: (loc) => ctx.readBytes(loc) });
    this.dialogs = [dialog, ...extra.map((e) => e.dialog)];
  }

  /** The extended flow of a dialog: it and its related dialogs (X-Call-ID, X-CID, numbers). */
  static extended(ctx: UiContext, d: Dialog): FlowWindow {
    const related = relatedChain(ctx.store, d, ctx.store.dialogList(), (loc) => ctx.readBytes(loc), { relatedHeaders: ctx.relatedHeaders });
    const w = new FlowWindow(ctx, d, related);
    if (related.length === 0) w.status = 'No related dialogs found (X-Call-ID, X-CID, or same numbers within 5 s)';
    return w;
  }

  /** The dialog's findings as one line each: `! no-response: INVITE got no response ...`. */
  private findingLines(): string[] {
    const f = this.findingsOf(this.dialog);
    const mark = (x: Finding): string => (x.severity === 'error' ? '!' : x.severity === 'warning' ? '*' : '-');
    const lines = f.map((x) => safeText(`${mark(x)} ${x.label}: ${x.text}`));
    if (lines.length <= MAX_FINDING_LINES) return lines;
    return [...lines.slice(0, MAX_FINDING_LINES - 1), `  (${lines.length - MAX_FINDING_LINES + 1} more findings)`];
  }

  /** One line per leg: `L2 1001 -> 2002  IN CALL  Call-ID: ...  (same X-Call-ID)`. */
  private legLines(): string[] {
    if (this.dialogs.length < 2) return [];
    const lines = this.dialogs.map((d, i) => {
      const how = i === 0 ? '' : `  (${this.extra[i - 1]?.how ?? ''})`;
      return safeText(`${legTag(i + 1)}${d.from.user || d.from.uri} -> ${d.to.user || d.to.uri}  ${d.isInvite ? d.state : d.method}  Call-ID: ${d.callId}${how}`);
    });
    if (lines.length <= MAX_LEG_LINES) return lines;
    return [...lines.slice(0, MAX_LEG_LINES - 1), `    (${lines.length - MAX_LEG_LINES + 1} more dialogs)`];
  }

  bindings(): KeyBinding[] {
    return bindingsOf('flow');
  }

  private build(): MultiFlow {
    // Rebuilt when messages or RTP packets arrive or compaction (-R) renumbered rows.
    const built = `${this.dialogs.map((d) => `${d.msgs.length}:${(d.media?.streams ?? []).reduce((n, st) => n + st.packets, 0)}`).join(',')}/${this.ctx.store.generation}`;
    if (this.flow === undefined || this.builtFor !== built) {
      this.flow = multiFlowOf(this.ctx.store, this.dialogs, (loc) => this.ctx.readBytes(loc), {
        ascii: this.ctx.ascii,
        offset: this.ctx.offset,
        alias: aliasLookup(this.ctx.config?.aliases ?? new Map<string, string>()),
      });
      this.builtFor = built;
    }
    return this.flow;
  }

  /** Cells that stay put when scrolling sideways: leg tag and time margin. */
  private fixedCells(): number {
    return (this.dialogs.length > 1 ? LEG_MARGIN : 0) + FLOW_MARGIN;
  }

  private shifted(line: string): string {
    if (this.shift === 0) return line;
    const chars = [...line];
    const fixed = this.fixedCells();
    return chars.slice(0, fixed).join('') + chars.slice(fixed + this.shift).join('');
  }

  render(size: Size): Rendered {
    const { cols, rows } = size;
    const flow = this.build();
    if (this.marked !== undefined && this.markedIn !== this.ctx.store.generation) this.marked = undefined;
    const natural = flow.lines.reduce((n, l) => Math.max(n, [...l].length), [...flow.header].length);
    const fitsBeside = natural + 1 + 1 + MIN_PREVIEW <= cols;
    const wantPreview = this.previewMode === 'auto' ? fitsBeside : this.previewMode === 'on';
    let left = wantPreview ? Math.min(natural + 1, cols) : cols;
    if (wantPreview && cols - left - 1 < MIN_PREVIEW) left = Math.max(Math.floor(cols * 0.6), Math.min(natural + 1, cols - MIN_PREVIEW - 1));
    const preview = wantPreview && cols - left - 1 >= MIN_PREVIEW ? cols - left - 1 : 0;
    this.previewShown = preview > 0;
    if (preview === 0) left = cols;
    this.shift = Math.max(0, Math.min(this.shift, natural + 1 - left));
    const sep = this.ctx.ascii ? '|' : '│';
    const d = this.dialog;
    const title =
      this.dialogs.length > 1
        ? `Call flow  ${this.dialogs.length} dialogs  ${flow.messages.length} messages`
        : `Call flow  ${safeText(d.from.user || d.from.uri)} -> ${safeText(d.to.user || d.to.uri)}  ${d.isInvite ? d.state : d.method}  Call-ID: ${safeText(d.callId)}`;
    const findings = rows >= 10 && this.dialogs.length === 1 ? this.findingLines() : [];
    const legs = rows >= 10 ? this.legLines() : [];
    const more = this.shift > 0 ? `  (scrolled ${this.shift} right)` : natural > left ? (preview > 0 ? '  (Right: more; t hides the preview)' : '  (Right: more)') : '';
    const lines: StyledLine[] = [
      bold(padTo(title + more, cols)),
      ...legs.map((f): StyledLine => {
        const line = padTo(f, cols);
        return /^L\d/.test(line) ? [{ text: line.slice(0, LEG_MARGIN), bold: true, fg: legColour(line) }, { text: line.slice(LEG_MARGIN) }] : plain(line);
      }),
      ...findings.map((f) => plain(padTo(f, cols))),
      // Column names stop where the ladder does (the preview pane is beside it).
      plain(padTo(padTo(this.shifted(flow.header), left), cols)),
    ];
    this.pageRows = Math.max(1, rows - 3 - findings.length - legs.length);
    this.cursor = Math.max(0, Math.min(this.cursor, flow.lines.length - 1));
    this.top = scrollTop(this.top, this.cursor, this.pageRows, flow.lines.length);
    const selected = flow.messages[this.cursor];
    const previewLines =
      preview === 0 || selected === undefined
        ? []
        : selected.stream !== undefined
          ? rtpStreamLines(selected.stream, this.ctx.offset).map(safeText)
          : rawLines(
            [{ sec: selected.sec, nsec: selected.nsec, src: selected.src, dst: selected.dst, bytes: this.ctx.readBytes(this.ctx.store.msgBytes(selected.row)) }],
            this.ctx.offset,
          );
    const previewStyled = selected?.stream !== undefined ? previewLines.map((l) => plain(l)) : styleSipLines(previewLines);
    for (let i = 0; i < this.pageRows; i++) {
      const k = this.top + i;
      const arrow = flow.lines[k];
      const isMarked = this.marked !== undefined && flow.messages[k]?.row === this.marked;
      const leftText = padTo(arrow === undefined ? '' : this.shifted(arrow), left);
      const msg = flow.messages[k];
      const selectedRow = arrow !== undefined && k === this.cursor;
      const fg = msg !== undefined && !selectedRow ? labelColour(msg.label) : undefined;
      // Several legs: each leg's tag in a colour of its own, so legs are told apart at a glance.
      const tagged = this.dialogs.length > 1 && msg !== undefined && !selectedRow && leftText.startsWith('L');
      const line: StyledLine = tagged
        ? [
            { text: leftText.slice(0, LEG_MARGIN), bold: true, fg: legColour(leftText.slice(0, LEG_MARGIN)) },
            { text: leftText.slice(LEG_MARGIN), bold: isMarked, fg },
          ]
        : [{ text: leftText, inverse: selectedRow, bold: isMarked, fg }];
      if (preview > 0) line.push({ text: sep }, ...fitStyled(previewStyled[i] ?? [], preview));
      lines.push(line);
    }
    lines.push(inverse(padTo(this.footer(), cols)));
    return { lines };
  }

  private footer(): string {
    if (this.status !== '') return this.status;
    if (this.marked !== undefined) return 'Message marked: Space on another message shows the differences (Space again unmarks)';
    return footerHint([
      ['Up/Down', 'Message'],
      ['Enter', 'Raw'],
      ['Space', 'Diff'],
      ['x', 'Extended'],
      ['s', 'Save'],
      ['t', this.previewShown ? 'No preview' : 'Preview'],
      ['Esc', 'Back'],
      ['F1', 'Help'],
    ]);
  }

  text(): boolean {
    this.status = '';
    return false;
  }

  action(a: KeyAction): void {
    const flow = this.build();
    const n = flow.lines.length;
    const current = flow.messages[this.cursor];
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
      case 'scroll-left':
        this.shift = Math.max(0, this.shift - SCROLL_STEP);
        break;
      case 'toggle-preview':
        this.previewMode = this.previewShown ? 'off' : 'on';
        break;
      case 'scroll-right':
        this.shift += SCROLL_STEP; // bounded at the next render, where the width is known
        break;
      case 'open-raw':
        // An RTP stream line has no message text: its figures are in the preview.
        if (current !== undefined && current.row >= 0) this.ctx.open(RawWindow.ofRows(this.ctx, [current.row], 'Raw message'));
        break;
      case 'open-dialog-raw':
        if (this.dialogs.length === 1) this.ctx.open(RawWindow.ofDialog(this.ctx, this.dialog));
        else this.ctx.open(RawWindow.ofRows(this.ctx, flow.messages.filter((m) => m.row >= 0).map((m) => m.row), `Raw of ${this.dialogs.length} dialogs`));
        break;
      case 'mark-diff':
        if (current === undefined || current.row < 0) break; // an RTP stream line has no text to compare
        if (this.marked === undefined || this.markedIn !== this.ctx.store.generation) {
          this.marked = current.row;
          this.markedIn = this.ctx.store.generation;
        } else if (this.marked === current.row) this.marked = undefined;
        else {
          this.ctx.open(new DiffWindow(this.ctx, this.marked, current.row));
          this.marked = undefined;
        }
        break;
      case 'extended-flow':
        this.ctx.open(FlowWindow.extended(this.ctx, this.dialog));
        break;
      case 'save':
        this.ctx.open(
          new SaveForm(this, {
            title: 'Save the message or the dialogs as pcap, text, or pcap with RTP',
            targets: [
              { name: 'message', what: () => (current === undefined || current.row < 0 ? [] : [{ msgs: [current.row] }]), noun: 'message' },
              { name: 'dialogs', what: () => [...this.dialogs], noun: 'dialog' },
            ],
            initial: 0,
            defaultFile: 'sipscope-message',
            saveAs: (groups, format, file, what) => this.ctx.saveAs(groups, format, file, what),
            close: () => this.ctx.close(),
            ascii: this.ctx.ascii,
          }),
        );
        break;
      case 'back':
        this.ctx.close();
        break;
      default:
        break;
    }
  }
}
