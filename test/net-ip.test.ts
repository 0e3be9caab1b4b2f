import test from 'ava';
import { NetDecoder, type TransportIp } from '../src/net/decoder';
import { LINKTYPE, type Frame } from '../src/pcap/types';
import { newNetCounters, type IpInfo, type Packet } from '../src/net/types';
import {
  decodeFrames,
  ethernet,
  frame,
  ipv4,
  ipv6,
  udp,
  type ExtHeader,
} from './helpers/packets';

const SIP = 'SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n';

function eth(ip: Buffer, sec?: number, nsec?: number): Frame {
  return frame({ linktype: LINKTYPE.ETHERNET, data: ethernet(ip) }, sec, nsec);
}

function rawFrame(ip: Buffer): Frame {
  return frame({ linktype: LINKTYPE.RAW, data: ip });
}

test('IPv4 options (IHL > 5) are skipped; frameOffset points at the payload', (t) => {
  const ip = ipv4({
    src: '10.0.0.1',
    dst: '10.0.0.2',
    options: Buffer.from([0x94, 0x04, 0, 0, 1, 0, 0]), // router alert + NOP + padding → 8 bytes
    payload: udp({ sport: 5060, dport: 5060, payload: SIP }),
  });
  t.is(ip[0], 0x47);
  const f = eth(ip);
  const { packets } = decodeFrames([f]);
  t.is(packets.length, 1);
  t.is(packets[0]?.frameOffset, 14 + 28 + 8);
  t.is(packets[0]?.payload.toString(), SIP);
});

test('bad IPv4 headers count as badIp: version, IHL < 5, total length < header', (t) => {
  const good = (): Buffer => ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: udp({ sport: 1, dport: 2, payload: SIP }) });
  const ihl4 = good();
  ihl4[0] = 0x44;
  const shortTotal = good();
  shortTotal.writeUInt16BE(19, 2);
  const version5 = good();
  version5[0] = 0x55;
  const { counters, packets } = decodeFrames([eth(ihl4), eth(shortTotal), rawFrame(version5), rawFrame(Buffer.from([0x00, 1, 2]))]);
  t.is(counters.badIp, 4);
  t.is(packets.length, 0);
});

test('an IPv4 total length beyond the capture counts truncated and delivers what is there', (t) => {
  const ip = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: udp({ sport: 1, dport: 2, payload: SIP }) });
  const cut = ip.subarray(0, ip.length - 10); // snap length
  const { counters, packets } = decodeFrames([rawFrame(cut)]);
  t.is(counters.truncated, 1);
  t.is(packets.length, 1);
  t.is(packets[0]?.payload.toString(), SIP.slice(0, SIP.length - 10));
});

test('an IPv4 total length of 0 (segmentation offload) uses the captured length', (t) => {
  const ip = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', totalLength: 0, payload: udp({ sport: 1, dport: 2, payload: SIP }) });
  const { counters, packets } = decodeFrames([rawFrame(ip)]);
  t.is(packets[0]?.payload.toString(), SIP);
  t.is(counters.truncated + counters.badIp, 0);
});

test('UDP length: shorter than the IP payload trims it, longer is clamped to the bytes there', (t) => {
  const shorter = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: udp({ sport: 1, dport: 2, payload: SIP, length: 8 + 7 }) });
  const longer = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: udp({ sport: 1, dport: 2, payload: SIP, length: 60000 }) });
  const zero = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: udp({ sport: 1, dport: 2, payload: SIP, length: 0 }) });
  const { packets } = decodeFrames([rawFrame(shorter), rawFrame(longer), rawFrame(zero)]);
  t.deepEqual(
    packets.map((p) => p.payload.toString()),
    [SIP.slice(0, 7), SIP, SIP],
  );
  const tooShort = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: Buffer.alloc(7) });
  t.is(decodeFrames([rawFrame(tooShort)]).counters.truncated, 1);
});

const EXT_CASES: { name: string; ext: ExtHeader[] }[] = [
  { name: 'hop-by-hop', ext: [{ type: 0, data: Buffer.from([5, 2, 0, 0, 1, 0]) }] },
  { name: 'routing', ext: [{ type: 43, data: Buffer.alloc(22) }] },
  { name: 'destination options', ext: [{ type: 60, data: Buffer.alloc(30) }] },
  { name: 'AH', ext: [{ type: 51, data: Buffer.alloc(22) }] },
  { name: 'mobility', ext: [{ type: 135, data: Buffer.alloc(6) }] },
  {
    name: 'all of them chained',
    ext: [{ type: 0 }, { type: 60, data: Buffer.alloc(9) }, { type: 43 }, { type: 51, data: Buffer.alloc(10) }, { type: 135 }, { type: 60 }],
  },
  { name: 'atomic fragment (offset 0, M 0)', ext: [{ type: 44, data: Buffer.from([0, 0, 0, 0, 0, 9]) }] },
];

