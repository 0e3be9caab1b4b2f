/**
 * RTP streams of third-party captures against tshark (a second implementation of RFC 3550
 * statistics): per stream (source, destination, SSRC) the same packets, lost packets, and
 * mean and maximum jitter to the 0.001 ms tshark prints.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { runEngine } from './helpers/run-engine';
import { ownCaptures, sharedCaptures } from './helpers/paths';
import type { RtpStream } from '../src/rtp/rtp-stream';

interface TsharkStream {
  key: string;
  packets: number;
  lost: number;
  meanJitter: string;
  maxJitter: string;
}

function tsharkStreams(file: string): TsharkStream[] {
  const out = execFileSync('tshark', ['-r', file, '-o', 'rtp.heuristic_rtp:TRUE', '-q', '-z', 'rtp,streams'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const rows: TsharkStream[] = [];
  for (const line of out.split('\n')) {
    // start end src sport dst dport ssrc payload pkts lost (pct) minΔ meanΔ maxΔ minJ meanJ maxJ [X]
    const f = line.trim().split(/\s+/);
    if (f.length < 17 || !/^0x[0-9A-F]+$/i.test(f[6] ?? '')) continue;
    rows.push({
      key: `${f[2]} ${f[3]} ${f[4]} ${f[5]} ${Number(f[6]).toString(16)}`,
      packets: Number(f[8]),
      lost: Number(f[9]),
      meanJitter: f[15]!,
      maxJitter: f[16]!,
    });
  }
  return rows;
}

function ours(s: RtpStream): TsharkStream {
  return {
    key: `${s.srcIp} ${s.srcPort} ${s.dstIp} ${s.dstPort} ${s.ssrc.toString(16)}`,
    packets: s.packets,
    lost: s.lost,
    meanJitter: s.meanJitterMs.toFixed(3),
    maxJitter: s.maxJitterMs.toFixed(3),
  };
}

const CASES: { file: string; streams: number; packets: number }[] = [
  { file: path.join(sharedCaptures, 'pkts/sip_rtp.pcap'), streams: 1, packets: 501 },
  { file: path.join(sharedCaptures, 'sngrep/aaa.pcap'), streams: 1, packets: 9 },
  // VoLTE over GTP-U, IPv6 inside IPv4; the capture has long holes (97% "lost" in both).
  { file: path.join(sharedCaptures, 'arkime/gtp-iphone.pcap'), streams: 2, packets: 27 },
  // The project's SIPp recordings (captures/rtp/record.sh).
  { file: path.join(ownCaptures, 'rtp/two-way.pcap'), streams: 2, packets: 202 },
  { file: path.join(ownCaptures, 'rtp/one-way.pcap'), streams: 1, packets: 101 },
  { file: path.join(ownCaptures, 'rtp/dead-port.pcap'), streams: 2, packets: 202 },
];

for (const c of CASES) {
  test(`${path.basename(path.dirname(c.file))}/${path.basename(c.file)}: every RTP stream tied to its dialog, counts and jitter as tshark`, async (t) => {
    const file = c.file;
    const run = await runEngine([file]);
    const streams = [...run.engine.store.dialogList()].flatMap((d) => d.media?.streams ?? []);
    t.is(streams.length, c.streams);
    t.is(run.engine.store.rtp.rtpPackets, c.packets);
    const theirs = new Map(tsharkStreams(file).map((s) => [s.key, s]));
    t.is(theirs.size, c.streams, 'tshark sees the same number of streams');
    for (const s of streams) {
      const mine = ours(s);
      t.deepEqual(mine, theirs.get(mine.key), mine.key);
    }
  });
}

test('RTP without any SDP in the capture (pcaptoparquet OTT voice) is not tied to anything', async (t) => {
  const run = await runEngine([path.join(sharedCaptures, 'pcaptoparquet', '01_udp_voice_ott.pcap')]);
  t.is(run.engine.store.rtp.rtpPackets, 0);
  t.true(run.engine.counters.notSip > 2400, 'its UDP stays counted as not SIP');
  t.true([...run.engine.store.dialogList()].every((d) => d.media === undefined));
});
