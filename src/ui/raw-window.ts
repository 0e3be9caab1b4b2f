import type { Dialog } from '../store/dialog';
import { rawLines } from '../view/raw-view';
import { safeText } from '../view/dialog-report';
import { bindingsOf, footerHint, type KeyAction, type KeyBinding } from './keymap';
import { bold, inverse, type Size, type StyledLine } from './canvas';
import { styleSipLines } from './sip-colours';
import { padTo, type Rendered, type UiContext, type WindowController } from './window';

/** Plain text of messages, scrollable, for reading and copying. */
export class RawWindow implements WindowController {
  readonly window = 'raw' as const;
  private top = 0;
  private pageRows = 10;
  private lines: string[] | undefined;
  private styled: StyledLine[] | undefined;

  private constructor(
    private readonly ctx: UiContext,
    private readonly rows: () => readonly number[],
    private readonly title: string,
  ) {}

  static ofRows(ctx: UiContext, rows: readonly number[], title: string): RawWindow {
    return new RawWindow(ctx, () => rows, title);
  }

  static ofDialog(ctx: UiContext, d: Dialog): RawWindow {
    return new RawWindow(ctx, () => d.msgs, `Raw dialog  Call-ID: ${safeText(d.callId)}`);
  }

  bindings(): KeyBinding[] {
    return bindingsOf('raw');
  }

  private content(): string[] {
    if (this.lines === undefined) {
      const s = this.ctx.store;
      this.lines = rawLines(
        this.rows().map((r) => ({ sec: s.msgSec(r), nsec: s.msgNsec(r), src: s.msgSrc(r), dst: s.msgDst(r), bytes: this.ctx.readBytes(s.msgBytes(r)) })),
        this.ctx.offset,
      );
    }
    return this.lines;
  }

  render(size: Size): Rendered {
    const { cols, rows } = size;
    const text = this.content();
    this.styled ??= styleSipLines(text);
    this.pageRows = Math.max(1, rows - 2);
    this.top = Math.max(0, Math.min(this.top, text.length - this.pageRows));
    const lines: StyledLine[] = [bold(padTo(this.title, cols))];
    for (let i = 0; i < this.pageRows; i++) lines.push(this.styled[this.top + i] ?? []);
    const where = text.length > this.pageRows ? `  lines ${this.top + 1}-${Math.min(text.length, this.top + this.pageRows)} of ${text.length}` : '';
    lines.push(inverse(padTo(footerHint([['Up/Down', 'Scroll'], ['Esc', 'Back'], ['F1', 'Help']]) + where, cols)));
    return { lines };
  }

  action(a: KeyAction): void {
    const n = this.content().length;
    const last = Math.max(0, n - this.pageRows);
    switch (a) {
      case 'up':
        this.top = Math.max(0, this.top - 1);
        break;
      case 'down':
        this.top = Math.min(last, this.top + 1);
        break;
      case 'page-up':
        this.top = Math.max(0, this.top - this.pageRows);
        break;
      case 'page-down':
        this.top = Math.min(last, this.top + this.pageRows);
        break;
      case 'home':
        this.top = 0;
        break;
      case 'end':
        this.top = last;
        break;
      case 'back':
        this.ctx.close();
        break;
      default:
        break;
    }
  }
}
