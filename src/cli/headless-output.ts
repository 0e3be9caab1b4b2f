import type { Engine } from '../engine/engine';
import type { InputReport } from '../capture/inputs';
import type { Dialog } from '../store/dialog';
import type { Finding } from '../analysis';
import { dialogRecord, FINDINGS_COLUMN, formatTable, safeText, TABLE_COLUMNS } from '../view/dialog-report';
import { buildSummary, formatSummaryLine, type Summary } from './summary';

export interface HeadlessOutputOptions {
  json: boolean;
  quiet: boolean;
  /** -v: show dialogs in which no message matched the match expression. */
  invert: boolean;
  /** Extra fields merged into the summary object (live statistics, listener counters, ...). */
  extra?: Record<string, unknown>;
  /** Narrows the dialogs printed (e.g. --filter), after the match expression. */
  filter?: (d: Dialog) => boolean;
  /** --findings: each dialog's findings, added to its JSON record and as a table column. */
  findings?: (d: Dialog) => readonly Finding[];
}

/**
 * Prints the dialogs of a finished (or stopped) run: JSON lines then the summary line with
 * --json, else the readable table and a summary line (nothing with -q). Shared by file,
 * live and listener modes so the scripting contract is one.
 */
export async function printHeadless(
  write: (s: string) => void | Promise<void>,
  engine: Engine,
  reports: InputReport[],
  o: HeadlessOutputOptions,
): Promise<Summary> {
  const shown = (d: Dialog): boolean => (o.invert ? !d.matched : d.matched) && (o.filter === undefined || o.filter(d));
  const dialogs = [...engine.store.dialogList()].filter(shown);
  const summary = { ...buildSummary(engine, reports, dialogs.length), ...(o.extra ?? {}) } as Summary;
  if (o.json) {
    // Written in batches: a single string for 100,000+ dialogs would double peak memory.
    let batch: string[] = [];
    for (const d of dialogs) {
      batch.push(JSON.stringify(dialogRecord(engine.store, d, o.findings?.(d))));
      if (batch.length === 2000) {
        await write(batch.join('\n') + '\n');
        batch = [];
      }
    }
    batch.push(JSON.stringify({ summary }));
    await write(batch.join('\n') + '\n');
  } else if (!o.quiet) {
    const columns = o.findings === undefined ? TABLE_COLUMNS : [...TABLE_COLUMNS, FINDINGS_COLUMN];
    await write(formatTable(dialogs.map((d) => dialogRecord(engine.store, d, o.findings?.(d))), columns));
    await write(safeText(formatSummaryLine(summary)) + '\n');
  }
  return summary;
}
