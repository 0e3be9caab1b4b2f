/**
 * RTP streams in the call flow: one arrow per stream between the columns of the SIP
 * endpoints that announced its media addresses, at the time of its first packet, labelled
 * with codec, packets, loss and jitter (shortened with the rest beside the ladder when the
 * columns are narrow); the view model as text, then the real screen.
 */
import test from 'ava';
import * as path from 'node:path';
import { flowMessages, layoutCallFlow, rtpStreamLines, withRtpStreams, type FlowMessage } from '../src/view/call-flow';
import { safeText } from '../src/view/dialog-report';
import { UTC } from '../src/view/clock';
import { RtpStream } from '../src/rtp/rtp-stream';
import { runEngine } from './helpers/run-engine';
import { ownCaptures } from './helpers/paths';
import { KEYS, spawnSipscope } from './helpers/pty';

const T0 = 1795435200; // 2026-11-23 12:00:00 UTC

function msg(src: string, dst: string, label: string, ms: number, extra: Partial<FlowMessage> = {}): FlowMessage {
  return { row: -1, sec: T0 + Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6, src, dst, label, retrans: false, hasSdp: false, ...extra };
}

/** 250 packets 20 ms apart from `startMs`, seq 1..250 with `drop` left out, arrivals +-`wobble` ms. */
function stream(src: [string, number], dst: [string, number], startMs: number, drop: number[] = [], wobble = 0): RtpStream {
  const s = new RtpStream(src[0], src[1], dst[0], dst[1], 0xabcd, 0, 'PCMU', 8000);
  for (let i = 0; i < 250; i++) {
    if (drop.includes(i)) continue;
    const ms = startMs + i * 20 + (i % 2) * wobble;
    s.add(1 + i, i * 160, 0, 160, T0 + Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6));
  }
  return s;
}

const A = '10.0.0.1:5060';
const P = '10.0.0.5:5060';
const B = '10.0.0.2:5060';

test('a B2BUA call: the two streams span the proxy, full labels, at their first packet', (t) => {
  const sip = [
    msg(A, P, 'INVITE', 0, { hasSdp: true, sdp: { codec: 'PCMU', media: '10.0.0.1:40000' } }),
    msg(P, B, 'INVITE', 10),
    msg(B, P, '200 OK', 1000, { hasSdp: true, sdp: { codec: 'PCMU', media: '10.0.0.2:50000' } }),
    msg(P, A, '200 OK', 1010),
    msg(A, P, 'ACK', 1020),
    msg(A, P, 'BYE', 9000),
  ];
  const streams = [stream(['10.0.0.1', 40000], ['10.0.0.2', 50000], 1030, [7, 8, 9, 10, 11]), stream(['10.0.0.2', 50000], ['10.0.0.1', 40000], 1050, [], 4)];
  const flow = layoutCallFlow(withRtpStreams(sip, streams), { ascii: false, offset: UTC });
  t.deepEqual(flow.columns, [A, P, B]);
  t.deepEqual(flow.lines, [
    '12:00:00.000000            │──────INVITE──────>│                   │ (SDP) PCMU 10.0.0.1:40000',
    '12:00:00.010000 +0.010000  │                   │──────INVITE──────>│',
    '12:00:01.000000 +0.990000  │                   │<──────200 OK──────│ (SDP) PCMU 10.0.0.2:50000',
    '12:00:01.010000 +0.010000  │<──────200 OK──────│                   │',
    '12:00:01.020000 +0.010000  │───────ACK────────>│                   │',
    // 5 of 250 lost; the other way arrives every other packet 4 ms late: J tends to 32 units = 4 ms.
    '12:00:01.030000 +0.010000  │─────────────RTP PCMU 245─────────────>│ loss 2.0% jitter 0.0 ms 10.0.0.1:40000 > 10.0.0.2:50000',
    '12:00:01.050000 +0.020000  │<─────────────RTP PCMU 250─────────────│ loss 0% jitter 4.0 ms 10.0.0.2:50000 > 10.0.0.1:40000',
    '12:00:09.000000 +7.950000  │───────BYE────────>│                   │',
  ]);
  // Wide enough (three columns apart): the whole label on the arrow, nothing left beside it.
  const Q = '10.0.0.6:5060';
  const wide = layoutCallFlow(
    withRtpStreams([msg(A, P, 'INVITE', 0, { hasSdp: true, sdp: { codec: 'PCMU', media: '10.0.0.1:40000' } }), msg(P, Q, 'INVITE', 5), msg(Q, B, 'INVITE', 10), msg(B, Q, '200 OK', 900, { hasSdp: true, sdp: { codec: 'PCMU', media: '10.0.0.2:50000' } })], [streams[1]!]),
    { ascii: true, offset: UTC },
  );
  t.is(wide.lines[4], '12:00:01.050000 +0.150000  |<---------RTP PCMU 250 pkts loss 0% jitter 4.0 ms----------| 10.0.0.2:50000 > 10.0.0.1:40000');
});

