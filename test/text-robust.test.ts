/**
 * Text captures that are damaged or unusual: a garbled block (reported with its line, the
 * rest still read), a message cut by the end of the file, a log whose CRs were lost, a
 * 100 KB message, gzip and standard input, and text that is no capture at all.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ownCaptures, repoRoot, sipscopeBin } from './helpers/paths';
import { runEngine, type EngineRun } from './helpers/run-engine';
import { request, response } from './helpers/sip-text';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'text');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-text-robust-'));
const demo = runEngine([path.join(ownCaptures, 'demo-udp.pcap')]);

function write(name: string, content: string | Buffer): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, typeof content === 'string' ? Buffer.from(content, 'latin1') : content);
  return f;
}

function sipscope(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [sipscopeBin, ...args], { input, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function summary(run: EngineRun): [string, number, string | null][] {
  return [...run.engine.store.dialogList()].map((d) => [d.callId, d.msgs.length, d.isInvite ? d.state : null]);
}

test('a garbled block is reported with its line numbers and skipped; every other message is read', async (t) => {
  const lines = fs.readFileSync(path.join(fixtures, 'asterisk-pjsip.log'), 'latin1').split('\n');
  // Garble the start line of the first "SIP/2.0 486 Busy Here".
  const at = lines.findIndex((l) => l.startsWith('SIP/2.0 486'));
  lines[at] = 'SIP/2.\x01 4#6 Bu\x7fy H3re';
  const got = await runEngine([write('garbled.log', lines.join('\n'))]);
  const report = got.reports[0];
  t.is(report?.textBlocksUnparsed, 1);
  const issue = report?.issues.find((i) => /block skipped/.test(i.message));
  t.truthy(issue);
  t.regex(issue?.message ?? '', new RegExp(`^lines ${at}-\\d+: line ${at + 1} is no SIP request or status line`));
  const want = summary(await demo).map(([id, n, s]) => (/busy/.test(id) ? [id, n - 1, s] : [id, n, s]));
  // Without its 486 the busy call is still in call setup.
  t.deepEqual(
    summary(got).map(([id, n]) => [id, n]),
    want.map(([id, n]) => [id, n]),
  );
  const r = sipscope(['-N', '-q', '-I', path.join(dir, 'garbled.log')]);
  t.is(r.status, 0);
  t.regex(r.stderr, /garbled\.log: lines \d+-\d+: line \d+ is no SIP request or status line: "SIP\/2\.\. 4#6 Bu\.y H3re"; block skipped/);
});

test('the last message cut by the end of the file is kept as far as it goes, with a warning', async (t) => {
  const text = fs.readFileSync(path.join(fixtures, 'sipscope-export.txt'), 'latin1');
  const lastInvite = text.lastIndexOf('INVITE sip:');
  const got = await runEngine([write('cut.txt', text.slice(0, lastInvite + 300))]);
  const report = got.reports[0];
  t.is(report?.error, undefined);
  t.is(report?.textBlocksUnparsed, 0);
  t.true(report?.issues.some((i) => /cut by the end of the input/.test(i.message)));
  const want = await demo;
  t.is(got.engine.store.dialogCount + got.engine.store.counters.malformed, want.engine.store.dialogCount);
  for (const [id, n] of summary(got).slice(0, 4)) t.is(n as number | undefined, summary(want).find(([w]) => w === id)?.[1]);
});

test('a log whose CRs were all lost (LF only) reads as the original, byte for byte', async (t) => {
  for (const name of ['sipscope-export.txt', 'kamailio-style.log']) {
    const lf = fs.readFileSync(path.join(fixtures, name), 'latin1').replace(/\r\n/g, '\n');
    const got = await runEngine([write(`lf-${name}`, lf)]);
    t.is(got.reports[0]?.textBlocksUnparsed, 0);
    // The Kamailio-style log has syslog lines after some messages: said, and ignored.
    t.deepEqual(got.reports[0]?.issues.map((i) => i.message).filter((m) => !/1 line after the message's \d+-byte body ignored/.test(m)), []);
    t.deepEqual(summary(got), summary(await demo), name);
    t.deepEqual(got.texts(), (await demo).texts(), name);
  }
});

test('a message with a 100 KB body: read whole over TCP, and over UDP (as TCP, with a warning)', async (t) => {
  const a = { user: 'alice', host: '10.0.0.1', port: 5060 };
  const b = { user: 'bob', host: '10.0.0.2', port: 5060 };
  const line = 'a=x-filler:' + 'abcdefghij'.repeat(9) + '\r\n';
  const body = 'v=0\r\n' + line.repeat(Math.ceil(100_000 / line.length));
  const msg = request({ callId: 'huge@test', from: a, to: b, cseq: 1, method: 'MESSAGE', body });
  const ok = response({ callId: 'huge@test', from: a, to: b, cseq: 1, method: 'MESSAGE', toTag: 't' }, 200, 'OK');
  for (const transport of ['TCP', 'UDP']) {
    const text =
      `2026/11/23 12:00:00.000001 10.0.0.1:5060 -> 10.0.0.2:5060 (${transport})\n${msg}\n` +
      `2026/11/23 12:00:00.200000 10.0.0.2:5060 -> 10.0.0.1:5060 (${transport})\n${ok}\n`;
    const got = await runEngine([write(`huge-${transport}.txt`, text)]);
    t.deepEqual(got.texts(), [msg, ok], transport);
    t.is(got.reports[0]?.textBlocksUnparsed, 0);
    if (transport === 'UDP') t.true(got.reports[0]?.issues.some((i) => /cannot be one UDP datagram/.test(i.message)));
    // The same with the CRs lost.
    const lossy = await runEngine([write(`huge-lf-${transport}.txt`, text.replace(/\r\n/g, '\n'))]);
    t.deepEqual(lossy.texts(), [msg, ok], `${transport}, LF only`);
  }
});

test('gzip-compressed text and text on standard input are read like a text file', (t) => {
  const plain = fs.readFileSync(path.join(fixtures, 'tcpdump-A-tttt-names.txt'));
  const gz = write('tcpdump.txt.gz', zlib.gzipSync(plain));
  const want = sipscope(['-N', '-q', '--json', '-I', path.join(ownCaptures, 'demo-udp.pcap')]);
  const dialogs = (s: string): string[] => s.trim().split('\n').filter((l) => !l.startsWith('{"summary"'));
  const fromGz = sipscope(['-N', '-q', '--json', '-I', gz]);
  t.is(fromGz.status, 0, fromGz.stderr);
  t.deepEqual(dialogs(fromGz.stdout), dialogs(want.stdout));
  const fromStdin = sipscope(['-N', '-q', '--json', '-I', '-'], plain);
  t.is(fromStdin.status, 0, fromStdin.stderr);
  t.deepEqual(dialogs(fromStdin.stdout), dialogs(want.stdout));
  const s = JSON.parse(fromStdin.stdout.trim().split('\n').pop() ?? '{}') as { summary: { inputs: { format: string }[] } };
  t.is(s.summary.inputs[0]?.format, 'text');
});

test('text that is no capture: exit 2 and a "not a capture" error naming the file; binary garbage too', (t) => {
  let seed = 99;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const words = ['the', 'SIP', 'INVITE', '12:00', '->', 'Via:', 'bytes', 'from', '---', 'recv', '0x0000:', '127.0.0.1'];
  const prose = Array.from({ length: 2000 }, () => words[rnd() % words.length]).join(' ').replace(/(?:\S+ ){9}/g, (m) => m + '\n');
  const f = write('notes.txt', prose);
  const r = sipscope(['-N', '-q', '-I', f]);
  t.is(r.status, 2);
  t.regex(r.stderr, /notes\.txt: not a capture: not a pcap or pcapng capture, and no SIP text capture header/);
  const bin = write('noise.bin', Buffer.from(Array.from({ length: 5000 }, () => rnd() % 256)));
  const rb = sipscope(['-N', '-q', '-I', bin]);
  t.is(rb.status, 2);
  t.regex(rb.stderr, /noise\.bin: not a pcap or pcapng capture/);
  const empty = sipscope(['-N', '-q', '-I', write('empty.txt', '')]);
  t.is(empty.status, 2);
  t.regex(empty.stderr, /empty\.txt/);
});
