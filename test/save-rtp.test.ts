/**
 * Saving dialogs with their RTP (the save window's pcap+rtp): the RTP and RTCP frames of the
 * chosen dialogs' streams are found again in the capture files and merged with the SIP
 * frames in time order, byte for byte; other calls' media stay out, and an input that cannot
 * be read again is named in the result instead.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveDialogsPcap, saveDialogsPcapWithRtp, savedPcapMessage } from '../src/capture/save';
import { ByteReader } from '../src/capture/byte-reader';
import { Engine } from '../src/engine/engine';
import { CaptureReader } from '../src/pcap/reader';
import { ARENA_SOURCE } from '../src/store/store';
import { Call, pcapOf, sdp, type Sent } from './analysis-call-builder';
import { runEngine } from './helpers/run-engine';
import { ownCaptures, sharedCaptures } from './helpers/paths';
import { rtcpReceiverReport as rtcpRr, rtpPacket } from './helpers/rtp-packets';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-save-rtp-'));
const twoWay = path.join(ownCaptures, 'rtp', 'two-way.pcap');
const pktsSipRtp = path.join(sharedCaptures, 'pkts', 'sip_rtp.pcap');

/** The records (16-byte header + data) of a classic little-endian pcap file. */
function records(file: string): Buffer[] {
  const b = fs.readFileSync(file);
  const out: Buffer[] = [];
  for (let off = 24; off + 16 <= b.length; ) {
    const len = 16 + b.readUInt32LE(off + 8);
    out.push(b.subarray(off, off + len));
    off += len;
  }
  return out;
}

/** What a VoIP engineer compares of a stream: ends, SSRC, codec, counts, first and last time. */
function streams(run: Awaited<ReturnType<typeof runEngine>>): string[] {
  const out: string[] = [];
  for (const d of run.engine.store.dialogList()) {
    for (const s of d.media?.streams ?? []) {
      out.push(`${d.callId} ${s.src}>${s.dst} ssrc=${s.ssrc} ${s.codec} n=${s.packets} ${s.firstSec}.${s.firstNsec}-${s.lastSec}.${s.lastNsec}`);
    }
  }
  return out;
}

test('two-way.pcap: the call saved with its RTP is the whole capture again, record for record', async (t) => {
  const run = await runEngine([twoWay]);
  const dialogs = [...run.engine.store.dialogList()];
  t.is(dialogs.length, 1);
  const out = path.join(tmp, 'two-way.pcap');
  const r = saveDialogsPcapWithRtp(run.engine.store, run.bytes, dialogs, out);
  t.is(r.packets, 208);
  t.deepEqual(r.rtp, { packets: 202, problems: [] });
  t.is(savedPcapMessage(r, '1 dialog'), `Saved 1 dialog (208 packets: 202 RTP/RTCP) to ${out}`);
  const want = records(twoWay);
  const got = records(out);
  t.is(got.length, 208);
  t.is(want.length, 208);
  for (let i = 0; i < want.length; i++) t.true(got[i]!.equals(want[i]!), `record ${i + 1}`);
  const again = await runEngine([out]);
  t.deepEqual(streams(again), streams(run));
  t.is(streams(run).length, 2);
  // The plain pcap format is unchanged: the 6 SIP frames alone.
  t.is(saveDialogsPcap(run.engine.store, run.bytes, dialogs, path.join(tmp, 'sip-only.pcap')).packets, 6);
});

test('two captures merged: each call saved with RTP takes its own file\'s frames and none of the other', async (t) => {
  const run = await runEngine([pktsSipRtp, twoWay]);
  const dialogs = [...run.engine.store.dialogList()];
  t.is(dialogs.length, 2);
  for (const [d, file, rtp] of [
    [dialogs.find((x) => x.callId.startsWith('sipscope-rtp-two-way'))!, twoWay, 202],
    [dialogs.find((x) => x.callId === '1-7879@127.0.0.1')!, pktsSipRtp, 501],
  ] as const) {
    const out = path.join(tmp, `merged-${rtp}.pcap`);
    const r = saveDialogsPcapWithRtp(run.engine.store, run.bytes, [d], out);
    t.is(r.rtp?.packets, rtp, d.callId);
    const want = records(file);
    const got = records(out);
    t.is(got.length, want.length, d.callId);
    t.true(
      got.every((g, i) => g.equals(want[i]!)),
      `${d.callId}: the records of ${path.basename(file)}`,
    );
  }
});



function media(from: string, to: string, at: number, n: number, ssrc: number): Sent[] {
  return Array.from({ length: n }, (_, i) => ({ at: at + i * 0.02, from, to, text: rtpPacket(i, ssrc) }));
}

function call(callId: string, a: string, aPort: number, b: string, bPort: number): Sent[] {
  return new Call({ callId, caller: { user: '100', host: a }, callee: { user: '200', host: b } })
    .req(0, 'INVITE', 1, { body: sdp(a, aPort, [[0, 'PCMU']]) })
    .res(0.5, 200, 'OK', 'INVITE', 1, { body: sdp(b, bPort, [[0, 'PCMU']]) })
    .req(0.6, 'ACK', 1).sent;
}

