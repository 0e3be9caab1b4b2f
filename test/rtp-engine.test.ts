/**
 * The RTP tracker inside the engine on crafted captures: nothing tied before an SDP, RTCP on
 * the port after the RTP port counted apart, IPv6 media, a payload that only looks like RTP
 * left alone, and endpoints of dialogs evicted by -R forgotten at compaction.
 */
import test from 'ava';
import { Call, pcapOf, runSent, sdp, type Sent } from './analysis-call-builder';
import { runEngine } from './helpers/run-engine';
import { rtcpReceiverReport as rtcpRr, rtpPacket } from './helpers/rtp-packets';



const caller = { user: '3544151800', host: '10.1.0.1' };
const callee = { user: '3544151802', host: '10.2.0.1' };

function call(callId: string, aPort: number, bPort: number, at = 0): Call {
  return new Call({ callId, caller, callee })
    .req(at, 'INVITE', 1, { body: sdp('10.1.0.1', aPort, [[0, 'PCMU']]) })
    .res(at + 0.5, 200, 'OK', 'INVITE', 1, { body: sdp('10.2.0.1', bPort, [[0, 'PCMU']]) })
    .req(at + 0.6, 'ACK', 1);
}

function media(from: string, to: string, at: number, n: number, ssrc: number, pt = 0): Sent[] {
  return Array.from({ length: n }, (_, i) => ({ at: at + i * 0.02, from, to, text: rtpPacket(i, ssrc, { pt, fill: 0xff }) }));
}

test('RTP before any SDP stays "not SIP"; after it, to or from the SDP address it is the dialog\'s', async (t) => {
  const early = media('10.1.0.1:40000', '10.2.0.1:50000', 0, 3, 7).map((s) => ({ ...s, at: s.at - 1 }));
  const run = await runSent(early, call('c1@t', 40000, 50000).sent, media('10.1.0.1:40000', '10.2.0.1:50000', 1, 20, 7), media('10.2.0.1:50002', '10.1.0.1:40000', 1, 5, 9));
  const d = run.engine.store.dialog('c1@t')!;
  t.is(run.engine.counters.notSip, 3);
  t.deepEqual(
    d.media!.streams.map((s) => [s.src, s.dst, s.packets]),
    [
      ['10.1.0.1:40000', '10.2.0.1:50000', 20],
      // From a port no SDP named, to the caller's SDP address: still this dialog's.
      ['10.2.0.1:50002', '10.1.0.1:40000', 5],
    ],
  );
  t.deepEqual(run.engine.store.rtp, { rtpPackets: 25, rtcpPackets: 0, streams: 2 });
});

test('RTCP on the RTP port + 1 is counted for the dialog, not taken for a stream; text to a media port is not RTP', async (t) => {
  const rtcp: Sent[] = [1, 2, 3].map((i) => ({ at: 1 + i, from: '10.1.0.1:40001', to: '10.2.0.1:50001', text: rtcpRr(7) }));
  const junk: Sent[] = [{ at: 2.5, from: '10.1.0.1:40000', to: '10.2.0.1:50000', text: 'hello, not RTP' }];
  const looksLikeRtp: Sent[] = [{ at: 2.6, from: '10.1.0.1:40001', to: '10.2.0.1:50001', text: rtpPacket(1, 7, { fill: 0xff }) }];
  const run = await runSent(call('c2@t', 40000, 50000).sent, rtcp, junk, looksLikeRtp);
  const d = run.engine.store.dialog('c2@t')!;
  t.is(d.media!.rtcpPackets, 3);
  t.is(d.media!.streams.length, 0, 'RTP-shaped packets on the RTCP port are not a stream');
  t.is(run.engine.counters.notSip, 2);
});

