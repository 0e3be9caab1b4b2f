/**
 * Live capture together with the network sources and sinks, and the telephony tools on live
 * traffic: `-d` with `-L` (one run shows both), `-d` with `-H` (captured SIP forwarded to a
 * HEP collector), `--filter` and `--diagnose` on what was captured. Real SIPp traffic on lo.
 */
import test from 'ava';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ownCaptures } from './helpers/paths';
import { ended, freePorts, hasCommand, liveSkipReason, parseJsonLines, sipscope, sippCalls, start, waitFor, type Proc } from './live-helpers';

const skip = liveSkipReason() ?? (hasCommand('sipp') ? undefined : 'sipp is needed');
const liveTest = skip === undefined ? test.serial : test.skip;
if (skip !== undefined) test('combined live tests skipped', (t) => t.log(skip));

const demoUdp = path.join(ownCaptures, 'demo-udp.pcap');

function tmpdir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-comb-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function running(t: { teardown(fn: () => void): void }, args: string[], ready: RegExp): Promise<Proc> {
  const p = sipscope(args);
  t.teardown(() => p.child.kill('SIGKILL'));
  await waitFor(() => ready.test(p.err()) || p.child.exitCode !== null, 15000, `sipscope ${args.join(' ')} to start`);
  if (!ready.test(p.err())) throw new Error(`sipscope did not start: ${p.err()}`);
  return p;
}

async function stop(p: Proc): Promise<ReturnType<typeof parseJsonLines>> {
  p.child.kill('SIGINT');
  const code = await ended(p, 15000);
  if (code !== 0) throw new Error(`sipscope ended with ${code}: ${p.err()}`);
  return parseJsonLines(p.out());
}

async function fileDialogs(file: string): Promise<string[]> {
  const r = sipscope(['-N', '--json', '-I', file]);
  await ended(r, 30000);
  return parseJsonLines(r.out()).dialogs.map((d) => String(d.callId)).sort();
}

liveTest('-d lo with -L: live calls and HEP-fed calls in one run, --filter narrows, -O keeps both', async (t) => {
  const dir = tmpdir(t);
  const [uacPort, uasPort, hepPort] = await freePorts(3);
  const out = path.join(dir, 'both.pcap');
  const calls = 3;
  const p = await running(
    t,
    ['-d', 'lo', '-L', `udp:127.0.0.1:${hepPort}`, '-N', '--json', '-O', out, '--filter', `port ${uacPort}`, ...`udp and (port ${uacPort} or port ${uasPort})`.split(' ')],
    /listening for packets on lo, HEP on/,
  );
  const sender = sipscope(['-I', demoUdp, '-N', '-q', '-H', `udp:127.0.0.1:${hepPort}`]);
  t.is(await ended(sender, 30000), 0, sender.err());
  await sippCalls(uacPort!, uasPort!, calls, 10);
  await new Promise((r) => setTimeout(r, 1200));
  const { dialogs, summary } = await stop(p);

  const demo = await fileDialogs(demoUdp);
  // --filter shows the SIPp calls only; the summary counts everything that came in.
  t.is(dialogs.length, calls);
  t.true(dialogs.every((d) => String(d.src).endsWith(`:${uacPort}`) && d.state === 'COMPLETED'), JSON.stringify(dialogs));
  t.is(summary?.dialogs, calls + demo.length);
  t.is(summary?.dialogsDisplayed, calls);
  const live = summary?.live as { devices: string[]; kernelDrops: number | null } | undefined;
  t.deepEqual(live?.devices, ['lo']);
  const hep = (summary?.hepListeners as { sip: number }[])[0];
  t.true((hep?.sip ?? 0) > 0);
  // -O holds the captured packets and the HEP-delivered messages.
  const saved = await fileDialogs(out);
  t.is(saved.length, calls + demo.length);
  t.true(demo.every((id) => saved.includes(id)));
});

