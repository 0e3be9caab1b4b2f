import test from 'ava';
import { LINKTYPE, type Frame } from '../src/pcap/types';
import {
  decodeFrames,
  ethernet,
  frame,
  ipv4,
  ipv6,
  nullLoop,
  sll,
  sll2,
  udp,
  udpFrame,
  type LinkKind,
} from './helpers/packets';

const SIP = 'OPTIONS sip:bob@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n';

function v4Packet(): Buffer {
  return ipv4({ src: '192.0.2.1', dst: '198.51.100.2', payload: udp({ sport: 5060, dport: 5080, payload: SIP }) });
}

function v6Packet(): Buffer {
  return ipv6({ src: '2001:db8::1', dst: '2001:db8::2', payload: udp({ sport: 5060, dport: 5080, payload: SIP }) });
}

function raw(linktype: number, data: Buffer): Frame {
  return frame({ linktype, data });
}

/** Asserts the frames gave exactly one SIP datagram whose frameOffset points at its bytes. */
function assertOne(t: import('ava').ExecutionContext, f: Frame, version: 4 | 6): void {
  const { packets, counters } = decodeFrames([f]);
  t.is(packets.length, 1, JSON.stringify(counters));
  const p = packets[0];
  if (p === undefined) return;
  t.is(p.ipVersion, version);
  t.is(p.src, version === 4 ? '192.0.2.1' : '2001:db8::1');
  t.is(p.dst, version === 4 ? '198.51.100.2' : '2001:db8::2');
  t.is(p.sport, 5060);
  t.is(p.dport, 5080);
  t.is(p.transport, 'UDP');
  t.is(p.payload.toString(), SIP);
  t.is(p.frames, undefined);
  t.is(f.data.subarray(p.frameOffset, p.frameOffset + p.payload.length).toString(), SIP);
  t.is(p.sec, f.sec);
  t.is(p.nsec, f.nsec);
}

for (const link of ['ethernet', 'sll', 'sll2', 'raw', 'null'] as LinkKind[]) {
  for (const version of [4, 6] as const) {
    test(`udpFrame over ${link}, IPv${version}`, (t) => {
      const f = udpFrame({
        src: version === 4 ? '192.0.2.1' : '2001:db8::1',
        dst: version === 4 ? '198.51.100.2' : '2001:db8::2',
        sport: 5060,
        dport: 5080,
        payload: SIP,
        link,
      });
      assertOne(t, frame(f, 1_700_000_123, 456_789_000), version);
    });
  }
}

test('raw IP link types 101, 12, 14 follow the version nibble; 228 and 229 are fixed', (t) => {
  for (const lt of [LINKTYPE.RAW, LINKTYPE.RAW_DLT12, LINKTYPE.RAW_DLT14]) {
    assertOne(t, raw(lt, v4Packet()), 4);
    assertOne(t, raw(lt, v6Packet()), 6);
  }
  assertOne(t, raw(LINKTYPE.IPV4, v4Packet()), 4);
  assertOne(t, raw(LINKTYPE.IPV6, v6Packet()), 6);
  // A packet whose version disagrees with the link type is a bad IP header.
  t.is(decodeFrames([raw(LINKTYPE.IPV4, v6Packet())]).counters.badIp, 1);
  t.is(decodeFrames([raw(LINKTYPE.IPV6, v4Packet())]).counters.badIp, 1);
  t.is(decodeFrames([frame({ linktype: 1, data: ethernet(v6Packet(), { ethertype: 0x0800 }) })]).counters.badIp, 1);
});

test('Linux cooked v1 and v2 read the protocol at their own offsets', (t) => {
  assertOne(t, raw(LINKTYPE.LINUX_SLL, sll(v4Packet(), 0x0800)), 4);
  assertOne(t, raw(LINKTYPE.LINUX_SLL, sll(v6Packet(), 0x86dd)), 6);
  assertOne(t, raw(LINKTYPE.LINUX_SLL2, sll2(v4Packet(), 0x0800)), 4);
  assertOne(t, raw(LINKTYPE.LINUX_SLL2, sll2(v6Packet(), 0x86dd)), 6);
  const notIp = decodeFrames([
    raw(LINKTYPE.LINUX_SLL, sll(Buffer.alloc(28), 0x0806)),
    raw(LINKTYPE.LINUX_SLL2, sll2(Buffer.alloc(28), 0x0806)),
    raw(LINKTYPE.LINUX_SLL, sll(Buffer.alloc(28), 0x0004)),
  ]);
  t.is(notIp.counters.notIp, 3);
  t.is(notIp.packets.length, 0);
});

test('BSD NULL accepts every AF_INET6 value in either byte order; LOOP is big-endian', (t) => {
  for (const bigEndian of [false, true]) {
    assertOne(t, raw(LINKTYPE.NULL, nullLoop(v4Packet(), 2, bigEndian)), 4);
    for (const af of [10, 24, 28, 30]) assertOne(t, raw(LINKTYPE.NULL, nullLoop(v6Packet(), af, bigEndian)), 6);
  }
  assertOne(t, raw(LINKTYPE.LOOP, nullLoop(v4Packet(), 2, true)), 4);
  for (const af of [10, 24, 28, 30]) assertOne(t, raw(LINKTYPE.LOOP, nullLoop(v6Packet(), af, true)), 6);
  // Unknown families (e.g. AF_UNSPEC, AF_APPLETALK) are not IP.
  const { counters } = decodeFrames([
    raw(LINKTYPE.NULL, nullLoop(Buffer.alloc(30, 1), 0, false)),
    raw(LINKTYPE.NULL, nullLoop(Buffer.alloc(30, 1), 16, true)),
    raw(LINKTYPE.LOOP, nullLoop(Buffer.alloc(30, 1), 2, false)),
  ]);
  t.is(counters.notIp, 3);
});

