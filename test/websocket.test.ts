/**
 * SIP over WebSocket (RFC 6455 framing, RFC 7118): frames of every length class, masked
 * and unmasked, continuations, control frames, with and without the captured upgrade,
 * split at every byte, and random input.
 */
import test from 'ava';
import { NetDecoder } from '../src/net/decoder';
import { TcpReassembler } from '../src/net/tcp';
import { newNetCounters, type NetCounters, type Packet } from '../src/net/types';
import { readHttpUpgrade, sniffWebSocketSip, startsLikeSip, WebSocketFramer, type StreamChunk } from '../src/net/websocket';
import { SipStreamFramer } from '../src/sip/stream';
import { frame, TcpFlow, wsFrame, type LinkFrame } from './helpers/packets';
import { request, response } from './helpers/sip-text';

const alice = { user: 'alice', host: 'example.invalid' };
const bob = { user: 'bob', host: 'example.invalid' };
const T0 = 1_763_900_000;

/** A SIP message of about `size` bytes (padded with a header). */
function sipOfSize(callId: string, size: number): string {
  const base = request({ callId, from: alice, to: bob, cseq: 1, method: 'MESSAGE', headers: ['X-Pad: '], body: '' });
  const pad = Math.max(0, size - Buffer.byteLength(base));
  return request({ callId, from: alice, to: bob, cseq: 1, method: 'MESSAGE', headers: [`X-Pad: ${'p'.repeat(pad)}`], body: '' });
}
const ok = (callId: string): string => response({ callId, from: alice, to: bob, cseq: 1, method: 'MESSAGE', toTag: 't' }, 200, 'OK');

const UPGRADE =
  'GET /ws HTTP/1.1\r\nHost: example.invalid\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n';
const SWITCH =
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n';

interface Run {
  packets: Packet[];
  counters: NetCounters;
  texts(): string[];
}

function run(frames: LinkFrame[]): Run {
  const counters = newNetCounters();
  const packets: Packet[] = [];
  let cur = 0;
  const decoder = new NetDecoder({ counters, onPacket: () => undefined });
  const tcp = new TcpReassembler({
    counters,
    onPacket: (p) => packets.push({ ...p, payload: Buffer.from(p.payload) }),
    sipFramer: (sink, onNotSip) => new SipStreamFramer(sink, counters, { onNotSip }),
  });
  decoder.registerTransport(6, (ip, seg, off, fr) => tcp.segment(ip, seg, off, cur, fr));
  frames.forEach((f, i) => {
    cur = i;
    decoder.decode(frame(f, T0, i * 1000), i);
  });
  tcp.finish();
  return { packets, counters, texts: () => packets.map((p) => p.payload.toString('utf8')) };
}

const browser = { ip: '198.51.100.7', port: 51000 };
const proxy = { ip: '203.0.113.5', port: 8080 };

for (const size of [100, 3000, 70_000]) {
  for (const upgrade of [true, false]) {
    test(`${size}-byte messages (${size < 126 ? '7-bit' : size < 65536 ? '16-bit' : '64-bit'} length), masked and unmasked, ${upgrade ? 'with' : 'without'} the upgrade`, (t) => {
      const flow = new TcpFlow(browser, proxy);
      const frames = [...flow.handshake()];
      if (upgrade) frames.push(...flow.send('a', UPGRADE), ...flow.send('b', SWITCH));
      const req = size < 126 ? 'OPTIONS sip:x SIP/2.0\r\nl: 0\r\n\r\n'.padEnd(size, ' ') : sipOfSize(`ws-${size}@x`, size);
      const resp = ok(`ws-${size}@x`);
      frames.push(...flow.send('a', wsFrame({ payload: req, mask: true })), ...flow.send('b', wsFrame({ payload: resp })));
      const r = run(frames);
      t.deepEqual(r.texts(), [req, resp]);
      for (const p of r.packets) t.is(p.transport, 'WS');
      t.is(r.packets[0]!.frameOffset, -1, 'masked: unmasked into a copy');
      t.truthy(r.packets[0]!.frames);
      if (Buffer.byteLength(resp) + 4 < 1460) t.true(r.packets[1]!.frameOffset > 0, 'unmasked in one frame: read back from the frame');
      t.is(r.counters.wsStreams, 2);
      t.is(r.counters.tcpNotSip, 0);
    });
  }
}

test('frames under 126 bytes, several per segment and split at every byte (sngrep loses these)', (t) => {
  const msgs = ['OPTIONS sip:a SIP/2.0\r\nl: 0\r\n\r\n', 'SIP/2.0 200 OK\r\nl: 0\r\n\r\n', 'BYE sip:b SIP/2.0\r\nl: 0\r\n\r\n'];
  const stream = Buffer.concat([
    wsFrame({ payload: msgs[0]!, mask: true }),
    wsFrame({ opcode: 9, payload: 'ping', mask: true }),
    wsFrame({ payload: msgs[1]!, mask: Buffer.from([1, 2, 3, 4]) }),
    wsFrame({ payload: msgs[2]!, mask: true }),
  ]);
  for (let k = 1; k < stream.length; k++) {
    for (const upgrade of [true, false]) {
      const flow = new TcpFlow(browser, proxy);
      const frames = [...flow.handshake(), ...(upgrade ? flow.send('a', UPGRADE) : []), ...flow.send('a', stream, [k, stream.length])];
      const r = run(frames);
      if (JSON.stringify(r.texts()) !== JSON.stringify(msgs)) {
        t.fail(`split at ${k}, upgrade ${upgrade}: ${JSON.stringify(r.texts())}`);
        return;
      }
    }
  }
  t.pass();
});

