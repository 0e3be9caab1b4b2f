/**
 * HEP inside captured UDP (src/net/hep.ts through src/net/decoder.ts): v3 with every chunk
 * type, compressed payloads (bounded), v2 and v1; the SIP it carries is reported with the
 * inner addresses, ports, transport and time, at the payload's offset in the frame. Cut,
 * broken and bomb-like packets are counted, never thrown; plain SIP is left alone.
 */
import test from 'ava';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { LINKTYPE, type Frame } from '../src/pcap/types';
import {
  decodeHep,
  HEP_BAD,
  HEP_BAD_COMPRESSION,
  HEP_NOT_HEP,
  HEP_OK,
  HEP_TRUNCATED,
  type HepStatus,
  inflateBounded,
  newHepMessage,
  sniffHep,
} from '../src/net/hep';
import type { Transport } from '../src/net/types';
import { decodeFrames, ethernet, fragmentIpv4, frame, hep2, hep3, hep3Chunk, ipv4, udp, udpFrame, type HepSpec } from './helpers/packets';

const SIP = 'INVITE sip:bob@example.com SIP/2.0\r\nCall-ID: hep-1@test\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';
const OUTER = { src: '172.16.0.1', dst: '172.16.0.9', sport: 34567, dport: 9060 };
const T_FRAME = 1_700_000_000;
const INNER: HepSpec = { src: '192.0.2.10', dst: '198.51.100.20', sport: 5062, dport: 5060, sec: 1_600_000_123, usec: 456_789, payload: SIP };
const INNER6: HepSpec = { ...INNER, src: '2001:db8::10', dst: '2001:db8:1::20' };

function outer(hep: Buffer, dport = OUTER.dport): Frame {
  return frame(udpFrame({ ...OUTER, dport, payload: hep }), T_FRAME);
}

test('HEP v3: the SIP payload with the inner addresses, ports, time and transport, at its offset in the frame', (t) => {
  const f = outer(hep3(INNER));
  const { packets, counters } = decodeFrames([f]);
  t.is(packets.length, 1);
  const p = packets[0]!;
  t.like(p, { ipVersion: 4, src: '192.0.2.10', dst: '198.51.100.20', sport: 5062, dport: 5060, transport: 'UDP' });
  t.is(p.sec, 1_600_000_123);
  t.is(p.nsec, 456_789_000);
  t.is(p.payload.toString(), SIP);
  t.true(p.frameOffset > 0);
  t.is(f.data.subarray(p.frameOffset, p.frameOffset + p.payload.length).toString(), SIP);
  t.is(p.frames, undefined);
  t.is(counters.hepPackets, 1);
  t.is(counters.hepBad + counters.hepNotSip + counters.hepUnknownChunks, 0);
});

test('HEP is found on any UDP port, and on 5060 too (tunnel ports keep their tunnels)', (t) => {
  for (const port of [9060, 5060, 40000, 47000]) {
    const { packets } = decodeFrames([outer(hep3(INNER), port)]);
    t.is(packets[0]?.src, '192.0.2.10', `port ${port}`);
  }
});

test('HEP v3 with inner IPv6 in an IPv4 datagram', (t) => {
  const { packets } = decodeFrames([outer(hep3(INNER6))]);
  t.like(packets[0], { ipVersion: 6, src: '2001:db8::10', dst: '2001:db8:1::20', sport: 5062 });
});

test('chunk 2: IP protocol 6 is TCP, 132 SCTP, 17 and others UDP', (t) => {
  const cases: [number, Transport][] = [[6, 'TCP'], [132, 'SCTP'], [17, 'UDP'], [99, 'UDP']];
  for (const [ipProto, transport] of cases) {
    const { packets } = decodeFrames([outer(hep3({ ...INNER, ipProto }))]);
    t.is(packets[0]?.transport, transport, String(ipProto));
  }
});

test('known chunks we do not use (keep-alive, auth key, correlation id, 2-byte capture id) are skipped silently', (t) => {
  const extra = [hep3Chunk(13, Buffer.from([0, 30])), hep3Chunk(14, 'secret'), hep3Chunk(17, 'corr-1234'), hep3Chunk(12, Buffer.from([0, 7]))];
  const r = decodeFrames([outer(hep3({ ...INNER, extraChunks: extra }))]);
  t.is(r.packets.length, 1);
  t.is(r.counters.hepUnknownChunks, 0);
  const m = newHepMessage();
  const buf = hep3({ ...INNER, extraChunks: extra });
  t.is(decodeHep(buf, 0, buf.length, m), HEP_OK);
  t.is(m.captureId, 7, 'the last capture id chunk wins');
});

