/**
 * RTP in live capture: sipscope -d lo -N --json while two SIPp instances place the
 * captures/rtp "one-way" call (the caller plays G.711 A-law from Debian's sip-tester, the
 * callee sends nothing). Needs root, cap, sipp with pcap play and its g711a.pcap; skipped
 * otherwise.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSipscope } from './helpers/pty';
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

liveTest('full-screen live capture with -O: the save window writes the call with its RTP, found in the -O file', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-rtp-live-save-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'all.pcap');
  const saved = path.join(dir, 'call-with-rtp.pcap');
  const [uac, uas, uacMedia, uasMedia] = await freePorts(4);
  const filter = `udp and (port ${uac} or port ${uas} or port ${uacMedia} or port ${uasMedia})`;
  const s = spawnSipscope(['-d', 'lo', '-O', out, ...filter.split(' ')], { cols: 160, rows: 30 });
  t.teardown(() => s.kill());
  await s.waitFor((l) => l.join('\n').includes('Mode: Online'), 'the Online header', 20_000);

  const common = ['-i', '127.0.0.1', '-m', '1', '-nostdin', '-default_behaviors', 'all,-bye', '-t', 'u1'];
  const callee = start('sipp', ['-sf', scenario('uas'), '-p', String(uas), '-mp', String(uasMedia), ...common]);
  t.teardown(() => callee.child.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 300));
  const caller = start('sipp', [`127.0.0.1:${uas}`, '-sf', scenario('uac'), '-p', String(uac), '-mp', String(uacMedia), ...common]);
  t.is(await ended(caller, 30000), 0, caller.err().slice(-500));
  t.is(await ended(callee, 5000), 0, callee.err().slice(-500));
  await s.waitFor((l) => l.join('\n').includes('COMPLETED'), 'the completed call', 10_000);

  s.send('\x1bOQ'); // F2
  await s.waitFor((l) => l.join('\n').includes('( ) pcap+rtp'), 'the save window');
  s.send('\x15'); // Ctrl+U clears the path
  s.send(saved);
  s.send('\t');
  s.send(' ');
  s.send(' ');
  await s.waitFor((l) => l.join('\n').includes('(*) pcap+rtp'), 'pcap+rtp chosen');
  s.send('\r');
  const done = (await s.waitFor((l) => /Saved 1 dialog \(\d+ packets: \d+ RTP\/RTCP\)/.test(l.join('\n')), 'the confirmation', 10_000)).join('\n');
  const rtpCount = Number(/Saved 1 dialog \(\d+ packets: (\d+) RTP\/RTCP\)/.exec(done)?.[1]);
  s.send('\x1b');
  // Esc and q in one read would be Alt+q: let the window close first.
  await s.waitFor((l) => !l.join('\n').includes('pcap+rtp'), 'the save window closed');
  s.send('q');
  t.is(await s.exited(10_000), 0);

  // The saved file is the call: its SIP messages and the caller's whole RTP stream.
  const back = sipscope(['-N', '--json', '-I', saved]);
  t.is(await ended(back, 20000), 0, back.err());
  const record = JSON.parse(back.out().trim().split('\n')[0]!) as Record<string, unknown>;
  t.is(record.state, 'COMPLETED');
  const streams = record.rtp as Record<string, unknown>[];
  t.is(streams.length, 1);
  t.is(streams[0]!.packets, rtpCount);
  t.true(rtpCount >= 95 && rtpCount <= 105, String(rtpCount));
});
