/**
 * The list's column table, display widths, sorting, and the call-flow alias merge: pure
 * functions over the demo capture and a crafted capture with wide display names.
 */
import test from 'ava';
import * as path from 'node:path';
import type { Dialog } from '../src/store/dialog';
import { UTC } from '../src/view/clock';
import { charWidth, displayWidth, fitWidth, padWidth } from '../src/view/text-width';
import { COLUMN_CATALOG, columnById, columnCells, firstHeaderValue, type CellSource, type ListColumn } from '../src/view/list-columns';
import { fitColumns, listSlice, MARK_WIDTH } from '../src/view/list-view';
import { mergeSorted, sortDialogs } from '../src/view/list-sort';
import { aliasLookup } from '../src/view/aliases';
import { layoutCallFlow, type FlowMessage } from '../src/view/call-flow';
import { runEngine } from './helpers/run-engine';
import { ownCaptures } from './helpers/paths';
import { wideNamesCapture, WIDE_NAMES } from './list-wide-capture';

const demo = path.join(ownCaptures, 'demo-udp.pcap');
const cols = (...ids: string[]): ListColumn[] => ids.map((id) => columnById(id) as ListColumn);

/** Width by a rule independent of the module: CJK ideographs 2, combining diacritics (U+0300-036F) 0, others 1. */
const naiveWidth = (s: string): number => [...s].reduce((n, c) => n + (/[\u4e00-\u9fff]/.test(c) ? 2 : /[\u0300-\u036f]/.test(c) ? 0 : 1), 0);

test('display width: CJK ideographs and fullwidth forms take two cells, combining marks none', (t) => {
  t.is(displayWidth('3544151500'), 10);
  t.is(displayWidth('张伟'), 4);
  t.is(displayWidth('Ｆｕｌｌ'), 8);
  t.is(displayWidth('Jose\u0301'), 4);
  t.is(displayWidth('한국어'), 6);
  t.is(displayWidth('日本語のテキスト'), 16);
  t.is(displayWidth('\u200b'), 0, 'zero-width space');
  t.is(charWidth('\u0308'), 0);
  t.is(charWidth('𠀀'), 2, 'CJK extension B (astral)');
  t.is(displayWidth('Ünïcödé'), 7);
});

test('fitting by width: every result is exactly the width asked, cut marked, wide characters never split', (t) => {
  for (const s of ['张伟经理', 'ab张伟cd', 'José María Pérez', 'Jose\u0301 Mari\u0301a', 'plain', '', '李']) {
    for (let w = 1; w <= 12; w++) {
      const left = fitWidth(s, w, 'left', '…');
      t.is(displayWidth(left), w, `${s} in ${w}: '${left}'`);
      t.is(naiveWidth(left), w, `independent count of '${left}'`);
      t.is(displayWidth(fitWidth(s, w, 'right')), w);
      t.is(displayWidth(padWidth(s, w)), w);
      if (displayWidth(s) > w) t.true(left.endsWith('…'), `cut marked: '${left}'`);
      else t.true(left.startsWith(s));
    }
  }
  t.is(fitWidth('张伟经理', 5, 'left', '~'), '张伟~', 'two ideographs and the mark');
  t.is(fitWidth('张伟经理', 6, 'left', '~'), '张伟 ~', 'the third ideograph would straddle: a space');
  t.is(fitWidth('ab', 4, 'right'), '  ab');
});

test('every catalog column and any header resolve; unknown ids and bad widths are errors', (t) => {
  for (const c of COLUMN_CATALOG) t.is((columnById(c.id) as ListColumn).id, c.id);
  const div = columnById('hdr:Diversion') as ListColumn;
  t.is(div.title, 'Diversion');
  const fixed = columnById('from', 20) as ListColumn;
  t.is(fixed.pref, 20);
  t.is(fixed.flex, 0);
  t.regex(columnById('nosuch') as string, /unknown column 'nosuch'/);
  t.regex(columnById('hdr:Bad Name') as string, /not a header name/);
  t.regex(columnById('to', 0) as string, /width must be 1 to 200/);
  for (const id of ['index', 'method', 'from', 'to', 'fromuri', 'touri', 'msgs', 'src', 'dst', 'state', 'start', 'date', 'duration', 'convdur', 'transport', 'callid', 'reason', 'warning', 'findings']) {
    t.false(typeof columnById(id) === 'string', id);
  }
});

