/**
 * The HEP listener on real sockets (127.0.0.1 / ::1): every kind of bad input is counted
 * and skipped while good packets around it still arrive; keys; many TCP agents at once;
 * the error for a port in use.
 */
import test from 'ava';
import { deflateSync } from 'node:zlib';
import { HepListener } from '../src/capture/hep-listener';
import { HepSender } from '../src/capture/hep-sender';
import type { EndpointSpec } from '../src/capture/endpoint-spec';
import { Engine } from '../src/engine/engine';
import type { Frame } from '../src/pcap/types';
import { parseIp } from '../src/net/address';
import { hep2, hep3, hep3Chunk } from './helpers/packets';
import { request } from './helpers/sip-text';
import { sendTcp, sendUdp, until } from './hep-helpers';

const from = { user: 'alice', host: 'example.com' };
const to = { user: 'bob', host: 'example.com' };
const sip = (callId: string, cseq = 1): string => request({ from, to, method: 'OPTIONS', callId, cseq });

function spec(callId: string, over: Partial<Parameters<typeof hep2>[0]> = {}): Parameters<typeof hep2>[0] {
  return { src: '10.0.0.1', dst: '10.0.0.2', sport: 5060, dport: 5060, sec: 1_700_000_000, usec: 1, payload: sip(callId), ...over };
}

async function listen(protocol: 'udp' | 'tcp', opts: { authKey?: string; host?: string } = {}): Promise<{ l: HepListener; frames: Frame[]; engine: Engine }> {
  const frames: Frame[] = [];
  const engine = new Engine();
  const source = engine.addSource('hep');
  const host = opts.host ?? '127.0.0.1';
  const endpoint: EndpointSpec = { protocol, host, port: 0, family: host.includes(':') ? 6 : 4 };
  const l = await HepListener.open({
    endpoint,
    authKey: opts.authKey,
    onFrame: (f) => {
      frames.push(f);
      engine.ingest(f, source);
    },
    now: () => ({ sec: 1_800_000_000, nsec: 0 }),
  });
  return { l, frames, engine };
}

test('UDP: truncated, bad lengths, bad chunks, garbage, bad compression and non-SIP are counted; the good packets around them arrive', async (t) => {
  const { l, engine } = await listen('udp');
  const good = hep3(spec('good-1@t'));
  const datagrams = [
    good,
    good.subarray(0, good.length - 10), // truncated: total length beyond the datagram
    hep3(spec('x', { totalLength: 4 })), // total length below the header
    hep3(spec('x', { extraChunks: [hep3Chunk(7, Buffer.from([1]))] })), // port chunk of 1 byte
    hep3(spec('x', { extraChunks: [hep3Chunk(50, Buffer.alloc(0), { length: 3 })] })), // chunk length 3
    Buffer.from('this is not HEP at all, nor SIP'),
    hep3(spec('x', { compressed: Buffer.from('not deflate data at all') })),
    hep3(spec('rtcp', { protoType: 5 })), // RTCP: not SIP
    hep3(spec('unknown-chunks@t', { extraChunks: [hep3Chunk(99, 'x'), hep3Chunk(1, 'vendor', { vendor: 0x1234 })] })),
    hep3(spec('compressed@t', { compressed: true })),
    hep3(spec('gzip@t', { compressed: deflateSync(Buffer.from(sip('gzip@t'))) })),
    hep2(spec('v2@t', { captureId: 7 })),
    hep2(spec('v1@t', { version: 1 })),
    hep3(spec('v6@t', { src: '2001:db8::1', dst: '2001:db8::2' })),
    Buffer.concat([hep3(spec('two-a@t')), hep3(spec('two-b@t'))]), // two HEP3 packets in one datagram
    hep3(spec('good-2@t')),
  ];
  await sendUdp('127.0.0.1', l.port, datagrams);
  await until(() => l.counters.datagrams === datagrams.length, 10_000, 'all datagrams');
  await l.close();
  engine.finish();
  const c = l.counters;
  t.is(c.truncated, 1);
  t.is(c.bad, 3);
  t.is(c.notHep, 1);
  t.is(c.badCompression, 1);
  t.is(c.notSip, 1);
  t.is(c.unknownChunks, 2);
  t.is(c.sip, 10);
  const ids = [...engine.store.dialogList()].map((d) => d.callId).sort();
  t.deepEqual(ids, ['compressed@t', 'good-1@t', 'good-2@t', 'gzip@t', 'two-a@t', 'two-b@t', 'unknown-chunks@t', 'v1@t', 'v2@t', 'v6@t']);
  const v1 = engine.store.dialog('v1@t')!;
  t.is(engine.store.msgSec(v1.msgs[0]!), 1_800_000_000, 'v1 carries no time: the receive time is used');
  const v6 = engine.store.dialog('v6@t')!;
  t.is(engine.store.msgSrc(v6.msgs[0]!), '[2001:db8::1]:5060');
});

