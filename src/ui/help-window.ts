import { bindingsOf, helpLines, KEYMAP, type KeyAction, type KeyBinding } from './keymap';
import { bold, inverse, plain, type Size, type StyledLine } from './canvas';
import { padTo, type Rendered, type WindowController } from './window';

/** Help (F1): the key table, generated from the keymap. */
export class HelpWindow implements WindowController {
  readonly window = 'help' as const;
  private top = 0;
  private pageRows = 10;
  private readonly content: string[];

  constructor(
    private readonly closeWindow: () => void,
    keymap: readonly KeyBinding[] = KEYMAP,
  ) {
    this.content = helpLines(keymap);
  }

  bindings(): KeyBinding[] {
    return bindingsOf('help');
  }

  render(size: Size): Rendered {
    this.pageRows = Math.max(1, size.rows - 2);
    this.top = Math.max(0, Math.min(this.top, this.content.length - this.pageRows));
    const lines: StyledLine[] = [bold(padTo('Help', size.cols))];
    for (let i = 0; i < this.pageRows; i++) lines.push(plain(this.content[this.top + i] ?? ''));
    lines.push(inverse(padTo('Up/Down scroll  Esc close', size.cols)));
    return { lines };
  }

  action(a: KeyAction): void {
    if (a === 'back') this.closeWindow();
  }

  /** Scrolling keys, which the help window takes itself (it answers to no global key). */
  text(key: string): boolean {
    const last = Math.max(0, this.content.length - this.pageRows);
    if (key === 'up' || key === 'k') this.top = Math.max(0, this.top - 1);
    else if (key === 'down' || key === 'j') this.top = Math.min(last, this.top + 1);
    else if (key === 'pageup') this.top = Math.max(0, this.top - this.pageRows);
    else if (key === 'pagedown') this.top = Math.min(last, this.top + this.pageRows);
    else return false;
    return true;
  }
}
