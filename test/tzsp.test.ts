/**
 * TZSP: the decoder on crafted datagrams (tags, padding, END, control types, every way to
 * be short or wrong), then the real launcher listening with --tzsp while the demo
 * capture's Ethernet frames arrive wrapped in TZSP over UDP: the dialogs are the demo's.
 */
import test from 'ava';
import { TzspListener } from '../src/capture/tzsp-listener';
import {
  decodeTzsp,
  encodeTzsp,
  newTzspPacket,
  TZSP_BAD,
  TZSP_CONTROL,
  TZSP_OK,
  TZSP_TRUNCATED,
  TZSP_UNKNOWN_ENCAPSULATION,
} from '../src/net/tzsp';
import { Engine } from '../src/engine/engine';
import type { Frame } from '../src/pcap/types';
import { udpFrame } from './helpers/packets';
import { demoUdp, dialogKey, fileDialogs, freePort, parseJson, readFrames, sendUdp, sipscope, sipscopeListener, sortByCallId, until } from './hep-helpers';

const ETH = udpFrame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 5060, dport: 5060, payload: 'x' }).data;

function decode(b: Buffer): { status: number; linktype: number; frame: string; tags: number } {
  const p = newTzspPacket();
  const status = decodeTzsp(b, p);
  return { status, linktype: p.linktype, frame: status === TZSP_OK ? b.subarray(p.frameAt).toString('hex') : '', tags: p.tags };
}

test('TZSP header, tags (with padding) up to END, then the frame with its pcap link type', (t) => {
  const tags = Buffer.from([0, 0, 10, 1, 0xc8, 0, 18, 1, 6, 13, 4, 1, 2, 3, 4]); // padding, RSSI, padding, channel, timestamp
  t.deepEqual(decode(encodeTzsp(ETH, { tags })), { status: TZSP_OK, linktype: 1, frame: ETH.toString('hex'), tags: 3 });
  t.deepEqual(decode(encodeTzsp(ETH, { type: 1 })), { status: TZSP_OK, linktype: 1, frame: ETH.toString('hex'), tags: 0 });
  t.is(decode(encodeTzsp(ETH, { encapsulation: 18 })).linktype, 105); // IEEE 802.11
  t.is(decode(encodeTzsp(ETH, { encapsulation: 7 })).linktype, 101); // raw IP
  t.is(decode(encodeTzsp(ETH, { encapsulation: 119 })).linktype, 119); // Prism
  t.is(decode(encodeTzsp(ETH, { encapsulation: 127 })).linktype, 163); // AVS
});

test('TZSP control datagrams, short or wrong ones are told apart, never thrown', (t) => {
  const good = encodeTzsp(ETH);
  t.is(decode(Buffer.from([1, 4, 0, 1])).status, TZSP_CONTROL); // keep-alive, header only
  t.is(decode(Buffer.from([1, 5, 0, 1, 1])).status, TZSP_CONTROL); // port opener with END
  t.is(decode(Buffer.from([1, 3, 0, 1, 1, 9, 9])).status, TZSP_CONTROL);
  t.is(decode(Buffer.from([1, 0, 0])).status, TZSP_TRUNCATED);
  t.is(decode(Buffer.from([1, 0, 0, 1])).status, TZSP_TRUNCATED); // no END
  t.is(decode(Buffer.from([1, 0, 0, 1, 10, 5, 1, 2])).status, TZSP_TRUNCATED); // tag runs past the end
  t.is(decode(Buffer.from([1, 0, 0, 1, 10])).status, TZSP_TRUNCATED); // tag without its length
  t.is(decode(Buffer.from([1, 0, 0, 1, 1])).status, TZSP_TRUNCATED); // END but no frame
  t.is(decode(Buffer.from([2, 0, 0, 1, 1, 0])).status, TZSP_BAD); // version 2
  t.is(decode(Buffer.from([1, 6, 0, 1, 1, 0])).status, TZSP_BAD); // type 6
  t.is(decode(encodeTzsp(ETH, { encapsulation: 999 })).status, TZSP_UNKNOWN_ENCAPSULATION);
  // Every prefix of a good datagram gives a status.
  for (let n = 0; n < good.length; n++) t.true([TZSP_OK, TZSP_TRUNCATED].includes(decode(good.subarray(0, n)).status as 0 | 2));
});