test('unknown generic chunks and vendor chunks are skipped by their length and counted', (t) => {
  const extra = [hep3Chunk(99, 'whatever'), hep3Chunk(1, Buffer.from([0xff, 0xee, 0xdd]), { vendor: 3 }), hep3Chunk(0x20, '')];
  const r = decodeFrames([outer(hep3({ ...INNER, extraChunks: extra }))]);
  t.is(r.packets.length, 1);
  t.is(r.packets[0]!.payload.toString(), SIP);
  t.is(r.counters.hepUnknownChunks, 3);
  t.is(r.counters.hepBad, 0);
});

test('without a family chunk the address pair present decides; without a time chunk the frame time is used', (t) => {
  const chunks = [
    hep3Chunk(5, Buffer.from('20010db8000000000000000000000001', 'hex')),
    hep3Chunk(6, Buffer.from('20010db8000000000000000000000002', 'hex')),
    hep3Chunk(7, Buffer.from([0x13, 0xc4])),
    hep3Chunk(8, Buffer.from([0x13, 0xc4])),
    hep3Chunk(15, SIP),
  ];
  const body = Buffer.concat(chunks);
  const head = Buffer.from('HEP3\0\0', 'latin1');
  head.writeUInt16BE(6 + body.length, 4);
  const { packets } = decodeFrames([outer(Buffer.concat([head, body]))]);
  t.like(packets[0], { ipVersion: 6, src: '2001:db8::1', dst: '2001:db8::2', sport: 5060, sec: T_FRAME, nsec: 0 });
});

test('compressed payload (chunk 16): zlib, raw deflate and gzip inflate; the offset is -1', (t) => {
  for (const [name, data] of [
    ['zlib', deflateSync(SIP)],
    ['deflate', deflateRawSync(SIP)],
    ['gzip', gzipSync(SIP)],
  ] as const) {
    const { packets, counters } = decodeFrames([outer(hep3({ ...INNER, compressed: data }))]);
    t.is(packets[0]?.payload.toString(), SIP, name);
    t.is(packets[0]?.frameOffset, -1, name);
    t.is(counters.hepBad, 0, name);
  }
});

test('a decompression bomb stops at the bound and is counted; a larger bound lets it through', (t) => {
  const bomb = deflateSync(Buffer.alloc(16 * 1024 * 1024, 0x41)); // 16 MiB of 'A' in ~16 KiB
  t.true(bomb.length < 65000);
  const f = outer(hep3({ ...INNER, compressed: bomb }));
  const r = decodeFrames([f]);
  t.is(r.packets.length, 0);
  t.is(r.counters.hepBad, 1);
  t.is(inflateBounded(bomb, 1024 * 1024), undefined);
  const small = deflateSync(Buffer.alloc(2 * 1024 * 1024, 0x41));
  t.is(decodeFrames([outer(hep3({ ...INNER, compressed: small }))], { maxHepInflate: 4 * 1024 * 1024 }).packets[0]?.payload.length, 2 * 1024 * 1024);
});

test('bad compressed data is counted, never thrown', (t) => {
  for (const data of [Buffer.from('not compressed at all'), deflateSync(SIP).subarray(0, 10), Buffer.from([0x78, 0x9c, 0xff, 0xff]), Buffer.alloc(0)]) {
    const r = decodeFrames([outer(hep3({ ...INNER, compressed: data }))]);
    t.is(r.packets.length, 0);
    t.is(r.counters.hepBad, 1);
    const m = newHepMessage();
    const buf = hep3({ ...INNER, compressed: data });
    t.is(decodeHep(buf, 0, buf.length, m), HEP_BAD_COMPRESSION);
  }
});

test('other protocol types (RTCP 5, log 100) and a HEP packet without payload are counted as not SIP', (t) => {
  const noPayload = hep3({ ...INNER, payload: '' });
  const r = decodeFrames([outer(hep3({ ...INNER, protoType: 5 })), outer(hep3({ ...INNER, protoType: 100 })), outer(noPayload)]);
  t.is(r.packets.length, 0);
  t.is(r.counters.hepPackets, 3);
  t.is(r.counters.hepNotSip, 3);
  t.is(r.counters.hepBad, 0);
});

