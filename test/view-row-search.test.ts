import test from 'ava';
import * as path from 'node:path';
import type { Dialog } from '../src/store/dialog';
import { UTC } from '../src/view/clock';
import { dialogCells } from '../src/view/list-view';
import { textMatcher } from '../src/view/dialog-filter';
import { RowSearch } from '../src/view/row-search';
import { runEngine } from './helpers/run-engine';
import { ownCaptures } from './helpers/paths';

const demo = path.join(ownCaptures, 'demo-udp.pcap');

/** Stand-in dialogs: RowSearch only reads the message count and asks for the row text. */
function fakeDialogs(rows: string[]): { dialogs: Dialog[]; text: Map<Dialog, string> } {
  const text = new Map<Dialog, string>();
  const dialogs = rows.map((r) => {
    const d = { msgs: [1] } as unknown as Dialog;
    text.set(d, r);
    return d;
  });
  return { dialogs, text };
}

test('typing, Backspace and regular expressions give what a scan of every row gives', async (t) => {
  const run = await runEngine([demo]);
  const store = run.engine.store;
  const dialogs = [...store.dialogList()];
  const row = (d: Dialog): string => dialogCells(store, d, UTC).join(' ');
  const search = new RowSearch(row);
  const scan = (q: string): number[] => dialogs.filter((d) => textMatcher(q)(row(d))).map((d) => d.index);
  const typed = ['3', '35', '354', '3544151510', '354415151', 'busy', 'BUSY', 'bu', 'b', '35441515[12]0', 'REG|busy', '(', 'complet'];
  for (const q of typed) t.deepEqual(search.filter(dialogs, 'v1', q).map((d) => d.index), scan(q), q);
  t.deepEqual(search.filter(dialogs, 'v1', '3544151510').map((d) => d.from.user), ['3544151510']);
  t.deepEqual(search.filter(dialogs, 'v1', 'REGISTER').map((d) => d.method), ['REGISTER']);
});

test('row texts are built once; a longer query and Backspace reuse results; another list starts afresh', (t) => {
  const { dialogs, text } = fakeDialogs(['alpha 1', 'alpha 2', 'beta 1', 'Alpha 3']);
  let built = 0;
  const search = new RowSearch((d) => {
    built++;
    return text.get(d)!;
  });
  t.deepEqual(search.filter(dialogs, 'k', 'alp').map((d) => text.get(d)), ['alpha 1', 'alpha 2', 'Alpha 3']);
  t.is(built, 4, 'each row text built once');
  // The extended query narrows what 'alp' found, from texts already built.
  const seen: Dialog[] = [];
  const narrowing = new RowSearch((d) => {
    seen.push(d);
    return text.get(d)!;
  });
  narrowing.filter(dialogs, 'k', 'alp');
  seen.length = 0;
  t.deepEqual(narrowing.filter(dialogs, 'k', 'ALPHA 2').map((d) => text.get(d)), ['alpha 2']);
  t.is(seen.length, 0, 'texts reused, not rebuilt');
  // Backspace to a query answered before: the same result.
  t.deepEqual(search.filter(dialogs, 'k', 'alp').map((d) => text.get(d)), ['alpha 1', 'alpha 2', 'Alpha 3']);
  // A new list (the store changed): not answered from the old list's results.
  const fresh = fakeDialogs(['alpha 4']);
  text.set(fresh.dialogs[0]!, 'alpha 4');
  const all = [...dialogs, fresh.dialogs[0]!];
  t.deepEqual(search.filter(all, 'k2', 'alp').map((d) => text.get(d)), ['alpha 1', 'alpha 2', 'Alpha 3', 'alpha 4']);
});

test('a dialog that got more messages has its row text built again', (t) => {
  const { dialogs, text } = fakeDialogs(['CALL SETUP']);
  const d = dialogs[0]!;
  const search = new RowSearch((x) => text.get(x)!);
  t.is(search.filter(dialogs, 'v1', 'setup').length, 1);
  text.set(d, 'COMPLETED');
  (d.msgs as number[]).push(2);
  t.is(search.filter(dialogs, 'v2', 'setup').length, 0);
  t.is(search.filter(dialogs, 'v2', 'completed').length, 1);
});

test('warm builds row texts ahead in slices within its budget, continuing where it stopped', (t) => {
  const { dialogs, text } = fakeDialogs(Array.from({ length: 2000 }, (_, i) => `row ${i}`));
  let built = 0;
  const search = new RowSearch((d) => {
    built++;
    return text.get(d)!;
  });
  // A clock that advances 1 ms per reading: a 2 ms budget stops after the first slice.
  let clock = 0;
  const now = (): number => clock++;
  t.false(search.warm(dialogs, 'f', 2, now));
  t.true(built > 0 && built < 2000, `${built} built in the first slice`);
  while (!search.warm(dialogs, 'f', 2, now));
  t.is(built, 2000);
  // Warm again: nothing to build; searching needs no new text either.
  t.true(search.warm(dialogs, 'f', 2, now));
  t.is(search.filter(dialogs, 'v', 'row 1999').length, 1);
  t.is(built, 2000);
});
