import type { Dialog } from '../store/dialog';
import { textMatcher } from './dialog-filter';

/**
 * The display filter's text search (`/` with text that is not a filter expression), kept
 * fast at 100,000+ dialogs, where every keystroke filters again:
 *  - each dialog's row text is built once (per message count) and kept flat, in lower case;
 *  - a literal query (no regular-expression syntax) that extends the previous one searches
 *    only the previous result (typing narrows), and results are kept per query for the same
 *    list, so Backspace returns to a result already computed;
 *  - row texts can be built ahead, in small time slices while the UI is idle (`warm`), so
 *    the first keystroke does not have to build 100,000 of them.
 * Matching is textMatcher's: a case-insensitive regular expression when the text is one,
 * otherwise a case-insensitive substring.
 */

/** Queries with no regular-expression syntax: a substring match, so a longer one narrows. */
const LITERAL = /^[^\\^$.*+?()[\]{}|]*$/;

/** Results kept per list (one editing session rarely needs more). */
const MAX_RESULTS = 64;

export class RowSearch {
  private readonly texts = new WeakMap<Dialog, { n: number; text: string }>();
  private listKey = '';
  private readonly results = new Map<string, Dialog[]>();
  private warmed = 0;
  private warmKey = '';

  /** `rowText` gives the text a dialog's row shows (the cells joined). */
  constructor(private readonly rowText: (d: Dialog) => string) {}

  /** A dialog's row text in lower case, built once per message count. */
  textOf(d: Dialog): string {
    const hit = this.texts.get(d);
    if (hit !== undefined && hit.n === d.msgs.length) return hit.text;
    // Flattened (a joined string may be a rope that every search would walk again).
    const text = this.rowText(d).toLowerCase();
    this.texts.set(d, { n: d.msgs.length, text });
    return text;
  }

  /**
   * The dialogs of `list` whose row text matches `query`, in list order. `listKey` names the
   * list (its content): results are reused only while it stays the same.
   */
  filter(list: readonly Dialog[], listKey: string, query: string): Dialog[] {
    if (listKey !== this.listKey) {
      this.listKey = listKey;
      this.results.clear();
    }
    const hit = this.results.get(query);
    if (hit !== undefined) return hit;
    let from: readonly Dialog[] = list;
    if (LITERAL.test(query)) {
      // The longest literal query already answered that this one extends.
      let best = '';
      for (const [q, r] of this.results) {
        if (q.length > best.length && LITERAL.test(q) && query.toLowerCase().startsWith(q.toLowerCase())) {
          best = q;
          from = r;
        }
      }
    }
    const out: Dialog[] = [];
    if (LITERAL.test(query)) {
      const lower = query.toLowerCase();
      for (const d of from) if (this.textOf(d).includes(lower)) out.push(d);
    } else {
      const match = textMatcher(query);
      for (const d of from) if (match(this.textOf(d))) out.push(d);
    }
    if (this.results.size >= MAX_RESULTS) this.results.delete(this.results.keys().next().value!);
    this.results.set(query, out);
    return out;
  }

  /**
   * Builds row texts ahead for `list` until `budgetMs` has passed (clock `now`, in ms),
   * continuing where the previous call stopped while `listKey` stays the same (a list that
   * grew is continued, one that changed is walked again: texts already built are kept).
   * Returns true when every row text is built.
   */
  warm(list: readonly Dialog[], listKey: string, budgetMs: number, now: () => number): boolean {
    if (listKey !== this.warmKey || this.warmed > list.length) {
      this.warmKey = listKey;
      this.warmed = 0;
    }
    const end = now() + budgetMs;
    while (this.warmed < list.length) {
      this.textOf(list[this.warmed]!);
      this.warmed++;
      if ((this.warmed & 255) === 0 && now() >= end) break;
    }
    return this.warmed >= list.length;
  }
}