test('with --hep-key, packets with no key, another key, or v2 (which has none) are refused and counted', async (t) => {
  const { l, engine } = await listen('udp', { authKey: 'k3y' });
  const key = (k: string): Buffer => hep3Chunk(14, k);
  const datagrams = [
    hep3(spec('nokey@t')),
    hep3(spec('wrong@t', { extraChunks: [key('k3z')] })),
    hep3(spec('longer@t', { extraChunks: [key('k3yy')] })),
    hep2(spec('v2@t')),
    hep3(spec('right@t', { extraChunks: [key('k3y')] })),
  ];
  await sendUdp('127.0.0.1', l.port, datagrams);
  await until(() => l.counters.datagrams === datagrams.length, 10_000, 'all datagrams');
  await l.close();
  t.is(l.counters.authFailed, 4);
  t.is(l.counters.sip, 1);
  t.deepEqual([...engine.store.dialogList()].map((d) => d.callId), ['right@t']);
});

test('TCP: many agents at once, packets split across writes; a garbage connection and a cut one do not disturb the others', async (t) => {
  const { l, engine } = await listen('tcp', { host: '::1' });
  const agents = 12;
  const perAgent = 15;
  const sends: Promise<void>[] = [];
  for (let a = 0; a < agents; a++) {
    const stream = Buffer.concat(
      Array.from({ length: perAgent }, (_, i) => hep3(spec(`agent-${a}@t`, { payload: sip(`agent-${a}@t`, i + 1), usec: i }))),
    );
    // Cut the stream at odd places (a few bytes, then bigger pieces).
    const chunks: Buffer[] = [];
    for (let at = 0, n = 1 + a; at < stream.length; at += n, n = n * 3 + 1) chunks.push(stream.subarray(at, Math.min(stream.length, at + n)));
    sends.push(sendTcp('::1', l.port, chunks));
  }
  sends.push(sendTcp('::1', l.port, [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]));
  const whole = hep3(spec('cut@t'));
  sends.push(sendTcp('::1', l.port, [whole.subarray(0, 20)])); // connection closes mid-packet
  await Promise.all(sends);
  await until(() => l.counters.sip === agents * perAgent, 10_000, 'every agent packet');
  await until(() => l.counters.openConnections === 0, 5000, 'connections closed');
  await l.close();
  engine.finish();
  t.is(l.counters.connections, agents + 2);
  t.is(l.counters.notHep, 1);
  t.is(engine.store.dialogCount, agents);
  for (const d of engine.store.dialogList()) t.is(d.msgs.length, perAgent, d.callId);
  // The TCP-carried (ipProto 17 here) payloads are plain UDP frames; the store saw them all once.
  t.is(engine.store.counters.sipMessages, agents * perAgent);
});

test('a port in use is an error naming the address and what to do', async (t) => {
  const { l } = await listen('udp');
  const e = await t.throwsAsync(HepListener.open({ endpoint: { protocol: 'udp', host: '127.0.0.1', port: l.port, family: 4 }, onFrame: () => undefined }));
  t.is(e?.message, `cannot listen on udp:127.0.0.1:${l.port}: address in use; another program listens there (pick another port, or stop it)`);
  await l.close();
  const tcp = await listen('tcp');
  const e2 = await t.throwsAsync(HepListener.open({ endpoint: { protocol: 'tcp', host: '127.0.0.1', port: tcp.l.port, family: 4 }, onFrame: () => undefined }));
  t.regex(e2?.message ?? '', new RegExp(`^cannot listen on tcp:127.0.0.1:${tcp.l.port}: address in use`));
  await tcp.l.close();
});

test('the TCP sender queues while the collector is down, drops the oldest beyond its bound, and delivers the rest once it is up', async (t) => {
  // Find a free port, then start the sender before anything listens there.
  const probe = await listen('tcp');
  const port = probe.l.port;
  await probe.l.close();
  const warnings: string[] = [];
  const sender = await HepSender.open({
    endpoint: { protocol: 'tcp', host: '127.0.0.1', port, family: 4 },
    version: 3,
    captureId: 1,
    maxQueue: 5,
    reconnectMinMs: 50,
    reconnectMaxMs: 200,
    onWarning: (m) => warnings.push(m),
  });
  for (let i = 0; i < 8; i++) {
    sender.send({
      src: parseIp('10.0.0.1')!,
      dst: parseIp('10.0.0.2')!,
      sport: 5060,
      dport: 5060,
      ipProto: 17,
      sec: 1_700_000_000 + i,
      usec: 0,
      protoType: 1,
      captureId: 1,
      payload: Buffer.from(sip(`queued-${i}@t`)),
    });
  }
  t.is(sender.counters.droppedQueueFull, 3);
  await until(() => warnings.length > 0, 5000, 'a warning');
  t.regex(warnings[0]!, new RegExp(`^HEP to tcp:127.0.0.1:${port}: connection refused`));
  const frames: Frame[] = [];
  const l = await HepListener.open({ endpoint: { protocol: 'tcp', host: '127.0.0.1', port, family: 4 }, onFrame: (f) => frames.push(f) });
  t.true(await sender.flush(5000));
  await until(() => l.counters.sip === 5, 5000, 'the queued packets');
  await sender.close();
  await l.close();
  t.is(sender.counters.sent, 5);
  t.is(sender.counters.connects, 1);
});
