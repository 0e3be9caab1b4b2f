/**
 * Live capture on `lo` with real SIP traffic (SIPp), checked against tcpdump capturing the
 * same filter at the same time. Needs root, cap, sipp and tcpdump; skipped otherwise.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  countPackets,
  ended,
  freePorts,
  hasCommand,
  liveSkipReason,
  parseJsonLines,
  readPcap,
  sipscope,
  sippCalls,
  sortedPayloads,
  start,
  waitFor,
  type Proc,
} from './live-helpers';

const skip = liveSkipReason() ?? (hasCommand('sipp') && hasCommand('tcpdump') ? undefined : 'sipp and tcpdump are needed');
const liveTest = skip === undefined ? test : test.skip;
if (skip !== undefined) test('live capture tests skipped', (t) => t.log(skip));

/** SIPp's built-in uac/uas exchange six messages per call: INVITE 180 200 ACK BYE 200. */
const MESSAGES_PER_CALL = 6;

function tmpdir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-live-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts tcpdump on lo with `filter` writing `file` packet by packet; resolves once it listens. */
async function tcpdump(t: { teardown(fn: () => void): void }, file: string, filter: string): Promise<Proc> {
  const p = start('tcpdump', ['-i', 'lo', '-U', '-n', '-w', file, filter]);
  t.teardown(() => p.child.kill('SIGKILL'));
  await waitFor(() => p.err().includes('listening on'), 10000, 'tcpdump to listen');
  return p;
}

/**
 * Starts sipscope and resolves once it captures: its "capturing on" line, or with -q the
 * -O file's header (written once every device is open).
 */
async function liveSipscope(t: { teardown(fn: () => void): void }, args: string[], output?: string): Promise<Proc> {
  const p = sipscope(args);
  t.teardown(() => p.child.kill('SIGKILL'));
  const capturing = (): boolean =>
    p.err().includes('capturing on') || (output !== undefined && fs.existsSync(output) && fs.statSync(output).size >= 24);
  await waitFor(() => capturing() || p.child.exitCode !== null, 15000, 'sipscope to start capturing');
  if (!capturing()) throw new Error(`sipscope did not start: ${p.err()}`);
  return p;
}

liveTest('-d lo -N --json -O: every SIPp call is a COMPLETED dialog, -O holds what tcpdump saw, -I of it agrees', async (t) => {
  const dir = tmpdir(t);
  const [uacPort, uasPort] = await freePorts(2);
  const filter = `udp and (port ${uacPort} or port ${uasPort})`;
  const out = path.join(dir, 'x.pcap');
  const ref = path.join(dir, 'ref.pcap');
  const calls = 50;
  const expected = calls * MESSAGES_PER_CALL;

  const dump = await tcpdump(t, ref, filter);
  const live = await liveSipscope(t, ['-d', 'lo', '-N', '--json', '-O', out, ...filter.split(' ')]);

  await sippCalls(uacPort!, uasPort!, calls, 50);
  // -O is flushed at least twice a second; tcpdump -U writes each packet.
  await waitFor(() => countPackets(ref) >= expected && countPackets(out) >= countPackets(ref), 10000, '-O to hold every packet');
  live.child.kill('SIGINT');
  t.is(await ended(live, 10000), 0, live.err());
  dump.child.kill('SIGINT');
  await ended(dump, 5000);

  const { dialogs, summary } = parseJsonLines(live.out());
  t.is(dialogs.length, calls);
  t.true(dialogs.every((d) => d.state === 'COMPLETED' && d.method === 'INVITE' && d.messages === MESSAGES_PER_CALL), JSON.stringify(dialogs.find((d) => d.state !== 'COMPLETED')));
  const liveStats = summary?.live as { packetsReceived: number; devices: string[]; interfaceDrops: number | null } | undefined;
  t.deepEqual(liveStats?.devices, ['lo']);
  t.is(liveStats?.packetsReceived, expected);
  const outputFile = summary?.outputFile as { packets: number; notWritten: number } | undefined;
  t.is(outputFile?.packets, expected);
  t.is(outputFile?.notWritten, 0);

  const mine = readPcap(out);
  const theirs = readPcap(ref);
  t.is(mine.linktype, theirs.linktype);
  t.is(mine.frames.length, theirs.frames.length);
  t.is(theirs.frames.length, expected);
  t.deepEqual(sortedPayloads(mine.frames), sortedPayloads(theirs.frames));
  // Whole frames too: -O keeps every byte libpcap captured.
  t.deepEqual(mine.frames.map((f) => f.toString('hex')).sort(), theirs.frames.map((f) => f.toString('hex')).sort());

  // Reading the -O file gives the same dialogs. Times in the file are microseconds (as
  // tcpdump's), so durations may differ in the last digit.
  const again = sipscope(['-N', '--json', '-I', out]);
  t.is(await ended(again, 30000), 0, again.err());
  const fromFile = parseJsonLines(again.out()).dialogs;
  const strip = (d: Record<string, unknown>): Record<string, unknown> => ({ ...d, duration: undefined, talkTime: undefined });
  t.deepEqual(fromFile.map(strip), dialogs.map(strip));
  for (let i = 0; i < dialogs.length; i++) {
    t.true(Math.abs((fromFile[i]!.duration as number) - (dialogs[i]!.duration as number)) < 2e-6);
  }
});