test('the demo dialogs through the column table: users, durations, header values, aliases', async (t) => {
  const run = await runEngine([demo]);
  try {
    const store = run.engine.store;
    const dialogs = [...store.dialogList()];
    const src: CellSource = {
      store,
      offset: UTC,
      header: (d, name) => firstHeaderValue(store, d, (loc) => run.bytes.read(loc), name),
      alias: aliasLookup(new Map([['127.0.0.1:5060', 'uas'], ['127.0.0.1', 'lo']])),
    };
    const columns = cols('index', 'from', 'fromuri', 'fromname', 'src', 'dst', 'state', 'convdur', 'duration', 'date', 'hdr:User-Agent', 'hdr:Contact', 'hdr:Max-Forwards', 'hdr:X-Nothing');
    const answered = columnCells(columns, dialogs[0]!, src);
    t.deepEqual(answered.slice(0, 7), ['1', '3544151500', 'sip:3544151500@127.0.0.1', 'Anna Jonsdottir', 'lo:5062', 'uas', 'COMPLETED']);
    // The call was answered (ACK) and hung up 1.5 s later (BYE), within 2.2 s in all.
    t.is(answered[7], '1.5s');
    t.is(answered[8], '2.2s');
    t.regex(answered[9]!, /^\d{4}\/\d\d\/\d\d$/);
    t.is(answered[10], 'sipscope-demo-caller/1.0 (SIPp 3.6.1)');
    t.is(answered[11], '<sip:3544151500@127.0.0.1:5062;transport=UDP>');
    t.is(answered[12], '70');
    t.is(answered[13], '');
    // Never answered: no conversation time.
    const busy = columnCells(columns, dialogs[1]!, src);
    t.is(busy[6], 'BUSY');
    t.is(busy[7], '');
  } finally {
    run.bytes.close();
  }
});

test('custom columns fit 80 and 120 columns exactly; a fixed width is kept', (t) => {
  const columns = cols('index', 'method', 'from', 'to', 'msgs', 'state', 'hdr:User-Agent', 'callid');
  for (const width of [80, 120]) {
    const fitted = fitColumns(width, columns);
    const used = MARK_WIDTH + fitted.reduce((s, f) => s + f.width, 0) + fitted.length - 1;
    t.true(used <= width && used >= width - 1, `${width}: ${used}`);
    t.true(fitted.some((f) => f.column.id === 'hdr:User-Agent'), 'the header asked for is kept');
  }
  const fixed = fitColumns(120, [columnById('index') as ListColumn, columnById('from', 12) as ListColumn, columnById('to') as ListColumn]);
  t.is(fixed[1]!.width, 12);
  // All widths fixed: the last column takes what is left of the line.
  const allFixed = fitColumns(100, [columnById('index', 5) as ListColumn, columnById('from', 12) as ListColumn, columnById('state', 10) as ListColumn]);
  t.deepEqual(allFixed.map((f) => f.width), [5, 12, 100 - MARK_WIDTH - 5 - 12 - 2]);
});

test('rows with Chinese and combining-accent names stay aligned; the header carries the sort mark', async (t) => {
  const run = await runEngine([wideNamesCapture()]);
  try {
    const store = run.engine.store;
    const dialogs = [...store.dialogList()];
    const columns = cols('index', 'fromname', 'toname', 'from', 'state');
    const src: CellSource = { store, offset: UTC };
    for (const width of [40, 60, 80]) {
      const slice = listSlice(dialogs, 0, 10, width, () => false, (d) => columnCells(columns, d, src), columns, {
        ellipsis: '…',
        sort: { id: 'from', descending: true },
      });
      t.is(slice.rows.length, 4);
      const stateAt = (line: string): number => naiveWidth(line.slice(0, line.indexOf('BUSY')));
      const want = naiveWidth(slice.header.slice(0, slice.header.indexOf('State')));
      for (const row of slice.rows) {
        t.is(stateAt(row), want, `${width}: ${row}`);
        t.true(naiveWidth(row) <= width, `${width}: row fits: ${row}`);
      }
      t.true(slice.header.includes('From▼'), slice.header);
    }
    const wide = listSlice(dialogs, 0, 10, 80, () => false, (d) => columnCells(columns, d, src), columns);
    t.true(wide.rows[0]!.includes(WIDE_NAMES[0]!));
    t.true(wide.rows[1]!.includes('José María'), 'composed (NFC) for the terminal');
    const ascii = listSlice(dialogs, 0, 10, 80, () => false, (d) => columnCells(columns, d, src), columns, { sort: { id: 'index', descending: false }, ascii: true });
    t.regex(ascii.header, /Idx \^/);
  } finally {
    run.bytes.close();
  }
});

