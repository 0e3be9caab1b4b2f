import { COLUMN_CATALOG, columnById, type ListColumn } from '../view/list-columns';
import { fitColumns } from '../view/list-view';
import { bindingsOf, type KeyAction, type KeyBinding } from './keymap';
import type { Size, StyledLine } from './canvas';
import { boxLines } from './form';
import { padTo, typedChar, type Rendered, type WindowController } from './window';

/** What the columns window needs of the list. */
export interface ColumnsTarget {
  columns: ListColumn[];
  setColumns(columns: ListColumn[]): void;
  render(size: Size): Rendered;
}

interface Entry {
  column: ListColumn;
  shown: boolean;
}

const WIDTH = 64;

/**
 * sngrep's columns window (F10 / t): every column with a check box, the shown ones first in
 * their order. Space shows or hides, +/- (or Shift+Up/Down) move, and the last line adds a
 * column for any header by name. Changes apply to the list at once; Esc closes.
 */
export class ColumnsWindow implements WindowController {
  readonly window = 'columns' as const;
  private readonly entries: Entry[];
  private cursor = 0;
  private top = 0;
  private header = '';
  private note = '';

  constructor(
    private readonly target: ColumnsTarget,
    private readonly closeWindow: () => void,
    private readonly ascii: boolean,
  ) {
    const shown = target.columns.map((column) => ({ column, shown: true }));
    const hidden = COLUMN_CATALOG.filter((c) => !target.columns.some((s) => s.id === c.id)).map((column) => ({ column, shown: false }));
    this.entries = [...shown, ...hidden];
  }

  bindings(): KeyBinding[] {
    return bindingsOf('columns');
  }

  /** The row of the header-name field, after the columns. */
  private get fieldRow(): number {
    return this.entries.length;
  }

  private apply(): void {
    this.target.setColumns(this.entries.filter((e) => e.shown).map((e) => e.column));
  }

  private move(by: -1 | 1): void {
    const j = this.cursor + by;
    if (this.cursor >= this.fieldRow || j < 0 || j >= this.fieldRow) return;
    const e = this.entries;
    [e[this.cursor], e[j]] = [e[j]!, e[this.cursor]!];
    this.cursor = j;
    this.apply();
  }

  private addHeader(): void {
    const name = this.header.trim();
    if (name === '') return;
    const col = columnById(`hdr:${name}`);
    if (typeof col === 'string') {
      this.note = col;
      return;
    }
    const existing = this.entries.findIndex((e) => e.column.id.toLowerCase() === col.id.toLowerCase());
    if (existing >= 0) {
      this.entries[existing]!.shown = true;
      this.cursor = existing;
    } else {
      // After the last shown column, so it appears at the right end of the list.
      let at = 0;
      this.entries.forEach((e, i) => {
        if (e.shown) at = i + 1;
      });
      this.entries.splice(at, 0, { column: col, shown: true });
      this.cursor = at;
    }
    this.header = '';
    this.note = `Added the ${name} column`;
    this.apply();
  }

  render(size: Size): Rendered {
    const under = this.target.render(size);
    const width = Math.min(size.cols, WIDTH);
    const inner = width - 4;
    const fitted = new Set(fitColumns(size.cols, this.entries.filter((e) => e.shown).map((e) => e.column)).map((f) => f.column.id));
    // Box: title, blank, rows, field, note, blank, hint.
    const room = Math.max(3, Math.min(size.rows, 30) - 7);
    if (this.cursor < this.top) this.top = this.cursor;
    if (this.cursor >= this.top + room) this.top = this.cursor - room + 1;
    this.top = Math.max(0, Math.min(this.top, this.entries.length + 1 - room));
    const body: StyledLine[] = [];
    for (let i = this.top; i < Math.min(this.entries.length + 1, this.top + room); i++) {
      let text: string;
      if (i === this.fieldRow) {
        text = `Add header column: [${padTo(this.header + (this.cursor === i ? '_' : ''), Math.max(4, inner - 22))}]`;
      } else {
        const e = this.entries[i]!;
        const box = e.shown ? (this.ascii ? '[x]' : '[✔]') : '[ ]';
        const narrow = e.shown && !fitted.has(e.column.id) ? ' (no room at this width)' : '';
        text = `${box} ${e.column.title.padEnd(14)} ${e.column.about}${narrow}`;
      }
      body.push([{ text: '  ' }, { text: padTo(text, inner), inverse: i === this.cursor }, { text: '  ' }]);
    }
    body.push([{ text: '  ' }, { text: padTo(this.note, inner) }, { text: '  ' }]);
    const lines = boxLines('List columns (applied at once)', body, 'Space show/hide  +/- move  Enter add header  Esc close', width);
    return { lines: under.lines, overlay: { lines, width } };
  }

  text(key: string, ch: string | undefined): boolean {
    if (this.cursor !== this.fieldRow) return false;
    if (key === 'backspace') {
      this.header = [...this.header].slice(0, -1).join('');
      return true;
    }
    if (key === 'space') return true;
    const c = typedChar(key, ch);
    if (c === undefined) return false;
    this.header += c;
    this.note = '';
    return true;
  }

  action(a: KeyAction): void {
    this.note = this.cursor === this.fieldRow ? this.note : '';
    switch (a) {
      case 'up':
        this.cursor = Math.max(0, this.cursor - 1);
        break;
      case 'down':
        this.cursor = Math.min(this.fieldRow, this.cursor + 1);
        break;
      case 'page-up':
        this.cursor = Math.max(0, this.cursor - 10);
        break;
      case 'page-down':
        this.cursor = Math.min(this.fieldRow, this.cursor + 10);
        break;
      case 'home':
        this.cursor = 0;
        break;
      case 'end':
        this.cursor = this.fieldRow;
        break;
      case 'column-toggle': {
        const e = this.entries[this.cursor];
        if (e === undefined) break;
        if (e.shown && this.entries.filter((x) => x.shown).length === 1) {
          this.note = 'The list needs at least one column';
          break;
        }
        e.shown = !e.shown;
        this.apply();
        break;
      }
      case 'column-up':
        this.move(-1);
        break;
      case 'column-down':
        this.move(1);
        break;
      case 'form-apply':
        if (this.cursor === this.fieldRow && this.header.trim() !== '') this.addHeader();
        else this.closeWindow();
        break;
      default:
        break;
    }
  }
}
