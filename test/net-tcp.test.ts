/**
 * TCP reassembly (src/net/tcp.ts) and SIP framing over the stream (src/sip/stream.ts),
 * through the real NetDecoder: every split point, reversed segments with and without the
 * handshake, duplicates, overlaps, sequence wrap-around, gaps and resynchronisation, the
 * memory bounds, TLS and non-SIP streams, and random input.
 */
import test from 'ava';
import { NetDecoder } from '../src/net/decoder';
import { STREAM_COST, TcpReassembler, seqDiff, type TcpOptions } from '../src/net/tcp';
import { newNetCounters, type NetCounters, type Packet } from '../src/net/types';
import { SipStreamFramer, type SipStreamChunk } from '../src/sip/stream';
import { frame, TcpFlow, tcpFrame, type LinkFrame } from './helpers/packets';
import { request, response, sdpOffer } from './helpers/sip-text';

const alice = { user: '3544151500', host: '192.0.2.10', name: 'Alice' };
const bob = { user: '3544151502', host: '192.0.2.20' };
const T0 = 1_763_900_000;

function invite(callId: string, compact = false): string {
  return request({ callId, from: alice, to: bob, cseq: 1, method: 'INVITE', body: sdpOffer('192.0.2.10', 40000), compact });
}
function ringing(callId: string): string {
  return response({ callId, from: alice, to: bob, cseq: 1, method: 'INVITE', toTag: 'b1' }, 180, 'Ringing');
}
function bye(callId: string): string {
  return request({ callId, from: alice, to: bob, cseq: 2, method: 'BYE', toTag: 'b1' });
}

interface Run {
  packets: Packet[];
  counters: NetCounters;
  gaps: number[];
  encrypted: number;
  notSip: number;
  tcp: TcpReassembler;
  frames: LinkFrame[];
  texts(): string[];
}

/** Frames (with times: index * step seconds unless given) through a decoder with TCP wired as in the engine. */
function run(frames: LinkFrame[], opts: Partial<TcpOptions> & { times?: number[]; finish?: boolean } = {}): Run {
  const counters = newNetCounters();
  const packets: Packet[] = [];
  const gaps: number[] = [];
  let encrypted = 0;
  let notSip = 0;
  let cur = 0;
  const decoder = new NetDecoder({ counters, onPacket: (p) => packets.push({ ...p, payload: Buffer.from(p.payload) }) });
  const tcp = new TcpReassembler({
    counters,
    onPacket: (p) => packets.push({ ...p, payload: Buffer.from(p.payload) }),
    sipFramer: (sink, onNotSip) => new SipStreamFramer(sink, counters, { onNotSip }),
    onGap: (b) => gaps.push(b),
    onEncrypted: () => encrypted++,
    onNotSip: () => notSip++,
    ...opts,
  });
  decoder.registerTransport(6, (ip, seg, off, fr) => tcp.segment(ip, seg, off, cur, fr));
  frames.forEach((f, i) => {
    cur = i;
    const t = opts.times?.[i] ?? i * 0.001;
    decoder.decode(frame(f, T0 + Math.floor(t), Math.round((t % 1) * 1e9)), i);
  });
  if (opts.finish !== false) tcp.finish();
  return {
    packets,
    counters,
    gaps,
    get encrypted() {
      return encrypted;
    },
    get notSip() {
      return notSip;
    },
    tcp,
    frames,
    texts: () => packets.map((p) => p.payload.toString('utf8')),
  };
}

const client = { ip: '192.0.2.10', port: 40000 };
const server = { ip: '192.0.2.20', port: 5060 };

/** Checks each packet's bytes can be read back where it says: at frameOffset of the last frame, or from its frames. */
function assertLocations(t: { true(v: boolean, m?: string): void }, r: Run): void {
  for (const p of r.packets) {
    if (p.frameOffset >= 0) {
      t.true(p.frames === undefined, 'an offset comes without a frame list');
      const hit = r.frames.some((f) => f.data.subarray(p.frameOffset, p.frameOffset + p.payload.length).equals(p.payload));
      t.true(hit, `payload at offset ${p.frameOffset} of a frame`);
    } else {
      t.true(p.frames !== undefined && p.frames.length > 0, 'a copied payload names its frames');
    }
  }
}