test('a codec name from the capture with an escape sequence is shown escaped on the arrow and in the preview', (t) => {
  const s = new RtpStream('10.0.0.1', 40000, '10.0.0.2', 50000, 1, 96, '\x1b[2Jevil', 8000);
  s.add(1, 0, 96, 160, T0, 0);
  const flow = layoutCallFlow(withRtpStreams([msg(A, B, 'INVITE', 0, { hasSdp: true, sdp: { codec: 'x', media: '10.0.0.1:40000' } })], [s]), { ascii: true, offset: UTC });
  t.false(flow.lines.join('\n').includes('\x1b'));
  t.true(flow.lines[1]!.includes('RTP \\x1b[2J'));
  t.false(rtpStreamLines(s, UTC).map(safeText).join('\n').includes('\x1b'));
});

test('SIPp two-way call: both streams between caller and callee columns, short labels with the rest beside', async (t) => {
  const run = await runEngine([path.join(ownCaptures, 'rtp', 'two-way.pcap')]);
  const d = [...run.engine.store.dialogList()][0]!;
  const flow = layoutCallFlow(withRtpStreams(flowMessages(run.engine.store, d, (l) => run.bytes.read(l)), d.media!.streams), { ascii: true, offset: UTC });
  t.is(flow.header, '                    127.0.0.1:5282      127.0.0.1:5280');
  const rtp = flow.lines.filter((l) => l.includes('RTP'));
  t.is(rtp.length, 2);
  t.regex(rtp[0]!, /^14:47:23\.943041 \+0\.000156  \|<---RTP PCMA 101---\| loss 0% jitter 0\.5 ms 127\.0\.0\.1:16200 > 127\.0\.0\.1:16210$/);
  t.regex(rtp[1]!, /^14:47:23\.944013 \+0\.000972  \|---RTP PCMA 101--->\| loss 0% jitter 0\.5 ms 127\.0\.0\.1:16210 > 127\.0\.0\.1:16200$/);
  // Between the ACK and the BYE, in time order.
  const at = (s: string): number => flow.lines.findIndex((l) => l.includes(s));
  t.true(at('ACK') < at('RTP') && at('RTP') < at('BYE'));
});

test('the flow window shows the RTP arrows; the preview of one shows its figures', async (t) => {
  const s = spawnSipscope(['-I', path.join(ownCaptures, 'rtp', 'one-way.pcap')], { cols: 160, rows: 30 });
  try {
    await s.waitFor((l) => l.join('\n').includes('Dialogs: 1 (1 displayed)'), 'the list');
    s.send(KEYS.enter);
    const flow = await s.waitFor((l) => l.some((x) => x.includes('RTP PCMA 101')), 'the RTP arrow');
    t.true(flow.some((l) => l.includes('one-way-audio')), 'the finding in the header');
    for (let i = 0; i < 4; i++) s.send(KEYS.down);
    const preview = await s.waitFor((l) => l.some((x) => x.includes('RTP stream 127.0.0.1:16210 -> 127.0.0.1:16200')), 'the stream preview');
    t.true(preview.some((l) => l.includes('packets 101, expected 101, lost 0 (0.00%)')));
    t.true(preview.some((l) => /jitter max \d+\.\d{3} ms, mean \d+\.\d{3} ms/.test(l)));
    s.send(KEYS.enter); // no raw message behind an RTP line: stays in the flow
    s.send(KEYS.up);
    await s.waitFor((l) => (l[0] ?? '').startsWith('Call flow') && l.some((x) => x.includes('a=rtpmap') || x.includes('ACK sip:')), 'still the flow, previewing the ACK');
  } finally {
    s.kill();
  }
});
