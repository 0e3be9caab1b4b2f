import type { Dialog } from '../store/dialog';
import { fitColumns, findingsCellText, listSlice, scrollTop, type SortMark } from '../view/list-view';
import { columnById, columnCells, firstHeaderValue, type CellSource, type ListColumn } from '../view/list-columns';
import { mergeSorted, sortDialogs } from '../view/list-sort';
import { aliasLookup } from '../view/aliases';
import { cellColour, configColumns, defaultConfig } from '../config/config';
import { displayWidth } from '../view/text-width';
import { ColumnsWindow } from './columns-window';
import { SortMenu } from './sort-menu';
import { RowSearch } from '../view/row-search';
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
import { bold, inverse, isColour, plain, type Size, type StyledLine } from './canvas';
import { padTo, typedChar, type LoadState, type Rendered, type UiContext, type WindowController } from './window';
import { FlowWindow } from './flow-window';
import { RawWindow } from './raw-window';
import { FilterForm } from './filter-form';
import { SaveForm } from './save-form';
import { StatsWindow } from './stats-window';

const HEADER_LINES = 3;

/** Live capture (-d) as the header shows it; ui-mode adds it to the LoadState as `live`. */
export interface LiveHeader {
  devices: string[];
  /** Packets the capture has seen. */
  packets: number;
  /** Packets the kernel dropped (pcap stats); null when not known. */
  drops: number | null;
  paused: boolean;
  /** -O file being written. */
  output?: string;
  /** Set when the capture process ended on its own ('Capture stopped: …'). */
  state?: string;
}