liveTest('-d lo with -H: captured SIP goes to a HEP collector as it happens', async (t) => {
  const [uacPort, uasPort, hepPort] = await freePorts(3);
  const calls = 4;
  const collector = await running(t, ['-L', `udp:127.0.0.1:${hepPort}`, '-N', '--json'], /listening for HEP/);
  const capture = await running(
    t,
    ['-d', 'lo', '-H', `udp:127.0.0.1:${hepPort}`, '-N', '--json', ...`udp and (port ${uacPort} or port ${uasPort})`.split(' ')],
    /listening for packets on lo/,
  );
  await sippCalls(uacPort!, uasPort!, calls, 10);
  await new Promise((r) => setTimeout(r, 1200));
  const captured = await stop(capture);
  await new Promise((r) => setTimeout(r, 300));
  const collected = await stop(collector);
  const ids = (ds: { callId?: unknown }[]): string[] => ds.map((d) => String(d.callId)).sort();
  t.is(captured.dialogs.length, calls);
  t.deepEqual(ids(collected.dialogs), ids(captured.dialogs));
  t.deepEqual(
    collected.dialogs.map((d) => [d.state, d.messages]),
    captured.dialogs.map((d) => [d.state, d.messages]),
  );
  const sent = (captured.summary?.hepSenders as { sent: number; messages: number }[])[0];
  t.is(sent?.sent, calls * 6);
});

liveTest('-d lo --diagnose: an INVITE nobody answers is reported with where it went', async (t) => {
  const [uacPort, deadPort] = await freePorts(2);
  // A port that takes datagrams and never answers: a firewall dropping them, seen from the caller.
  const sink = dgram.createSocket('udp4');
  await new Promise<void>((r) => sink.bind(deadPort, '127.0.0.1', () => r()));
  t.teardown(() => sink.close());
  const p = await running(
    t,
    ['-d', 'lo', '-N', '--diagnose', '--json', ...`udp and (port ${uacPort} or port ${deadPort})`.split(' ')],
    /capturing on lo/,
  );
  const uac = start('sipp', ['-sn', 'uac', `127.0.0.1:${deadPort}`, '-i', '127.0.0.1', '-p', String(uacPort), '-m', '1', '-nostdin']);
  t.teardown(() => uac.child.kill('SIGKILL'));
  // T1 = 500 ms: the INVITE and two retransmissions are out after 1.5 s.
  await new Promise((r) => setTimeout(r, 2500));
  uac.child.kill('SIGKILL');
  p.child.kill('SIGINT');
  t.is(await ended(p, 15000), 0, p.err());
  const lines = p
    .out()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const finding = lines.find((l) => l.type === 'finding' && l.label === 'no-response');
  t.truthy(finding, p.out());
  t.is(finding?.dialogs, 1);
  const dialog = lines.find((l) => l.type === 'dialog') as { findings: { label: string; text: string }[]; method: string } | undefined;
  t.is(dialog?.method, 'INVITE');
  const text = dialog?.findings.find((f) => f.label === 'no-response')?.text ?? '';
  t.regex(text, new RegExp(`INVITE to 127\\.0\\.0\\.1:${deadPort} sent \\d+ times`));
});

test.serial('-L --findings --json: each collected dialog carries its findings, as for files', async (t) => {
  const [hepPort] = await freePorts(1);
  const unanswered = path.join(ownCaptures, 'diagnosis', 'unanswered.pcap');
  const collector = await running(t, ['-L', `udp:127.0.0.1:${hepPort}`, '-N', '--json', '--findings'], /listening for HEP/);
  const sender = sipscope(['-I', unanswered, '-N', '-q', '-H', `udp:127.0.0.1:${hepPort}`]);
  t.is(await ended(sender, 20000), 0, sender.err());
  await new Promise((r) => setTimeout(r, 500));
  const { dialogs } = await stop(collector);
  t.is(dialogs.length, 1);
  const findings = (dialogs[0] as { findings?: { label: string; text: string }[] }).findings ?? [];
  t.deepEqual(
    findings.map((f) => f.label),
    ['no-response'],
  );
  t.regex(findings[0]?.text ?? '', /INVITE to 127\.0\.0\.1:5180 sent 6 times/);
});
