/** Stats counts over dialogs, checked against the demo capture's documented contents. */
import test from 'ava';
import * as path from 'node:path';
import { dialogStats, statsLines } from '../src/view/dialog-stats';
import { runEngine } from './helpers/run-engine';
import { ownCaptures } from './helpers/paths';

test('demo-udp: dialogs, messages, methods, response classes and codes, call states', async (t) => {
  const run = await runEngine([path.join(ownCaptures, 'demo-udp.pcap')]);
  const store = run.engine.store;
  const s = dialogStats(store, store.dialogList());
  t.is(s.dialogs, 6);
  t.is(s.messages, 30);
  t.is(s.retransmissions, 4);
  t.is(s.requests + s.responses, 30);
  t.deepEqual(Object.fromEntries(s.dialogMethods), { INVITE: 5, REGISTER: 1 });
  t.deepEqual(Object.fromEntries(s.states), { COMPLETED: 1, BUSY: 1, REJECTED: 1, CANCELLED: 1, 'CALL SETUP': 1 });
  // INVITE: 1 + 1 + 1 + 1 + 5 (the unanswered one sent five times); ACK: answered, busy, rejected, cancelled.
  t.deepEqual(Object.fromEntries(s.methods), { INVITE: 9, ACK: 4, BYE: 1, CANCEL: 1, REGISTER: 2 });
  t.deepEqual(Object.fromEntries(s.codes), { 100: 3, 180: 2, 200: 4, 401: 1, 403: 1, 486: 1, 487: 1 });
  t.deepEqual(Object.fromEntries(s.classes), { '1xx': 5, '2xx': 4, '4xx': 4 });
  const text = statsLines(s, '6 displayed of 6 dialogs');
  t.is(text[0], 'Counted: 6 displayed of 6 dialogs');
  t.true(text.includes('  486            1'), text.join('\n'));
  // Wide: responses beside the rest.
  const wide = statsLines(s, 'all', 100);
  t.true(wide.length < text.length);
  t.true(wide.some((l) => /^Dialogs by method +Responses by class$/.test(l)), wide.join('\n'));
  t.true(wide.some((l) => /^ {2}INVITE +5 +1xx +5$/.test(l)), wide.join('\n'));
});

test('stats of a subset count only those dialogs', async (t) => {
  const run = await runEngine([path.join(ownCaptures, 'demo-udp.pcap')]);
  const store = run.engine.store;
  const busy = [...store.dialogList()].filter((d) => d.state === 'BUSY');
  const s = dialogStats(store, busy);
  t.is(s.dialogs, 1);
  t.is(s.messages, 4);
  t.deepEqual(Object.fromEntries(s.codes), { 100: 1, 486: 1 });
  t.deepEqual(Object.fromEntries(s.methods), { INVITE: 1, ACK: 1 });
});
