import { bindingsOf, footerHint, type KeyAction, type KeyBinding, type KeyWindow } from './keymap';
import { bold, inverse, plain, type Size, type StyledLine } from './canvas';
import { padTo, type Rendered, type UiContext, type WindowController } from './window';
import { fitStyled } from './sip-colours';

/**
 * A read-only, scrollable page of text lines with a title (stats, message diff). The lines
 * are computed for the width on screen and must already be safe for a terminal.
 */
export class TextWindow implements WindowController {
  private top = 0;
  private pageRows = 10;

  constructor(
    private readonly ctx: Pick<UiContext, 'close'>,
    readonly window: KeyWindow,
    private readonly title: () => string,
    private readonly content: (cols: number) => readonly StyledLine[],
  ) {}

  bindings(): KeyBinding[] {
    return bindingsOf(this.window);
  }

  private lastCount = 0;

  render(size: Size): Rendered {
    const { cols, rows } = size;
    const text = this.content(cols);
    this.lastCount = text.length;
    this.pageRows = Math.max(1, rows - 2);
    this.top = Math.max(0, Math.min(this.top, text.length - this.pageRows));
    const lines: StyledLine[] = [bold(padTo(this.title(), cols))];
    for (let i = 0; i < this.pageRows; i++) {
      const l = text[this.top + i] ?? plain('');
      lines.push(fitStyled(l, cols));
    }
    const where = text.length > this.pageRows ? `  lines ${this.top + 1}-${Math.min(text.length, this.top + this.pageRows)} of ${text.length}` : '';
    lines.push(inverse(padTo(footerHint([['Up/Down', 'Scroll'], ['Esc', 'Back'], ['F1', 'Help']]) + where, cols)));
    return { lines };
  }

  action(a: KeyAction): void {
    const last = Math.max(0, this.lastCount - this.pageRows);
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