test('two HEP v3 packets in one datagram both come out; trailing garbage is counted', (t) => {
  const second = SIP.replace('hep-1@test', 'hep-2@test');
  const two = Buffer.concat([hep3(INNER), hep3({ ...INNER6, payload: second })]);
  const r = decodeFrames([outer(two)]);
  t.deepEqual(r.packets.map((p) => p.payload.toString()), [SIP, second]);
  const f = outer(two);
  for (const p of r.packets) t.is(f.data.subarray(p.frameOffset, p.frameOffset + p.payload.length).toString(), p.payload.toString());
  const trailing = decodeFrames([outer(Buffer.concat([hep3(INNER), Buffer.from('junk!')]))]);
  t.is(trailing.packets.length, 1);
  t.is(trailing.counters.hepBad, 1);
});

test('HEP v2 (IPv4 and IPv6) with its little-endian time header, and v1 without time', (t) => {
  const v4 = decodeFrames([outer(hep2(INNER))]);
  t.like(v4.packets[0], { ipVersion: 4, src: '192.0.2.10', dst: '198.51.100.20', sport: 5062, dport: 5060, sec: 1_600_000_123, nsec: 456_789_000 });
  t.is(v4.packets[0]!.payload.toString(), SIP);
  const f = outer(hep2(INNER));
  const p = v4.packets[0]!;
  t.is(f.data.subarray(p.frameOffset, p.frameOffset + p.payload.length).toString(), SIP);
  const v6 = decodeFrames([outer(hep2({ ...INNER6, ipProto: 6 }))]);
  t.like(v6.packets[0], { ipVersion: 6, src: '2001:db8::10', transport: 'TCP', sec: 1_600_000_123 });
  const v1 = decodeFrames([outer(hep2({ ...INNER, version: 1 }))]);
  t.like(v1.packets[0], { src: '192.0.2.10', sec: T_FRAME });
  t.is(v1.packets[0]!.payload.toString(), SIP);
  t.is(v4.counters.hepPackets + v6.counters.hepPackets + v1.counters.hepPackets, 3);
});

test('plain SIP, and payloads that only start like HEP v2, stay plain UDP', (t) => {
  const lookalikes = [
    Buffer.from(SIP),
    Buffer.from('\r\n\r\n'),
    Buffer.from([2, 16, 10, 17, 0, 0, 0, 0, 0, 0]), // family 10 with the IPv4 length
    Buffer.from([2, 40, 2, 17, 0, 0, 0, 0, 0, 0]), // family 2 with the IPv6 length
    Buffer.from([3, 16, 2, 17, 0, 0, 0, 0, 0, 0]), // version 3 without the magic
    Buffer.from('HEP2 is not a thing'),
    Buffer.from([0x48, 0x45]), // too short
  ];
  for (const payload of lookalikes) {
    const r = decodeFrames([outer(payload)]);
    t.is(r.packets.length, 1);
    t.is(r.packets[0]!.src, OUTER.src);
    t.is(r.counters.hepPackets + r.counters.hepBad, 0);
  }
});

test('hep: false hands HEP datagrams on as plain UDP', (t) => {
  const r = decodeFrames([outer(hep3(INNER))], { hep: false });
  t.is(r.packets[0]?.src, OUTER.src);
  t.is(r.counters.hepPackets, 0);
});

test('HEP in IP fragments: the reassembled datagram keeps its frames', (t) => {
  const big = SIP.replace('Content-Length: 0', `X-Pad: ${'x'.repeat(3000)}\r\nContent-Length: 0`);
  const datagram = udp({ sport: 40000, dport: 9060, payload: hep3({ ...INNER, payload: big }) });
  const frags = fragmentIpv4(datagram, { src: OUTER.src, dst: OUTER.dst, id: 3 }, 1400);
  const r = decodeFrames(frags.map((ip) => frame({ linktype: LINKTYPE.ETHERNET, data: ethernet(ip) })));
  t.is(r.packets[0]?.payload.toString(), big);
  t.is(r.packets[0]?.frameOffset, -1);
  t.deepEqual(r.packets[0]?.frames, [0, 1, 2]);
  t.is(r.packets[0]?.src, '192.0.2.10');
});

