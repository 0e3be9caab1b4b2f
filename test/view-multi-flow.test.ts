/** One ladder of several dialogs: B2BUA legs merged in time order, each arrow tagged with its leg. */
import test from 'ava';
import * as path from 'node:path';
import { layoutMultiFlow, multiFlowOf } from '../src/view/multi-flow';
import { layoutCallFlow, shortenEndpoint, type FlowMessage } from '../src/view/call-flow';
import { UTC } from '../src/view/clock';
import { runEngine } from './helpers/run-engine';
import { ownCaptures } from './helpers/paths';

const T0 = 1795435200; // 2026-11-23 12:00:00 UTC
function msg(src: string, dst: string, label: string, ms: number, row = -1): FlowMessage {
  return { row, sec: T0 + Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6, src, dst, label, retrans: false, hasSdp: false };
}
const A = '10.0.0.1:5060';
const B = '10.0.0.2:5060';
const C = '10.0.0.3:5060';

test('two legs through a B2BUA: one ladder in time order, the B2BUA column shared, leg tags', (t) => {
  const leg1 = [msg(A, B, 'INVITE', 0), msg(B, A, '100 Trying', 5), msg(B, A, '200 OK', 900), msg(A, B, 'ACK', 910)];
  const leg2 = [msg(B, C, 'INVITE', 10), msg(C, B, '200 OK', 800), msg(B, C, 'ACK', 905)];
  const flow = layoutMultiFlow([leg1, leg2], { ascii: true, offset: UTC });
  t.deepEqual(flow.columns, [A, B, C]);
  t.deepEqual([flow.header, ...flow.lines], [
    '                         10.0.0.1:5060       10.0.0.2:5060       10.0.0.3:5060',
    'L1  12:00:00.000000            |------INVITE------>|                   |',
    'L1  12:00:00.005000 +0.005000  |<----100 Trying----|                   |',
    'L2  12:00:00.010000 +0.005000  |                   |------INVITE------>|',
    'L2  12:00:00.800000 +0.790000  |                   |<------200 OK------|',
    'L1  12:00:00.900000 +0.100000  |<------200 OK------|                   |',
    'L2  12:00:00.905000 +0.005000  |                   |-------ACK-------->|',
    'L1  12:00:00.910000 +0.005000  |-------ACK-------->|                   |',
  ]);
  t.deepEqual(
    flow.messages.map((m) => m.leg),
    [1, 1, 2, 2, 1, 2, 1],
  );
});

test('one dialog gives the plain ladder, without leg tags', (t) => {
  const leg = [msg(A, B, 'OPTIONS', 0), msg(B, A, '200 OK', 20)];
  const multi = layoutMultiFlow([leg], { ascii: true, offset: UTC });
  const plain = layoutCallFlow(leg, { ascii: true, offset: UTC });
  t.deepEqual([multi.header, ...multi.lines], [plain.header, ...plain.lines]);
});

test('the recorded B2BUA capture: both legs of call 1 interleave by capture time', async (t) => {
  const run = await runEngine([path.join(ownCaptures, 'b2bua-udp.pcap')]);
  const store = run.engine.store;
  const d1 = store.dialog('sipscope-b2bua-leg1-1@127.0.0.1')!;
  const d2 = store.dialog('sipscope-b2bua-leg2-1@127.0.0.1')!;
  const flow = multiFlowOf(store, [d1, d2], (loc) => run.bytes.read(loc), { ascii: true, offset: UTC });
  t.is(flow.lines.length, 14);
  t.deepEqual(flow.columns, ['127.0.0.1:5072', '127.0.0.1:5070', '127.0.0.1:5074', '127.0.0.1:5076']);
  const times = flow.messages.map((m) => m.sec + m.nsec / 1e9);
  t.deepEqual(times, [...times].sort((a, b) => a - b), 'in capture time order');
  // Leg 2 (the B2BUA's outgoing INVITE) is answered before leg 1.
  const order = flow.messages.map((m) => `${m.leg}:${m.label}`);
  t.true(order.indexOf('2:INVITE') > order.indexOf('1:INVITE'));
  t.true(order.indexOf('2:200 OK') < order.indexOf('1:200 OK'));
  for (const [i, l] of flow.lines.entries()) t.true(l.startsWith(`L${flow.messages[i]!.leg} `), l);
});

test('long IPv6 column headers keep the port and both ends of the address', (t) => {
  const v6 = '[2a01:598:a1:b2c3:d4e5:f6a7:b8c9:d0e1]:5060';
  t.is(shortenEndpoint(v6, 30), '[2a01:598:a1…7:b8c9:d0e1]:5060');
  const cut = shortenEndpoint(v6, 30);
  t.true(cut.endsWith(']:5060'), cut);
  t.true(cut.startsWith('[2a01:'), cut);
  t.is([...cut].length, 30);
  t.is(shortenEndpoint('[2001:db8::1]:5060', 30), '[2001:db8::1]:5060', 'short ones stay whole');
  const flow = layoutCallFlow([msg(A, v6, 'INVITE', 0)], { ascii: true, offset: UTC });
  t.true(flow.header.includes(']:5060'), flow.header);
  t.true(flow.header.includes('~'), 'ASCII mode marks the cut with ~');
});
