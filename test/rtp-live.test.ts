/**
 * RTP in live capture: sipscope -d lo -N --json while two SIPp instances place the
 * captures/rtp "one-way" call (the caller plays G.711 A-law from Debian's sip-tester, the
 * callee sends nothing). Needs root, cap, sipp with pcap play and its g711a.pcap; skipped
 * otherwise.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ended, freePorts, hasCommand, liveSkipReason, sipscope, start, waitFor } from './live-helpers';
import { ownCaptures } from './helpers/paths';

const AUDIO = '/usr/share/sip-tester/g711a.pcap';
const skip = liveSkipReason() ?? (hasCommand('sipp') && fs.existsSync(AUDIO) ? undefined : `sipp and ${AUDIO} are needed`);
const liveTest = skip === undefined ? test : test.skip;
if (skip !== undefined) test('live RTP test skipped', (t) => t.log(skip));

const scenario = (side: string): string => path.join(ownCaptures, 'rtp', 'scenarios', `one-way-${side}.xml`);

liveTest('-d lo: the caller\'s RTP is one stream of the call (about 100 packets, none lost) in the -N --json record', async (t) => {
  const [uac, uas, uacMedia, uasMedia] = await freePorts(4);
  const filter = `udp and (port ${uac} or port ${uas} or port ${uacMedia} or port ${uasMedia})`;
  const live = sipscope(['-d', 'lo', '-N', '--json', ...filter.split(' ')]);
  t.teardown(() => live.child.kill('SIGKILL'));
  await waitFor(() => live.err().includes('capturing on') || live.child.exitCode !== null, 15000, 'sipscope to capture');

  const common = ['-i', '127.0.0.1', '-m', '1', '-nostdin', '-default_behaviors', 'all,-bye', '-t', 'u1'];
  const callee = start('sipp', ['-sf', scenario('uas'), '-p', String(uas), '-mp', String(uasMedia), ...common]);
  t.teardown(() => callee.child.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 300)); // the callee listens before the INVITE
  const caller = start('sipp', [`127.0.0.1:${uas}`, '-sf', scenario('uac'), '-p', String(uac), '-mp', String(uacMedia), ...common]);
  t.is(await ended(caller, 30000), 0, caller.err().slice(-500));
  t.is(await ended(callee, 5000), 0, callee.err().slice(-500));

  await new Promise((r) => setTimeout(r, 700)); // the last packets reach the capture
  live.child.kill('SIGINT');
  t.is(await ended(live, 10000), 0, live.err());
  const lines = live.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const dialog = lines[0]!;
  t.is(dialog.state, 'COMPLETED');
  const rtp = dialog.rtp as Record<string, unknown>[];
  t.deepEqual(
    rtp.map((s) => [s.src, s.dst, s.codec, s.lost]),
    [[`127.0.0.1:${uacMedia}`, `127.0.0.1:${uasMedia}`, 'PCMA', 0]],
  );
  // SIPp plays 30 ms packets until the BYE 3 s after the ACK: about 100.
  const packets = rtp[0]!.packets as number;
  t.true(packets >= 95 && packets <= 105, String(packets));
  t.deepEqual((lines[lines.length - 1]!.summary as Record<string, unknown>).rtp, { rtpPackets: packets, rtcpPackets: 0, streams: 1 });
});