test('broken v3 packets: total length below 6, chunk length below 6, past the total, fixed chunks of the wrong size, bad family, no addresses, usec out of range', (t) => {
  const cases: [string, Buffer, HepStatus][] = [
    ['total 0', hep3({ ...INNER, totalLength: 0 }), HEP_BAD],
    ['total past the datagram', hep3({ ...INNER, totalLength: 2000 }), HEP_TRUNCATED],
    ['chunk length 0', hep3({ ...INNER, extraChunks: [hep3Chunk(99, '', { length: 0 })] }), HEP_BAD],
    ['chunk length 5', hep3({ ...INNER, extraChunks: [hep3Chunk(99, '', { length: 5 })] }), HEP_BAD],
    ['chunk past the end', hep3({ ...INNER, extraChunks: [hep3Chunk(99, 'x', { length: 4000 })] }), HEP_TRUNCATED],
    ['3-byte IPv4 address', hep3({ ...INNER, extraChunks: [hep3Chunk(3, Buffer.from([1, 2, 3]))] }), HEP_BAD],
    ['3-byte port', hep3({ ...INNER, extraChunks: [hep3Chunk(7, Buffer.from([1, 2, 3]))] }), HEP_BAD],
    ['2-byte family', hep3({ ...INNER, extraChunks: [hep3Chunk(1, Buffer.from([0, 2]))] }), HEP_BAD],
    ['family 7', hep3({ ...INNER, extraChunks: [hep3Chunk(1, Buffer.from([7]))] }), HEP_BAD],
    ['IPv6 family, IPv4 addresses', hep3({ ...INNER, extraChunks: [hep3Chunk(1, Buffer.from([10]))] }), HEP_BAD],
    ['usec 1e6', hep3({ ...INNER, usec: 1_000_000 }), HEP_BAD],
    ['3-byte capture id', hep3({ ...INNER, extraChunks: [hep3Chunk(12, Buffer.from([1, 2, 3]))] }), HEP_BAD],
  ];
  for (const [name, buf, status] of cases) {
    const m = newHepMessage();
    t.is(decodeHep(buf, 0, buf.length, m), status, name);
    const r = decodeFrames([outer(buf)]);
    t.is(r.packets.length, 0, name);
    t.is(r.counters.hepBad, 1, name);
  }
});

test('every truncation of a v3, v2 and v1 packet: no throw, never a packet with a wrong payload', (t) => {
  for (const full of [hep3(INNER), hep3(INNER6), hep3({ ...INNER, compressed: true }), hep2(INNER), hep2(INNER6), hep2({ ...INNER, version: 1 })]) {
    const isV3 = full.subarray(0, 4).toString('latin1') === 'HEP3';
    for (let n = 0; n < full.length; n++) {
      const cut = full.subarray(0, n);
      const m = newHepMessage();
      const status = decodeHep(cut, 0, n, m);
      if (isV3) {
        t.is(status, n < 4 ? HEP_NOT_HEP : HEP_TRUNCATED, `v3 cut at ${n}`);
      } else if (status === HEP_OK) {
        // v1/v2 run to the end of the datagram: a cut in the payload is a shorter payload.
        t.true(SIP.startsWith(m.payload!.toString('latin1')), `v2 cut at ${n}`);
      }
      const r = decodeFrames([outer(cut)]);
      const c = r.counters;
      t.is(r.packets.length + c.hepBad + c.hepNotSip, 1, `cut at ${n}`);
      if (isV3 && n >= 8) t.is(c.hepBad, 1, `v3 cut at ${n} counted bad`);
    }
  }
});

test('random garbage behind the HEP3 magic and v2 headers never throws', (t) => {
  let s = 0xbeef;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const m = newHepMessage();
  for (let i = 0; i < 5000; i++) {
    const b = Buffer.alloc(8 + (next() % 200));
    for (let j = 0; j < b.length; j++) b[j] = next() & 0xff;
    if (i % 3 === 0) {
      b.write('HEP3', 0, 'latin1');
      b.writeUInt16BE(Math.min(b.length, 6 + (next() % b.length)), 4);
    } else if (i % 3 === 1) {
      const v6 = next() % 2 === 0;
      b[0] = 2;
      b[1] = v6 ? 40 : 16;
      b[2] = v6 ? 10 : 2;
    }
    t.notThrows(() => decodeHep(b, 0, b.length, m));
    t.notThrows(() => sniffHep(b, 0, b.length));
    const r = decodeFrames([frame({ linktype: LINKTYPE.RAW, data: ipv4({ ...OUTER, payload: udp({ sport: 1, dport: 9060, payload: b }) }) })]);
    t.true(r.packets.length + r.counters.hepBad + r.counters.hepNotSip >= 1);
  }
});
