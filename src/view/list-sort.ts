import type { Dialog } from '../store/dialog';
import type { CellSource, ListColumn } from './list-columns';

/**
 * Orders the displayed dialogs by one column. Each dialog's key is computed once (numbers for
 * counts and times, lower-cased text otherwise), then an index array is sorted: 100,000
 * dialogs sort in tens of milliseconds, and the list re-sorts only when the set of displayed
 * dialogs, the store or the sort column changed (at most once per redraw tick).
 * Equal keys keep dialog-number order, in both directions.
 */
export function sortDialogs(dialogs: readonly Dialog[], column: ListColumn, descending: boolean, src: CellSource): Dialog[] {
  const n = dialogs.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const sign = descending ? -1 : 1;
  const numeric = column.sortKey;
  if (numeric !== undefined) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = numeric(dialogs[i]!, src);
    order.sort((a, b) => {
      const d = keys[a]! - keys[b]!;
      return d !== 0 ? sign * d : dialogs[a]!.index - dialogs[b]!.index;
    });
  } else {
    const keys: string[] = new Array<string>(n);
    for (let i = 0; i < n; i++) keys[i] = column.value(dialogs[i]!, src).toLowerCase();
    order.sort((a, b) => {
      const x = keys[a]!;
      const y = keys[b]!;
      if (x !== y) return x < y ? -sign : sign;
      return dialogs[a]!.index - dialogs[b]!.index;
    });
  }
  const out = new Array<Dialog>(n);
  for (let i = 0; i < n; i++) out[i] = dialogs[order[i]!]!;
  return out;
}
