/**
 * Truncated and garbage input: the decoder never throws, never hangs, and accounts for
 * every frame (a packet or a counter). The layers below the decoder's try/catch are also
 * fuzzed directly, so the catch is a safety net and not what makes these tests pass.
 */
import test from 'ava';
import { decodeLink, newLinkResult } from '../src/net/link';
import { newIpHeader, parseIpv4Header, parseIpv6Header, walkIpv6Extensions } from '../src/net/ip';
import { FragmentSet } from '../src/net/fragments';
import { LINKTYPE, type Frame } from '../src/pcap/types';
import type { NetCounters } from '../src/net/types';
import {
  decodeFrames,
  ethernet,
  fragmentIpv4,
  fragmentIpv6,
  frame,
  ipv4,
  ipv6,
  linkFrame,
  nullLoop,
  sll,
  sll2,
  udp,
  type LinkKind,
} from './helpers/packets';
import { randomBytes, rng } from './helpers/random';

const LINK_TYPES = [
  LINKTYPE.NULL,
  LINKTYPE.ETHERNET,
  LINKTYPE.RAW,
  LINKTYPE.RAW_DLT12,
  LINKTYPE.RAW_DLT14,
  LINKTYPE.LOOP,
  LINKTYPE.LINUX_SLL,
  LINKTYPE.IPV4,
  LINKTYPE.IPV6,
  LINKTYPE.LINUX_SLL2,
  147, // unknown (user 0)
];



function total(c: NetCounters): number {
  return c.unknownLinkType + c.truncated + c.notIp + c.otherTransport + c.fragments + c.badIp;
}

const SIP = 'REGISTER sip:example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n';

/** Interesting well-formed frames: every link type, VLANs, IPv6 extension headers, fragments. */
function samples(): Frame[] {
  const out: Frame[] = [];
  const v4 = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', options: Buffer.alloc(4, 1), payload: udp({ sport: 5060, dport: 5060, payload: SIP }) });
  const v6 = ipv6({
    src: '2001:db8::1',
    dst: '2001:db8::2',
    extHeaders: [{ type: 0 }, { type: 43, data: Buffer.alloc(14) }, { type: 51, data: Buffer.alloc(14) }, { type: 60 }],
    payload: udp({ sport: 5060, dport: 5060, payload: SIP }),
  });
  for (const ip of [v4, v6]) {
    for (const link of ['ethernet', 'sll', 'sll2', 'raw', 'null'] as LinkKind[]) out.push(frame(linkFrame(ip, link)));
    out.push(frame({ linktype: LINKTYPE.ETHERNET, data: ethernet(ip, { vlans: [1, 2, 3], qinq: true }) }));
    out.push(frame({ linktype: LINKTYPE.LOOP, data: nullLoop(ip, ip === v4 ? 2 : 30, true) }));
    out.push(frame({ linktype: ip === v4 ? LINKTYPE.IPV4 : LINKTYPE.IPV6, data: ip }));
  }
  out.push(frame({ linktype: LINKTYPE.NULL, data: v4 })); // cool.pcap quirk
  out.push(frame({ linktype: LINKTYPE.LINUX_SLL, data: sll(v4, 0x0800) }));
  out.push(frame({ linktype: LINKTYPE.LINUX_SLL2, data: sll2(v6, 0x86dd) }));
  const d = udp({ sport: 1, dport: 2, payload: SIP.repeat(4) });
  for (const f of fragmentIpv4(d, { src: '10.0.0.1', dst: '10.0.0.2', id: 9 }, 64)) out.push(frame(linkFrame(f)));
  for (const f of fragmentIpv6(d, { src: '::1', dst: '::2', id: 9 }, 64)) out.push(frame(linkFrame(f)));
  return out;
}

test('every prefix of every sample frame is decoded or counted, without throwing', (t) => {
  let checked = 0;
  for (const f of samples()) {
    for (let len = 0; len <= f.data.length; len++) {
      const cut: Frame = { ...f, data: f.data.subarray(0, len) };
      const r = decodeFrames([cut], { finish: false });
      const accounted = r.packets.length + total(r.counters);
      if (accounted < 1) t.fail(`linktype ${f.linktype}, ${len}/${f.data.length} bytes: silent drop`);
      // Prefixes short of a header must not pretend to be packets with garbage ports.
      for (const p of r.packets) t.true(p.payload.length <= f.data.length);
      checked++;
    }
  }
  t.true(checked > 2000);
});