/** Two calls at the same time, RTP both ways each, RTCP on port + 1 for the first, and noise. */
const twoCalls: Sent[] = [
  // Listed first, so the file has this packet before the ACK sent at the same instant (0.6).
  ...media('10.1.0.7:42000', '10.2.0.7:52000', 0.6, 10, 21),
  ...call('one@t', '10.1.0.1', 40000, '10.2.0.1', 50000),
  ...call('two@t', '10.1.0.7', 42000, '10.2.0.7', 52000),
  ...media('10.1.0.1:40000', '10.2.0.1:50000', 1, 10, 11),
  ...media('10.2.0.1:50000', '10.1.0.1:40000', 1.01, 10, 12),
  ...media('10.2.0.7:52000', '10.1.0.7:42000', 1.01, 10, 22),
  { at: 1.1, from: '10.1.0.1:40001', to: '10.2.0.1:50001', text: rtcpRr(11) },
  // Not RTP, on the first call's ports, 30 s after its media ended: outside the stream.
  { at: 31, from: '10.1.0.1:40000', to: '10.2.0.1:50000', text: 'keepalive' },
];

test('of two calls with RTP, saving one takes its streams and RTCP only, in time order', async (t) => {
  const run = await runEngine([pcapOf(twoCalls)]);
  const one = run.engine.store.dialog('one@t')!;
  t.is(one.media?.streams.length, 2);
  const out = path.join(tmp, 'one.pcap');
  const r = saveDialogsPcapWithRtp(run.engine.store, run.bytes, [one], out);
  t.deepEqual(r.rtp, { packets: 21, problems: [] });
  t.is(r.packets, 3 + 21);
  t.regex(savedPcapMessage(r, '1 dialog'), /^Saved 1 dialog \(24 packets: 21 RTP\/RTCP\) to /);

  const again = await runEngine([out]);
  t.deepEqual(
    [...again.engine.store.dialogList()].map((d) => d.callId),
    ['one@t'],
  );
  t.deepEqual(streams(again), streams(run).filter((s) => s.startsWith('one@t')));
  t.is(again.engine.store.rtp.rtcpPackets, 1);
  t.is(again.engine.counters.notSip, 0, 'the keepalive outside the stream stays out');
  const times = records(out).map((b) => b.readUInt32LE(0) + b.readUInt32LE(4) / 1e6);
  t.deepEqual(times, [...times].sort((a, b) => a - b));

  // Both calls: the capture again, in the file's order (ties included), but the keepalive.
  const both = saveDialogsPcapWithRtp(run.engine.store, run.bytes, [...run.engine.store.dialogList()], path.join(tmp, 'both.pcap'));
  t.is(both.rtp?.packets, 41);
  t.is(both.packets, 6 + 41);
  const input = records(run.reports[0]!.readBackPath!);
  const saved = records(path.join(tmp, 'both.pcap'));
  t.is(saved.length, input.length - 1);
  t.true(
    saved.every((b, i) => b.equals(input[i]!)),
    'the records of the input, in its order',
  );
});

test('a call without RTP saved as pcap+rtp: its SIP frames and the reason there is no RTP', async (t) => {
  const run = await runEngine([pcapOf(call('quiet@t', '10.1.0.1', 40000, '10.2.0.1', 50000))]);
  const out = path.join(tmp, 'quiet.pcap');
  const r = saveDialogsPcapWithRtp(run.engine.store, run.bytes, [...run.engine.store.dialogList()], out);
  t.is(r.packets, 3);
  t.is(savedPcapMessage(r, '1 dialog'), `Saved 1 dialog (3 packets: 0 RTP/RTCP) to ${out}; RTP not included: no RTP stream is tied to it`);
});

test('frames of a live capture (kept in memory): SIP saved, and the message says RTP could not be', (t) => {
  const engine = new Engine({});
  const reader = new CaptureReader({
    onFrame: (f) => engine.ingest({ ...f, data: Buffer.from(f.data), fileOffset: -1 }, ARENA_SOURCE),
    onIssue: () => undefined,
  });
  reader.push(pcapOf(twoCalls));
  reader.end();
  const one = engine.store.dialog('one@t')!;
  t.is(one.media?.streams.length, 2);
  const out = path.join(tmp, 'live.pcap');
  const r = saveDialogsPcapWithRtp(engine.store, new ByteReader(engine.store), [one], out);
  t.is(r.packets, 3);
  t.is(r.unreadable, 0);
  t.is(savedPcapMessage(r, '1 dialog'), `Saved 1 dialog (3 packets: 0 RTP/RTCP) to ${out}; RTP not included: the packets of a live capture or listener are not kept (capture with -O to have them)`);
});

test('an input file gone since loading: SIP frames unreadable, RTP not included, and both said', async (t) => {
  const file = path.join(tmp, 'gone.pcap');
  fs.writeFileSync(file, pcapOf(twoCalls));
  const run = await runEngine([file]);
  const one = run.engine.store.dialog('one@t')!;
  fs.rmSync(file);
  run.bytes.close();
  const r = saveDialogsPcapWithRtp(run.engine.store, run.bytes, [one], path.join(tmp, 'gone-out.pcap'));
  t.is(r.unreadable, 3);
  t.deepEqual(r.rtp, { packets: 0, problems: [`cannot read ${file} (ENOENT)`] });
});
