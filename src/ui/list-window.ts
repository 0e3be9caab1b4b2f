import type { Dialog } from '../store/dialog';
import { RowSearch } from '../view/row-search';
import { dialogCells, fitColumns, FINDINGS_CELL, findingsCellText, listSlice, scrollTop } from '../view/list-view';
import {
  cachedFindings,
  compileDisplayFilter,
  compileFilter,
  describeDisplayFilter,
  describeFilter,
  emptyFilter,
  filterActive,
  telephonyOf,
  type FilterFields,
} from '../view/dialog-filter';
import type { FilterContext } from '../filter/compile-filter';
import type { Finding } from '../analysis/findings';
import { bindingsOf, footerHint, type KeyAction, type KeyBinding } from './keymap';
import { bold, inverse, plain, type Size, type StyledLine } from './canvas';
import { padTo, typedChar, type LoadState, type Rendered, type UiContext, type WindowController } from './window';
import { FlowWindow } from './flow-window';
import { RawWindow } from './raw-window';
import { FilterForm } from './filter-form';
import { SaveForm } from './save-form';

const HEADER_LINES = 3;

/** Live capture (-d) as the header shows it; ui-mode adds it to the LoadState as `live`. */
export interface LiveHeader {
  devices: string[];
  /** Packets the capture has seen. */
  packets: number;
  paused: boolean;
  /** -O file being written. */
  output?: string;
  /** Set when the capture process ended on its own ('Capture stopped: …'). */
  state?: string;
}

export function liveHeaderOf(load: LoadState): LiveHeader | undefined {
  return (load as LoadState & { live?: LiveHeader }).live;
}
const FOOTER_LINES = 1;

/** The first window: the dialog list with its header, filters and selection. */
export class ListWindow implements WindowController {
  readonly window = 'list' as const;
  filter: FilterFields = emptyFilter();
  displayFilter = '';
  editingDisplayFilter = false;
  autoscroll = false;
  status = '';
  readonly selected = new Set<number>();

  private cursor = 0;
  private top = 0;
  private pageRows = 10;
  private displayed: Dialog[] = [];
  private builtFor = '';
  private base: Dialog[] = [];
  private baseFor = '';
  /** The display filter's text search: row texts cached, typing narrows the last result. */
  private readonly search = new RowSearch((d) => dialogCells(this.ctx.store, d, this.ctx.offset).join(' '));
  private readonly cells = new WeakMap<Dialog, { n: number; cells: string[] }>();
  private readonly texts = new WeakMap<Dialog, { n: number; texts: string[] }>();

  /** Findings of a dialog (cached per dialog and store version), for the column and `finding`. */
  readonly findingsOf: (d: Dialog) => readonly Finding[];
  /** Where the filter language is evaluated: the store, message bytes read back, findings. */
  private readonly telephony: FilterContext;

  constructor(private readonly ctx: UiContext) {
    const t = telephonyOf(ctx.load);
    const bytes = { read: (loc: Parameters<UiContext['readBytes']>[0]) => ctx.readBytes(loc) };
    this.findingsOf = t?.findings ?? cachedFindings(ctx.store, bytes);
    this.telephony = { store: ctx.store, bytes, findings: (d) => this.findingsOf(d).map((f) => f.label) };
    // --filter EXPR on the command line: the filter window's Expression at start.
    if (t?.filter !== undefined && t.filter.trim() !== '') this.filter = { ...emptyFilter(), expression: t.filter };
  }

  bindings(): KeyBinding[] {
    return bindingsOf('list');
  }

  /** Dialogs shown, recomputed when the store, the filters or the display filter changed. */
  displayedDialogs(): Dialog[] {
    const baseKey = `${this.ctx.store.version}\u0000${this.ctx.store.dialogCount}\u0000${JSON.stringify(this.filter)}`;
    const key = `${baseKey}\u0000${this.displayFilter}`;
    if (key === this.builtFor) return this.displayed;
    const wasAtEnd = this.cursor >= this.displayed.length - 1;
    const current = this.displayed[this.cursor];
    const base = this.baseDialogs(baseKey);
    const display = compileDisplayFilter(this.displayFilter);
    const out =
      display.kind === 'text'
        ? this.search.filter(base, baseKey, display.text)
        : display.kind === 'expression'
          ? base.filter((d) => display.filter.test(d, this.telephony))
          : base;
    this.displayed = out;
    this.builtFor = key;
    if (this.autoscroll && wasAtEnd) this.cursor = out.length - 1;
    else if (current !== undefined) {
      const i = out.indexOf(current);
      if (i >= 0) this.cursor = i;
    }
    this.cursor = Math.max(0, Math.min(this.cursor, out.length - 1));
    return out;
  }

