/**
 * SCTP (src/net/sctp.ts through src/net/decoder.ts): DATA and I-DATA chunks, bundled and
 * fragmented, become Packets with transport 'SCTP' at their bytes in the frame, or
 * reassembled with the frames they came from; control chunks, broken and cut packets are
 * counted, never thrown; pending fragments expire by frame time and are bounded in bytes.
 */
import test from 'ava';
import { LINKTYPE, type Frame } from '../src/pcap/types';
import { newNetCounters, type NetCounters, type Packet } from '../src/net/types';
import { SctpDecoder } from '../src/net/sctp';
import {
  decodeFrames,
  ethernet,
  fragmentIpv4,
  frame,
  ipv4,
  sctp,
  sctpChunk,
  sctpData,
  sctpFrame,
  sctpIData,
  type SctpDataSpec,
} from './helpers/packets';

const A = { src: '10.1.0.1', dst: '10.1.0.2', sport: 5060, dport: 5060 };
const T0 = 1_700_000_000;

function sip(callId: string, pad = 0): string {
  return `OPTIONS sip:bob@example.com SIP/2.0\r\nCall-ID: ${callId}\r\nX-Pad: ${'p'.repeat(pad)}\r\nContent-Length: 0\r\n\r\n`;
}

function sctpEth(chunks: Buffer[], opts: { src?: string; dst?: string; sport?: number; dport?: number; vtag?: number } = {}, sec = T0): Frame {
  const f = sctpFrame({ ...A, ...opts, chunks });
  return frame(f, sec);
}

/** The payload of `p` is the frame's bytes at `p.frameOffset`. */
function atOffset(f: Frame, p: Packet): string {
  return f.data.subarray(p.frameOffset, p.frameOffset + p.payload.length).toString('latin1');
}

test('one unfragmented DATA chunk is one SCTP packet at its offset in the frame', (t) => {
  const text = sip('one@sctp');
  const f = sctpEth([sctpData({ tsn: 1, payload: text })]);
  const { packets, counters } = decodeFrames([f]);
  t.is(packets.length, 1);
  const p = packets[0]!;
  t.like(p, { ipVersion: 4, src: A.src, dst: A.dst, sport: 5060, dport: 5060, transport: 'SCTP', sec: T0, frames: undefined });
  t.is(p.payload.toString(), text);
  t.is(atOffset(f, p), text);
  t.is(p.frameOffset, 14 + 20 + 12 + 16);
  t.is(counters.sctpPackets, 1);
  t.is(counters.sctpControl, 0);
  t.is(counters.sctpBad, 0);
});

test('bundled chunks: SACK then three DATA chunks (odd lengths, padded) give three packets in order', (t) => {
  const texts = [sip('b1', 1), sip('b2', 2), sip('b3', 3)];
  const sack = sctpChunk(3, 0, Buffer.alloc(12));
  const f = sctpEth([sack, ...texts.map((payload, i) => sctpData({ tsn: 10 + i, stream: i, payload }))]);
  const { packets, counters } = decodeFrames([f]);
  t.deepEqual(packets.map((p) => p.payload.toString()), texts);
  for (const p of packets) t.is(atOffset(f, p), p.payload.toString());
  t.is(counters.sctpControl, 0);
  t.is(counters.sctpFragments, 0);
});

test('a last chunk without its padding is still read', (t) => {
  const text = sip('nopad', 1); // odd length
  const chunk = sctpData({ tsn: 1, payload: text });
  const unpadded = chunk.subarray(0, chunk.readUInt16BE(2));
  const f = sctpEth([unpadded]);
  const { packets, counters } = decodeFrames([f]);
  t.is(packets.length, 1);
  t.is(packets[0]!.payload.toString(), text);
  t.is(counters.sctpBad, 0);
});

