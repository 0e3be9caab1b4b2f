import test from 'ava';
import { LINKTYPE, type Frame } from '../src/pcap/types';
import type { IpInfo } from '../src/net/types';
import {
  decodeFrames,
  ethernet,
  fragmentIpv4,
  fragmentIpv6,
  frame,
  ipv4,
  udp,
} from './helpers/packets';

/** A SIP INVITE big enough to need several fragments. */
const BIG = 'INVITE sip:bob@example.com SIP/2.0\r\n' + 'X-Filler: ' + 'abcdefghij'.repeat(300) + '\r\nContent-Length: 0\r\n\r\n';
const V4 = { src: '10.1.1.1', dst: '10.2.2.2', proto: 17, id: 0x1234 };
const V6 = { src: '2001:db8::a', dst: '2001:db8::b', proto: 17, id: 0xdeadbeef };

function eth(ip: Buffer, sec = 1000, nsec = 0): Frame {
  return frame({ linktype: LINKTYPE.ETHERNET, data: ethernet(ip) }, sec, nsec);
}

function v4Fragments(payload = BIG, size = 400, ident = V4): Buffer[] {
  return fragmentIpv4(udp({ sport: 5060, dport: 5062, payload }), ident, size);
}

function v6Fragments(payload = BIG, size = 400, ident = V6): Buffer[] {
  return fragmentIpv6(udp({ sport: 5060, dport: 5062, payload }), ident, size);
}

