/**
 * One filter language in the full-screen UI (pty): the display filter (`/`) takes the
 * --filter language when the text compiles, the filter window (F7) has an Expression field,
 * the list has a Findings column and the call flow shows the dialog's findings.
 */
import test from 'ava';
import * as path from 'node:path';
import { KEYS, spawnSipscope, type ScreenSession } from './helpers/pty';
import { ownCaptures } from './helpers/paths';

const demo = path.join(ownCaptures, 'demo-udp.pcap');
const has = (s: string) => (lines: string[]) => lines.join('\n').includes(s);
const rowOf = (lines: string[], s: string): number => lines.findIndex((l) => l.startsWith('[') && l.includes(s));
const listed = (lines: string[]): string[] => ['3544151500', '3544151510', '3544151520', '3544151530', '3544151540', '3544151550'].filter((n) => lines.some((l) => l.startsWith('[') && l.includes(n)));

async function withScreen(run: (s: ScreenSession) => Promise<void>, cols = 120, rows = 30): Promise<void> {
  const s = spawnSipscope(['-I', demo], { cols, rows });
  try {
    await s.waitFor((l) => has('Dialogs: 6 (6 displayed)')(l) && !has('Loading')(l), 'the six dialogs');
    await run(s);
  } finally {
    s.kill();
  }
}

test('/ with a filter expression filters with the language and the header says Filter', async (t) => {
  await withScreen(async (s) => {
    s.send('/');
    await s.waitFor(has('Display filter: _'), 'the display filter prompt');
    s.send('status 4xx');
    // `status` is any response: the busy (486) and rejected (403) calls, and also the
    // cancelled call's 487 and the REGISTER's 401 challenge.
    let l = await s.waitFor((x) => has('Dialogs: 6 (4 displayed)')(x) && has('Filter: status 4xx')(x), 'status 4xx applied');
    t.deepEqual(listed(l), ['3544151510', '3544151520', '3544151530', '3544151550']);
    s.send(KEYS.esc);
    await s.waitFor(has('Dialogs: 6 (6 displayed)'), 'all dialogs again');
    s.send('/');
    s.send('final 4xx and not final 487');
    l = await s.waitFor((x) => has('Dialogs: 6 (2 displayed)')(x) && has('Filter: final 4xx and not final 487')(x), 'BUSY and REJECTED');
    t.deepEqual(listed(l), ['3544151510', '3544151520']);
    t.regex(l[rowOf(l, '3544151510')]!, /BUSY/);
    t.regex(l[rowOf(l, '3544151520')]!, /REJECTED/);
    s.send(KEYS.esc);
    await s.waitFor(has('Dialogs: 6 (6 displayed)'), 'all dialogs again');
    s.send('/');
    s.send('srcnum 3544151500');
    s.send(KEYS.enter);
    l = await s.waitFor((x) => has('Dialogs: 6 (1 displayed)')(x) && has('Filter: srcnum 3544151500')(x), 'the answered call');
    t.deepEqual(listed(l), ['3544151500']);
    t.regex(l[rowOf(l, '3544151500')]!, /COMPLETED/);
  });
});

test('/ with text that is not an expression is a search, and the header says Search', async (t) => {
  await withScreen(async (s) => {
    s.send('/');
    s.send('BUSY');
    s.send(KEYS.enter);
    const l = await s.waitFor((x) => has('Dialogs: 6 (1 displayed)')(x) && has('Search: BUSY')(x), 'the busy call');
    t.deepEqual(listed(l), ['3544151510']);
  });
});

test('F7 Expression field: state CANCELLED leaves one dialog', async (t) => {
  await withScreen(async (s) => {
    s.send(KEYS.f7);
    await s.waitFor(has('Filter dialogs'), 'the filter window');
    for (let i = 0; i < 5; i++) s.send(KEYS.tab);
    s.send('state CANCELLED');
    await s.waitFor(has('Expression: applied'), 'the expression compiled');
    s.send(KEYS.enter);
    const l = await s.waitFor((x) => has('Dialogs: 6 (1 displayed)')(x) && has('Filter: state CANCELLED')(x) && !has('Filter dialogs')(x), 'one dialog');
    t.deepEqual(listed(l), ['3544151530']);
  });
});

test('the Findings column labels the rejected call; the unanswered call flow shows no-response', async (t) => {
  await withScreen(async (s) => {
    const l = await s.waitFor((x) => has('Findings')(x) && /3544151520.*REJECTED +\S/.test(x.join('\n')), 'a finding on the rejected call');
    t.regex(l[rowOf(l, '3544151520')]!, /REJECTED +(forbidden|rejected)/);
    for (let i = 0; i < 4; i++) s.send(KEYS.down);
    s.send(KEYS.enter);
    const flow = await s.waitFor((x) => has('Call flow')(x) && has('3544151540')(x) && has('no-response:')(x), 'the no-response finding');
    t.true(flow.slice(1, 5).some((x) => x.includes('no-response:')), flow.join('\n'));
  });
});
