/**
 * Media findings: one-way audio, SDP endpoints without RTP, loss and jitter, on the SIPp
 * recordings of captures/rtp/ and on crafted calls whose RTP is written packet by packet.
 */
import * as path from 'node:path';
import test from 'ava';
import { Call, findingsByCallId, labels, runSent, sdp, type Sent } from './analysis-call-builder';
import { runEngine } from './helpers/run-engine';
import { ownCaptures } from './helpers/paths';
import { analyseDialog, FINDING_LABELS } from '../src/analysis';
import { compileFilter } from '../src/filter/compile-filter';
import { rtpPacket } from './helpers/rtp-packets';

async function only(file: string): Promise<{ labels: string[]; texts: string[] }> {
  const f = [...findingsByCallId(await runEngine([path.join(ownCaptures, 'rtp', file)])).values()];
  if (f.length !== 1) throw new Error(`${f.length} dialogs in ${file}`);
  return { labels: labels(f[0]), texts: f[0]!.map((x) => x.text) };
}

test('two-way.pcap: RTP both ways, no media finding', async (t) => {
  t.deepEqual((await only('two-way.pcap')).labels, []);
});

test('one-way.pcap: the callee never sends: one-way audio, named with the addresses and counts', async (t) => {
  const f = await only('one-way.pcap');
  t.deepEqual(f.labels, ['one-way-audio']);
  t.is(
    f.texts[0],
    'one-way audio: RTP only from the caller (127.0.0.1:16210 -> 127.0.0.1:16200, 101 packets over 3.0 s), nothing from the callee back to 127.0.0.1:16210: ' +
      'the callee is not heard: it does not send, or its RTP is blocked or goes to another address (firewall, NAT, wrong c= address)',
  );
});

test('dead-port.pcap: audio flows, the video ports of offer and answer get nothing: no-rtp, not one-way', async (t) => {
  const f = await only('dead-port.pcap');
  t.deepEqual(f.labels, ['no-rtp']);
  t.regex(f.texts[0]!, /^no RTP to or from video 127\.0\.0\.1:16212 \(INVITE\), video 127\.0\.0\.1:16202 \(200 OK\) while 202 RTP packets flowed/);
});

test('`finding one-way-audio` and `finding no-rtp` select the recordings that have them', async (t) => {
  const run = await runEngine(['two-way.pcap', 'one-way.pcap', 'dead-port.pcap'].map((f) => path.join(ownCaptures, 'rtp', f)));
  const store = run.engine.store;
  const ctx = { store, bytes: run.bytes, findings: (d: Parameters<typeof analyseDialog>[1]) => analyseDialog(store, d, run.bytes).map((f) => f.label) };
  const pick = (expr: string): string[] => {
    const c = compileFilter(expr, { findingLabels: FINDING_LABELS });
    if (!c.ok) throw new Error(c.error);
    return [...store.dialogList()].filter((d) => c.test(d, ctx)).map((d) => d.callId.replace(/^sipscope-rtp-(.*?)-\d.*$/, '$1'));
  };
  t.deepEqual(pick('finding one-way-audio'), ['one-way']);
  t.deepEqual(pick('finding no-rtp'), ['dead-port']);
  t.deepEqual(pick('not finding one-way-audio and not finding no-rtp'), ['two-way']);
});

// ---- crafted RTP ----


const caller = { user: '3544151700', host: '10.1.0.1' };
const callee = { user: '3544151702', host: '10.2.0.1' };

/** An answered call (INVITE/200/ACK at 0-1.1 s, BYE at 4 s) with SDP 10.1.0.1:40000 and 10.2.0.1:50000. */
function answered(callId: string): Call {
  return new Call({ callId, caller, callee })
    .req(0, 'INVITE', 1, { body: sdp('10.1.0.1', 40000, [[8, 'PCMA']]) })
    .res(1, 200, 'OK', 'INVITE', 1, { body: sdp('10.2.0.1', 50000, [[8, 'PCMA']]) })
    .req(1.1, 'ACK', 1)
    .req(4, 'BYE', 2)
    .res(4.01, 200, 'OK', 'BYE', 2);
}

