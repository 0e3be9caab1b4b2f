/**
 * Pure pieces of HEP sending and receiving: the v3/v2 encoders against the decoder used
 * for captures, the capture id byte order, endpoint parsing, the TCP stream framer (input
 * split at every byte), and the frames synthesized for received payloads as the engine
 * reads them (UDP, TCP stream, SCTP; IPv4 and IPv6).
 */
import test from 'ava';
import { decodeHep, HEP_OK, newHepMessage } from '../src/net/hep';
import { encodeHep2, encodeHep3, findHep3Chunk, hepEncodeProblem, type HepOutMessage } from '../src/net/hep-encode';
import { parseIp } from '../src/net/address';
import { formatEndpoint, parseEndpointSpec } from '../src/capture/endpoint-spec';
import { Hep3StreamFramer, HepFrameBuilder, newHepListenerCounters, type InnerPacket } from '../src/capture/hep-listener';
import { Engine } from '../src/engine/engine';
import { ByteReader } from '../src/capture/byte-reader';
import { request, response } from './helpers/sip-text';

const from = { user: 'alice', host: 'example.com' };
const to = { user: 'bob', host: 'example.com' };
const INVITE = request({ from, to, method: 'INVITE', callId: 'enc-1@test', cseq: 1 });

function message(over: Partial<HepOutMessage> = {}): HepOutMessage {
  return {
    src: parseIp('10.0.0.1')!,
    dst: parseIp('10.0.0.2')!,
    sport: 5060,
    dport: 5080,
    ipProto: 17,
    sec: 1_700_000_000,
    usec: 123456,
    protoType: 1,
    captureId: 2001,
    payload: Buffer.from(INVITE),
    ...over,
  };
}

test('HEP3 encoding decodes back to the same addresses, ports, time, protocol, capture id and payload', (t) => {
  for (const [src, dst] of [
    ['10.0.0.1', '192.168.1.20'],
    ['2001:db8::1', 'fe80::2'],
  ] as const) {
    const b = encodeHep3(message({ src: parseIp(src)!, dst: parseIp(dst)!, ipProto: 6 }))!;
    t.is(b.toString('latin1', 0, 4), 'HEP3');
    t.is(b.readUInt16BE(4), b.length);
    const m = newHepMessage();
    t.is(decodeHep(b, 0, b.length, m), HEP_OK);
    t.is(m.version, 3);
    t.is(m.ipVersion, src.includes(':') ? 6 : 4);
    t.deepEqual(b.subarray(m.srcAt, m.srcAt + (src.includes(':') ? 16 : 4)), parseIp(src));
    t.deepEqual(b.subarray(m.dstAt, m.dstAt + (dst.includes(':') ? 16 : 4)), parseIp(dst));
    t.is(m.sport, 5060);
    t.is(m.dport, 5080);
    t.is(m.ipProto, 6);
    t.is(m.sec, 1_700_000_000);
    t.is(m.nsec, 123_456_000);
    t.is(m.protoType, 1);
    t.is(m.captureId, 2001);
    t.is(m.payload?.toString(), INVITE);
    t.is(m.unknownChunks, 0);
    t.is(m.next, b.length);
  }
});

test('the capture id goes out as a 32-bit integer in network byte order (sngrep writes 2002 as 07 d2 00 00)', (t) => {
  const b = encodeHep3(message({ captureId: 2001 }))!;
  const [at, end] = findHep3Chunk(b, 0, 12)!;
  t.is(end - at, 4);
  t.is(b.subarray(at, end).toString('hex'), '000007d1');
  const big = encodeHep3(message({ captureId: 0xdeadbeef }))!;
  const [a2] = findHep3Chunk(big, 0, 12)!;
  t.is(big.subarray(a2, a2 + 4).toString('hex'), 'deadbeef');
});

test('the authentication key is chunk 14 when set, and absent otherwise', (t) => {
  const withKey = encodeHep3(message({ authKey: Buffer.from('s3cret') }))!;
  const [at, end] = findHep3Chunk(withKey, 0, 14)!;
  t.is(withKey.toString('utf8', at, end), 's3cret');
  t.is(findHep3Chunk(encodeHep3(message())!, 0, 14), undefined);
  t.is(findHep3Chunk(encodeHep3(message({ authKey: Buffer.alloc(0) }))!, 0, 14), undefined);
  const m = newHepMessage();
  t.is(decodeHep(withKey, 0, withKey.length, m), HEP_OK);
  t.is(m.payload?.toString(), INVITE);
});

