/**
 * Every text format fixture (test/fixtures/text/, made from captures/demo-udp.pcap; see
 * make-logs.mjs there) read through the real input path gives the dialogs of the pcap
 * itself: Call-IDs, methods, states, parties, message counts, addresses, the message bytes,
 * and the times as far as the format prints them.
 */
import test from 'ava';
import * as path from 'node:path';
import { runEngine, type EngineRun } from './helpers/run-engine';
import { ownCaptures, repoRoot } from './helpers/paths';
import { dialogRecord, type DialogRecord } from '../src/view/dialog-report';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'text');
const demo = path.join(ownCaptures, 'demo-udp.pcap');

/** How much of the time a format keeps: the full date and time, the time of day only, or milliseconds. */
type TimeKept = 'full' | 'time-of-day' | 'full-ms';

interface Case {
  file: string;
  format: string;
  time: TimeKept;
}

const CASES: Case[] = [
  { file: 'tcpdump-A.txt', format: 'tcpdump', time: 'time-of-day' },
  { file: 'tcpdump-A-tttt-names.txt', format: 'tcpdump', time: 'full' },
  { file: 'tcpdump-vvv.txt', format: 'tcpdump', time: 'time-of-day' },
  { file: 'tcpdump-X.txt', format: 'tcpdump', time: 'time-of-day' },
  { file: 'tcpdump-XX-tttt.txt', format: 'tcpdump', time: 'full' },
  { file: 'sipscope-export.txt', format: 'generic', time: 'full' },
  { file: 'kamailio-style.log', format: 'generic', time: 'full' },
  { file: 'asterisk-pjsip.log', format: 'asterisk', time: 'full-ms' },
  { file: 'freeswitch-siptrace.log', format: 'freeswitch', time: 'time-of-day' },
];

function records(run: EngineRun): DialogRecord[] {
  return [...run.engine.store.dialogList()].map((d) => dialogRecord(run.engine.store, d));
}

/** Every message's time of every dialog, as [sec, nsec]. */
function times(run: EngineRun): [number, number][] {
  const s = run.engine.store;
  return [...s.dialogList()].flatMap((d) => d.msgs.map((m): [number, number] => [s.msgSec(m), s.msgNsec(m)]));
}

function keep(kept: TimeKept, [sec, nsec]: [number, number]): [number, number] {
  switch (kept) {
    case 'full':
      return [sec, nsec];
    case 'full-ms':
      return [sec, Math.floor(nsec / 1e6)];
    case 'time-of-day':
      return [sec % 86400, nsec];
  }
}

const pcapRun = runEngine([demo]);

for (const c of CASES) {
  test(`${c.file} gives the dialogs, messages and times of demo-udp.pcap`, async (t) => {
    const want = await pcapRun;
    const got = await runEngine([path.join(fixtures, c.file)]);
    const report = got.reports[0];
    t.is(report?.error, undefined);
    t.is(report?.format, 'text');
    t.is(report?.textFormat, c.format);
    t.is(report?.textBlocksUnparsed, 0);
    t.deepEqual(
      report?.issues.filter((i) => !/without a date/.test(i.message)).map((i) => i.message),
      [],
    );
    const fields = (r: DialogRecord): Partial<DialogRecord> => ({
      callId: r.callId,
      method: r.method,
      state: r.state,
      fromUser: r.fromUser,
      fromName: r.fromName,
      toUser: r.toUser,
      toName: r.toName,
      src: r.src,
      dst: r.dst,
      transport: r.transport,
      messages: r.messages,
      retransmissions: r.retransmissions,
      finalStatus: r.finalStatus,
      reason: r.reason,
    });
    t.deepEqual(records(got).map(fields), records(want).map(fields));
    t.deepEqual(got.texts(), want.texts(), 'message bytes');
    t.deepEqual(times(got).map((x) => keep(c.time, x)), times(want).map((x) => keep(c.time, x)));
    if (c.time === 'time-of-day') {
      t.true(report?.issues.some((i) => /dated 1970-01-01/.test(i.message)));
      t.true(records(got).every((r) => r.start.startsWith('1970-01-01T')));
    }
    t.is(got.engine.store.counters.malformed, 0);
  });
}

test('tcpdump text of TCP traffic: -X passes the captured segments on; -A rebuilds the streams', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const fs = await import('node:fs');
  const os = await import('node:os');
  const tcpPcap = path.join(ownCaptures, 'demo-tcp.pcap');
  const want = await runEngine([tcpPcap]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-text-'));
  for (const flags of [['-X', '-tttt'], ['-A', '-tttt']]) {
    const out = spawnSync('tcpdump', ['-r', tcpPcap, '-nn', ...flags], { encoding: 'latin1' });
    if (out.error !== undefined) return t.pass('tcpdump is not installed');
    const file = path.join(dir, `tcp${flags.join('')}.txt`);
    fs.writeFileSync(file, out.stdout, 'latin1');
    const got = await runEngine([file]);
    t.is(got.reports[0]?.textBlocksUnparsed, 0, flags.join(' '));
    t.deepEqual(
      records(got).map((r) => [r.callId, r.state, r.messages, r.transport, r.src, r.dst]),
      records(want).map((r) => [r.callId, r.state, r.messages, r.transport, r.src, r.dst]),
      flags.join(' '),
    );
    t.deepEqual(got.texts(), want.texts(), `${flags.join(' ')}: message bytes`);
  }
});
