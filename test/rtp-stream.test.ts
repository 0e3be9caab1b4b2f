/**
 * RTP stream statistics on crafted packet sequences, against values worked out by hand from
 * RFC 3550 (A.1 sequence accounting, §6.4.1/A.8 jitter), and the SDP media scan.
 */
import test from 'ava';
import { RtpStream } from '../src/rtp/rtp-stream';
import { payloadFormat, scanSdpMedia } from '../src/rtp/sdp-media';

const T0 = 1_763_900_000;

function stream(clockRate = 8000): RtpStream {
  return new RtpStream('10.0.0.1', 40000, '10.0.0.2', 50000, 0x1234, 0, 'PCMU', clockRate);
}

/** Feeds packets [seq, timestamp, arrival ms from T0]. */
function feed(s: RtpStream, packets: [number, number, number][], pt = 0): void {
  for (const [seq, ts, ms] of packets) s.add(seq, ts, pt, 160, T0 + Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6));
}

test('sequence numbers wrapping at 65535 with two packets lost: 12 expected, 2 lost', (t) => {
  const s = stream();
  const seqs = [65530, 65531, 65532, 65533, 65535, 0, 1, 3, 4, 5]; // 65534 and 2 missing
  feed(s, seqs.map((q, i) => [q, i * 160, i * 20]));
  t.is(s.packets, 10);
  t.is(s.expected, 12);
  t.is(s.lost, 2);
  t.is(s.lossPercent.toFixed(2), '16.67');
  t.is(s.sequenceErrors, 2);
  t.is(s.late, 0);
});

test('a reordered packet is late, not lost; a duplicate does not make loss negative', (t) => {
  const s = stream();
  feed(s, [[1, 0, 0], [2, 160, 20], [4, 480, 40], [3, 320, 41], [5, 640, 80]]);
  t.is(s.expected, 5);
  t.is(s.lost, 0);
  t.is(s.late, 1);
  t.is(s.sequenceErrors, 2); // the jump to 4, then 3 behind it
  const d = stream();
  feed(d, [[10, 0, 0], [11, 160, 20], [11, 160, 21], [12, 320, 40]]);
  t.is(d.packets, 4);
  t.is(d.expected, 3);
  t.is(d.lost, 0);
  t.is(d.late, 1);
});

test('a sender restarting its sequence (two packets after a big jump) is not thousands lost', (t) => {
  const s = stream();
  feed(s, [[100, 0, 0], [101, 160, 20], [40000, 320, 40], [40001, 480, 60], [40002, 640, 80]]);
  t.is(s.packets, 5);
  t.is(s.expected, 5);
  t.is(s.lost, 0);
});

test('a gap of 10 packets inside a wrap counts 10 lost', (t) => {
  const s = stream();
  feed(s, [[65534, 0, 0], [65535, 160, 20], [10, 1920, 240], [11, 2080, 260]]); // 0..9 missing
  t.is(s.expected, 14);
  t.is(s.lost, 10);
});

test('jitter follows RFC 3550 A.8: J += (|D| - J) / 16, in ms at 8000 Hz', (t) => {
  // 20 ms packets (160 timestamp units) arriving at 0, 20, 45 and 60 ms:
  //   D2 = 160 - 160 = 0           J = 0
  //   D3 = 200 - 160 = 40          J = 40/16 = 2.5 units
  //   D4 = 120 - 160 = -40         J = 2.5 + (40 - 2.5)/16 = 4.84375 units = 0.60546875 ms
  const s = stream();
  feed(s, [[1, 1000, 0], [2, 1160, 20], [3, 1320, 45], [4, 1480, 60]]);
  t.is(s.jitterMs, 0.60546875);
  t.is(s.maxJitterMs, 0.60546875);
  // Mean of the values after each packet from the second: (0 + 2.5 + 4.84375) / 3 units.
  t.is(s.meanJitterMs.toFixed(6), (((0 + 2.5 + 4.84375) / 3 / 8000) * 1000).toFixed(6));
  t.is(s.duration, 0.06);
});

test('jitter across a timestamp wrap at 2^32 stays small; unknown clock rate gives no jitter', (t) => {
  const s = stream();
  const near = 2 ** 32 - 160;
  feed(s, [[1, near - 160, 0], [2, near, 20], [3, 0, 40], [4, 160, 60]]);
  t.is(s.maxJitterMs, 0);
  const u = stream(0);
  feed(u, [[1, 0, 0], [2, 160, 35]]);
  t.is(u.maxJitterMs, 0);
  t.is(u.packets, 2);
});

test('packets of another payload type (DTMF) count but stay out of the jitter', (t) => {
  const s = stream();
  feed(s, [[1, 0, 0], [2, 160, 20]]);
  feed(s, [[3, 320, 90]], 101);
  feed(s, [[4, 480, 60]]);
  t.is(s.packets, 4);
  t.is(s.otherPayload, 1);
  t.is(s.lost, 0);
  t.is(s.maxJitterMs, 0);
});

test('SDP media scan: session and media c=, rtpmap and static types, rejected and held streams left out', (t) => {
  const sdp = Buffer.from(
    [
      'v=0',
      'o=- 1 1 IN IP4 192.0.2.1',
      'c=IN IP4 192.0.2.1',
      'm=audio 49170 RTP/AVP 0 18 101',
      'a=rtpmap:101 telephone-event/8000',
      'm=video 0 RTP/AVP 96',
      'm=audio 49180 RTP/SAVP 96',
      'c=IN IP6 2001:DB8:0:0::7',
      'a=rtpmap:96 opus/48000/2',
      'm=audio 49190 RTP/AVP 8',
      'c=IN IP4 0.0.0.0',
      'm=image 49200 udptl t38',
      '',
    ].join('\r\n'),
  );
  const m = scanSdpMedia(sdp, 0, sdp.length);
  const format = (e: (typeof m)[number], pt: number): string => {
    const f = payloadFormat(e.rtpmap, pt);
    return f === undefined ? '?' : `${f.name}/${f.clockRate}`;
  };
  t.deepEqual(
    m.map((e) => [e.ip, e.port, format(e, 0), format(e, 18), format(e, 101), format(e, 96)]),
    [
      ['192.0.2.1', 49170, 'PCMU/8000', 'G729/8000', 'telephone-event/8000', '?'],
      ['2001:db8::7', 49180, 'PCMU/8000', 'G729/8000', '?', 'opus/48000'],
    ],
  );
  // Garbage and truncation never throw.
  for (let cut = 0; cut <= sdp.length; cut += 7) t.notThrows(() => scanSdpMedia(sdp, 0, cut));
  t.deepEqual(scanSdpMedia(Buffer.from('m=\r\nc=IN\r\nm=audio x RTP/AVP\r\n'), 0, 26), []);
});
