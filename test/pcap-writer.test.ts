import test from 'ava';
import { CaptureReader } from '../src/pcap/reader';
import { PcapStreamWriter, pcapFileHeader, pcapRecord, DEFAULT_SNAPLEN } from '../src/pcap/writer';
import { LINKTYPE, type Frame, type ReadIssue } from '../src/pcap/types';
import { pcapFile } from './helpers/capture-files';

function readBack(bytes: Buffer): { frames: Frame[]; issues: ReadIssue[]; format: string | undefined } {
  const frames: Frame[] = [];
  const issues: ReadIssue[] = [];
  const reader = new CaptureReader({ onFrame: (f) => frames.push(f), onIssue: (i) => issues.push(i) });
  reader.push(bytes);
  reader.end();
  return { frames, issues, format: reader.format };
}

const T0 = 1_700_000_000;
const packets = [
  { sec: T0, nsec: 123_456_789, data: Buffer.from('INVITE sip:bob@example.com SIP/2.0\r\n\r\n') },
  { sec: T0 + 1, nsec: 999_999_999, data: Buffer.alloc(0) },
  { sec: T0 + 2, nsec: 1_500, data: Buffer.from([1, 2, 3]), origLen: 1514 },
];

for (const nanos of [false, true]) {
  test(`header and records (${nanos ? 'ns' : 'µs'}) read back through the reader`, (t) => {
    const file = Buffer.concat([
      pcapFileHeader(LINKTYPE.LINUX_SLL2, { nanos }),
      ...packets.map((p) => pcapRecord(p.sec, p.nsec, p.data, p.origLen, nanos)),
    ]);
    const r = readBack(file);
    t.is(r.format, 'pcap');
    t.deepEqual(r.issues, []);
    t.deepEqual(
      r.frames.map((f) => ({ linktype: f.linktype, sec: f.sec, nsec: f.nsec, data: Buffer.from(f.data), origLen: f.origLen })),
      packets.map((p) => ({
        linktype: LINKTYPE.LINUX_SLL2,
        sec: p.sec,
        nsec: nanos ? p.nsec : Math.floor(p.nsec / 1000) * 1000,
        data: p.data,
        origLen: p.origLen ?? p.data.length,
      })),
    );
  });
}

test('the writer produces the same bytes as the independent test helper', (t) => {
  for (const nanos of [false, true]) {
    const ours = Buffer.concat([
      pcapFileHeader(LINKTYPE.ETHERNET, { nanos, snaplen: 65535 }),
      ...packets.map((p) => pcapRecord(p.sec, p.nsec, p.data, p.origLen, nanos)),
    ]);
    t.deepEqual(ours, pcapFile({ linktype: LINKTYPE.ETHERNET, packets, nanos, snaplen: 65535 }));
  }
});

test('file header layout: magic, version 2.4, snaplen, link type', (t) => {
  const h = pcapFileHeader(LINKTYPE.RAW);
  t.is(h.length, 24);
  t.is(h.readUInt32LE(0), 0xa1b2c3d4);
  t.is(h.readUInt16LE(4), 2);
  t.is(h.readUInt16LE(6), 4);
  t.is(h.readUInt32LE(16), DEFAULT_SNAPLEN);
  t.is(h.readUInt32LE(20), LINKTYPE.RAW);
  t.is(pcapFileHeader(1, { nanos: true, snaplen: 1500 }).readUInt32LE(0), 0xa1b23c4d);
  t.is(pcapFileHeader(1, { nanos: true, snaplen: 1500 }).readUInt32LE(16), 1500);
});

test('a microsecond record truncates nanoseconds; origLen defaults to the data length', (t) => {
  const rec = pcapRecord(T0, 999_999_999, Buffer.from('abc'));
  t.is(rec.length, 16 + 3);
  t.is(rec.readUInt32LE(0), T0);
  t.is(rec.readUInt32LE(4), 999_999);
  t.is(rec.readUInt32LE(8), 3);
  t.is(rec.readUInt32LE(12), 3);
  t.is(pcapRecord(T0, 999_999_999, Buffer.from('abc'), 100, true).readUInt32LE(4), 999_999_999);
  t.is(pcapRecord(T0, 0, Buffer.from('abc'), 100).readUInt32LE(12), 100);
});

test('PcapStreamWriter writes the header once, then records; reads back', (t) => {
  const out: Buffer[] = [];
  const w = new PcapStreamWriter((b) => out.push(b), { nanos: true });
  for (const p of packets) t.true(w.writePacket({ linktype: LINKTYPE.ETHERNET, ...p }));
  w.start(); // no second header
  t.is(w.packets, 3);
  t.is(w.fileLinktype, LINKTYPE.ETHERNET);
  const file = Buffer.concat(out);
  t.is(w.bytes, file.length);
  t.is(out.length, 1 + packets.length);
  const r = readBack(file);
  t.deepEqual(r.issues, []);
  t.deepEqual(
    r.frames.map((f) => [f.linktype, f.sec, f.nsec, f.data.toString('hex'), f.origLen]),
    packets.map((p) => [LINKTYPE.ETHERNET, p.sec, p.nsec, p.data.toString('hex'), p.origLen ?? p.data.length]),
  );
});

test('PcapStreamWriter skips frames of another link type and counts them', (t) => {
  const out: Buffer[] = [];
  const w = new PcapStreamWriter((b) => out.push(b));
  t.true(w.writePacket({ linktype: LINKTYPE.LINUX_SLL, sec: T0, nsec: 0, data: Buffer.from('a') }));
  t.false(w.writePacket({ linktype: LINKTYPE.ETHERNET, sec: T0, nsec: 0, data: Buffer.from('b') }));
  t.true(w.writePacket({ sec: T0, nsec: 0, data: Buffer.from('c') }));
  t.is(w.packets, 2);
  t.is(w.skipped, 1);
  const r = readBack(Buffer.concat(out));
  t.deepEqual(
    r.frames.map((f) => [f.linktype, f.data.toString()]),
    [
      [LINKTYPE.LINUX_SLL, 'a'],
      [LINKTYPE.LINUX_SLL, 'c'],
    ],
  );
});

test('PcapStreamWriter: start() gives a valid empty file; snaplen cuts long frames', (t) => {
  const out: Buffer[] = [];
  const w = new PcapStreamWriter((b) => out.push(b), { linktype: LINKTYPE.RAW, snaplen: 4 });
  w.start();
  const empty = readBack(Buffer.concat(out));
  t.is(empty.format, 'pcap');
  t.deepEqual(empty.frames, []);
  t.deepEqual(empty.issues, []);
  w.writePacket({ sec: T0, nsec: 0, data: Buffer.from('abcdefgh') });
  const r = readBack(Buffer.concat(out));
  t.is(r.frames[0]?.data.toString(), 'abcd');
  t.is(r.frames[0]?.origLen, 8);
  t.is(r.frames[0]?.linktype, LINKTYPE.RAW);
});

test('a Frame from the reader can be written back unchanged', (t) => {
  const source = pcapFile({ linktype: LINKTYPE.ETHERNET, packets, nanos: true });
  const out: Buffer[] = [];
  const w = new PcapStreamWriter((b) => out.push(b), { nanos: true, snaplen: 65535 });
  const reader = new CaptureReader({ onFrame: (f) => w.writePacket(f), onIssue: () => t.fail() });
  reader.push(source);
  reader.end();
  t.deepEqual(Buffer.concat(out), source);
});