test('three messages in one segment: three packets, each a view at its offset in the frame', (t) => {
  const flow = new TcpFlow(client, server);
  const msgs = [invite('three@x'), ringing('three@x'), bye('three@x')];
  const frames = [...flow.handshake(), flow.segment('a', msgs.join(''))];
  const r = run(frames);
  t.deepEqual(r.texts(), msgs);
  const base = 14 + 20 + 20;
  t.is(r.packets[0]!.frameOffset, base);
  t.is(r.packets[1]!.frameOffset, base + Buffer.byteLength(msgs[0]!));
  t.is(r.packets[2]!.frameOffset, base + Buffer.byteLength(msgs[0]! + msgs[1]!));
  for (const p of r.packets) {
    t.is(p.transport, 'TCP');
    t.is(p.src, '192.0.2.10');
    t.is(p.sport, 40000);
    t.is(p.dport, 5060);
    t.is(p.frames, undefined);
  }
  t.is(r.counters.tcpStreams, 2);
  t.is(r.counters.sipStreamMessages, 3);
});

/** A stream exercising framing: Content-Length, compact l:, keep-alives, no body. */
function richStream(): string[] {
  return [
    invite('rich-1@x'),
    '\r\n\r\n', // RFC 5626 ping
    invite('rich-2@x', true),
    '\r\n', // pong
    ringing('rich-1@x'),
    bye('rich-1@x'),
  ];
}
const richMessages = (): string[] => richStream().filter((m) => m.trim() !== '');

test('split at every byte into two segments (with handshake): same messages, located exactly', (t) => {
  const whole = Buffer.from(richStream().join(''));
  for (let k = 1; k < whole.length; k++) {
    const flow = new TcpFlow(client, server);
    const frames = [...flow.handshake(), ...flow.send('a', whole, [k, whole.length])];
    const r = run(frames);
    if (JSON.stringify(r.texts()) !== JSON.stringify(richMessages())) {
      t.fail(`split at ${k}: ${JSON.stringify(r.texts().map((x) => x.slice(0, 30)))}`);
      return;
    }
    assertLocations(t, r);
  }
  t.pass();
});

test('split at every byte, second segment first (with handshake)', (t) => {
  const whole = Buffer.from(richStream().join(''));
  for (let k = 1; k < whole.length; k += 3) {
    const flow = new TcpFlow(client, server);
    const hs = flow.handshake();
    const [s1, s2] = flow.send('a', whole, [k, whole.length]);
    const r = run([...hs, s2!, s1!]);
    if (JSON.stringify(r.texts()) !== JSON.stringify(richMessages())) {
      t.fail(`split at ${k}`);
      return;
    }
  }
  t.pass();
});

test('one byte per segment', (t) => {
  const flow = new TcpFlow(client, server);
  const whole = Buffer.from(richStream().join(''));
  const r = run([...flow.handshake(), ...flow.send('a', whole, 1)]);
  t.deepEqual(r.texts(), richMessages());
  // Each message spans frames: copied, with every frame that carried it.
  t.is(r.packets[0]!.frameOffset, -1);
  t.is(r.packets[0]!.frames!.length, Buffer.byteLength(invite('rich-1@x')));
  t.true(r.counters.sipKeepAlives >= 2);
});

test('reversed segments with the handshake', (t) => {
  const flow = new TcpFlow(client, server);
  const hs = flow.handshake();
  const segs = flow.send('a', richStream().join(''), 200);
  const r = run([...hs, ...segs.reverse()]);
  t.deepEqual(r.texts(), richMessages());
  t.true(r.counters.tcpOutOfOrder > 0);
  t.is(r.counters.tcpGaps, 0);
});

test('reversed segments without the handshake: one message in three segments', (t) => {
  const flow = new TcpFlow(client, server);
  const text = invite('rev-nohs@x');
  const segs = flow.send('a', text, 200);
  t.true(segs.length >= 3);
  const r = run([...segs.reverse(), flow.ack('b')]);
  t.deepEqual(r.texts(), [text]);
  t.is(r.counters.tcpGaps, 0);
});