for (const c of EXT_CASES) {
  test(`IPv6 extension headers: ${c.name}`, (t) => {
    const ip = ipv6({ src: '2001:db8::1', dst: 'fe80::2', extHeaders: c.ext, payload: udp({ sport: 5060, dport: 5062, payload: SIP }) });
    const f = eth(ip);
    const infos: IpInfo[] = [];
    const { packets, counters } = decodeFrames([f], { ipFilter: (i) => (infos.push({ ...i }), true) });
    t.is(packets.length, 1, JSON.stringify(counters));
    t.is(packets[0]?.payload.toString(), SIP);
    t.is(packets[0]?.src, '2001:db8::1');
    t.is(packets[0]?.dst, 'fe80::2');
    const p = packets[0] as Packet;
    t.is(f.data.subarray(p.frameOffset, p.frameOffset + SIP.length).toString(), SIP);
    t.deepEqual(infos, [{ ipVersion: 6, src: '2001:db8::1', dst: 'fe80::2', proto: 17, sport: 5060, dport: 5062, vlan: false }]);
  });
}

test('IPv6 no next header (59) and ICMPv6 are other transports; truncated extension headers are truncated', (t) => {
  const none = ipv6({ src: '::1', dst: '::1', extHeaders: [{ type: 60 }], nextHeader: 59, payload: Buffer.alloc(0) });
  const icmp = ipv6({ src: '::1', dst: '::1', nextHeader: 58, payload: Buffer.alloc(8) });
  const cutExt = ipv6({ src: '::1', dst: '::1', extHeaders: [{ type: 0, data: Buffer.alloc(30) }], payload: Buffer.alloc(0) });
  const { counters } = decodeFrames([rawFrame(none), rawFrame(icmp), rawFrame(cutExt.subarray(0, 50))]);
  t.is(counters.otherTransport, 2);
  t.is(counters.truncated, 1);
});

test('other IP protocols count otherTransport until a decoder is registered', (t) => {
  const tcp = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, payload: Buffer.alloc(20) });
  const icmp = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 1, payload: Buffer.alloc(8) });
  t.is(decodeFrames([rawFrame(tcp), rawFrame(icmp)]).counters.otherTransport, 2);

  const counters = newNetCounters();
  const seen: { ip: TransportIp; payload: Buffer; frameOffset: number; frames: number[] | undefined }[] = [];
  const dec = new NetDecoder({ counters, onPacket: () => t.fail('no UDP here') });
  dec.registerTransport(6, (ip, payload, frameOffset, frames) => seen.push({ ip, payload, frameOffset, frames }));
  const tcpPayload = Buffer.from('0123456789abcdefghijTCP');
  const f = eth(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, payload: tcpPayload }), 5, 6);
  dec.decode(f, 42);
  dec.decode(eth(icmp), 43);
  t.is(seen.length, 1);
  t.deepEqual(seen[0]?.ip, { ipVersion: 4, src: '10.0.0.1', dst: '10.0.0.2', sec: 5, nsec: 6 });
  t.deepEqual(seen[0]?.payload, tcpPayload);
  t.is(seen[0]?.frameOffset, 34);
  t.is(seen[0]?.frames, undefined);
  t.is(counters.otherTransport, 1);
});

test('registerTransport(17) replaces the built-in UDP decoder', (t) => {
  const counters = newNetCounters();
  let calls = 0;
  const dec = new NetDecoder({ counters, onPacket: () => t.fail('replaced') });
  dec.registerTransport(17, () => calls++);
  dec.decode(eth(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: udp({ sport: 1, dport: 2, payload: SIP }) })), 0);
  t.is(calls, 1);
});

test('IP-in-IP: a handler re-enters decodeIp and inner offsets still point into the frame', (t) => {
  const inner = ipv4({ src: '192.168.1.1', dst: '192.168.1.2', payload: udp({ sport: 5060, dport: 5060, payload: SIP }) });
  const inner6 = ipv6({ src: 'fd00::1', dst: 'fd00::2', payload: udp({ sport: 5061, dport: 5061, payload: SIP }) });
  const outer = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 4, payload: inner });
  const outer6in4 = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 41, payload: inner6 });
  const packets: Packet[] = [];
  const filtered: string[] = [];
  const dec = new NetDecoder({
    counters: newNetCounters(),
    onPacket: (p) => packets.push(p),
    ipFilter: (i) => (filtered.push(`${i.src}>${i.dst}/${i.proto}`), true),
  });
  const tunnel = (_ip: TransportIp, payload: Buffer, frameOffset: number, frames: number[] | undefined): void =>
    dec.decodeIp(payload, frameOffset, frames);
  dec.registerTransport(4, tunnel);
  dec.registerTransport(41, tunnel);
  const f1 = eth(outer);
  const f2 = eth(outer6in4);
  dec.decode(f1, 0);
  dec.decode(f2, 1);
  t.deepEqual(
    packets.map((p) => [p.src, p.dst, p.sport]),
    [
      ['192.168.1.1', '192.168.1.2', 5060],
      ['fd00::1', 'fd00::2', 5061],
    ],
  );
  t.is(packets[0]?.frameOffset, 14 + 20 + 20 + 8);
  t.is(packets[1]?.frameOffset, 14 + 20 + 40 + 8);
  t.is(f2.data.subarray(packets[1]?.frameOffset).toString(), SIP);
  // The filter sees only the outermost header.
  t.deepEqual(filtered, ['10.0.0.1>10.0.0.2/4', '10.0.0.1>10.0.0.2/41']);
});

