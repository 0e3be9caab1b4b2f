/**
 * The key sequence of the UI benchmark, for sipscope and for sngrep: what to press, and what
 * the screen must show for each key to count as redrawn. Each check is on content (the
 * selected row's dialog index, a window title, the typed filter text), so a redraw that
 * shows the old state does not count.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PtyScreen, selectedIndex, showsListRows, type KeyTiming, type Screen } from './ui-harness';
import { sipscopeBin } from '../helpers/paths';

/** How one program draws the states the scenario checks. */
export interface ToolProfile {
  name: string;
  spawn(capture: string, cols: number, rows: number): PtyScreen;
  /** Loading finished (the header no longer says it is loading). */
  loaded(s: Screen): boolean;
  /** The call flow of a dialog is on screen. */
  flowShown(s: Screen): boolean;
  /** The dialog list is back (not the flow). */
  listShown(s: Screen): boolean;
  /** The display filter shows `typed` (the list was re-filtered in the same redraw). */
  filterShows(s: Screen, typed: string): boolean;
  /** Dialogs in the list, as the header says. */
  dialogs(s: Screen): number | undefined;
  /** Dialogs displayed, as the header says (undefined when it does not say). */
  displayed(s: Screen): number | undefined;
  /** The telephony filter language in `/` (sipscope only). */
  expressions: boolean;
}

const text = (s: Screen): string => s.lines.join('\n');

/** sipscope as `bin` launches it (another checkout's launcher to compare builds). */
export function sipscopeProfile(bin = sipscopeBin): ToolProfile {
  return { ...SIPSCOPE, spawn: (capture, cols, rows) => new PtyScreen(process.execPath, [bin, '-I', capture], { cols, rows }) };
}

export const SIPSCOPE: ToolProfile = {
  name: 'sipscope',
  spawn: (capture, cols, rows) => new PtyScreen(process.execPath, [sipscopeBin, '-I', capture], { cols, rows }),
  loaded: (s) => (s.lines[0] ?? '').includes('Mode: Offline') && !(s.lines[0] ?? '').includes('Loading'),
  flowShown: (s) => (s.lines[0] ?? '').startsWith('Call flow'),
  listShown: (s) => (s.lines[0] ?? '').startsWith('sipscope  Mode') && showsListRows(s),
  filterShows: (s, typed) => (s.lines[s.lines.length - 1] ?? '').startsWith(`Display filter: ${typed}_`),
  dialogs: (s) => {
    const m = /Dialogs: (\d+)/.exec(s.lines[1] ?? '');
    return m === null ? undefined : Number(m[1]);
  },
  displayed: (s) => {
    const m = /\((\d+) displayed\)/.exec(s.lines[1] ?? '');
    return m === null ? undefined : Number(m[1]);
  },
  expressions: true,
};

/**
 * sngrep's settings for the run: its Idx column is 4 wide by default, which cuts 100000 to
 * `1000`; 7 lets the selected row's index be read (nothing else changed).
 */
function sngrepRc(): string {
  const file = path.join(os.tmpdir(), `sipscope-ui-bench-sngreprc-${process.pid}`);
  fs.writeFileSync(file, 'set cl.column0 index\nset cl.column0.width 7\n');
  return file;
}

export const SNGREP: ToolProfile = {
  name: 'sngrep',
  spawn: (capture, cols, rows) => {
    const rc = sngrepRc();
    return new PtyScreen('sngrep', ['-I', capture, '-l', '10000000'], { cols, rows, env: { SNGREPRC: rc }, afterKill: () => fs.rmSync(rc, { force: true }) });
  },
  loaded: (s) => /Current Mode: Offline(?! \(Loading\))/.test(text(s)),
  flowShown: (s) => /Call flow for /.test(text(s)),
  listShown: (s) => /Current Mode: Offline/.test(text(s)) && showsListRows(s),
  filterShows: (s, typed) => s.lines.some((l) => /Display Filter: ?(\S*)/.exec(l)?.[1] === typed),
  dialogs: (s) => {
    const m = /Dialogs: (\d+)/.exec(text(s));
    return m === null ? undefined : Number(m[1]);
  },
  // sngrep's header counts every dialog, filtered or not.
  displayed: () => undefined,
  expressions: false,
};

export interface ScenarioOptions {
  cols: number;
  rows: number;
  /** Repetitions: Down presses, PgDn presses, End/Home and Enter/Esc pairs, filter rounds. */
  downs: number;
  pageDowns: number;
  pairs: number;
  filterRounds: number;
  /** Characters typed in the display filter each round (then erased with Backspace). */
  filterText: string;
  /** A telephony expression typed in `/` (sipscope). */
  expression: string;
  /** Milliseconds to wait for loading and for each key. */
  loadDeadlineMs: number;
  keyDeadlineMs: number;
}

export interface ScenarioResult {
  tool: string;
  /** Spawn to the first screen with dialog rows, and to loading complete. */
  firstRowsMs: number;
  loadedMs: number;
  /** Timings per measured key, by label. */
  keys: Map<string, KeyTiming[]>;
  /** Dialogs displayed after the full filter text / the expression (what the filter found). */
  notes: string[];
}

function push(r: ScenarioResult, label: string, t: KeyTiming): void {
  const list = r.keys.get(label) ?? [];
  list.push(t);
  r.keys.set(label, list);
}