test('continuation frames are joined, interleaved control frames skipped', (t) => {
  const text = sipOfSize('frag@x', 900);
  const flow = new TcpFlow(browser, proxy);
  const stream = Buffer.concat([
    wsFrame({ payload: text.slice(0, 300), fin: false, mask: true }),
    wsFrame({ opcode: 10, payload: '', mask: true }),
    wsFrame({ opcode: 0, payload: text.slice(300, 600), fin: false, mask: true }),
    wsFrame({ opcode: 0, payload: text.slice(600), mask: true }),
    wsFrame({ opcode: 8, payload: Buffer.from([0x03, 0xe8]), mask: true }),
  ]);
  const r = run([...flow.handshake(), ...flow.send('a', UPGRADE), ...flow.send('a', stream, 200)]);
  t.deepEqual(r.texts(), [text]);
  t.is(r.counters.wsControlFrames, 2);
  t.is(r.counters.wsMessages, 1);
});

test('compressed (RSV1) frames are counted unreadable; the next frame is still read', (t) => {
  const flow = new TcpFlow(browser, proxy);
  const stream = Buffer.concat([wsFrame({ payload: 'compressed bytes', rsv: 4, mask: true }), wsFrame({ payload: ok('rsv@x'), mask: true })]);
  const r = run([...flow.handshake(), ...flow.send('a', UPGRADE), ...flow.send('a', stream)]);
  t.deepEqual(r.texts(), [ok('rsv@x')]);
  t.is(r.counters.wsUnreadable, 1);
});

test('an upgrade for another sub-protocol is not SIP', (t) => {
  const flow = new TcpFlow(browser, proxy);
  const chat = UPGRADE.replace('Sec-WebSocket-Protocol: sip', 'Sec-WebSocket-Protocol: chat');
  const r = run([...flow.handshake(), ...flow.send('a', chat), ...flow.send('a', wsFrame({ payload: 'hello', mask: true }))]);
  t.is(r.packets.length, 0);
  t.is(r.counters.tcpNotSip, 1);
});

test('readHttpUpgrade, sniffWebSocketSip and startsLikeSip', (t) => {
  const up = readHttpUpgrade(Buffer.from(UPGRADE + 'rest'));
  t.deepEqual(up, { websocket: true, end: UPGRADE.length });
  t.deepEqual(readHttpUpgrade(Buffer.from(SWITCH)), { websocket: true, end: SWITCH.length });
  t.is(readHttpUpgrade(Buffer.from(UPGRADE.slice(0, 40))), 'more');
  t.deepEqual(readHttpUpgrade(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), { websocket: false, end: 27 });
  t.is(readHttpUpgrade(Buffer.from('\x00\x01binary\r\n\r\n')), 'no');
  const f = wsFrame({ payload: 'INVITE sip:bob@x SIP/2.0\r\n', mask: true });
  t.is(sniffWebSocketSip(f), 'yes');
  t.is(sniffWebSocketSip(f.subarray(0, 5)), 'more');
  t.is(sniffWebSocketSip(wsFrame({ payload: '{"json": true, "x": 1}' })), 'no');
  t.is(startsLikeSip(Buffer.from('SIP/2.0 200 OK'), 0, 14), 'yes');
  t.is(startsLikeSip(Buffer.from('REGISTER sip:x'), 0, 14), 'yes');
  t.is(startsLikeSip(Buffer.from('hello world'), 0, 11), 'no');
  t.is(startsLikeSip(Buffer.from('SIP/'), 0, 4), 'more');
});

test('WebSocket framer: resynchronises after a gap, and random bytes never throw or hang', (t) => {
  const counters = newNetCounters();
  const out: string[] = [];
  const f = new WebSocketFramer((p) => out.push(p.toString()), counters);
  const chunk = (data: Buffer, handle: number): StreamChunk => ({ data, frameOffset: -1, handle, frames: undefined, sec: 0, nsec: 0 });
  const m1 = wsFrame({ payload: sipOfSize('g1@x', 400), mask: true });
  const m2 = wsFrame({ payload: sipOfSize('g2@x', 400), mask: true });
  f.push(chunk(m1.subarray(0, 150), 0));
  f.gap();
  f.push(chunk(Buffer.concat([m1.subarray(300), m2]), 1));
  t.deepEqual(out, [sipOfSize('g2@x', 400)]);
  let a = 99;
  const rand = (): number => {
    a = (a * 1103515245 + 12345) & 0x7fffffff;
    return a / 0x80000000;
  };
  for (let k = 0; k < 300; k++) {
    const g = new WebSocketFramer(() => undefined, counters, 4096);
    const len = Math.floor(rand() * 3000);
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = rand() < 0.1 ? 0x81 : Math.floor(rand() * 256);
    for (let at = 0; at < len; at += 1 + Math.floor(rand() * 500)) {
      g.push(chunk(b.subarray(at, at + 1 + Math.floor(rand() * 500)), at));
      if (rand() < 0.05) g.gap();
    }
    g.end();
  }
  t.pass();
});