  /** Dialogs passing -v/the match expression and the filter window (before the display filter). */
  private baseDialogs(baseKey: string): Dialog[] {
    if (baseKey === this.baseFor) return this.base;
    const pass = compileFilter(this.filter, (d) => this.messageTexts(d), this.telephony);
    const out: Dialog[] = [];
    for (const d of this.ctx.store.dialogList()) if (this.ctx.matches(d) && pass(d)) out.push(d);
    this.base = out;
    this.baseFor = baseKey;
    return out;
  }

  /**
   * While the UI is idle (after loading): builds the display filter's row texts ahead, a
   * slice at a time, so the first keystroke of a search over 100,000 dialogs is quick too.
   */
  idle(budgetMs: number): boolean {
    if (this.ctx.load.loading) return false;
    this.displayedDialogs();
    return !this.search.warm(this.base, JSON.stringify(this.filter), budgetMs, () => performance.now());
  }

  private rowCells(d: Dialog): string[] {
    const hit = this.cells.get(d);
    if (hit !== undefined && hit.n === d.msgs.length) return hit.cells;
    const cells = dialogCells(this.ctx.store, d, this.ctx.offset);
    this.cells.set(d, { n: d.msgs.length, cells });
    return cells;
  }

  private messageTexts(d: Dialog): string[] {
    const hit = this.texts.get(d);
    if (hit !== undefined && hit.n === d.msgs.length) return hit.texts;
    const texts = d.msgs.map((r) => this.ctx.readBytes(this.ctx.store.msgBytes(r))?.toString('utf8') ?? '');
    this.texts.set(d, { n: d.msgs.length, texts });
    return texts;
  }

  render(size: Size): Rendered {
    const { cols, rows } = size;
    const displayed = this.displayedDialogs();
    const load = this.ctx.load;
    const progress =
      load.loading && load.bytesTotal > 0 ? ` ${Math.min(100, Math.floor((load.bytesRead * 100) / load.bytesTotal))}%` : '';
    const live = liveHeaderOf(load);
    const mode =
      live === undefined
        ? `sipscope  Mode: Offline${load.loading ? `  Loading…${progress}` : ''}  File: ${load.files.join(', ')}`
        : `sipscope  Mode: ${live.paused ? 'Online (Paused)' : 'Online'}${live.state !== undefined ? `  ${live.state}` : ''}  Device: ${live.devices.join(', ')}  Packets: ${live.packets}${live.output !== undefined ? `  Saving to: ${live.output}` : ''}`;
    const filters: string[] = [`Dialogs: ${this.ctx.store.dialogCount} (${displayed.length} displayed)`];
    if (this.selected.size > 0) filters.push(`Selected: ${this.selected.size}`);
    if (filterActive(this.filter)) filters.push(`Filter: ${describeFilter(this.filter)}`);
    if (this.displayFilter !== '') filters.push(describeDisplayFilter(compileDisplayFilter(this.displayFilter)));
    if (this.autoscroll) filters.push('Autoscroll');
    if (load.errors.length > 0) filters.push(`Problems: ${load.errors.length} (last: ${load.errors[load.errors.length - 1]})`);
    const lines: StyledLine[] = [bold(padTo(mode, cols)), plain(padTo(filters.join('  '), cols))];
    this.pageRows = Math.max(1, rows - HEADER_LINES - FOOTER_LINES);
    this.top = scrollTop(this.top, this.cursor, this.pageRows, displayed.length);
    // Findings only for the rows on screen, and only when the column fits.
    const withFindings = fitColumns(cols).some((f) => f.cell === FINDINGS_CELL);
    const slice = listSlice(displayed, this.top, this.pageRows, cols, (d) => this.selected.has(d.index), (d) => {
      const cells = this.rowCells(d);
      if (!withFindings) return cells;
      const out = [...cells];
      out[FINDINGS_CELL] = findingsCellText(this.findingsOf(d).map((f) => f.label));
      return out;
    });
    lines.push(inverse(padTo(slice.header, cols)));
    slice.rows.forEach((row, i) => {
      const text = padTo(row, cols);
      lines.push(this.top + i === this.cursor ? inverse(text) : plain(text));
    });
    while (lines.length < rows - FOOTER_LINES) lines.push(plain(''));
    lines.push(inverse(padTo(this.footer(), cols)));
    return { lines };
  }