test('ipFilter false drops the frame silently; the filter sees ports, proto and addresses', (t) => {
  const frames = [
    eth(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: udp({ sport: 5060, dport: 5070, payload: SIP }) })),
    eth(ipv4({ src: '10.0.0.3', dst: '10.0.0.4', payload: udp({ sport: 9999, dport: 9998, payload: SIP }) })),
    eth(ipv4({ src: '10.0.0.5', dst: '10.0.0.6', proto: 1, payload: Buffer.alloc(8) })),
    eth(ipv4({ src: '10.0.0.7', dst: '10.0.0.8', proto: 6, payload: Buffer.from([0x13, 0xc4, 0x13, 0xc5]) })),
    eth(ipv4({ src: '10.0.0.9', dst: '10.0.0.10', proto: 17, payload: Buffer.from([0x13, 0xc4]) })),
  ];
  const infos: IpInfo[] = [];
  const { packets, counters } = decodeFrames(frames, {
    ipFilter: (i) => {
      infos.push({ ...i });
      return i.sport === 5060 || i.proto !== 17;
    },
  });
  t.is(packets.length, 1);
  t.is(packets[0]?.src, '10.0.0.1');
  t.deepEqual(
    infos.map((i) => [i.src, i.dst, i.proto, i.sport, i.dport]),
    [
      ['10.0.0.1', '10.0.0.2', 17, 5060, 5070],
      ['10.0.0.3', '10.0.0.4', 17, 9999, 9998],
      ['10.0.0.5', '10.0.0.6', 1, -1, -1],
      ['10.0.0.7', '10.0.0.8', 6, 5060, 5061],
      ['10.0.0.9', '10.0.0.10', 17, -1, -1], // too short for ports
    ],
  );
  t.is(counters.otherTransport, 2); // ICMP and TCP passed the filter
  t.is(counters.truncated, 0);
});

test('IPv4 address strings are stable across many distinct addresses (cache bound)', (t) => {
  const frames: Frame[] = [];
  for (let i = 0; i < 10_000; i++) {
    const src = `10.${(i >> 8) & 255}.${i & 255}.1`;
    frames.push(rawFrame(ipv4({ src, dst: '10.0.0.2', payload: udp({ sport: 1, dport: 2, payload: 'x' }) })));
  }
  const { packets } = decodeFrames(frames);
  t.is(packets.length, 10_000);
  t.true(packets.every((p, i) => p.src === `10.${(i >> 8) & 255}.${i & 255}.1` && p.dst === '10.0.0.2'));
});

test('an exception from a consumer does not escape decode (counted truncated)', (t) => {
  const counters = newNetCounters();
  const dec = new NetDecoder({
    counters,
    onPacket: () => {
      throw new Error('consumer bug');
    },
  });
  t.notThrows(() => dec.decode(eth(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: udp({ sport: 1, dport: 2, payload: 'x' }) })), 0));
  t.is(counters.truncated, 1);
});

test('tunnels nested deeper than 8 levels count badIp instead of recursing', (t) => {
  let ip = ipv4({ src: '192.168.1.1', dst: '192.168.1.2', payload: udp({ sport: 1, dport: 2, payload: SIP }) });
  for (let i = 0; i < 20; i++) ip = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 4, payload: ip });
  const counters = newNetCounters();
  const packets: Packet[] = [];
  const dec = new NetDecoder({ counters, onPacket: (p) => packets.push(p) });
  dec.registerTransport(4, (_ip, payload, off, frames) => dec.decodeIp(payload, off, frames));
  dec.decode(rawFrame(ip), 0);
  t.is(counters.badIp, 1);
  t.is(packets.length, 0);
  // Shallow nesting still works, on the same decoder (the depth resets per frame).
  let shallow = ipv4({ src: '192.168.1.1', dst: '192.168.1.2', payload: udp({ sport: 1, dport: 2, payload: SIP }) });
  for (let i = 0; i < 8; i++) shallow = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 4, payload: shallow });
  dec.decode(rawFrame(shallow), 1);
  t.is(packets.length, 1);
  t.is(packets[0]?.frameOffset, 9 * 20 + 8);
});