test('IPv6 media written with upper case and zeros in the SDP is matched to the packets', async (t) => {
  const v6caller = { user: '3544151810', host: '[2001:db8::1]' };
  const v6callee = { user: '3544151812', host: '[2001:db8::2]' };
  const body = (ip: string, port: number): string =>
    ['v=0', `o=- 1 1 IN IP6 ${ip}`, 's=-', `c=IN IP6 ${ip}`, 't=0 0', `m=audio ${port} RTP/AVP 8`, 'a=rtpmap:8 PCMA/8000', ''].join('\r\n');
  const c = new Call({ callId: 'v6@t', caller: v6caller, callee: v6callee, a: '[2001:db8::1]:5060', b: '[2001:db8::2]:5060' })
    .req(0, 'INVITE', 1, { body: body('2001:DB8:0:0::1', 40000) })
    .res(0.5, 200, 'OK', 'INVITE', 1, { body: body('2001:db8::2', 50000) })
    .req(0.6, 'ACK', 1);
  const run = await runSent(c.sent, media('[2001:db8::1]:40000', '[2001:db8::2]:50000', 1, 10, 3, 8), media('[2001:db8::2]:50000', '[2001:db8::1]:40000', 1, 10, 4, 8));
  const d = run.engine.store.dialog('v6@t')!;
  t.deepEqual(
    d.media!.streams.map((s) => [s.src, s.dst, s.codec, s.packets]),
    [
      ['[2001:db8::1]:40000', '[2001:db8::2]:50000', 'PCMA', 10],
      ['[2001:db8::2]:50000', '[2001:db8::1]:40000', 'PCMA', 10],
    ],
  );
});

test('-R: endpoints of an evicted dialog are forgotten at compaction, its port then free for the next call', async (t) => {
  const first = call('old@t', 40000, 50000, 0);
  const second = new Call({ callId: 'new@t', caller, callee }).req(10, 'OPTIONS', 1).res(10.1, 200, 'OK', 'OPTIONS', 1);
  const capture = pcapOf([...first.sent, ...second.sent, ...media('10.1.0.1:40000', '10.2.0.1:50000', 11, 10, 5)]);
  const run = await runEngine([capture], { store: { limit: 1, rotate: true, compactMinRows: 1 } });
  t.deepEqual([...run.engine.store.dialogList()].map((d) => d.callId), ['new@t']);
  t.is(run.engine.store.rtp.rtpPackets, 0, 'RTP to the evicted call is not counted');
  t.is(run.engine.counters.notSip, 10);
});

test('SDP inside a multipart body (SIP-I: SDP and ISUP) registers its media like a plain one', async (t) => {
  const boundary = 'unique-boundary-1';
  const multipart = (ip: string, port: number): string =>
    [
      `--${boundary}`,
      'Content-Type: application/sdp',
      '',
      sdp(ip, port, [[0, 'PCMU']]).trimEnd(),
      `--${boundary}`,
      'Content-Type: application/isup;version=itu-t92+',
      '',
      '\x01\x10\x60\x01\x0a\x00',
      `--${boundary}--`,
      '',
    ].join('\r\n');
  const toMultipart = (text: string): string => text.replace('Content-Type: application/sdp', `Content-Type: multipart/mixed;boundary=${boundary}`);
  const c = new Call({ callId: 'mp@t', caller, callee })
    .req(0, 'INVITE', 1, { body: multipart('10.1.0.1', 41000) }, toMultipart)
    .res(0.5, 200, 'OK', 'INVITE', 1, { body: sdp('10.2.0.1', 51000, [[0, 'PCMU']]) })
    .req(0.6, 'ACK', 1);
  // From a port no SDP names: only the multipart offer's address ties it to the call.
  const run = await runSent(c.sent, media('10.2.0.9:59998', '10.1.0.1:41000', 1, 10, 11));
  const d = run.engine.store.dialog('mp@t')!;
  t.deepEqual(d.media?.streams.map((s) => [s.src, s.dst, s.packets]), [['10.2.0.9:59998', '10.1.0.1:41000', 10]]);
});