test('reversed segments without the handshake: three whole messages, then the peer answers', (t) => {
  const flow = new TcpFlow(client, server);
  const msgs = [invite('rev3@x'), ringing('rev3@x'), bye('rev3@x')];
  const segs = msgs.map((m) => flow.segment('a', m));
  const reply = flow.segment('b', response({ callId: 'rev3@x', from: alice, to: bob, cseq: 2, method: 'BYE', toTag: 'b1' }, 200, 'OK'));
  const r = run([...segs.reverse(), reply], { finish: false });
  t.deepEqual(r.texts().slice(0, 3), msgs, 'delivered when the peer is seen, before its reply');
  t.is(r.texts().length, 3, 'the reply waits for its own release');
  r.tcp.finish();
  t.is(r.texts().length, 4);
});

test('a stream without handshake in order delivers everything, first segment of 20 bytes', (t) => {
  const flow = new TcpFlow(client, server);
  const msgs = [invite('nohs@x'), bye('nohs@x')];
  const whole = msgs.join('');
  const r = run(flow.send('a', whole, [20, 700, 1460]));
  t.deepEqual(r.texts(), msgs);
});

test('duplicates and overlapping retransmissions: first copy wins, nothing repeated', (t) => {
  const flow = new TcpFlow(client, server);
  const hs = flow.handshake();
  const whole = Buffer.from(richStream().join(''));
  const base = flow.seqA;
  const at = (off: number, len: number): LinkFrame => flow.segment('a', whole.subarray(off, off + len), 'PA', (base + off) >>> 0);
  const frames = [...hs, at(0, 300), at(0, 300), at(200, 400), at(900, 500), at(550, 600), at(100, 50), at(1400, whole.length - 1400), at(1300, 200)];
  const r = run(frames);
  t.deepEqual(r.texts(), richMessages());
  t.true(r.counters.tcpDuplicateBytes > 0);
  t.is(r.counters.tcpGaps, 0);
});

test('sequence numbers wrap around 2^32 (in order and out of order)', (t) => {
  for (const reverse of [false, true]) {
    const flow = new TcpFlow(client, server, 0xffffffff - 700);
    const hs = flow.handshake();
    const segs = flow.send('a', richStream().join(''), 333);
    const r = run([...hs, ...(reverse ? segs.reverse() : segs)]);
    t.deepEqual(r.texts(), richMessages(), reverse ? 'reversed' : 'in order');
  }
  t.is(seqDiff(5, 0xfffffffb), 10);
  t.is(seqDiff(0xfffffffb, 5), -10);
});

test('a hole that never fills: counted at the end, delivery resumes on the next start line', (t) => {
  const flow = new TcpFlow(client, server);
  const hs = flow.handshake();
  const first = invite('gap-1@x');
  const lost = invite('gap-2@x');
  const after = bye('gap-1@x');
  const s1 = flow.send('a', first);
  const s2 = flow.send('a', lost, 200); // the middle one is never captured
  const s3 = flow.send('a', after);
  const r = run([...hs, ...s1, s2[0]!, ...s2.slice(2), ...s3]);
  t.deepEqual(r.texts(), [first, after]);
  t.is(r.counters.tcpGaps, 1);
  t.deepEqual(r.gaps, [200]);
  t.is(r.counters.sipStreamIncomplete, 1);
});

test('a hole open longer than the hole timeout is given up without waiting for the end', (t) => {
  const flow = new TcpFlow(client, server);
  const hs = flow.handshake();
  const lostSeg = flow.send('a', invite('hole-1@x'));
  const next = flow.send('a', invite('hole-2@x'));
  const later = flow.send('a', bye('hole-2@x'));
  const frames = [...hs, ...next, ...later];
  void lostSeg;
  const r = run(frames, { times: [0, 0, 0, 1, 12], finish: false });
  t.deepEqual(r.texts(), [invite('hole-2@x'), bye('hole-2@x')]);
  t.is(r.counters.tcpGaps, 1);
});

test('FIN after a hole: the hole is given up (after the grace), the stream closes', (t) => {
  const flow = new TcpFlow(client, server);
  const hs = flow.handshake();
  flow.send('a', 'lost bytes\r\n');
  const tail = flow.send('a', invite('fin@x'));
  const fin = flow.fin('a');
  const other = new TcpFlow({ ip: '192.0.2.30', port: 1 }, server).segment('a', '\r\n\r\n');
  const r = run([...hs, ...tail, fin, other], { times: [0, 0, 0, 0.1, 0.2, 3], finish: false });
  t.deepEqual(r.texts(), [invite('fin@x')]);
  t.is(r.counters.tcpGaps, 1);
  t.is(r.counters.tcpGapBytes, 12);
});