test('control-only packets (INIT, SACK, HEARTBEAT, COOKIE ECHO) are counted, not errors', (t) => {
  const frames = [
    sctpEth([sctpChunk(1, 0, Buffer.alloc(16))], { vtag: 0 }),
    sctpEth([sctpChunk(3, 0, Buffer.alloc(12))]),
    sctpEth([sctpChunk(4, 0, Buffer.alloc(8))]),
    sctpEth([sctpChunk(10, 0, Buffer.alloc(5))]),
  ];
  const { packets, counters } = decodeFrames(frames);
  t.is(packets.length, 0);
  t.is(counters.sctpPackets, 4);
  t.is(counters.sctpControl, 4);
  t.is(counters.sctpBad, 0);
  t.is(counters.otherTransport, 0);
});

test('I-DATA (RFC 8260) unfragmented is one packet', (t) => {
  const text = sip('idata');
  const f = sctpEth([sctpIData({ tsn: 5, ssn: 9, ppid: 0, payload: text })]);
  const { packets } = decodeFrames([f]);
  t.is(packets.length, 1);
  t.is(atOffset(f, packets[0]!), text);
  t.is(packets[0]!.frameOffset, 14 + 20 + 12 + 20);
});

/** Three DATA fragments of `text` starting at TSN `tsn`, as chunks. */
function fragments(text: string, tsn: number, spec: Partial<SctpDataSpec> = {}, idata = false): Buffer[] {
  const b = Buffer.from(text);
  const cut = [0, Math.floor(b.length / 3), Math.floor((2 * b.length) / 3), b.length];
  const out: Buffer[] = [];
  for (let i = 0; i < 3; i++) {
    const d: SctpDataSpec = {
      ...spec,
      tsn: (tsn + i) >>> 0,
      payload: b.subarray(cut[i]!, cut[i + 1]!),
      begin: i === 0,
      end: i === 2,
      fsn: i,
    };
    out.push(idata ? sctpIData(d) : sctpData(d));
  }
  return out;
}

const ORDERS = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
];

for (const idata of [false, true]) {
  const kind = idata ? 'I-DATA' : 'DATA';
  test(`${kind}: three fragments in separate frames, in every order, reassemble with their frames`, (t) => {
    const text = sip(`frag-${kind}`, 900);
    const chunks = fragments(text, 100, { ssn: 4 }, idata);
    for (const order of ORDERS) {
      const frames = order.map((i, n) => sctpEth([chunks[i]!], {}, T0 + n));
      const { packets, counters, decoder } = decodeFrames(frames, { finish: false });
      t.is(packets.length, 1, order.join());
      const p = packets[0]!;
      t.is(p.payload.toString(), text);
      t.is(p.frameOffset, -1);
      t.deepEqual(p.frames, [0, 1, 2]);
      t.is(p.transport, 'SCTP');
      t.is(p.sec, T0 + 2, 'the time of the frame that completed it');
      t.is(counters.sctpFragments, 3);
      t.is(counters.sctpReassembled, 1);
      t.is(decoder.pendingSctpStreams, 0);
    }
  });
}

test('TSNs wrapping past 2^32 reassemble', (t) => {
  const text = sip('wrap', 300);
  const chunks = fragments(text, 0xffffffff);
  const { packets } = decodeFrames([sctpEth([chunks[2]!]), sctpEth([chunks[0]!]), sctpEth([chunks[1]!])]);
  t.is(packets.length, 1);
  t.is(packets[0]!.payload.toString(), text);
});

test('two fragmented messages on one stream, shuffled, and one on another stream, all come out', (t) => {
  const m1 = sip('s1-a', 200);
  const m2 = sip('s1-b', 250);
  const m3 = sip('s2-a', 300);
  const c1 = fragments(m1, 1, { stream: 1 });
  const c2 = fragments(m2, 4, { stream: 1 });
  const c3 = fragments(m3, 7, { stream: 2 });
  const order = [c2[1]!, c1[2]!, c3[0]!, c2[0]!, c1[0]!, c3[2]!, c2[2]!, c1[1]!, c3[1]!];
  const { packets, counters } = decodeFrames(order.map((c) => sctpEth([c])));
  t.deepEqual(packets.map((p) => p.payload.toString()).sort(), [m1, m2, m3].sort());
  t.is(counters.sctpIncomplete, 0);
});

