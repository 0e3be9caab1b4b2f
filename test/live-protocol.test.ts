/**
 * The child → parent record stream decoded whole and split at every byte, and the -O
 * writer's flushing and error handling, without any capture.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  LiveRecordDecoder,
  PACKET_HEADER_LEN,
  RECORD,
  encodeJsonRecord,
  encodeRecord,
  totalStats,
  type LiveDevice,
  type LiveErrorRecord,
  type LiveStats,
} from '../src/capture/live';
import { PcapFileWriter } from '../src/capture/pcap-file-writer';
import type { Frame } from '../src/pcap/types';
import { readPcap } from './live-helpers';

function packetBatch(packets: { device: number; linktype: number; sec: number; nsec: number; data: Buffer; origLen: number }[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(4)];
  parts[0]!.writeUInt32LE(packets.length, 0);
  for (const p of packets) {
    const h = Buffer.alloc(PACKET_HEADER_LEN);
    h.writeUInt16LE(p.device, 0);
    h.writeUInt16LE(p.linktype, 2);
    h.writeUInt32LE(p.sec, 4);
    h.writeUInt32LE(p.nsec, 8);
    h.writeUInt32LE(p.data.length, 12);
    h.writeUInt32LE(p.origLen, 16);
    parts.push(h, p.data);
  }
  return encodeRecord(RECORD.PACKETS, Buffer.concat(parts));
}

interface Seen {
  ready: LiveDevice[][];
  frames: { frame: Frame; device: number }[];
  stats: LiveStats[];
  errors: LiveErrorRecord[];
  malformed: string[];
}

function decoder(): { d: LiveRecordDecoder; seen: Seen } {
  const seen: Seen = { ready: [], frames: [], stats: [], errors: [], malformed: [] };
  const d = new LiveRecordDecoder({
    onReady: (x) => seen.ready.push(x),
    onFrame: (frame, device) => seen.frames.push({ frame: { ...frame, data: Buffer.from(frame.data) }, device }),
    onStats: (s) => seen.stats.push(s),
    onError: (e) => seen.errors.push(e),
    onMalformed: (m) => seen.malformed.push(m),
  });
  return { d, seen };
}

const stream = Buffer.concat([
  encodeJsonRecord(RECORD.READY, { devices: [{ name: 'lo', linktype: 1 }, { name: 'eth0', linktype: 1 }] }),
  packetBatch([
    { device: 0, linktype: 1, sec: 1700000000, nsec: 123456789, data: Buffer.from('first packet'), origLen: 12 },
    { device: 1, linktype: 1, sec: 1700000001, nsec: 5, data: Buffer.from('second, cut'), origLen: 1500 },
  ]),
  encodeJsonRecord(RECORD.STATS, { devices: [{ name: 'lo', received: 2, kernelDrops: null, interfaceDrops: 0, discarded: 0 }] }),
  encodeJsonRecord(RECORD.ERROR, { device: 'lo', message: 'something', fatal: false }),
  packetBatch([{ device: 0, linktype: 113, sec: 1, nsec: 2, data: Buffer.alloc(0), origLen: 0 }]),
]);

function check(t: import('ava').ExecutionContext, seen: Seen): void {
  t.deepEqual(seen.ready, [[{ name: 'lo', linktype: 1 }, { name: 'eth0', linktype: 1 }]]);
  t.is(seen.frames.length, 3);
  const [a, b, c] = seen.frames;
  t.is(a!.frame.data.toString(), 'first packet');
  t.is(a!.frame.sec, 1700000000);
  t.is(a!.frame.nsec, 123456789);
  t.is(a!.frame.fileOffset, -1);
  t.is(b!.device, 1);
  t.is(b!.frame.origLen, 1500);
  t.is(b!.frame.data.toString(), 'second, cut');
  t.is(c!.frame.linktype, 113);
  t.is(c!.frame.data.length, 0);
  t.is(seen.stats.length, 1);
  t.deepEqual(seen.errors, [{ device: 'lo', message: 'something', fatal: false }]);
  t.deepEqual(seen.malformed, []);
}

test('records decode from one chunk', (t) => {
  const { d, seen } = decoder();
  d.push(stream);
  check(t, seen);
});

test('records decode split at every byte, and one byte at a time', (t) => {
  for (let i = 0; i <= stream.length; i++) {
    const { d, seen } = decoder();
    d.push(stream.subarray(0, i));
    d.push(stream.subarray(i));
    check(t, seen);
  }
  const { d, seen } = decoder();
  for (let i = 0; i < stream.length; i++) d.push(stream.subarray(i, i + 1));
  check(t, seen);
});

test('an absurd record length stops decoding with one message', (t) => {
  const { d, seen } = decoder();
  const bad = Buffer.alloc(8);
  bad[0] = RECORD.PACKETS;
  bad.writeUInt32LE(0xffffffff, 4);
  d.push(bad);
  d.push(stream);
  t.is(seen.malformed.length, 1);
  t.is(seen.frames.length, 0);
});

test('totalStats sums devices; unknown anywhere is unknown', (t) => {
  t.deepEqual(
    totalStats({
      devices: [
        { name: 'a', received: 3, kernelDrops: 1, interfaceDrops: null, discarded: 1 },
        { name: 'b', received: 4, kernelDrops: 2, interfaceDrops: 5, discarded: 0 },
      ],
    }),
    { received: 7, kernelDrops: 3, interfaceDrops: null, discarded: 1 },
  );
  t.deepEqual(totalStats(undefined), { received: 0, kernelDrops: 0, interfaceDrops: 0, discarded: 0 });
});

function frame(i: number, linktype = 1): Frame {
  return { linktype, sec: 1700000000 + i, nsec: i * 1000, data: Buffer.from(`packet ${i}`), origLen: 8, fileOffset: -1, ifIndex: 0 };
}

test('PcapFileWriter: flushes on its timer, reopens after the file is moved, keeps writing if it was not', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-writer-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'w.pcap');
  const notices: string[] = [];
  const errors: string[] = [];
  const w = new PcapFileWriter(file, { flushMs: 50, onError: (m) => errors.push(m), onNotice: (m) => notices.push(m) });
  t.is(w.open(), undefined);
  w.start(1);
  t.is(fs.statSync(file).size, 24); // header at once: an empty capture is a valid file
  w.write(frame(1));
  w.write(frame(2));
  t.is(readPcap(file).frames.length, 0); // still buffered
  await new Promise((r) => setTimeout(r, 150));
  t.is(readPcap(file).frames.length, 2);

  w.reopen(); // not moved away: writing goes on in the same file
  t.is(notices.length, 1);
  w.write(frame(3));
  w.flush();
  t.is(readPcap(file).frames.length, 3);

  fs.renameSync(file, path.join(dir, 'w-1.pcap'));
  w.reopen();
  w.write(frame(4));
  w.write(frame(5, 113)); // another link type: not written, said once
  w.write(frame(6, 113));
  w.close();
  t.is(readPcap(path.join(dir, 'w-1.pcap')).frames.length, 3);
  t.deepEqual(readPcap(file).frames.map((f) => f.toString()), ['packet 4']);
  t.is(errors.length, 1);
  t.regex(errors[0]!, /link type 113 are not written/);
  t.deepEqual(w.stats, { file, packets: 4, notWritten: 2, files: 2, error: null });
});

test('PcapFileWriter: a write error is reported once, naming the file; later packets are counted', (t) => {
  const errors: string[] = [];
  const w = new PcapFileWriter('/dev/full', { onError: (m) => errors.push(m) });
  t.is(w.open(), undefined);
  for (let i = 0; i < 100; i++) {
    w.write(frame(i));
    w.flush();
  }
  w.close();
  t.is(errors.length, 1);
  t.regex(errors[0]!, /^cannot write \/dev\/full: no space left on device; .*SIGUSR1/);
  t.is(w.stats.packets, 0);
  t.is(w.stats.notWritten, 100);
});