test('streams close on FIN and RST, and when idle', (t) => {
  const flow = new TcpFlow(client, server);
  const frames = [...flow.handshake(), ...flow.send('a', invite('close@x')), flow.fin('a')];
  const r = run(frames, { finish: false });
  t.is(r.tcp.streamCount, 1, 'the client direction closed on its FIN');
  const rst = new TcpFlow(client, server);
  const r2 = run([...rst.handshake(), rst.segment('b', '', 'R')], { finish: false });
  t.is(r2.tcp.streamCount, 0, 'RST closes both directions');
  const idle = new TcpFlow(client, server);
  const other = new TcpFlow({ ip: '192.0.2.30', port: 1 }, server);
  const r3 = run([...idle.handshake(), ...idle.send('a', invite('idle@x')), other.segment('a', '', 'S')], { times: [0, 0, 0, 0, 301], finish: false });
  t.is(r3.tcp.streamCount, 1, 'only the new stream is left');
  t.deepEqual(r3.texts(), [invite('idle@x')]);
});

test('a new SYN on the same ports starts a new connection (port reuse)', (t) => {
  const one = new TcpFlow(client, server, 100, 200);
  const two = new TcpFlow(client, server, 900_000, 700_000);
  const frames = [...one.handshake(), ...one.send('a', invite('reuse-1@x')), ...two.handshake(), ...two.send('a', invite('reuse-2@x'))];
  const r = run(frames);
  t.deepEqual(r.texts(), [invite('reuse-1@x'), invite('reuse-2@x')]);
});

test('a flood of 100k half-open streams stays under the memory bound', (t) => {
  const maxTotalBytes = 8 * 1024 * 1024;
  const frames: LinkFrame[] = [];
  for (let i = 0; i < 100_000; i++) {
    frames.push(tcpFrame({ src: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, dst: '192.0.2.20', sport: 1024 + (i % 60000), dport: 5060, seq: i * 7919, flags: 'S' }));
  }
  const r = run(frames, { maxTotalBytes, finish: false });
  t.true(r.tcp.memoryBytes <= maxTotalBytes, `${r.tcp.memoryBytes}`);
  t.true(r.tcp.streamCount <= maxTotalBytes / STREAM_COST);
  t.is(r.counters.tcpStreamsEvicted, 100_000 - r.tcp.streamCount);
  // And a real call still works among them.
  const flow = new TcpFlow(client, server);
  const r2 = run([...frames.slice(0, 20_000), ...flow.handshake(), ...flow.send('a', invite('flood@x'), 500)], { maxTotalBytes: 1024 * 1024 });
  t.deepEqual(r2.texts(), [invite('flood@x')]);
});

test('out-of-order bytes beyond the per-stream bound force the gap', (t) => {
  const flow = new TcpFlow(client, server);
  const hs = flow.handshake();
  flow.send('a', 'x'.repeat(1000)); // lost
  const big = flow.send('a', (invite('bound@x') + 'junk'.repeat(100)).repeat(200), 1400);
  const r = run([...hs, ...big], { maxStreamBytes: 64 * 1024, finish: false });
  t.true(r.counters.tcpGaps >= 1);
  t.true(r.packets.length > 0, 'delivery resumed before the end of input');
  t.true(r.tcp.memoryBytes < 200 * 1024);
});

test('TLS is counted as encrypted once per direction, not as not-SIP', (t) => {
  const flow = new TcpFlow(client, { ip: '192.0.2.20', port: 5061 });
  const hello = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x30, ...new Array<number>(0x30).fill(1)]);
  const appData = Buffer.from([0x17, 0x03, 0x03, 0x00, 0x10, ...new Array<number>(0x10).fill(2)]);
  const serverHello = Buffer.from([0x16, 0x03, 0x03, 0x00, 0x10, ...new Array<number>(0x10).fill(3)]);
  const r = run([...flow.handshake(), flow.segment('a', hello), flow.segment('b', serverHello), flow.segment('a', appData), flow.segment('a', appData)]);
  t.is(r.counters.tlsStreams, 2);
  t.is(r.encrypted, 2);
  t.is(r.notSip, 0);
  t.is(r.packets.length, 0);
});

