/**
 * The telephony filter language in the UI's views: the display filter (`/`) takes it when
 * the text compiles, the filter window's Expression field and-s it with the other fields,
 * --filter applies at start, and the Findings column / call flow show the findings.
 */
import test from 'ava';
import * as path from 'node:path';
import type { Dialog } from '../src/store/dialog';
import { UTC } from '../src/view/clock';
import { ByteReader } from '../src/capture/byte-reader';
import { dialogCells, fitColumns, FINDINGS_CELL, listSlice } from '../src/view/list-view';
import {
  cachedFindings,
  compileDisplayFilter,
  compileFilter,
  describeDisplayFilter,
  describeFilter,
  emptyFilter,
  filterActive,
} from '../src/view/dialog-filter';
import { ListWindow } from '../src/ui/list-window';
import { FlowWindow } from '../src/ui/flow-window';
import { lineText } from '../src/ui/canvas';
import type { LoadState, UiContext, WindowController } from '../src/ui/window';
import { runEngine } from './helpers/run-engine';
import { ownCaptures } from './helpers/paths';

const demo = path.join(ownCaptures, 'demo-udp.pcap');

async function demoStore() {
  const run = await runEngine([demo]);
  const store = run.engine.store;
  const bytes = new ByteReader(store);
  bytes.setPath(0, demo);
  return { store, bytes, dialogs: [...store.dialogList()] };
}

const fromOf = (ds: readonly Dialog[]): string[] => ds.map((d) => d.from.user);

test('the display filter is the filter language when the text compiles, a text search otherwise', (t) => {
  const e = compileDisplayFilter('status 4xx');
  t.is(e.kind, 'expression');
  t.is(describeDisplayFilter(e), 'Filter: status 4xx');
  const s = compileDisplayFilter('BUSY');
  t.is(s.kind, 'text');
  t.is(describeDisplayFilter(s), 'Search: BUSY');
  t.is(compileDisplayFilter('status').kind, 'text', 'typed half-way: still a search');
  t.is(compileDisplayFilter('  ').kind, 'none');
});

test('the filter window expression is and-ed with the other fields', async (t) => {
  const { store, bytes, dialogs } = await demoStore();
  try {
    const ctx = { store, bytes };
    const none = (): string[] => [];
    const pick = (f: Partial<ReturnType<typeof emptyFilter>>): string[] => fromOf(dialogs.filter(compileFilter({ ...emptyFilter(), ...f }, none, ctx)));
    t.deepEqual(pick({ expression: 'state CANCELLED' }), ['3544151530']);
    // `status` is any response of the dialog: the CANCELLED call's 487 and the REGISTER's
    // 401 challenge count; `final` is the final response only.
    t.deepEqual(pick({ expression: 'status 4xx' }), ['3544151510', '3544151520', '3544151530', '3544151550']);
    t.deepEqual(pick({ expression: 'final 4xx and not final 487' }), ['3544151510', '3544151520']);
    t.deepEqual(pick({ expression: 'status 4xx', to: '3544151512' }), ['3544151510']);
    t.deepEqual(pick({ expression: 'status 4xx', methods: ['REGISTER'] }), ['3544151550']);
    t.deepEqual(pick({ expression: 'final 4xx', methods: ['REGISTER'] }), []);
    // Typed half-way: left out until it compiles.
    t.is(pick({ expression: 'status' }).length, dialogs.length);
    t.true(filterActive({ ...emptyFilter(), expression: 'state BUSY' }));
    t.is(describeFilter({ ...emptyFilter(), expression: 'state BUSY' }), 'state BUSY');
    t.is(describeFilter({ ...emptyFilter(), expression: 'state BUSY', to: '1' }), '(state BUSY) To=1');
    t.is(describeFilter({ ...emptyFilter(), expression: 'state' }), '(state) (incomplete)');
  } finally {
    bytes.close();
  }
});

test('the Findings column: labels filled only for the rows asked, empty otherwise', async (t) => {
  const { store, bytes, dialogs } = await demoStore();
  try {
    t.true(fitColumns(120).some((f) => f.column.id === 'findings'));
    t.is(dialogCells(store, dialogs[2]!, UTC)[FINDINGS_CELL], '');
    let analysed = 0;
    const base = cachedFindings(store, bytes);
    const findings = (d: Dialog) => (analysed++, base(d));
    const rejected = dialogs.find((d) => d.state === 'REJECTED')!;
    const cell = dialogCells(store, rejected, UTC, findings(rejected).map((f) => f.label))[FINDINGS_CELL]!;
    t.regex(cell, /forbidden|rejected/);
    const slice = listSlice(dialogs, 0, 2, 140, () => false, (d) => dialogCells(store, d, UTC, findings(d).map((f) => f.label)));
    t.is(slice.rows.length, 2);
    t.is(analysed, 3, 'only the rows on screen are analysed');
    // Cached per dialog and store version.
    t.is(base(rejected), base(rejected));
  } finally {
    bytes.close();
  }
});

function fakeContext(store: UiContext['store'], bytes: ByteReader, telephony?: object): UiContext & { stack: WindowController[] } {
  const load: LoadState = { files: ['demo-udp.pcap'], loading: false, bytesRead: 0, bytesTotal: 0, errors: [] };
  if (telephony !== undefined) Object.assign(load, { telephony });
  const stack: WindowController[] = [];
  return {
    stack,
    store,
    offset: UTC,
    ascii: true,
    load,
    readBytes: (loc) => bytes.read(loc),
    matches: () => true,
    savePcap: () => '',
    saveAs: () => '',
    open: (w) => void stack.push(w),
    close: () => void stack.pop(),
    quit: () => undefined,
  };
}

test('the list: display filter expression, --filter at start, Findings column', async (t) => {
  const { store, bytes } = await demoStore();
  try {
    const list = new ListWindow(fakeContext(store, bytes));
    list.displayFilter = 'status 4xx';
    t.deepEqual(fromOf(list.displayedDialogs()), ['3544151510', '3544151520', '3544151530', '3544151550']);
    let screen = list.render({ cols: 140, rows: 20 }).lines.map(lineText);
    t.true(screen[1]!.includes('Filter: status 4xx'), screen[1]);
    list.displayFilter = 'srcnum 3544151500';
    t.deepEqual(fromOf(list.displayedDialogs()), ['3544151500']);
    list.displayFilter = '3544151530';
    t.deepEqual(fromOf(list.displayedDialogs()), ['3544151530']);
    screen = list.render({ cols: 140, rows: 20 }).lines.map(lineText);
    t.true(screen[1]!.includes('Search: 3544151530'), screen[1]);

    const started = new ListWindow(fakeContext(store, bytes, { filter: 'state BUSY' }));
    t.deepEqual(fromOf(started.displayedDialogs()), ['3544151510']);
    screen = started.render({ cols: 140, rows: 20 }).lines.map(lineText);
    t.true(screen[1]!.includes('Filter: state BUSY'), screen[1]);
    t.true(screen[2]!.includes('Findings'));
    t.regex(screen[3]!, /3544151510.*BUSY +busy/);
  } finally {
    bytes.close();
  }
});

test('the call flow header shows the findings of the dialog', async (t) => {
  const { store, bytes, dialogs } = await demoStore();
  try {
    const setup = dialogs.find((d) => d.state === 'CALL SETUP')!;
    const screen = new FlowWindow(fakeContext(store, bytes), setup).render({ cols: 140, rows: 30 }).lines.map(lineText);
    t.regex(screen.slice(1, 4).join('\n'), /no-response: /);
  } finally {
    bytes.close();
  }
});