test('sorting: by count, by text, by time; ties keep dialog order; z reverses', async (t) => {
  const run = await runEngine([demo]);
  try {
    const store = run.engine.store;
    const dialogs = [...store.dialogList()];
    const src: CellSource = { store, offset: UTC };
    const by = (id: string, desc: boolean): number[] => sortDialogs(dialogs, columnById(id) as ListColumn, desc, src).map((d) => d.index);
    // Messages per dialog: 7, 4, 3, 7, 5, 4.
    t.deepEqual(by('msgs', false), [3, 2, 6, 5, 1, 4]);
    t.deepEqual(by('msgs', true), [1, 4, 5, 2, 6, 3]);
    t.deepEqual(by('state', false), [6, 2, 5, 4, 1, 3], 'REGISTER (no state) first, then BUSY, CALL SETUP, ...');
    t.deepEqual(by('method', true), [6, 1, 2, 3, 4, 5]);
    t.deepEqual(by('start', true), [6, 5, 4, 3, 2, 1]);
    t.deepEqual(by('index', true), [6, 5, 4, 3, 2, 1]);
  } finally {
    run.bytes.close();
  }
});

test('sorting 100,000 dialogs computes each key once', (t) => {
  const n = 100_000;
  const fake = Array.from({ length: n }, (_, i) => ({ index: i + 1, msgs: new Array((i * 7919) % 13) }) as unknown as Dialog);
  let keys = 0;
  const column: ListColumn = { ...(columnById('msgs') as ListColumn), sortKey: (d) => (keys++, d.msgs.length) };
  const start = process.hrtime.bigint();
  const sorted = sortDialogs(fake, column, true, { store: undefined as never, offset: UTC });
  t.log(`sorted ${n} dialogs by message count in ${Number(process.hrtime.bigint() - start) / 1e6} ms`);
  t.is(keys, n);
  for (let i = 1; i < n; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    t.true(a.msgs.length > b.msgs.length || (a.msgs.length === b.msgs.length && a.index < b.index));
    if (t.passed === false) break;
  }
});

test('live capture: merging new dialogs into the sorted list gives the order a full sort gives', (t) => {
  // A deterministic pseudo-random sequence (no Math.random: the test is repeatable).
  let seed = 12345;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const all = Array.from({ length: 3000 }, (_, i) => {
    const user = String(3544150000 + rnd(500));
    return { index: i + 1, from: { user, uri: `sip:${user}@x`, display: '', tag: '' }, msgs: [] } as unknown as Dialog;
  });
  const src = { store: undefined as never, offset: UTC };
  for (const id of ['from', 'index']) {
    const column = columnById(id) as ListColumn;
    t.true(column.stable, `${id} never changes once the dialog exists`);
    for (const descending of [false, true]) {
      let shown = all.slice(0, 1000).filter(() => rnd(4) !== 0);
      let sorted = sortDialogs(shown, column, descending, src);
      // Ticks: dialogs arrive, a filter lets some earlier ones in and drops others.
      for (let tick = 1; tick <= 5; tick++) {
        shown = all.slice(0, 1000 + tick * 400).filter((d) => (d.index * 7 + tick) % 5 !== 0);
        sorted = mergeSorted(sorted, shown, column, descending, src);
        t.deepEqual(sorted.map((d) => d.index), sortDialogs(shown, column, descending, src).map((d) => d.index), `${id} ${descending ? 'desc' : 'asc'} tick ${tick}`);
      }
    }
  }
});

test('call flow: endpoints with the same alias share one column named by it', (t) => {
  const m = (src: string, dst: string, label: string, i: number): FlowMessage => ({ row: -1, sec: 1795435200 + i, nsec: 0, src, dst, label, retrans: false, hasSdp: false });
  const msgs = [m('10.0.0.1:5060', '10.0.0.2:5060', 'INVITE', 0), m('10.0.0.2:5060', '10.0.0.3:5060', 'INVITE', 1), m('10.0.0.3:5060', '10.0.0.2:5060', '200 OK', 2)];
  const plain = layoutCallFlow(msgs, { ascii: true, offset: UTC });
  t.deepEqual(plain.columns, ['10.0.0.1:5060', '10.0.0.2:5060', '10.0.0.3:5060']);
  // The SBC has two addresses: one column.
  const alias = aliasLookup(new Map([['10.0.0.2', 'sbc'], ['10.0.0.3:5060', 'sbc:5060'], ['10.0.0.1:5060', 'phone']]));
  const merged = layoutCallFlow(msgs, { ascii: true, offset: UTC, alias });
  t.deepEqual(merged.columns, ['phone', 'sbc:5060']);
  t.true(merged.header.includes('phone') && merged.header.includes('sbc:5060'));
  t.regex(merged.lines[0]!, /\|-+INVITE-+>\|/);
  t.regex(merged.lines[1]!, /\+- INVITE/, 'sbc to sbc: a message to itself');
});