test('fragments bundled in one packet with an unfragmented message', (t) => {
  const whole = sip('whole');
  const big = sip('big', 400);
  const c = fragments(big, 20, { stream: 3 });
  const f = sctpEth([c[0]!, sctpData({ tsn: 23, stream: 4, payload: whole }), c[1]!, c[2]!]);
  const { packets } = decodeFrames([f]);
  t.deepEqual(packets.map((p) => p.payload.toString()), [whole, big]);
  t.is(packets[1]!.frameOffset, -1);
  t.deepEqual(packets[1]!.frames, [0]);
});

test('a duplicated fragment (retransmission) is ignored; a missing one is counted at the end', (t) => {
  const text = sip('dup', 300);
  const c = fragments(text, 1);
  const ok = decodeFrames([sctpEth([c[0]!]), sctpEth([c[0]!]), sctpEth([c[1]!]), sctpEth([c[2]!])]);
  t.is(ok.packets.length, 1);
  t.deepEqual(ok.packets[0]!.frames, [0, 2, 3]);
  const lost = decodeFrames([sctpEth([c[0]!]), sctpEth([c[2]!])]);
  t.is(lost.packets.length, 0);
  t.is(lost.counters.sctpIncomplete, 1);
});

test('a fragment set that waits past the timeout (frame time) is dropped and counted', (t) => {
  const c = fragments(sip('slow', 300), 1);
  const late = fragments(sip('late', 300), 50, { stream: 9 });
  const { packets, counters, decoder } = decodeFrames(
    [sctpEth([c[0]!], {}, T0), sctpEth([late[0]!], {}, T0 + 20), sctpEth([sctpChunk(3, 0, Buffer.alloc(12))], {}, T0 + 31)],
    { finish: false, sctpTimeoutSec: 30 },
  );
  t.is(packets.length, 0);
  t.is(counters.sctpIncomplete, 1);
  t.is(decoder.pendingSctpStreams, 1, 'the newer set is kept');
  // The remaining fragments of the first message now start a set that cannot complete.
  decoder.decode(sctpEth([c[1]!], {}, T0 + 32), 3);
  decoder.decode(sctpEth([c[2]!], {}, T0 + 32), 4);
  t.is(packets.length, 0);
});

test('the memory bound evicts the oldest pending streams', (t) => {
  const frames: Frame[] = [];
  for (let s = 0; s < 10; s++) frames.push(sctpEth([fragments(sip(`m${s}`, 3000), s * 10, { stream: s })[0]!]));
  const { counters, decoder } = decodeFrames(frames, { finish: false, maxSctpBytes: 4000 });
  // Each first fragment holds about 1,040 bytes: at most three fit in 4,000.
  t.true(decoder.pendingSctpStreams <= 3);
  t.is(counters.sctpIncomplete + decoder.pendingSctpStreams, 10);
});

test('an SCTP packet in IP fragments keeps their frames', (t) => {
  const text = sip('ipfrag', 2500);
  const packet = sctp({ ...A, chunks: [sctpData({ tsn: 1, payload: text })] });
  const frags = fragmentIpv4(packet, { src: A.src, dst: A.dst, proto: 132, id: 7 }, 1000);
  const { packets } = decodeFrames(frags.map((ip) => frame({ linktype: LINKTYPE.ETHERNET, data: ethernet(ip) })));
  t.is(packets.length, 1);
  t.is(packets[0]!.payload.toString(), text);
  t.is(packets[0]!.frameOffset, -1);
  t.deepEqual(packets[0]!.frames, [0, 1, 2]);
});

test('IPv6 SCTP', (t) => {
  const text = sip('v6');
  const f = frame(sctpFrame({ src: '2001:db8::1', dst: '2001:db8::2', sport: 5061, dport: 5060, chunks: [sctpData({ tsn: 1, payload: text })] }));
  const { packets } = decodeFrames([f]);
  t.like(packets[0], { ipVersion: 6, src: '2001:db8::1', dst: '2001:db8::2', sport: 5061, transport: 'SCTP' });
  t.is(atOffset(f, packets[0]!), text);
});