/** Runs the whole key sequence on one program; kills it (SIGKILL) at the end. */
export async function runScenario(tool: ToolProfile, capture: string, o: ScenarioOptions): Promise<ScenarioResult> {
  const s = tool.spawn(capture, o.cols, o.rows);
  const r: ScenarioResult = { tool: tool.name, firstRowsMs: NaN, loadedMs: NaN, keys: new Map(), notes: [] };
  const k = o.keyDeadlineMs;
  try {
    r.firstRowsMs = await s.waitFor(showsListRows, 'the first dialog rows', s.started, o.loadDeadlineMs);
    r.loadedMs = await s.waitFor(tool.loaded, 'loading complete', s.started, o.loadDeadlineMs);
    const total = tool.dialogs(s.screen());
    const whole = (sc: Screen): boolean => (tool.displayed(sc) ?? total) === total;
    const at = (): number => {
      const i = selectedIndex(s.screen());
      if (i === undefined) throw new Error(`${tool.name}: no selected row on screen:\n${s.screen().lines.join('\n')}`);
      return i;
    };
    const first = at();

    for (let i = 0; i < o.downs; i++) {
      const want = at() + 1;
      push(r, 'Down', await s.press('down', (sc) => selectedIndex(sc) === want, `row ${want} selected`, k));
    }
    for (let i = 0; i < o.pageDowns; i++) {
      const from = at();
      push(r, 'PgDn', await s.press('pagedown', (sc) => (selectedIndex(sc) ?? 0) > from, `a row after ${from} selected`, k));
    }
    for (let i = 0; i < o.pairs; i++) {
      const from = at();
      if (from === total) break;
      const last = (sc: Screen): boolean => (total === undefined ? (selectedIndex(sc) ?? 0) > from : selectedIndex(sc) === total);
      push(r, 'End', await s.press('end', last, 'the last row selected', k));
      push(r, 'Home', await s.press('home', (sc) => selectedIndex(sc) === first, 'the first row selected', k));
    }
    for (let i = 0; i < o.pairs; i++) {
      const on = at();
      push(r, 'Enter (flow)', await s.press('enter', tool.flowShown, 'the call flow', k));
      push(r, 'Esc (list)', await s.press('escape', (sc) => tool.listShown(sc) && selectedIndex(sc) === on, 'the list again', k));
    }
    for (let round = 0; round < o.filterRounds; round++) {
      await s.press('/', (sc) => tool.filterShows(sc, ''), 'the display filter prompt', k);
      let typed = '';
      for (const ch of o.filterText) {
        typed += ch;
        const want = typed;
        // The first keystroke searches every dialog; later ones may narrow the last result.
        const label = round === 0 && typed.length === 1 ? 'filter 1st keystroke' : 'filter keystroke';
        push(r, label, await s.press(ch, (sc) => tool.filterShows(sc, want), `filter "${want}"`, k));
      }
      if (round === 0) r.notes.push(`display filter "${typed}": ${found(tool, s.screen())}`);
      while (typed !== '') {
        typed = typed.slice(0, -1);
        const want = typed;
        push(r, 'filter Backspace', await s.press('backspace', (sc) => tool.filterShows(sc, want) && (want !== '' || whole(sc)), `filter "${want}"`, k));
      }
      await s.press('enter', (sc) => tool.listShown(sc) && whole(sc), 'the whole list', k);
    }
    if (tool.expressions && o.expression !== '') await expressionRounds(s, tool, o, total, r);
    return r;
  } finally {
    await s.kill();
  }
}

/** What a filter found: the header's displayed count, or the list rows on screen. */
function found(tool: ToolProfile, sc: Screen): string {
  const n = tool.displayed(sc);
  return n !== undefined ? `${n} dialogs displayed` : `${sc.lines.filter((l) => /\[[ *x]\]\s+\d+\s/.test(l)).length} rows on screen`;
}

/**
 * sipscope's telephony language: `/EXPR` (timed: the keystroke that completes the expression)
 * and the same expression in the filter window's Expression field, then Enter (apply and
 * close, timed) and F5 to clear.
 */
async function expressionRounds(s: PtyScreen, tool: ToolProfile, o: ScenarioOptions, total: number | undefined, r: ScenarioResult): Promise<void> {
  const k = o.keyDeadlineMs;
  const expr = o.expression;
  const head = expr.slice(0, -1);
  const last = expr.slice(-1);
  const narrowed = (sc: { lines: string[] }): boolean => (sc.lines[1] ?? '').includes(`Filter: ${expr}`);
  for (let round = 0; round < o.filterRounds; round++) {
    await s.press('/', (sc) => tool.filterShows(sc, ''), 'the display filter prompt', k);
    s.send(head);
    await s.waitFor((sc) => tool.filterShows(sc, head), `filter "${head}"`, performance.now(), k);
    push(r, `/${expr} (last key)`, await s.press(last, (sc) => tool.filterShows(sc, expr) && narrowed(sc), `filter "${expr}" applied`, k));
    if (round === 0) r.notes.push(`/${expr}: ${found(tool, s.screen())}`);
    s.send(s.keySequence('escape'));
    await s.waitFor((sc) => tool.listShown(sc) && tool.displayed(sc) === total, 'the whole list', performance.now(), k);

    push(r, 'F7 (open)', await s.press('f7', (sc) => text(sc).includes('Filter dialogs'), 'the filter window', k));
    // Tab to the Expression field (after SIP From, SIP To, Source, Destination, Payload).
    s.send('\t\t\t\t\t');
    s.send(head);
    await s.waitFor((sc) => text(sc).includes(head), `the expression "${head}" typed`, performance.now(), k);
    push(r, 'F7 expression last key', await s.press(last, (sc) => text(sc).includes(expr) && text(sc).includes('Expression: applied'), 'the expression applied', k));
    push(r, 'F7 Enter (apply)', await s.press('enter', (sc) => !text(sc).includes('Filter dialogs') && (sc.lines[1] ?? '').includes(expr), 'the filtered list', k));
    await s.press('\x1b[15~', (sc) => tool.displayed(sc) === total && !(sc.lines[1] ?? '').includes('Filter:'), 'the filter cleared (F5)', k);
  }
}
