import test from 'ava';
import * as path from 'node:path';
import type { Dialog } from '../src/store/dialog';
import { UTC } from '../src/view/clock';
import { dialogCells, fitColumns, listSlice, scrollTop, MARK_WIDTH } from '../src/view/list-view';
import { compileFilter, describeFilter, emptyFilter, textMatcher } from '../src/view/dialog-filter';
import { runEngine } from './helpers/run-engine';
import { ownCaptures } from './helpers/paths';

const demo = path.join(ownCaptures, 'demo-udp.pcap');

test('columns fit the terminal width exactly, wide or narrow', (t) => {
  for (const width of [80, 100, 120, 200]) {
    const fitted = fitColumns(width);
    const used = MARK_WIDTH + fitted.reduce((s, f) => s + f.width, 0) + fitted.length - 1;
    t.true(used <= width, `width ${width}: ${used}`);
    t.true(used >= width - 1, `width ${width}: ${used}`);
    const ids = fitted.map((f) => f.column.id);
    for (const id of ['index', 'from', 'to', 'state']) t.true(ids.includes(id), `${id} kept at ${width}`);
  }
  t.true(fitColumns(200).some((f) => f.column.id === 'callid'));
  t.false(fitColumns(80).some((f) => f.column.id === 'callid'));
});

test('the demo capture as list rows: numbers, states, selection marks', async (t) => {
  const run = await runEngine([demo]);
  const store = run.engine.store;
  const dialogs = [...store.dialogList()];
  const selected = new Set([dialogs[1]!.index]);
  const slice = listSlice(dialogs, 0, 10, 160, (d) => selected.has(d.index), (d) => dialogCells(store, d, UTC));
  t.regex(slice.header, /^ {4} +Idx Method +From +To +Msgs Source +Destination +State +Findings +Start +Dur Proto Call-ID +Reason *$/);
  t.is(slice.rows.length, 6);
  const states = ['COMPLETED', 'BUSY', 'REJECTED', 'CANCELLED', 'CALL SETUP', ''];
  slice.rows.forEach((row, i) => {
    t.true(row.startsWith(i === 1 ? '[*] ' : '[ ] '), row);
    t.true(row.includes(`35441515${i}0`), row);
    if (states[i] !== '') t.true(row.includes(states[i]!), row);
  });
  t.regex(slice.rows[0]!, /^\[ \] +1 INVITE +3544151500 +3544151502 +7 127\.0\.0\.1:5062 +127\.0\.0\.1:5060 +COMPLETED /);
  t.regex(slice.rows[5]!, /REGISTER/);
});

test('only the visible slice is formatted', (t) => {
  const fake = Array.from({ length: 200_000 }, (_, i) => ({ index: i + 1 }) as unknown as Dialog);
  let formatted = 0;
  const slice = listSlice(fake, 150_000, 25, 120, () => false, (d) => {
    formatted++;
    return [String(d.index)];
  });
  t.is(formatted, 25);
  t.is(slice.rows.length, 25);
  t.true(slice.rows[0]!.includes('150001'));
});

test('scrollTop keeps the cursor on screen and the window full', (t) => {
  t.is(scrollTop(0, 5, 10, 100), 0);
  t.is(scrollTop(0, 12, 10, 100), 3);
  t.is(scrollTop(50, 40, 10, 100), 40);
  t.is(scrollTop(95, 99, 10, 100), 90);
  t.is(scrollTop(0, 0, 10, 3), 0);
});

test('filter window fields select dialogs; text is a regex or else a substring', async (t) => {
  const run = await runEngine([demo]);
  const dialogs = [...run.engine.store.dialogList()];
  const none = (): string[] => [];
  const pick = (f: Partial<ReturnType<typeof emptyFilter>>): number[] =>
    dialogs.filter(compileFilter({ ...emptyFilter(), ...f }, none)).map((d) => d.index);
  t.deepEqual(pick({}), [1, 2, 3, 4, 5, 6]);
  t.deepEqual(pick({ to: '3544151512' }), [2]);
  t.deepEqual(pick({ from: 'anna' }), [1]);
  t.deepEqual(pick({ methods: ['REGISTER'] }), [6]);
  t.deepEqual(pick({ methods: ['INVITE'], to: '354415154' }), [5]);
  t.true(textMatcher('a[')('xa[y'));
  t.is(describeFilter({ ...emptyFilter(), to: '3544151512', methods: ['INVITE'] }), 'To=3544151512 Methods=INVITE');
  const texts = (d: Dialog): string[] => d.msgs.map((r) => run.bytes.read(run.engine.store.msgBytes(r))?.toString('utf8') ?? '');
  const payload = dialogs.filter(compileFilter({ ...emptyFilter(), payload: 'Caller barred' }, texts)).map((d) => d.index);
  t.deepEqual(payload, [3]);
});