  private footer(): string {
    if (this.editingDisplayFilter) return `Display filter: ${this.displayFilter}_   (Enter keeps it, Esc clears it)`;
    if (this.status !== '') return this.status;
    return footerHint([
      ['Enter', 'Flow'],
      ['Space', 'Select'],
      ['F2', 'Save'],
      ['F3', 'Search'],
      ['F6', 'Raw'],
      ['F7', 'Filter'],
      ['F1', 'Help'],
      ['q', 'Quit'],
    ]);
  }

  text(key: string, ch: string | undefined): boolean {
    if (!this.editingDisplayFilter) {
      this.status = '';
      return false;
    }
    if (key === 'enter') this.editingDisplayFilter = false;
    else if (key === 'escape') {
      this.editingDisplayFilter = false;
      this.displayFilter = '';
    } else if (key === 'backspace') this.displayFilter = [...this.displayFilter].slice(0, -1).join('');
    else {
      const c = typedChar(key, ch);
      if (c === undefined) return key !== 'up' && key !== 'down' ? true : false;
      this.displayFilter += c;
    }
    return true;
  }

  action(a: KeyAction): void {
    const displayed = this.displayedDialogs();
    const current = displayed[this.cursor];
    switch (a) {
      case 'up':
        this.cursor = Math.max(0, this.cursor - 1);
        break;
      case 'down':
        this.cursor = Math.min(displayed.length - 1, this.cursor + 1);
        break;
      case 'page-up':
        this.cursor = Math.max(0, this.cursor - this.pageRows);
        break;
      case 'page-down':
        this.cursor = Math.max(0, Math.min(displayed.length - 1, this.cursor + this.pageRows));
        break;
      case 'home':
        this.cursor = 0;
        break;
      case 'end':
        this.cursor = Math.max(0, displayed.length - 1);
        break;
      case 'select':
        if (current !== undefined) {
          if (this.selected.has(current.index)) this.selected.delete(current.index);
          else this.selected.add(current.index);
          this.cursor = Math.min(displayed.length - 1, this.cursor + 1);
        }
        break;
      case 'open-flow':
        if (current !== undefined) this.ctx.open(new FlowWindow(this.ctx, current));
        break;
      case 'open-dialog-raw':
        if (current !== undefined) this.ctx.open(RawWindow.ofDialog(this.ctx, current));
        break;
      case 'display-filter':
        this.editingDisplayFilter = true;
        break;
      case 'filter-window':
        this.ctx.open(new FilterForm(this, () => this.ctx.close(), this.ctx.ascii));
        break;
      case 'save':
        this.ctx.open(
          new SaveForm(this, {
            allDialogs: () => [...this.ctx.store.dialogList()],
            savePcap: (dialogs, file) => this.ctx.savePcap(dialogs, file),
            close: () => this.ctx.close(),
            ascii: this.ctx.ascii,
          }),
        );
        break;
      case 'autoscroll':
        this.autoscroll = !this.autoscroll;
        break;
      case 'clear':
        this.selected.clear();
        this.filter = emptyFilter();
        this.displayFilter = '';
        break;
      case 'back':
        this.displayFilter = '';
        break;
      case 'quit':
        this.ctx.quit();
        break;
      default:
        break;
    }
  }

  /** Dialogs chosen for saving. */
  selectedDialogs(): Dialog[] {
    const out: Dialog[] = [];
    for (const d of this.ctx.store.dialogList()) if (this.selected.has(d.index)) out.push(d);
    return out;
  }

  /** Called by the filter window on every change: the list narrows at once. */
  setFilter(f: FilterFields): void {
    this.filter = f;
  }
}