test('NULL link type whose packets are raw IPv4 (the pkts/cool.pcap quirk)', (t) => {
  assertOne(t, raw(LINKTYPE.NULL, v4Packet()), 4);
  const withOptions = ipv4({
    src: '192.0.2.1',
    dst: '198.51.100.2',
    options: Buffer.from([1, 1, 1, 0]),
    payload: udp({ sport: 5060, dport: 5080, payload: SIP }),
  });
  t.is(withOptions[0], 0x46);
  assertOne(t, raw(LINKTYPE.NULL, withOptions), 4);
});

test('Ethernet skips 802.1Q, 802.1ad and 0x9100 tags, stacked to any depth', (t) => {
  const cases: { vlans: number[]; qinq?: boolean }[] = [
    { vlans: [100] },
    { vlans: [100, 200], qinq: true },
    { vlans: [100, 200] },
    { vlans: [1, 2, 3, 4, 5, 6, 7, 8], qinq: true },
  ];
  for (const c of cases) {
    assertOne(t, raw(LINKTYPE.ETHERNET, ethernet(v4Packet(), c)), 4);
    assertOne(t, raw(LINKTYPE.ETHERNET, ethernet(v6Packet(), c)), 6);
  }
  // 0x9100 outer tag (pre-standard QinQ).
  const f = ethernet(v4Packet(), { vlans: [10, 20] });
  f.writeUInt16BE(0x9100, 12);
  assertOne(t, raw(LINKTYPE.ETHERNET, f), 4);
});

test('IpInfo.vlan tells tagged frames apart', (t) => {
  const seen: boolean[] = [];
  decodeFrames(
    [raw(LINKTYPE.ETHERNET, ethernet(v4Packet())), raw(LINKTYPE.ETHERNET, ethernet(v4Packet(), { vlans: [7] }))],
    {
      ipFilter: (info) => {
        seen.push(info.vlan);
        return true;
      },
    },
  );
  t.deepEqual(seen, [false, true]);
});

test('non-IP ethertypes and 802.3 length frames count as notIp', (t) => {
  const { counters, packets } = decodeFrames([
    raw(LINKTYPE.ETHERNET, ethernet(Buffer.alloc(28), { ethertype: 0x0806 })), // ARP
    raw(LINKTYPE.ETHERNET, ethernet(Buffer.alloc(40), { ethertype: 0x88cc })), // LLDP
    raw(LINKTYPE.ETHERNET, ethernet(Buffer.alloc(40), { ethertype: 0x0026 })), // 802.3 + LLC (STP)
    raw(LINKTYPE.ETHERNET, ethernet(Buffer.alloc(28), { ethertype: 0x0806, vlans: [5] })), // tagged ARP
  ]);
  t.is(counters.notIp, 4);
  t.is(packets.length, 0);
  t.is(counters.truncated + counters.badIp, 0);
});

test('Ethernet padding after a short IPv4 packet is trimmed', (t) => {
  const small = ipv4({ src: '192.0.2.1', dst: '198.51.100.2', payload: udp({ sport: 1, dport: 2, payload: 'hi' }) });
  const data = ethernet(small, { pad: true });
  t.is(data.length, 60);
  const { packets, counters } = decodeFrames([raw(LINKTYPE.ETHERNET, data)]);
  t.is(packets[0]?.payload.toString(), 'hi');
  t.is(counters.truncated, 0);
  // Same for IPv6 (payload length) with trailing bytes.
  const six = ipv6({ src: '::1', dst: '::1', payload: udp({ sport: 1, dport: 2, payload: 'hi' }) });
  const r6 = decodeFrames([raw(LINKTYPE.ETHERNET, Buffer.concat([ethernet(six), Buffer.from('trailer!')]))]);
  t.is(r6.packets[0]?.payload.toString(), 'hi');
});

test('unknown link types are counted per frame and reported once per type', (t) => {
  const frames = [147, 147, 1, 148, 147, 148].map((lt) => raw(lt, lt === 1 ? ethernet(v4Packet()) : Buffer.alloc(60)));
  const { counters, unknownLinkTypes, packets } = decodeFrames(frames);
  t.is(counters.unknownLinkType, 5);
  t.deepEqual(unknownLinkTypes, [147, 148]);
  t.is(packets.length, 1);
});

test('frames shorter than their link header count as truncated', (t) => {
  const { counters } = decodeFrames([
    raw(LINKTYPE.ETHERNET, Buffer.alloc(13)),
    raw(LINKTYPE.ETHERNET, ethernet(Buffer.alloc(0), { vlans: [1] }).subarray(0, 16)),
    raw(LINKTYPE.LINUX_SLL, Buffer.alloc(15)),
    raw(LINKTYPE.LINUX_SLL2, Buffer.alloc(19)),
    raw(LINKTYPE.NULL, Buffer.alloc(3)),
    raw(LINKTYPE.LOOP, Buffer.alloc(0)),
    raw(LINKTYPE.RAW, Buffer.alloc(0)),
  ]);
  t.is(counters.truncated, 7);
});