test('a stream that is not SIP is counted once and then ignored', (t) => {
  const flow = new TcpFlow(client, { ip: '192.0.2.20', port: 3306 });
  const junk = Buffer.alloc(1400, 0x5a);
  const frames = [...flow.handshake()];
  for (let i = 0; i < 200; i++) frames.push(flow.segment('a', junk));
  const http = new TcpFlow({ ip: '192.0.2.11', port: 40001 }, { ip: '192.0.2.20', port: 80 });
  frames.push(...http.handshake(), http.segment('a', 'GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n'));
  const r = run(frames);
  t.is(r.notSip, 2);
  t.is(r.counters.tcpNotSip, 2);
  t.is(r.packets.length, 0);
});

test('a stream joined mid-message resynchronises on the next start line', (t) => {
  const flow = new TcpFlow(client, server);
  const text = invite('mid-1@x');
  const whole = Buffer.from(text.slice(100) + invite('mid-2@x') + bye('mid-2@x'));
  const r = run(flow.send('a', whole, 500));
  t.deepEqual(r.texts(), [invite('mid-2@x'), bye('mid-2@x')]);
  t.is(r.counters.sipStreamSkippedBytes, Buffer.byteLength(text) - 100);
});

test('IP-fragmented TCP segments: the message names every fragment frame', async (t) => {
  const { fragmentIpv4, tcp, ethernet } = await import('./helpers/packets');
  const text = invite('ipfrag@x');
  const seg = tcp({ sport: 40000, dport: 5060, seq: 1000, flags: 'PA', payload: text, src: '192.0.2.10', dst: '192.0.2.20' });
  const frags = fragmentIpv4(seg, { src: '192.0.2.10', dst: '192.0.2.20', proto: 6, id: 42 }, 400);
  const r = run(frags.map((ip) => ({ linktype: 1, data: ethernet(ip) })));
  t.deepEqual(r.texts(), [text]);
  t.deepEqual(r.packets[0]!.frames, frags.map((_, i) => i));
});

test('IPv6 and a message over many segments keep the addresses of that direction', (t) => {
  const flow = new TcpFlow({ ip: '2001:db8::10', port: 40000 }, { ip: '2001:db8::20', port: 5060 });
  const r = run([...flow.handshake(), ...flow.send('a', invite('v6@x'), 100), ...flow.send('b', ringing('v6@x'), 90)]);
  t.deepEqual(r.texts(), [invite('v6@x'), ringing('v6@x')]);
  t.is(r.packets[1]!.src, '2001:db8::20');
  t.is(r.packets[1]!.sport, 5060);
  t.is(r.packets[1]!.ipVersion, 6);
});

// --- The SIP framer alone ----------------------------------------------------------------

function framerRun(parts: Buffer[], opts: { gapBefore?: number[] } = {}): { texts: string[]; counters: NetCounters } {
  const counters = newNetCounters();
  const texts: string[] = [];
  const f = new SipStreamFramer((p) => texts.push(p.toString('utf8')), counters);
  parts.forEach((data, i) => {
    if (opts.gapBefore?.includes(i)) f.gap();
    const c: SipStreamChunk = { data, frameOffset: -1, handle: i, frames: undefined, sec: 0, nsec: 0 };
    f.push(c);
  });
  f.end();
  return { texts, counters };
}

test('SIP framer: split at every byte into three pieces gives the same messages', (t) => {
  const whole = Buffer.from(richStream().join(''));
  const want = JSON.stringify(richMessages());
  for (let i = 1; i < whole.length; i += 7) {
    for (let j = i + 1; j < whole.length; j += 53) {
      const got = framerRun([whole.subarray(0, i), whole.subarray(i, j), whole.subarray(j)]).texts;
      if (JSON.stringify(got) !== want) {
        t.fail(`split ${i}/${j}`);
        return;
      }
    }
  }
  t.pass();
});