test('HEP2 encoding: little-endian time header and 16-bit capture id, as collectors read it, IPv4 and IPv6', (t) => {
  for (const [src, dst] of [
    ['10.0.0.1', '10.0.0.2'],
    ['2001:db8::1', '2001:db8::2'],
  ] as const) {
    const b = encodeHep2(message({ src: parseIp(src)!, dst: parseIp(dst)!, captureId: 0x12345 }))!;
    t.is(b[0], 2);
    t.is(b[1], src.includes(':') ? 40 : 16);
    const m = newHepMessage();
    t.is(decodeHep(b, 0, b.length, m), HEP_OK);
    t.is(m.version, 2);
    t.is(m.sec, 1_700_000_000);
    t.is(m.nsec, 123_456_000);
    t.is(m.captureId, 0x2345);
    t.is(m.sport, 5060);
    t.is(m.payload?.toString(), INVITE);
  }
});

test('a message too large for a HEP3 packet, or with mixed address families, is refused, not truncated', (t) => {
  const huge = message({ payload: Buffer.alloc(70_000, 0x41) });
  t.regex(hepEncodeProblem(huge, 3) ?? '', /does not fit/);
  t.is(encodeHep3(huge), undefined);
  const mixed = message({ dst: parseIp('::1')! });
  t.truthy(hepEncodeProblem(mixed, 3));
  t.is(encodeHep3(mixed), undefined);
  t.is(encodeHep2(mixed), undefined);
  // The largest that fits does.
  const fits = message({ payload: Buffer.alloc(65_535 - encodeHep3(message({ payload: Buffer.alloc(0) }))!.length, 0x41) });
  t.is(encodeHep3(fits)?.length, 65_535);
});

test('endpoint specs: udp/tcp, IPv6 in brackets, host names, default ports, and errors that say what to write', (t) => {
  const ok = (s: string, o = {}): string => {
    const r = parseEndpointSpec(s, { flag: '-L', ...o });
    if (!r.ok) throw new Error(r.error);
    return `${formatEndpoint(r.endpoint)} family ${r.endpoint.family}`;
  };
  t.is(ok('udp:127.0.0.1:9060'), 'udp:127.0.0.1:9060 family 4');
  t.is(ok('tcp:[::1]:9061'), 'tcp:[::1]:9061 family 6');
  t.is(ok('UDP:localhost:9060'), 'udp:localhost:9060 family 0');
  t.is(ok('udp:0.0.0.0', { defaultPort: 37008 }), 'udp:0.0.0.0:37008 family 4');
  t.is(ok('udp:[::]', { defaultPort: 37008 }), 'udp:[::]:37008 family 6');
  const err = (s: string, o = {}): string => {
    const r = parseEndpointSpec(s, { flag: '-H', ...o });
    return r.ok ? 'ok' : r.error;
  };
  t.regex(err('127.0.0.1:9060'), /unknown protocol '127.0.0.1'/);
  t.regex(err('sctp:1.2.3.4:9060'), /unknown protocol 'sctp'.*udp:HOST:PORT/);
  t.regex(err('udp:::1:9060'), /IPv6 address must be written in brackets/);
  t.regex(err('udp:[::1'), /missing \]/);
  t.regex(err('udp:[1.2.3.4]:9060'), /not an IPv6 address/);
  t.regex(err('udp:1.2.3.4'), /no port/);
  t.regex(err('udp:1.2.3.4:99999'), /port '99999' is not a number from 1 to 65535/);
  t.regex(err('udp::9060'), /no host/);
  t.regex(err('tcp:1.2.3.4:9060', { protocols: ['udp'] }), /tcp is not supported here/);
  t.regex(err('udp:bad host:1'), /not a host name or address/);
});

test('the TCP framer cuts back-to-back HEP3 packets at every split point, and re-finds the magic after garbage', (t) => {
  const packets = [encodeHep3(message())!, encodeHep3(message({ sport: 1 }))!, encodeHep3(message({ sport: 2, payload: Buffer.from('x') }))!];
  const stream = Buffer.concat(packets);
  for (let cut = 0; cut <= stream.length; cut++) {
    for (const cut2 of [cut, Math.min(stream.length, cut + 7)]) {
      const got: string[] = [];
      const c = newHepListenerCounters();
      const f = new Hep3StreamFramer(c, (buf, at, end) => got.push(buf.subarray(at, end).toString('hex')));
      f.push(stream.subarray(0, cut));
      f.push(stream.subarray(cut, cut2));
      f.push(stream.subarray(cut2));
      if (got.length !== 3 || c.notHep !== 0) return t.fail(`split at ${cut}/${cut2}: ${got.length} packets`);
      t.deepEqual(got, packets.map((p) => p.toString('hex')));
    }
  }
  const c = newHepListenerCounters();
  const got: number[] = [];
  const f = new Hep3StreamFramer(c, (_buf, at, end) => got.push(end - at));
  f.push(Buffer.concat([Buffer.from('garbage HE'), packets[0]!, Buffer.from('HEP3\x00\x02'), packets[1]!]));
  t.deepEqual(got, [packets[0]!.length, packets[1]!.length]);
  t.is(c.notHep, 1);
  t.is(c.notHepBytes, 10);
  t.is(c.bad, 1); // the "HEP3" with a total length of 2
});

