import test from 'ava';
import * as path from 'node:path';
import { flowMessages, layoutCallFlow, sdpSummary, type FlowMessage } from '../src/view/call-flow';
import { UTC } from '../src/view/clock';
import { runEngine } from './helpers/run-engine';
import { ownCaptures } from './helpers/paths';

const T0 = 1795435200; // 2026-11-23 12:00:00 UTC

function msg(src: string, dst: string, label: string, ms: number, extra: Partial<FlowMessage> = {}): FlowMessage {
  return { row: -1, sec: T0 + Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6, src, dst, label, retrans: false, hasSdp: false, ...extra };
}

const A = '10.0.0.1:5060';
const B = '10.0.0.2:5060';
const C = '10.0.0.3:5060';

test('a 3-party B2BUA ladder: columns in order of appearance, arrows both ways, spanning a column', (t) => {
  const flow = layoutCallFlow(
    [
      msg(A, B, 'INVITE', 0, { hasSdp: true, sdp: { codec: 'PCMU', media: '10.0.0.1:40000' } }),
      msg(B, A, '100 Trying', 5),
      msg(B, C, 'INVITE', 10),
      msg(C, B, '200 OK', 1500),
      msg(B, A, '200 OK', 1510),
      msg(A, C, 'ACK', 1520),
      msg(C, A, 'BYE', 9000),
    ],
    { ascii: false, offset: UTC },
  );
  t.deepEqual(flow.columns, [A, B, C]);
  t.deepEqual([flow.header, ...flow.lines], [
    '                     10.0.0.1:5060       10.0.0.2:5060       10.0.0.3:5060',
    '12:00:00.000000            │──────INVITE──────>│                   │ (SDP) PCMU 10.0.0.1:40000',
    '12:00:00.005000 +0.005000  │<────100 Trying────│                   │',
    '12:00:00.010000 +0.005000  │                   │──────INVITE──────>│',
    '12:00:01.500000 +1.490000  │                   │<──────200 OK──────│',
    '12:00:01.510000 +0.010000  │<──────200 OK──────│                   │',
    '12:00:01.520000 +0.010000  │─────────────────ACK──────────────────>│',
    '12:00:09.000000 +7.480000  │<─────────────────BYE──────────────────│',
  ]);
});

test('retransmissions marked, an IPv6 column, a message to itself, ASCII fallback', (t) => {
  const V6 = '[2001:db8::1]:5060';
  const flow = layoutCallFlow(
    [msg(A, V6, 'OPTIONS', 0), msg(V6, A, '200 OK', 20), msg(A, V6, 'OPTIONS', 500, { retrans: true }), msg(A, A, 'MESSAGE', 600)],
    { ascii: true, offset: UTC },
  );
  t.deepEqual([flow.header, ...flow.lines], [
    '                     10.0.0.1:5060       [2001:db8::1]:5060',
    '12:00:00.000000            |-------OPTIONS------->|',
    '12:00:00.020000 +0.020000  |<-------200 OK--------|',
    '12:00:00.500000 +0.480000  |--OPTIONS (retrans)-->|',
    '12:00:00.600000 +0.100000  +- MESSAGE             |',
  ]);
});

test('UDP retransmissions of an unanswered INVITE in a ladder', (t) => {
  const flow = layoutCallFlow(
    [0, 500, 1500, 3500].map((ms, i) => msg(A, B, 'INVITE', ms, { retrans: i > 0 })),
    { ascii: false, offset: UTC },
  );
  t.deepEqual(flow.lines, [
    '12:00:00.000000            │───────INVITE───────>│',
    '12:00:00.500000 +0.500000  │──INVITE (retrans)──>│',
    '12:00:01.500000 +1.000000  │──INVITE (retrans)──>│',
    '12:00:03.500000 +2.000000  │──INVITE (retrans)──>│',
  ]);
});

test('captured control characters in a label are shown escaped', (t) => {
  const flow = layoutCallFlow([msg(A, B, '200 \x1b[2JOK', 0)], { ascii: false, offset: UTC });
  t.false(flow.lines.join('').includes('\x1b'));
  t.true(flow.lines[0]!.includes('\\x1b[2JOK'));
});

test('the SDP summary is the first rtpmap of the first m= line and its media address', (t) => {
  const sdp = ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 'c=IN IP4 192.0.2.1', 'm=audio 40000 RTP/AVP 8 0 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000', 'm=video 40002 RTP/AVP 96', 'a=rtpmap:96 H264/90000'].join('\r\n');
  t.deepEqual(sdpSummary(sdp), { codec: 'PCMA', media: '192.0.2.1:40000' });
  t.deepEqual(sdpSummary('v=0\r\nc=IN IP6 2001:db8::5\r\nm=audio 5004 RTP/AVP 0\r\n'), { codec: 'PCMU', media: '[2001:db8::5]:5004' });
  t.is(sdpSummary('v=0\r\n'), undefined);
});

test('the answered call of the demo capture: seven arrows with phrases and SDP read from the file', async (t) => {
  const run = await runEngine([path.join(ownCaptures, 'demo-udp.pcap')]);
  const d = [...run.engine.store.dialogList()].find((x) => x.callId.startsWith('sipscope-answered-'))!;
  const flow = layoutCallFlow(flowMessages(run.engine.store, d, (loc) => run.bytes.read(loc)), { ascii: false, offset: UTC });
  t.deepEqual(flow.columns, ['127.0.0.1:5062', '127.0.0.1:5060']);
  const arrows = flow.lines.map((l) => l.slice(27).replace(/[│─<>]+/g, ' ').replace(/ +/g, ' ').trim());
  t.deepEqual(arrows, [
    'INVITE (SDP) PCMU 127.0.0.1:40000',
    '100 Trying',
    '180 Ringing',
    '200 OK (SDP) PCMU 127.0.0.1:40002',
    'ACK',
    'BYE',
    '200 OK',
  ]);
  t.true(flow.lines[0]!.includes('──INVITE──') && flow.lines[0]!.includes('>│'));
  t.true(flow.lines[1]!.includes('│<──'));
});