test('a lossy stream (10 of 100 lost) and a jittery one (±60 ms) are reported with their figures', async (t) => {
  const call = answered('lossy@t');
  const media: Sent[] = [];
  for (let i = 0; i < 100; i++) {
    // Caller -> callee: every 10th packet missing.
    if (i % 10 !== 5) media.push({ at: 1.2 + i * 0.02, from: '10.1.0.1:40000', to: '10.2.0.1:50000', text: rtpPacket(1000 + i, 0x1111, { pt: 8, ts: i * 160 }) });
    // Callee -> caller: every other packet 60 ms late.
    media.push({ at: 1.2 + i * 0.02 + (i % 2) * 0.06, from: '10.2.0.1:50000', to: '10.1.0.1:40000', text: rtpPacket(7 + i, 0x2222, { pt: 8, ts: 5000 + i * 160 }) });
  }
  const f = findingsByCallId(await runSent(call.sent, media)).get('lossy@t');
  t.deepEqual(labels(f), ['rtp-loss', 'rtp-jitter']);
  t.is(f![0]!.text, 'RTP 10.1.0.1:40000 -> 10.2.0.1:50000 (PCMA, SSRC 0x00001111) lost 10 of 100 packets (10.0%) over 2.0 s: audio breaks up; look for congestion or a saturated link on the path');
  t.regex(f![1]!.text, /^RTP 10\.2\.0\.1:50000 -> 10\.1\.0\.1:40000 \(PCMA, SSRC 0x00002222\) jitter peaked at (5\d|60)\.\d ms/);
});

test('an answered call without RTP is reported only when the capture carries RTP of other calls', async (t) => {
  const talking = answered('talking@t');
  const silent = new Call({ callId: 'silent@t', caller: { user: '3544151710', host: '10.1.0.9' }, callee: { user: '3544151712', host: '10.2.0.9' } })
    .req(0, 'INVITE', 1, { body: sdp('10.1.0.9', 41000, [[0, 'PCMU']]) })
    .res(1, 200, 'OK', 'INVITE', 1, { body: sdp('10.2.0.9', 51000, [[0, 'PCMU']]) })
    .req(1.1, 'ACK', 1);
  const media: Sent[] = [];
  for (let i = 0; i < 50; i++) {
    media.push({ at: 1.2 + i * 0.02, from: '10.1.0.1:40000', to: '10.2.0.1:50000', text: rtpPacket(i, 1, { pt: 8, ts: i * 160 }) });
    media.push({ at: 1.2 + i * 0.02, from: '10.2.0.1:50000', to: '10.1.0.1:40000', text: rtpPacket(i, 2, { pt: 8, ts: i * 160 }) });
  }
  const f = findingsByCallId(await runSent(talking.sent, silent.sent, media));
  t.deepEqual(labels(f.get('talking@t')), []);
  t.deepEqual(labels(f.get('silent@t')), ['no-bye', 'no-rtp']);
  t.is(
    f.get('silent@t')![1]!.text,
    'no RTP to or from audio 10.1.0.9:41000 (INVITE), audio 10.2.0.9:51000 (200 OK), although the capture carries RTP of other calls: ' +
      'the media never started there, or goes to another address (firewall, NAT, wrong c= address or port)',
  );
  // The same call in a capture of signalling only: nothing to say about media.
  const alone = findingsByCallId(await runSent(silent.sent));
  t.deepEqual(labels(alone.get('silent@t')), ['no-bye']);
});

test('a call on hold (a=sendonly) with RTP one way is not one-way audio; a rejected call is not no-rtp', async (t) => {
  const hold = new Call({ callId: 'hold@t', caller, callee })
    .req(0, 'INVITE', 1, { body: sdp('10.1.0.1', 40000, [[8, 'PCMA']]).replace('a=sendrecv', 'a=sendonly') })
    .res(1, 200, 'OK', 'INVITE', 1, { body: sdp('10.2.0.1', 50000, [[8, 'PCMA']]).replace('a=sendrecv', 'a=recvonly') })
    .req(1.1, 'ACK', 1)
    .req(4, 'BYE', 2)
    .res(4.01, 200, 'OK', 'BYE', 2);
  const rejected = new Call({ callId: 'rej@t', caller: { user: '1', host: '10.1.0.5' }, callee: { user: '2', host: '10.2.0.5' } })
    .req(0, 'INVITE', 1, { body: sdp('10.1.0.5', 42000, [[8, 'PCMA']]) })
    .res(0.5, 486, 'Busy Here', 'INVITE', 1)
    .req(0.6, 'ACK', 1);
  const media: Sent[] = [];
  for (let i = 0; i < 50; i++) media.push({ at: 1.2 + i * 0.02, from: '10.1.0.1:40000', to: '10.2.0.1:50000', text: rtpPacket(i, 3, { pt: 8, ts: i * 160 }) });
  const f = findingsByCallId(await runSent(hold.sent, rejected.sent, media));
  t.deepEqual(labels(f.get('hold@t')), []);
  t.deepEqual(labels(f.get('rej@t')), ['busy']);
});