test('every prefix of every sample passes the layer functions without exceptions', (t) => {
  const link = newLinkResult();
  const h = newIpHeader();
  for (const f of samples()) {
    for (let len = 0; len <= f.data.length; len++) {
      const data = f.data.subarray(0, len);
      t.notThrows(() => {
        if (decodeLink(f.linktype, data, link) !== 0) return;
        if (link.offset >= len) return;
        const version = (data[link.offset] as number) >> 4;
        if (version === 4) parseIpv4Header(data, link.offset, len, h);
        if (version === 6) parseIpv6Header(data, link.offset, len, h);
      });
    }
  }
});

test('random garbage on every link type never throws and is always accounted', (t) => {
  const next = rng(0xc0ffee);
  const link = newLinkResult();
  const h = newIpHeader();
  for (const lt of LINK_TYPES) {
    const frames: Frame[] = [];
    for (let i = 0; i < 3000; i++) {
      const n = next() % 160;
      const data = randomBytes(next, n);
      // Bias towards headers the decoder will follow: valid version nibbles and ethertypes.
      if (n > 0 && i % 3 === 0) data[0] = 0x40 | (data[0] as number & 0x0f);
      if (n > 0 && i % 3 === 1) data[0] = 0x60 | (data[0] as number & 0x0f);
      if (n > 14 && lt === LINKTYPE.ETHERNET && i % 2 === 0) data.writeUInt16BE(i % 4 === 0 ? 0x0800 : 0x86dd, 12);
      frames.push(frame({ linktype: lt, data }));
      // The layer functions, outside the decoder's safety net.
      decodeLink(lt, data, link);
      for (let off = 0; off < Math.min(n, 24); off++) {
        parseIpv4Header(data, off, n, h);
        parseIpv6Header(data, off, n, h);
        walkIpv6Extensions(data, off, n, data[off] as number, true, h);
      }
    }
    const r = decodeFrames(frames, { finish: false });
    t.is(r.packets.length + total(r.counters) >= frames.length, true, `linktype ${lt}`);
  }
});

test('sample frames with random bytes flipped never throw (mutation fuzz)', (t) => {
  const next = rng(42);
  const base = samples();
  const frames: Frame[] = [];
  for (let i = 0; i < 20_000; i++) {
    const f = base[next() % base.length] as Frame;
    const data = Buffer.from(f.data);
    const flips = 1 + (next() % 4);
    for (let k = 0; k < flips; k++) data[next() % data.length] = next() & 0xff;
    const len = next() % 8 === 0 ? next() % (data.length + 1) : data.length;
    frames.push({ ...f, data: data.subarray(0, len), sec: 1000 + Math.floor(i / 100) });
  }
  const r = decodeFrames(frames);
  t.true(r.packets.length + total(r.counters) >= frames.length);
  t.true(r.packets.length > 1000);
});

test('fragment sets hold any offsets and lengths without throwing', (t) => {
  const next = rng(7);
  for (let s = 0; s < 200; s++) {
    const set = new FragmentSet(0, 4, 'a', 'b', 17);
    for (let i = 0; i < 50 && !set.complete(); i++) {
      const off = (next() % 64) * 8;
      set.add(off, randomBytes(next, next() % 100), next() % 10 === 0);
    }
    if (set.complete()) t.is(set.assemble().length, set.total);
  }
  t.pass();
});

test('pathological fragment floods stay bounded in memory and time', (t) => {
  // 20,000 tiny fragments of distinct datagrams, then of one datagram with 8-byte holes.
  const frames: Frame[] = [];
  for (let id = 0; id < 20_000; id++) {
    frames.push(frame(linkFrame(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', id, payload: Buffer.alloc(8), mf: true, fragOffset: 8 }))));
  }
  for (let k = 0; k < 4000; k++) {
    frames.push(frame(linkFrame(ipv4({ src: '10.0.0.3', dst: '10.0.0.4', id: 1, payload: Buffer.alloc(8), mf: true, fragOffset: 16 * k }))));
  }
  const started = process.hrtime.bigint();
  const r = decodeFrames(frames, { maxFragmentBytes: 64 * 1024 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.is(r.counters.fragments, 24_000);
  t.is(r.counters.incompleteFragments, 20_001);
  t.true(ms < 5000, `${ms} ms`);
});
