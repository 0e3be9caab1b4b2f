import type { Dialog } from '../store/dialog';
import type { DialogStore } from '../store/store';
import { safeText } from './dialog-report';
import { fit, formatClockSeconds, formatDuration, type UtcOffset } from './clock';

/**
 * The dialog list as text: columns fitted to the terminal width, and rows computed only for
 * the visible slice (a list of 100,000+ dialogs formats a screenful, never all of them).
 */

export interface ListColumn {
  id: string;
  title: string;
  /** Narrowest useful width. */
  min: number;
  /** Width wanted when there is room. */
  pref: number;
  /** Share of spare width this column takes (0: fixed). */
  flex: number;
  /** Dropped first when the terminal is too narrow: higher drops earlier. */
  drop: number;
  align?: 'right';
}

/** The columns, in display order (sngrep's names: index, method, sipfromuser, siptouser, msgcnt, src, dst, state, ...). */
export const LIST_COLUMNS: readonly ListColumn[] = [
  { id: 'index', title: 'Idx', min: 4, pref: 6, flex: 0, drop: 0, align: 'right' },
  { id: 'method', title: 'Method', min: 8, pref: 9, flex: 0, drop: 1 },
  { id: 'from', title: 'From', min: 12, pref: 16, flex: 2, drop: 0 },
  { id: 'to', title: 'To', min: 12, pref: 16, flex: 2, drop: 0 },
  { id: 'msgs', title: 'Msgs', min: 4, pref: 4, flex: 0, drop: 2, align: 'right' },
  { id: 'src', title: 'Source', min: 14, pref: 21, flex: 1, drop: 4 },
  { id: 'dst', title: 'Destination', min: 14, pref: 21, flex: 1, drop: 4 },
  { id: 'state', title: 'State', min: 10, pref: 10, flex: 0, drop: 0 },
  { id: 'findings', title: 'Findings', min: 10, pref: 16, flex: 1, drop: 3 },
  { id: 'start', title: 'Start', min: 8, pref: 8, flex: 0, drop: 3 },
  { id: 'duration', title: 'Dur', min: 6, pref: 6, flex: 0, drop: 3, align: 'right' },
  { id: 'transport', title: 'Proto', min: 5, pref: 5, flex: 0, drop: 5 },
  { id: 'callid', title: 'Call-ID', min: 12, pref: 24, flex: 3, drop: 6 },
  { id: 'reason', title: 'Reason', min: 10, pref: 20, flex: 2, drop: 5 },
];

export interface FittedColumn {
  column: ListColumn;
  /** Index of the column in LIST_COLUMNS (and in `dialogCells`). */
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
  const first = d.msgs[0];
  const last = d.msgs[d.msgs.length - 1];
  const start = first === undefined ? '' : formatClockSeconds(store.msgSec(first), offset);
  const duration = first === undefined || last === undefined ? 0 : store.msgTime(last) - store.msgTime(first);
  const reason =
    d.reason !== '' ? d.reason : d.warning !== '' ? d.warning : d.finalStatus > 0 ? `${d.finalStatus} ${d.finalPhrase}` : '';
  return [
    String(d.index),
    d.method,
    d.from.user || d.from.uri,
    d.to.user || d.to.uri,
    String(d.msgs.length),
    d.src,
    d.dst,
    d.isInvite ? d.state : '',
    findings === undefined ? '' : [...new Set(findings)].join(','),
    start,
    formatDuration(duration),
    d.transport,
    d.callId,
    reason,
  ].map(safeText);
}

/** The column header line (aligned with the rows). */
export function listHeader(fitted: readonly FittedColumn[]): string {
  return ' '.repeat(MARK_WIDTH) + fitted.map((f) => fit(f.column.title, f.width, f.column.align === 'right' ? 'right' : 'left')).join(' ');
}

/** One row from its cells. */
export function formatRow(cells: readonly string[], fitted: readonly FittedColumn[], selected: boolean): string {
  const mark = selected ? '[*] ' : '[ ] ';
  return mark + fitted.map((f) => fit(cells[f.cell] ?? '', f.width, f.column.align === 'right' ? 'right' : 'left')).join(' ');
}

export interface ListSlice {
  header: string;
  rows: string[];
}

/**
 * The visible rows: `displayed[top .. top+height)`. `cells` gives a dialog's cells (the UI
 * passes a cached version of `dialogCells`).
 */
export function listSlice(
  displayed: readonly Dialog[],
  top: number,
  height: number,
  width: number,
  isSelected: (d: Dialog) => boolean,
  cells: (d: Dialog) => readonly string[],
): ListSlice {
  const fitted = fitColumns(width);
  const rows: string[] = [];
  const end = Math.min(displayed.length, Math.max(0, top) + Math.max(0, height));
  for (let i = Math.max(0, top); i < end; i++) {
    const d = displayed[i]!;
    rows.push(formatRow(cells(d), fitted, isSelected(d)));
  }
  return { header: listHeader(fitted), rows };
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