/** `  Packets: 26  SIP: 26` (and `  Not decoded: N`: malformed, encrypted, cut by gaps or limits; -N --json says which). */
function trafficText(load: LoadState): string {
  const t = load.traffic?.();
  if (t === undefined) return '';
  return `  Packets: ${t.packets}  SIP: ${t.sip}${t.dropped > 0 ? `  Not decoded: ${t.dropped}` : ''}`;
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
  /** The filters, sort and store generation the current order was built for. */
  private sortedFor = '';
  private readonly cells = new WeakMap<Dialog, { n: number; v: number; cells: string[] }>();
  private readonly headerCache = new WeakMap<Dialog, { n: number; values: Map<string, string> }>();
  /** The list's columns (config `columns`, changed in the columns window). */
  columns: ListColumn[];
  /** Bumped when the columns change (cached cells are then recomputed). */
  private columnsVersion = 0;
  /** Sort column and direction; undefined: dialog-number order. */
  sort: SortMark | undefined;
  private readonly cellSource: CellSource;
  /** Colours of State and Findings cells (config `color`); undefined: none. */
  private readonly colour: ReturnType<typeof cellColour>;
  private base: Dialog[] = [];
  private baseFor = '';
  /** The display filter's text search over the rows' cells: texts cached, typing narrows the last result. */
  private search = new RowSearch((d) => this.rowCells(d).join(' '));
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
    const config = ctx.config ?? defaultConfig();
    this.columns = configColumns(config);
    this.sort = config.sort;
    this.colour = cellColour(config);
    this.cellSource = {
      store: ctx.store,
      offset: ctx.offset,
      alias: aliasLookup(config.aliases),
      header: (d, name) => this.headerValue(d, name),
    };
  }

  bindings(): KeyBinding[] {
    return bindingsOf('list');
  }

  /** Dialogs shown, recomputed when the store, the filters or the display filter changed. */
  displayedDialogs(): Dialog[] {
    const sort = this.sort === undefined ? '' : `${this.sort.id}/${this.sort.descending ? 1 : 0}`;
    const baseKey = `${this.ctx.store.version}\u0000${this.ctx.store.dialogCount}\u0000${JSON.stringify(this.filter)}`;
    const key = `${baseKey}\u0000${this.displayFilter}\u0000${sort}\u0000${this.columnsVersion}`;
    if (key === this.builtFor) return this.displayed;
    const wasAtEnd = this.cursor >= this.displayed.length - 1;
    const current = this.displayed[this.cursor];
    const base = this.baseDialogs(baseKey);
    const display = compileDisplayFilter(this.displayFilter);
    const out =
      display.kind === 'text'
        ? this.search.filter(base, `${baseKey}\u0000${this.columnsVersion}`, display.text)
        : display.kind === 'expression'
          ? base.filter((d) => display.filter.test(d, this.telephony))
          : base;
    // Sorted once per change of the set, the store or the order (never per keypress or frame).
    // When only the store changed (live capture) and the column's values never change, the
    // new dialogs are merged into the previous order instead.
    const sortBy = this.sort === undefined ? undefined : (this.columns.find((c) => c.id === this.sort!.id) ?? columnOf(this.sort.id));
    const sortedFor = `${key.split('\u0000').slice(2).join('\u0000')}\u0000${this.ctx.store.generation}`;
    if (sortBy === undefined) this.displayed = out;
    else if (sortBy.stable === true && sortedFor === this.sortedFor) this.displayed = mergeSorted(this.displayed, out, sortBy, this.sort!.descending, this.cellSource);
    else this.displayed = sortDialogs(out, sortBy, this.sort!.descending, this.cellSource);
    this.sortedFor = sortedFor;
    this.builtFor = key;
    if (this.autoscroll && wasAtEnd) this.cursor = out.length - 1;
    else if (current !== undefined) {
      const i = this.displayed.indexOf(current);
      if (i >= 0) this.cursor = i;
    }
    this.cursor = Math.max(0, Math.min(this.cursor, out.length - 1));
    return this.displayed;
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

  /** Cells of the current columns (findings left empty: filled for the rows on screen). */
  private rowCells(d: Dialog): string[] {
    const hit = this.cells.get(d);
    if (hit !== undefined && hit.n === d.msgs.length && hit.v === this.columnsVersion) return hit.cells;
    const cells = columnCells(this.columns, d, this.cellSource);
    this.cells.set(d, { n: d.msgs.length, v: this.columnsVersion, cells });
    return cells;
  }

  /** A header's value for `hdr:NAME` columns, read back once per dialog and message count. */
  private headerValue(d: Dialog, name: string): string {
    let hit = this.headerCache.get(d);
    if (hit === undefined || hit.n !== d.msgs.length) {
      hit = { n: d.msgs.length, values: new Map() };
      this.headerCache.set(d, hit);
    }
    const key = name.toLowerCase();
    let v = hit.values.get(key);
    if (v === undefined) {
      v = firstHeaderValue(this.ctx.store, d, (loc) => this.ctx.readBytes(loc), name);
      hit.values.set(key, v);
    }
    return v;
  }

  /** Called by the columns window on every change: the list redraws with them at once. */
  setColumns(columns: ListColumn[]): void {
    this.columns = columns;
    this.columnsVersion++;
    this.search = new RowSearch((d) => this.rowCells(d).join(' '));
  }

  /** Called by the sort menu. */
  setSort(sort: SortMark | undefined): void {
    this.sort = sort;
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
        ? `sipscope  Mode: Offline${load.loading ? `  Loading…${progress}` : ''}  File: ${load.files.join(', ')}${trafficText(load)}`
        : `sipscope  Mode: ${live.paused ? 'Online (Paused)' : 'Online'}${live.state !== undefined ? `  ${live.state}` : ''}  Device: ${live.devices.join(', ')}  Packets: ${live.packets}  SIP: ${this.ctx.store.counters.sipMessages}${live.drops !== null ? `  Drops: ${live.drops}` : ''}${live.output !== undefined ? `  Saving to: ${live.output}` : ''}`;
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
    const findingsCell = fitColumns(cols, this.columns).find((f) => f.column.id === 'findings')?.cell;
    const style = { ellipsis: this.ctx.ascii ? '~' : '…', ascii: this.ctx.ascii, sort: this.sort, colour: this.colour };
    const slice = listSlice(
      displayed,
      this.top,
      this.pageRows,
      cols,
      (d) => this.selected.has(d.index),
      (d) => {
        const cells = this.rowCells(d);
        if (findingsCell === undefined) return cells;
        const out = [...cells];
        out[findingsCell] = findingsCellText(this.findingsOf(d).map((f) => f.label));
        return out;
      },
      this.columns,
      style,
    );
    lines.push(inverse(padTo(slice.header, cols)));
    slice.rows.forEach((row, i) => {
      const cursor = this.top + i === this.cursor;
      const parts = slice.parts?.[i];
      const w = displayWidth(row);
      if (parts === undefined || parts.length === 1 || w > cols) {
        const text = padTo(row, cols);
        lines.push(cursor ? inverse(text) : plain(text));
        return;
      }
      const line: StyledLine = parts.map((p) => ({ text: p.text, ...(isColour(p.fg) ? { fg: p.fg } : {}), ...(cursor ? { inverse: true } : {}) }));
      line.push({ text: ' '.repeat(cols - w), ...(cursor ? { inverse: true } : {}) });
      lines.push(line);
    });
    while (lines.length < rows - FOOTER_LINES) lines.push(plain(''));
    lines.push(inverse(padTo(this.footer(cols), cols)));
    return { lines };
  }

  private footer(cols: number): string {
    if (this.editingDisplayFilter) return `Display filter: ${this.displayFilter}_   (Enter keeps it, Esc clears it)`;
    if (this.status !== '') return this.status;
    // The main keys, in screen order; the least needed are left out until the line fits.
    const items: [string, string, number][] = [
      ['Enter', 'Flow', 0],
      ['Space', 'Select', 8],
      ['F2', 'Save', 7],
      ['F3', 'Search', 5],
      ['F6', 'Raw', 9],
      ['F7', 'Filter', 3],
      ['F10', 'Columns', 4],
      ['<', 'Sort', 6],
      ['F1', 'Help', 1],
      ['q', 'Quit', 2],
    ];
    let kept = items;
    while (kept.length > 1 && footerHint(kept.map(([k, w]) => [k, w])).length > cols) {
      const drop = Math.max(...kept.map((i) => i[2]));
      kept = kept.filter((i) => i[2] !== drop);
    }
    return footerHint(kept.map(([k, w]) => [k, w]));
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
      case 'open-flow': {
        // Two or more selected: one ladder of them all (B2BUA legs), in list order.
        const chosen = this.selectedDialogs();
        const first = chosen[0];
        if (chosen.length >= 2 && first !== undefined) {
          this.ctx.open(new FlowWindow(this.ctx, first, chosen.slice(1).map((dialog) => ({ dialog, how: 'selected' }))));
        } else if (current !== undefined) this.ctx.open(new FlowWindow(this.ctx, current));
        break;
      }
      case 'extended-flow':
        if (current !== undefined) this.ctx.open(FlowWindow.extended(this.ctx, current));
        break;
      case 'stats':
        this.ctx.open(new StatsWindow(this.ctx, this.displayedDialogs(), this.scopeText()));
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
            title: 'Save dialogs as pcap, text, or pcap with RTP',
            targets: [
              { name: 'all', what: () => [...this.ctx.store.dialogList()], noun: 'dialog' },
              { name: 'selected', what: () => this.selectedDialogs(), noun: 'dialog' },
              { name: 'displayed', what: () => this.displayedDialogs(), noun: 'dialog' },
            ],
            initial: this.selected.size > 0 ? 1 : 0,
            defaultFile: 'sipscope-save',
            saveAs: (groups, format, file, what) => this.ctx.saveAs(groups, format, file, what),
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
      case 'columns-window':
        this.ctx.open(new ColumnsWindow(this, () => this.ctx.close(), this.ctx.ascii));
        break;
      case 'sort-menu':
        this.ctx.open(new SortMenu(this, () => this.ctx.close()));
        break;
      case 'sort-flip':
        this.sort = { id: this.sort?.id ?? 'index', descending: !(this.sort?.descending ?? false) };
        break;
      default:
        break;
    }
  }

  /** What the displayed dialogs are, for the stats window: the filters in force. */
  private scopeText(): string {
    const parts = [`${this.displayedDialogs().length} displayed of ${this.ctx.store.dialogCount} dialogs`];
    if (filterActive(this.filter)) parts.push(`Filter: ${describeFilter(this.filter)}`);
    if (this.displayFilter !== '') parts.push(describeDisplayFilter(compileDisplayFilter(this.displayFilter)));
    return parts.join('  ');
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

/** A column by id, for sorting by a column not shown (config `sort`). */
function columnOf(id: string): ListColumn | undefined {
  const c = columnById(id);
  return typeof c === 'string' ? undefined : c;
}