/** Feeds synthesized frames to a real engine and returns its messages as text lines. */
function ingestAll(packets: InnerPacket[]): { lines: string[]; engine: Engine } {
  const engine = new Engine();
  const source = engine.addSource('hep');
  const builder = new HepFrameBuilder();
  for (const p of packets) builder.build(p, (f) => engine.ingest(f, source));
  engine.finish();
  const bytes = new ByteReader(engine.store);
  const lines: string[] = [];
  for (let row = 0; row < engine.store.messageRows; row++) {
    const text = bytes.read(engine.store.msgBytes(row))?.toString() ?? '';
    lines.push(`${engine.store.msgTransport(row)} ${engine.store.msgSrc(row)} > ${engine.store.msgDst(row)} ${engine.store.msgSec(row)}.${engine.store.msgNsec(row)} ${text.split('\r\n')[0]}`);
  }
  return { lines, engine };
}

function inner(src: string, dst: string, ipProto: number, payload: string, sec = 1_700_000_000): InnerPacket {
  return { ipVersion: src.includes(':') ? 6 : 4, src: parseIp(src)!, dst: parseIp(dst)!, sport: 5060, dport: 5070, ipProto, sec, nsec: 5000, payload: Buffer.from(payload) };
}

test('synthesized frames carry the inner addresses, ports, transport and HEP time through the engine', (t) => {
  const r1 = response({ from, to, method: 'INVITE', callId: 'enc-1@test', cseq: 1 }, 180, 'Ringing');
  const { lines, engine } = ingestAll([
    inner('10.1.1.1', '10.2.2.2', 17, INVITE),
    inner('2001:db8::1', '2001:db8::2', 17, r1),
    inner('10.1.1.1', '10.2.2.2', 6, request({ from, to, method: 'OPTIONS', callId: 'tcp-1@test', cseq: 1 })),
    inner('10.1.1.1', '10.2.2.2', 6, request({ from, to, method: 'OPTIONS', callId: 'tcp-1@test', cseq: 2 })),
    inner('2001:db8::1', '2001:db8::2', 132, request({ from, to, method: 'OPTIONS', callId: 'sctp-1@test', cseq: 1 })),
  ]);
  t.deepEqual(lines, [
    'UDP 10.1.1.1:5060 > 10.2.2.2:5070 1700000000.5000 INVITE sip:bob@example.com SIP/2.0',
    'UDP [2001:db8::1]:5060 > [2001:db8::2]:5070 1700000000.5000 SIP/2.0 180 Ringing',
    'TCP 10.1.1.1:5060 > 10.2.2.2:5070 1700000000.5000 OPTIONS sip:bob@example.com SIP/2.0',
    'TCP 10.1.1.1:5060 > 10.2.2.2:5070 1700000000.5000 OPTIONS sip:bob@example.com SIP/2.0',
    'SCTP [2001:db8::1]:5060 > [2001:db8::2]:5070 1700000000.5000 OPTIONS sip:bob@example.com SIP/2.0',
  ]);
  t.is(engine.counters.net.truncated, 0);
  t.is(engine.counters.net.badIp, 0);
});

test('a SIP message an agent sent over TCP in two HEP packets is joined by the synthesized stream', (t) => {
  const text = request({ from, to, method: 'MESSAGE', callId: 'split@test', cseq: 1, body: 'hello there' });
  const cut = text.length - 5;
  const { lines } = ingestAll([inner('10.1.1.1', '10.2.2.2', 6, text.slice(0, cut)), inner('10.1.1.1', '10.2.2.2', 6, text.slice(cut))]);
  t.deepEqual(lines, ['TCP 10.1.1.1:5060 > 10.2.2.2:5070 1700000000.5000 MESSAGE sip:bob@example.com SIP/2.0']);
});

test('synthesized IPv4 headers have a valid checksum and UDP an oversized payload is refused', (t) => {
  const frames: Buffer[] = [];
  const b = new HepFrameBuilder();
  t.true(b.build(inner('10.1.1.1', '10.2.2.2', 17, INVITE), (f) => frames.push(f.data)));
  const ip = frames[0]!.subarray(14, 34);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  t.is(sum, 0xffff);
  t.false(b.build(inner('10.1.1.1', '10.2.2.2', 17, 'x'.repeat(70_000)), () => t.fail()));
});
