import type { Dialog } from '../store/dialog';
import type { DialogStore } from '../store/store';
import { safeText } from './dialog-report';
import { fit, type UtcOffset } from './clock';
import { columnCells, defaultColumns, type ListColumn } from './list-columns';
import { displayWidth } from './text-width';

/**
 * The dialog list as text: columns fitted to the terminal width, and rows computed only for
 * the visible slice (a list of 100,000+ dialogs formats a screenful, never all of them).
 */

export type { ListColumn } from './list-columns';

/** The default columns, in display order (sngrep's names: index, method, sipfromuser, siptouser, msgcnt, src, dst, state, ...). */
export const LIST_COLUMNS: readonly ListColumn[] = defaultColumns();

export interface FittedColumn {
  column: ListColumn;
  /** Index of the column in the columns fitted (and in the row's cells). */
  cell: number;
  width: number;
}

/** Width of the selection mark `[ ] ` before each row. */
export const MARK_WIDTH = 4;

/**
 * Fits the columns into `width` cells: spare room goes to flexible columns, a shortage is
 * taken from them down to their minimum, and when even that is too wide the least
 * important columns are dropped.
 */
export function fitColumns(width: number, columns: readonly ListColumn[] = LIST_COLUMNS): FittedColumn[] {
  let kept = columns.map((column, cell) => ({ column, cell }));
  const need = (cols: typeof kept, key: 'min' | 'pref'): number =>
    MARK_WIDTH + cols.reduce((s, c) => s + c.column[key], 0) + Math.max(0, cols.length - 1);
  while (kept.length > 1 && need(kept, 'min') > width) {
    let worst = 0;
    for (let i = 1; i < kept.length; i++) {
      const a = kept[i]!.column;
      const b = kept[worst]!.column;
      if (a.drop > b.drop || (a.drop === b.drop && a.drop > 0 && i > worst)) worst = i;
    }
    kept = kept.filter((_, i) => i !== worst);
  }
  const widths = kept.map((c) => c.column.pref);
  let spare = width - need(kept, 'pref');
  const flexTotal = kept.reduce((s, c) => s + c.column.flex, 0);
  if (spare > 0 && flexTotal > 0) {
    let given = 0;
    kept.forEach((c, i) => {
      const add = Math.floor((spare * c.column.flex) / flexTotal);
      widths[i]! += add;
      given += add;
    });
    // Rounding leftovers to the last flexible column.
    for (let i = kept.length - 1; i >= 0 && given < spare; i--) {
      if (kept[i]!.column.flex > 0) {
        widths[i]! += spare - given;
        given = spare;
      }
    }
  } else if (spare > 0 && kept.length > 0) {
    // Every column has a fixed width (config): the last one takes the rest, as in sngrep.
    widths[kept.length - 1]! += spare;
  } else if (spare < 0) {
    // Shrink flexible, then all columns, toward their minimum, one cell at a time.
    for (let pass = 0; pass < 2 && spare < 0; pass++) {
      let progress = true;
      while (spare < 0 && progress) {
        progress = false;
        for (let i = 0; i < kept.length && spare < 0; i++) {
          const c = kept[i]!.column;
          if ((pass === 0 && c.flex === 0) || widths[i]! <= c.min) continue;
          widths[i]!--;
          spare++;
          progress = true;
        }
      }
    }
  }
  return kept.map((c, i) => ({ column: c.column, cell: c.cell, width: widths[i]! }));
}

/** Position of the findings cell in `dialogCells`. */
export const FINDINGS_CELL = LIST_COLUMNS.findIndex((c) => c.id === 'findings');

/** The findings cell: the labels of a dialog's findings, each once, in order. */
export function findingsCellText(labels: readonly string[]): string {
  return safeText([...new Set(labels)].join(','));
}

/**
 * Every cell of a dialog's row, in LIST_COLUMNS order, safe for a terminal. The findings
 * cell is empty unless `findings` (the labels) is given: analysing a dialog reads its
 * messages back, so the UI fills it only for the rows on screen.
 */
export function dialogCells(store: DialogStore, d: Dialog, offset: UtcOffset, findings?: readonly string[]): string[] {
  return columnCells(LIST_COLUMNS, d, { store, offset, findings });
}

/** The column the list is sorted by, and the direction. */
export interface SortMark {
  id: string;
  descending: boolean;
}

/** Appended to the sorted column's title. */
export function sortMarkText(descending: boolean, ascii: boolean): string {
  return ascii ? (descending ? ' v' : ' ^') : descending ? '▼' : '▲';
}