test('sctp: false leaves SCTP to otherTransport; registerTransport(132) replaces the built-in decoder', (t) => {
  const f = sctpEth([sctpData({ tsn: 1, payload: sip('off') })]);
  const off = decodeFrames([f], { sctp: false });
  t.is(off.packets.length, 0);
  t.is(off.counters.otherTransport, 1);
  let seen = 0;
  const { decoder, counters, packets } = decodeFrames([]);
  decoder.registerTransport(132, () => seen++);
  decoder.decode(f, 0);
  t.is(seen, 1);
  t.is(counters.sctpPackets, 0);
  t.is(packets.length, 0);
});

test('malformed chunks are counted and end the packet: length 0, length 3, empty DATA (sctpBad), length past the end (truncated)', (t) => {
  const good = sctpData({ tsn: 1, payload: sip('before') });
  const cases: [string, Buffer, 'sctpBad' | 'truncated'][] = [
    ['length 0', sctpChunk(0, 3, Buffer.alloc(16), { length: 0 }), 'sctpBad'],
    ['length 3', sctpChunk(3, 0, Buffer.alloc(8), { length: 3 }), 'sctpBad'],
    ['DATA without user data', sctpChunk(0, 3, Buffer.alloc(12)), 'sctpBad'],
    ['past the end', sctpChunk(0, 3, Buffer.alloc(16), { length: 400 }), 'truncated'],
  ];
  for (const [name, bad, counter] of cases) {
    const { packets, counters } = decodeFrames([sctpEth([good, bad])]);
    t.is(packets.length, 1, name);
    t.is(counters[counter], 1, name);
    t.is(counters.sctpBad + counters.truncated, 1, name);
  }
});

function accounted(c: NetCounters, packets: number): number {
  return packets + c.truncated + c.sctpBad + c.sctpControl + c.sctpFragments;
}

test('every truncation of an SCTP packet: no throw, each cut accounted for', (t) => {
  const full = sctp({ ...A, chunks: [sctpChunk(3, 0, Buffer.alloc(12)), sctpData({ tsn: 1, payload: sip('cut') })] });
  for (let n = 0; n <= full.length; n++) {
    // A raw IPv4 frame whose SCTP packet is cut at n bytes (the IP header agrees).
    const ip = ipv4({ src: A.src, dst: A.dst, proto: 132, payload: full.subarray(0, n) });
    const { packets, counters } = decodeFrames([frame({ linktype: LINKTYPE.RAW, data: ip })]);
    t.true(accounted(counters, packets.length) >= 1, `cut at ${n}`);
    if (n === full.length) t.is(packets.length, 1);
    // Cut inside the frame instead (the IP header claims more): also accounted.
    const f = sctpEth([sctpData({ tsn: 1, payload: sip('cut2') })]);
    const cut = frame({ linktype: LINKTYPE.ETHERNET, data: f.data.subarray(0, Math.min(f.data.length, 34 + n)) });
    const r = decodeFrames([cut]);
    t.true(accounted(r.counters, r.packets.length) >= 1, `frame cut at ${34 + n}`);
  }
});

test('random garbage after the common header never throws and never hangs', (t) => {
  let s = 0x5eed;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const counters = newNetCounters();
  const dec = new SctpDecoder(() => undefined, counters, { maxBytes: 1 << 20 });
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.alloc(12 + (next() % 300));
    for (let j = 0; j < b.length; j++) b[j] = next() & 0xff;
    // Bias towards DATA chunks with plausible lengths.
    if (i % 2 === 0 && b.length >= 16) {
      b[12] = next() % 2 === 0 ? 0 : 64;
      b.writeUInt16BE(Math.min(b.length - 12, 4 + (next() % 64)), 14);
    }
    t.notThrows(() => dec.decode({ ipVersion: 4, src: '1.1.1.1', dst: '2.2.2.2', sec: T0 + i, nsec: 0 }, b, -1, undefined, i));
  }
  dec.finish();
  t.is(dec.pendingStreams, 0);
  t.is(dec.heldBytes, 0);
  t.is(counters.sctpPackets, 3000);
});