liveTest('SIGUSR1 rotates -O: the moved-away file and the new one hold every packet between them', async (t) => {
  const dir = tmpdir(t);
  const [uacPort, uasPort] = await freePorts(2);
  const filter = `udp and (port ${uacPort} or port ${uasPort})`;
  const out = path.join(dir, 'rot.pcap');
  const moved = path.join(dir, 'rot-1.pcap');
  const ref = path.join(dir, 'ref.pcap');
  const calls = 20;

  const dump = await tcpdump(t, ref, filter);
  const live = await liveSipscope(t, ['-d', 'lo', '-N', '-q', '-O', out, ...filter.split(' ')], out);

  await sippCalls(uacPort!, uasPort!, calls, 50);
  const first = calls * MESSAGES_PER_CALL;
  await waitFor(() => countPackets(out) >= first, 10000, 'the first calls in -O');
  fs.renameSync(out, moved);
  live.child.kill('SIGUSR1');
  await waitFor(() => fs.existsSync(out), 5000, 'sipscope to reopen -O after SIGUSR1');

  await sippCalls(uacPort!, uasPort!, calls, 50);
  await waitFor(() => countPackets(ref) >= 2 * first && countPackets(out) >= first, 10000, 'the second calls in the new -O');
  live.child.kill('SIGINT');
  t.is(await ended(live, 10000), 0, live.err());
  dump.child.kill('SIGINT');
  await ended(dump, 5000);

  const a = readPcap(moved).frames;
  const b = readPcap(out).frames;
  const all = readPcap(ref).frames;
  t.is(a.length, first);
  t.is(b.length, first);
  t.deepEqual(sortedPayloads([...a, ...b]), sortedPayloads(all));
});

liveTest('SIGTERM also ends a live capture and prints the dialogs', async (t) => {
  const [uacPort, uasPort] = await freePorts(2);
  const filter = `udp and (port ${uacPort} or port ${uasPort})`;
  const live = await liveSipscope(t, ['-d', 'lo', '-N', '--json', ...filter.split(' ')]);
  await sippCalls(uacPort!, uasPort!, 5, 50);
  await waitFor(() => /Dialog count: 5 .*packets: 30\b/.test(live.err()), 10000, 'the progress line to count 5 dialogs');
  live.child.kill('SIGTERM');
  t.is(await ended(live, 10000), 0, live.err());
  const { dialogs, summary } = parseJsonLines(live.out());
  t.is(dialogs.length, 5);
  t.is((summary?.live as { packetsReceived: number }).packetsReceived, 30);
});