/** Deterministic shuffle (seeded LCG), so a failure reproduces. */
function shuffle<T>(items: T[], seed: number): T[] {
  const out = items.slice();
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

const ORDERS: [string, (xs: Buffer[]) => Buffer[]][] = [
  ['in order', (xs) => xs],
  ['reversed', (xs) => xs.slice().reverse()],
  ['shuffled (seed 1)', (xs) => shuffle(xs, 1)],
  ['shuffled (seed 2)', (xs) => shuffle(xs, 2)],
  ['shuffled (seed 3)', (xs) => shuffle(xs, 3)],
  ['last first, then in order', (xs) => [xs[xs.length - 1] as Buffer, ...xs.slice(0, -1)]],
];

for (const [version, make] of [
  ['IPv4', v4Fragments],
  ['IPv6', v6Fragments],
] as const) {
  for (const [order, arrange] of ORDERS) {
    test(`${version} fragments ${order} reassemble into one datagram`, (t) => {
      const frags = make();
      t.true(frags.length >= 8);
      const frames = arrange(frags).map((ip, i) => eth(ip, 1000 + i, 500));
      const { packets, counters } = decodeFrames(frames);
      t.is(packets.length, 1, JSON.stringify(counters));
      const p = packets[0];
      if (p === undefined) return;
      t.is(p.payload.toString(), BIG);
      t.is(p.sport, 5060);
      t.is(p.dport, 5062);
      t.is(p.src, version === 'IPv4' ? '10.1.1.1' : '2001:db8::a');
      t.is(p.frameOffset, -1);
      t.deepEqual(p.frames, frames.map((_, i) => i));
      // Time of the completing frame (the last one here, whatever the order).
      t.is(p.sec, 1000 + frames.length - 1);
      t.is(p.nsec, 500);
      t.is(counters.fragments, frags.length);
      t.is(counters.reassembled, 1);
      t.is(counters.incompleteFragments, 0);
    });
  }
}

test('IPv6 fragments after extension headers, and extension headers inside the fragmentable part', (t) => {
  // Hop-by-hop before the fragment header (unfragmentable part) ...
  const a = fragmentIpv6(udp({ sport: 1, dport: 2, payload: BIG }), { ...V6, extHeaders: [{ type: 0 }] }, 512);
  // ... and a destination options header inside the fragmentable part.
  const dest = Buffer.concat([Buffer.from([17, 0, 1, 4, 0, 0, 0, 0]), udp({ sport: 3, dport: 4, payload: BIG })]);
  const b = fragmentIpv6(dest, { ...V6, id: 7, proto: 60 }, 512);
  const { packets, counters } = decodeFrames([...a, ...shuffle(b, 9)].map((ip) => eth(ip)));
  t.deepEqual(
    packets.map((p) => [p.sport, p.dport, p.payload.toString() === BIG]),
    [
      [1, 2, true],
      [3, 4, true],
    ],
  );
  t.is(counters.reassembled, 2);
});

test('interleaved datagrams with different ids, directions and protocols stay apart', (t) => {
  const x = v4Fragments('X'.repeat(3000), 1000, { ...V4, id: 1 });
  const y = v4Fragments('Y'.repeat(3000), 1000, { ...V4, id: 2 });
  const z = v4Fragments('Z'.repeat(3000), 1000, { ...V4, id: 1, src: V4.dst, dst: V4.src });
  // Same id and addresses but another protocol (IPv4 key includes it): never completes.
  const other = fragmentIpv4(Buffer.alloc(3000), { ...V4, id: 1, proto: 132 }, 1000).slice(0, 2);
  const w = v6Fragments('W'.repeat(3000), 1000, { ...V6, id: 1 });
  const order: Buffer[] = [];
  for (let i = 0; i < 4; i++) for (const set of [x, y, z, other, w]) if (set[i] !== undefined) order.push(set[i] as Buffer);
  const { packets, counters } = decodeFrames(order.map((ip) => eth(ip)));
  t.deepEqual(packets.map((p) => p.payload.toString()[0]).sort(), ['W', 'X', 'Y', 'Z']);
  t.is(counters.reassembled, 4);
  t.is(counters.incompleteFragments, 1); // `other`, at finish()
});

test('duplicate fragments are tolerated and their frames kept', (t) => {
  const frags = v4Fragments(BIG, 800);
  const seq = [frags[0], frags[1], frags[1], frags[0], ...frags.slice(2)] as Buffer[];
  const { packets, counters } = decodeFrames(seq.map((ip) => eth(ip)));
  t.is(packets.length, 1);
  t.is(packets[0]?.payload.toString(), BIG);
  t.deepEqual(packets[0]?.frames, seq.map((_, i) => i));
  t.is(counters.fragments, seq.length);
});

test('overlapping fragments: the first data received wins', (t) => {
  // Datagram payload: 8-byte UDP header + 32 bytes 'A'. Fragments:
  //   #1 [0, 24)  original bytes
  //   #2 [16, 40) 'B' overwrite attempt over [16, 24) plus the tail, last fragment
  //   #3 [8, 32)  'C' entirely overlapping: ignored
  const datagram = udp({ sport: 1, dport: 2, payload: 'A'.repeat(32) });
  const f1 = ipv4({ ...V4, payload: datagram.subarray(0, 24), mf: true, fragOffset: 0 });
  const tail = Buffer.from(datagram.subarray(16, 40));
  tail.fill('B', 0, 8);
  const f2 = ipv4({ ...V4, payload: tail, fragOffset: 16 });
  const f3 = ipv4({ ...V4, payload: Buffer.alloc(24, 'C'), mf: true, fragOffset: 8 });
  // Order 1: f1 then f2 → [16,24) is 'A' (from f1).
  const r1 = decodeFrames([f1, f2].map((ip) => eth(ip)));
  t.is(r1.packets[0]?.payload.toString(), 'A'.repeat(32));
  // Order 2: f2, f3, f1 → payload is C (from f3), B (from f2), A (from f2).
  const r2 = decodeFrames([f2, f3, f1].map((ip) => eth(ip)));
  t.is(r2.packets[0]?.payload.toString(), 'C'.repeat(8) + 'B'.repeat(8) + 'A'.repeat(16));
  // f2 held datagram [16,40) first; f3 then won [8,16) (payload [0,8)); f1 only added the header.
  t.is(r2.counters.reassembled, 1);
});

test('a second last-fragment with another length does not change the first', (t) => {
  const datagram = udp({ sport: 1, dport: 2, payload: 'A'.repeat(24) });
  const head = ipv4({ ...V4, payload: datagram.subarray(0, 16), mf: true });
  const last = ipv4({ ...V4, payload: datagram.subarray(16, 32), fragOffset: 16 });
  const bogusLast = ipv4({ ...V4, payload: Buffer.alloc(64, 'Z'), fragOffset: 16 });
  const { packets } = decodeFrames([last, bogusLast, head].map((ip) => eth(ip)));
  t.is(packets[0]?.payload.toString(), 'A'.repeat(24));
});

test('a fragment set missing a fragment expires after the timeout, in frame time', (t) => {
  const frags = v4Fragments(BIG, 800);
  const later = ipv4({ src: '10.9.9.9', dst: '10.9.9.8', payload: udp({ sport: 1, dport: 2, payload: 'later' }) });
  // Missing frags[1]; the next frame comes 30 s after the first fragment: not yet expired.
  const seq: Frame[] = [eth(frags[0] as Buffer, 100, 0), ...frags.slice(2).map((f) => eth(f, 100, 1)), eth(later, 130, 0)];
  const r = decodeFrames(seq, { finish: false });
  t.is(r.counters.incompleteFragments, 0);
  t.is(r.decoder.pendingFragmentSets, 1);
  // 30.000000001 s later: expired and counted; the straggler then starts a new set.
  r.decoder.decode(eth(later, 130, 1), 100);
  t.is(r.counters.incompleteFragments, 1);
  t.is(r.decoder.pendingFragmentSets, 0);
  r.decoder.decode(eth(frags[1] as Buffer, 131, 0), 101);
  t.is(r.decoder.pendingFragmentSets, 1);
  r.decoder.finish();
  t.is(r.counters.incompleteFragments, 2);
  t.is(r.counters.reassembled, 0);
  t.is(r.packets.length, 2); // the two `later` datagrams
});

test('the fragment timeout is configurable, and a set completed in time is not expired', (t) => {
  const frags = v4Fragments(BIG, 800);
  const at = (i: number, sec: number): Frame => eth(frags[i] as Buffer, sec);
  const quick = decodeFrames([at(0, 0), at(1, 4), ...frags.slice(2).map((_, i) => at(i + 2, 5))], { fragmentTimeoutSec: 5 });
  t.is(quick.counters.reassembled, 1);
  const slow = decodeFrames([at(0, 0), at(1, 4), ...frags.slice(2).map((_, i) => at(i + 2, 6))], { fragmentTimeoutSec: 5 });
  t.is(slow.counters.reassembled, 0);
  t.is(slow.counters.incompleteFragments, 2); // expired at t=6, then the rest pending at finish()
});

test('expiry drops only the sets that are old enough, oldest first', (t) => {
  const sets = [1, 2, 3].map((id) => v4Fragments(BIG, 800, { ...V4, id }));
  const seq = [eth(sets[0]?.[0] as Buffer, 10), eth(sets[1]?.[0] as Buffer, 20), eth(sets[2]?.[0] as Buffer, 30)];
  const r = decodeFrames(seq, { finish: false });
  r.decoder.decode(eth(sets[1]?.[1] as Buffer, 45), 3); // expires set 1 only (45 - 10 > 30)
  t.is(r.counters.incompleteFragments, 1);
  t.is(r.decoder.pendingFragmentSets, 2);
  r.decoder.decode(eth(sets[2]?.[1] as Buffer, 55), 4); // 55 - 20 > 30: set 2 goes; 55 - 30 <= 30: set 3 stays
  t.is(r.counters.incompleteFragments, 2);
  t.is(r.decoder.pendingFragmentSets, 1);
});

test('the memory bound evicts the oldest sets and counts them incomplete', (t) => {
  // Each set holds 2 fragments of 1000 bytes before its last one; bound 5000 bytes.
  const sets = [1, 2, 3, 4].map((id) => v4Fragments('Q'.repeat(2900), 1000, { ...V4, id }));
  const firstTwo: Frame[] = [];
  for (const s of sets) firstTwo.push(eth(s[0] as Buffer), eth(s[1] as Buffer));
  const r = decodeFrames(firstTwo, { maxFragmentBytes: 5000, finish: false });
  // 8000 bytes offered: sets 1 and 2 evicted (at 5000+ and again), sets 3 and 4 held.
  t.is(r.counters.incompleteFragments, 2);
  t.is(r.decoder.pendingFragmentSets, 2);
  // Completing set 4 still works; completing set 1 cannot (its head was evicted).
  r.decoder.decode(eth(sets[3]?.[2] as Buffer), 100);
  r.decoder.decode(eth(sets[0]?.[2] as Buffer), 101);
  t.is(r.packets.length, 1);
  t.deepEqual(r.packets[0]?.frames, [6, 7, 100]);
  r.decoder.finish();
  t.is(r.counters.incompleteFragments, 4); // + set 3, + the new set 1 tail
});

test('finish() counts every pending set', (t) => {
  const a = v4Fragments(BIG, 800, { ...V4, id: 1 });
  const b = v6Fragments(BIG, 800, { ...V6, id: 2 });
  const { counters, packets } = decodeFrames([eth(a[0] as Buffer), eth(b[1] as Buffer), eth(b[2] as Buffer)]);
  t.is(packets.length, 0);
  t.is(counters.fragments, 3);
  t.is(counters.incompleteFragments, 2);
});

test('ipFilter sees ports only on first fragments', (t) => {
  const a = v4Fragments(BIG, 1200);
  const b = v6Fragments(BIG, 1200);
  const infos: IpInfo[] = [];
  decodeFrames([...a, ...b].map((ip) => eth(ip)), { ipFilter: (i) => (infos.push({ ...i }), true) });
  t.deepEqual(
    infos.map((i) => [i.ipVersion, i.proto, i.sport, i.dport]),
    [
      [4, 17, 5060, 5062],
      [4, 17, -1, -1],
      [4, 17, -1, -1],
      [6, 17, 5060, 5062],
      [6, 17, -1, -1],
      [6, 17, -1, -1],
    ],
  );
});

test('a filter that drops non-first fragments leaves the set incomplete (as BPF would)', (t) => {
  const frags = v4Fragments(BIG, 1200);
  const { counters, packets } = decodeFrames(frags.map((ip) => eth(ip)), { ipFilter: (i) => i.sport === 5060 });
  t.is(packets.length, 0);
  t.is(counters.fragments, 1);
  t.is(counters.incompleteFragments, 1);
});

test('a fragment cut by the snap length is counted truncated and not used', (t) => {
  const frags = v4Fragments(BIG, 1200);
  const cut = eth((frags[1] as Buffer).subarray(0, 100));
  const { counters, packets } = decodeFrames([eth(frags[0] as Buffer), cut, ...frags.slice(2).map((f) => eth(f))]);
  t.is(packets.length, 0);
  t.is(counters.truncated, 1);
  t.is(counters.incompleteFragments, 1);
});

test('a fragment reaching beyond 65535 bytes is a bad IP packet', (t) => {
  const f = ipv4({ ...V4, payload: Buffer.alloc(100), fragOffset: 65528 });
  const { counters } = decodeFrames([eth(f)]);
  t.is(counters.badIp, 1);
  t.is(counters.incompleteFragments, 0);
});

test('fragments reassemble over raw IP and IPv6 inside VLANs too', (t) => {
  const raw = v4Fragments().map((ip) => frame({ linktype: LINKTYPE.RAW, data: ip }));
  const vlan = v6Fragments().map((ip) => frame({ linktype: LINKTYPE.ETHERNET, data: ethernet(ip, { vlans: [3, 4], qinq: true }) }));
  const { packets } = decodeFrames([...raw, ...shuffle(vlan, 4)]);
  t.is(packets.length, 2);
  t.true(packets.every((p) => p.payload.toString() === BIG));
});

test('a single-fragment datagram with ipv6 helper: unfragmented packet passes straight', (t) => {
  const small = v6Fragments('tiny', 400);
  t.is(small.length, 1);
  // offset 0, M 0: an atomic fragment, decoded as a whole packet, not counted as a fragment.
  const { packets, counters } = decodeFrames(small.map((ip) => eth(ip)));
  t.is(packets[0]?.payload.toString(), 'tiny');
  t.is(counters.fragments, 0);
  t.not(packets[0]?.frameOffset, -1);
});
