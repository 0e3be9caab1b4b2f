/**
 * RTP in the headless output, through the real launcher: the `rtp` array and `rtcpPackets`
 * of every -N --json record, the summary's counts, the table's RTP column, and --findings
 * (each record's findings, the Findings column; fed from stdin too, whose spool copy is
 * gone by the time the records are printed).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ownCaptures, sharedCaptures, sipscopeBin } from './helpers/paths';

function sipscope(args: string[], input?: Buffer): { status: number | null; stdout: string } {
  const r = spawnSync(process.execPath, [sipscopeBin, ...args], { input, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  return { status: r.status, stdout: r.stdout };
}

const rec = (name: string): string => path.join(ownCaptures, 'rtp', `${name}.pcap`);

function lines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('-N --json: each stream of the two-way call with codec, counts, loss, jitter and times', (t) => {
  const r = sipscope(['-N', '--json', '-I', rec('two-way')]);
  t.is(r.status, 0);
  const [dialog, summary] = lines(r.stdout);
  const rtp = dialog!.rtp as Record<string, unknown>[];
  t.is(rtp.length, 2);
  t.deepEqual(
    rtp.map((s) => [s.src, s.dst, s.ssrc, s.payloadType, s.codec, s.clockRate, s.packets, s.expected, s.lost, s.lossPercent, s.sequenceErrors]),
    [
      ['127.0.0.1:16200', '127.0.0.1:16210', '0xDEE0EE8F', 8, 'PCMA', 8000, 101, 101, 0, 0, 0],
      ['127.0.0.1:16210', '127.0.0.1:16200', '0xDEE0EE8F', 8, 'PCMA', 8000, 101, 101, 0, 0, 0],
    ],
  );
  for (const s of rtp) {
    // 101 packets 30 ms apart; loopback jitter well under a millisecond.
    t.true(Math.abs((s.duration as number) - 3.0) < 0.01, String(s.duration));
    t.true((s.maxJitterMs as number) > 0 && (s.maxJitterMs as number) < 1, String(s.maxJitterMs));
    t.true((s.meanJitterMs as number) <= (s.maxJitterMs as number));
    t.regex(s.start as string, /^2026-11-23T14:47:\d\d\.\d{6}Z$/);
  }
  t.is(dialog!.rtcpPackets, 0);
  t.is(dialog!.findings, undefined, 'findings only with --findings');
  t.deepEqual((summary!.summary as Record<string, unknown>).rtp, { rtpPackets: 202, rtcpPackets: 0, streams: 2 });
});

test('a dialog without SDP media has an empty rtp array; RTCP on a media port is counted (sngrep aaa.pcap)', (t) => {
  const r = sipscope(['-N', '--json', '-I', path.join(sharedCaptures, 'sngrep', 'aaa.pcap')]);
  const records = lines(r.stdout).slice(0, -1);
  t.is(records.length, 6);
  const withRtp = records.filter((d) => (d.rtp as unknown[]).length > 0);
  t.deepEqual(withRtp.map((d) => [d.callId, (d.rtp as Record<string, unknown>[])[0]!.packets, d.rtcpPackets]), [['11894297-4432a9f8@192.168.1.2', 9, 1]]);
  t.true(records.filter((d) => d !== withRtp[0]).every((d) => (d.rtp as unknown[]).length === 0 && d.rtcpPackets === 0));
});

test('--findings: one-way audio and no-rtp in the records, also when the capture comes on stdin', (t) => {
  const byFile = lines(sipscope(['-N', '--json', '--findings', '-I', rec('one-way'), '-I', rec('dead-port'), '-I', rec('two-way')]).stdout).slice(0, -1);
  t.deepEqual(
    byFile.map((d) => (d.findings as { label: string; severity: string }[]).map((f) => `${f.label}/${f.severity}`)),
    [[], ['one-way-audio/error'], ['no-rtp/error']],
    'records in capture order: two-way, one-way, dead-port',
  );
  const stdin = lines(sipscope(['-N', '--json', '--findings', '-I', '-'], fs.readFileSync(rec('one-way'))).stdout);
  const f = (stdin[0]!.findings as { label: string; text: string }[])[0]!;
  t.is(f.label, 'one-way-audio');
  t.regex(f.text, /^one-way audio: RTP only from the caller \(127\.0\.0\.1:16210 -> 127\.0\.0\.1:16200, 101 packets/);
});

test('the readable table: RTP column, and the Findings column with --findings', (t) => {
  const plain = sipscope(['-N', '-I', rec('one-way')]).stdout.split('\n');
  t.regex(plain[0]!, / RTP {17}Reason/);
  t.true(plain[2]!.includes(' 101 pkts 0.0% lost '));
  t.regex(plain[3]!, /, 101 RTP packets in 1 streams$/);
  const withFindings = sipscope(['-N', '--findings', '-I', rec('one-way')]).stdout.split('\n');
  t.regex(withFindings[0]!, /Findings$/);
  t.regex(withFindings[2]!, / one-way-audio$/);
});
