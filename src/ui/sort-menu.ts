import type { ListColumn } from '../view/list-columns';
import type { SortMark } from '../view/list-view';
import { bindingsOf, type KeyAction, type KeyBinding } from './keymap';
import type { Size, StyledLine } from './canvas';
import { boxLines } from './form';
import { padTo, type Rendered, type WindowController } from './window';

/** What the sort menu needs of the list. */
export interface SortTarget {
  readonly columns: readonly ListColumn[];
  sort: SortMark | undefined;
  setSort(sort: SortMark): void;
  render(size: Size): Rendered;
}

const WIDTH = 40;

/**
 * The sort menu (< or >): the list's columns; Enter sorts by the one under the cursor,
 * keeping the direction (z in the list flips it). Esc closes without change.
 */
export class SortMenu implements WindowController {
  readonly window = 'sort' as const;
  private cursor: number;
  private top = 0;

  constructor(
    private readonly target: SortTarget,
    private readonly closeWindow: () => void,
  ) {
    const current = this.columns.findIndex((c) => c.id === (target.sort?.id ?? 'index'));
    this.cursor = Math.max(0, current);
  }

  bindings(): KeyBinding[] {
    return bindingsOf('sort');
  }

  /** The list's columns that can be sorted by. */
  private get columns(): ListColumn[] {
    return this.target.columns.filter((c) => c.sortable !== false);
  }

  render(size: Size): Rendered {
    const under = this.target.render(size);
    const width = Math.min(size.cols, WIDTH);
    const cols = this.columns;
    const room = Math.max(3, size.rows - 6);
    if (this.cursor < this.top) this.top = this.cursor;
    if (this.cursor >= this.top + room) this.top = this.cursor - room + 1;
    const body: StyledLine[] = [];
    for (let i = this.top; i < Math.min(cols.length, this.top + room); i++) {
      const c = cols[i]!;
      const mark = this.target.sort?.id === c.id ? (this.target.sort.descending ? ' (descending)' : ' (ascending)') : '';
      body.push([{ text: '  ' }, { text: padTo(`${c.title}${mark}`, width - 4), inverse: i === this.cursor }, { text: '  ' }]);
    }
    const lines = boxLines('Sort by', body, 'Enter sort  Esc close', width);
    return { lines: under.lines, overlay: { lines, width } };
  }

  action(a: KeyAction): void {
    const n = this.columns.length;
    switch (a) {
      case 'up':
        this.cursor = Math.max(0, this.cursor - 1);
        break;
      case 'down':
        this.cursor = Math.min(n - 1, this.cursor + 1);
        break;
      case 'home':
        this.cursor = 0;
        break;
      case 'end':
        this.cursor = n - 1;
        break;
      case 'form-apply': {
        const c = this.columns[this.cursor];
        if (c !== undefined) this.target.setSort({ id: c.id, descending: this.target.sort?.descending ?? false });
        this.closeWindow();
        break;
      }
      default:
        break;
    }
  }
}