test('SIP framer: oversized message dropped and counted, next one framed', (t) => {
  const counters = newNetCounters();
  const texts: string[] = [];
  const f = new SipStreamFramer((p) => texts.push(p.toString()), counters, { maxMessageBytes: 2000 });
  const huge = request({ callId: 'huge@x', from: alice, to: bob, cseq: 1, method: 'MESSAGE', body: 'y'.repeat(5000) });
  const data = Buffer.from(huge + bye('after@x'));
  for (let at = 0; at < data.length; at += 500) f.push({ data: data.subarray(at, at + 500), frameOffset: -1, handle: at, frames: undefined, sec: 0, nsec: 0 });
  t.deepEqual(texts, [bye('after@x')]);
  t.is(counters.sipStreamOversized, 1);
});

test('SIP framer: after a gap, a message starting right at the gap is kept', (t) => {
  const a = Buffer.from(invite('g1@x'));
  const b = Buffer.from(bye('g1@x'));
  const r = framerRun([a.subarray(0, 100), b], { gapBefore: [1] });
  t.deepEqual(r.texts, [bye('g1@x')]);
  t.is(r.counters.sipStreamIncomplete, 1);
});

// --- Robustness ---------------------------------------------------------------------------

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test('random garbage never throws or hangs: segments, headers, streams', (t) => {
  const rand = rng(7);
  const frames: LinkFrame[] = [];
  const sip = Buffer.from(richStream().join(''));
  for (let i = 0; i < 3000; i++) {
    const len = Math.floor(rand() * 300);
    const payload = Buffer.alloc(len);
    for (let j = 0; j < len; j++) payload[j] = Math.floor(rand() * 256);
    if (rand() < 0.3) sip.copy(payload, 0, Math.floor(rand() * sip.length));
    const f = tcpFrame({
      src: '10.0.0.' + Math.floor(rand() * 4),
      dst: '10.0.1.1',
      sport: 1000 + Math.floor(rand() * 3),
      dport: 5060,
      seq: Math.floor(rand() * 4294967296),
      flags: Math.floor(rand() * 256),
      payload,
      dataOffsetWords: rand() < 0.1 ? Math.floor(rand() * 16) : undefined,
    });
    if (rand() < 0.1) f.data = f.data.subarray(0, Math.floor(rand() * f.data.length));
    frames.push(f);
  }
  const r = run(frames);
  t.true(r.counters.tcpSegments > 0);
  // And the framer alone on random bytes, split randomly.
  for (let k = 0; k < 200; k++) {
    const len = Math.floor(rand() * 4000);
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) b[j] = rand() < 0.5 ? Math.floor(rand() * 256) : (sip[j % sip.length] as number);
    const parts: Buffer[] = [];
    for (let at = 0; at < len; ) {
      const n = 1 + Math.floor(rand() * 600);
      parts.push(b.subarray(at, at + n));
      at += n;
    }
    framerRun(parts, { gapBefore: [Math.floor(rand() * parts.length)] });
  }
  t.pass();
});

test('random segmentation, order and duplication of a real conversation always gives the same messages', (t) => {
  const rand = rng(42);
  const whole = Buffer.from(richStream().join(''));
  for (let round = 0; round < 300; round++) {
    const flow = new TcpFlow(client, server, Math.floor(rand() * 4294967296));
    const hs = flow.handshake();
    const base = flow.seqA;
    const segs: LinkFrame[] = [];
    for (let at = 0; at < whole.length; ) {
      const n = 1 + Math.floor(rand() * 700);
      segs.push(flow.segment('a', whole.subarray(at, at + n), 'PA', (base + at) >>> 0));
      if (rand() < 0.2) segs.push(flow.segment('a', whole.subarray(Math.max(0, at - 50), at + n + 10), 'PA', (base + Math.max(0, at - 50)) >>> 0));
      at += n;
    }
    for (let i = segs.length - 1; i > 0; i--) {
      if (rand() < 0.3) {
        const j = Math.max(0, i - 1 - Math.floor(rand() * 3));
        [segs[i], segs[j]] = [segs[j]!, segs[i]!];
      }
    }
    const r = run([...hs, ...segs]);
    if (JSON.stringify(r.texts()) !== JSON.stringify(richMessages())) {
      t.fail(`round ${round}: ${r.texts().length} messages`);
      return;
    }
  }
  t.pass();
});