test('the TZSP listener hands frames to the engine and counts what it skips', async (t) => {
  const engine = new Engine();
  const source = engine.addSource('tzsp');
  const frames: Frame[] = [];
  const l = await TzspListener.open({
    endpoint: { protocol: 'udp', host: '127.0.0.1', port: 0, family: 4 },
    onFrame: (f) => {
      frames.push(f);
      engine.ingest(f, source);
    },
  });
  const demo = readFrames(demoUdp);
  const datagrams = [
    Buffer.from([1, 4, 0, 1]),
    Buffer.from([9, 9]),
    Buffer.from([2, 0, 0, 1, 1, 0]),
    encodeTzsp(ETH, { encapsulation: 999 }),
    ...demo.map((f) => encodeTzsp(f.data, { tags: Buffer.from([0, 10, 1, 0x40]) })),
  ];
  await sendUdp('127.0.0.1', l.port, datagrams);
  await until(() => l.counters.datagrams === datagrams.length, 10_000, 'every datagram');
  await l.close();
  engine.finish();
  t.deepEqual(l.counters, { datagrams: datagrams.length, bytes: datagrams.reduce((n, d) => n + d.length, 0), frames: 30, control: 1, truncated: 1, bad: 1, unknownEncapsulation: 1 });
  t.is(engine.store.dialogCount, 6);
  t.is(engine.store.counters.sipMessages, 30);
  t.is(engine.store.counters.retransmissions, 4, 'arrival times increase, so retransmissions are recognised');
  // Arrival order is time order.
  for (let i = 1; i < frames.length; i++) t.true(frames[i]!.sec * 1e9 + frames[i]!.nsec > frames[i - 1]!.sec * 1e9 + frames[i - 1]!.nsec);
});

test('sipscope --tzsp: the demo capture streamed over TZSP gives the demo dialogs (times are arrival times)', async (t) => {
  const port = await freePort('udp');
  const l = await sipscopeListener(['--tzsp', `udp:127.0.0.1:${port}`, '-N', '--json']);
  const demo = readFrames(demoUdp);
  await sendUdp('127.0.0.1', port, [Buffer.from([1, 4, 0, 1]), Buffer.from('junk'), ...demo.map((f) => encodeTzsp(f.data))]);
  await new Promise((r) => setTimeout(r, 400));
  const r = await l.stop('SIGINT');
  t.is(r.status, 0, r.stderr);
  const { dialogs, summary } = parseJson(r.stdout);
  const withoutTimes = (d: Record<string, unknown>): Record<string, unknown> => {
    const { start: _s, end: _e, ...rest } = d;
    return rest;
  };
  t.deepEqual(sortByCallId(dialogs.map(dialogKey)).map(withoutTimes), fileDialogs(demoUdp).map(withoutTimes));
  const tz = (summary['tzspListeners'] as { endpoint: string; frames: number; control: number; bad: number }[])[0]!;
  t.deepEqual({ endpoint: tz.endpoint, frames: tz.frames, control: tz.control, bad: tz.bad }, { endpoint: `udp:127.0.0.1:${port}`, frames: 30, control: 1, bad: 1 });
});

test('--tzsp refuses tcp, saying what to write', (t) => {
  const r = sipscope(['--tzsp', 'tcp:127.0.0.1:37008', '-N']);
  t.is(r.status, 2);
  t.regex(r.stderr, /--tzsp 'tcp:127.0.0.1:37008': tcp is not supported here; write udp:HOST:PORT/);
});