export interface RowStyle {
  /** Colours cells (config `color`); rows then come in parts too. */
  colour?: CellColour;
  /** Marks a cut cell: `~` (ASCII) or `…`. */
  ellipsis?: string;
  sort?: SortMark;
  ascii?: boolean;
}

/** The column header line (aligned with the rows), the sorted column marked. */
export function listHeader(fitted: readonly FittedColumn[], style: RowStyle = {}): string {
  const title = (c: ListColumn): string =>
    style.sort !== undefined && style.sort.id === c.id ? `${c.title}${sortMarkText(style.sort.descending, style.ascii === true)}` : c.title;
  // A cut title keeps its sort mark visible: cut the name, not the mark.
  const cell = (f: FittedColumn): string => {
    const t = title(f.column);
    if (t === f.column.title || displayWidth(t) <= f.width) return fit(t, f.width, f.column.align === 'right' ? 'right' : 'left', style.ellipsis);
    // Too narrow for the title and the mark: the title is cut, without a cut mark.
    const mark = t.slice(f.column.title.length).trimStart();
    return fit(f.column.title, Math.max(0, f.width - displayWidth(mark)), 'left', '') + mark;
  };
  return ' '.repeat(MARK_WIDTH) + fitted.map(cell).join(' ');
}

/** A piece of a row, with the colour of its cell when it has one. */
export interface RowPart {
  text: string;
  fg?: string;
}

/** The colour of a cell ('' or undefined: none), by column id and cell text. */
export type CellColour = (columnId: string, cell: string) => string | undefined;

/** One row from its cells, in parts: text between coloured cells, and the coloured cells. */
export function rowParts(cells: readonly string[], fitted: readonly FittedColumn[], selected: boolean, ellipsis?: string, colour?: CellColour): RowPart[] {
  const parts: RowPart[] = [{ text: selected ? '[*] ' : '[ ] ' }];
  fitted.forEach((f, i) => {
    const cell = cells[f.cell] ?? '';
    const text = fit(cell, f.width, f.column.align === 'right' ? 'right' : 'left', ellipsis);
    const fg = colour?.(f.column.id, cell);
    const last = parts[parts.length - 1]!;
    const sep = i === 0 ? '' : ' ';
    if (fg === undefined || fg === '' || cell === '') {
      if (last.fg === undefined) last.text += sep + text;
      else parts.push({ text: sep + text });
    } else {
      if (sep !== '') {
        if (last.fg === undefined) last.text += sep;
        else parts.push({ text: sep });
      }
      parts.push({ text, fg });
    }
  });
  return parts;
}

/** One row from its cells. */
export function formatRow(cells: readonly string[], fitted: readonly FittedColumn[], selected: boolean, ellipsis?: string): string {
  return rowParts(cells, fitted, selected, ellipsis).map((p) => p.text).join('');
}

export interface ListSlice {
  header: string;
  rows: string[];
  /** The rows in parts, when a cell colour was given (style.colour). */
  parts?: RowPart[][];
}

/**
 * The visible rows: `displayed[top .. top+height)`. `cells` gives a dialog's cells in
 * `columns` order (the UI passes a cached version of `columnCells`).
 */
export function listSlice(
  displayed: readonly Dialog[],
  top: number,
  height: number,
  width: number,
  isSelected: (d: Dialog) => boolean,
  cells: (d: Dialog) => readonly string[],
  columns: readonly ListColumn[] = LIST_COLUMNS,
  style: RowStyle = {},
): ListSlice {
  const fitted = fitColumns(width, columns);
  const rows: string[] = [];
  const parts: RowPart[][] = [];
  const end = Math.min(displayed.length, Math.max(0, top) + Math.max(0, height));
  for (let i = Math.max(0, top); i < end; i++) {
    const d = displayed[i]!;
    const p = rowParts(cells(d), fitted, isSelected(d), style.ellipsis, style.colour);
    rows.push(p.map((x) => x.text).join(''));
    parts.push(p);
  }
  return { header: listHeader(fitted, style), rows, ...(style.colour === undefined ? {} : { parts }) };
}

/** Keeps a cursor visible: the new top line of a window of `height` rows. */
export function scrollTop(top: number, cursor: number, height: number, total: number): number {
  const h = Math.max(1, height);
  let t = top;
  if (cursor < t) t = cursor;
  if (cursor >= t + h) t = cursor - h + 1;
  t = Math.min(t, Math.max(0, total - h));
  return Math.max(0, t);
}
