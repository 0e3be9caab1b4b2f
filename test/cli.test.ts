/**
 * The headless command line as scripts use it: the real launcher, real files, exit codes,
 * stdout JSON and stderr messages.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ownCaptures, sipscopeBin } from './helpers/paths';
import { pcapFile } from './helpers/capture-files';
import { udpFrame } from './helpers/packets';
import { request } from './helpers/sip-text';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function sipscope(args: string[], input?: Buffer): Run {
  const r = spawnSync(process.execPath, [sipscopeBin, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' },
    maxBuffer: 64 << 20,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface JsonDialog {
  callId: string;
  state: string | null;
  method: string;
  fromUser: string;
  fromName: string;
  toUser: string;
  toName: string;
  messages: number;
  retransmissions: number;
  finalStatus: number | null;
  reason: string;
  src: string;
  dst: string;
  transport: string;
}

interface Summary {
  frames: number;
  sipMessages: number;
  dialogs: number;
  dialogsDisplayed: number;
  dropped: Record<string, number>;
  inputs: { file: string; error: string | null; issues: string[] }[];
}

function parseJson(stdout: string): { dialogs: JsonDialog[]; summary: Summary } {
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const last = lines.pop() as { summary: Summary };
  return { dialogs: lines as unknown as JsonDialog[], summary: last.summary };
}

interface Expected {
  files: Record<string, { totals: { sipMessages: number; dialogs: number; frames: number; retransmissions: number }; dialogs: (JsonDialog & { sequence: string[] })[] }>;
}
const expected = JSON.parse(fs.readFileSync(path.join(ownCaptures, 'expected.json'), 'utf8')) as Expected;
const demoUdp = path.join(ownCaptures, 'demo-udp.pcap');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-cli-'));

test('-N --json on the demo capture gives every dialog with the state, numbers and counts tshark and sngrep agree on', (t) => {
  const r = sipscope(['-N', '--json', '-I', demoUdp]);
  t.is(r.status, 0, r.stderr);
  const { dialogs, summary } = parseJson(r.stdout);
  const want = expected.files['demo-udp.pcap']!;
  t.is(summary.sipMessages, want.totals.sipMessages);
  t.is(summary.dialogs, want.totals.dialogs);
  t.is(summary.frames, want.totals.frames);
  t.is(dialogs.length, want.dialogs.length);
  for (const w of want.dialogs) {
    const got = dialogs.find((d) => d.callId === w.callId);
    t.truthy(got, w.callId);
    if (got === undefined) continue;
    t.is(got.fromUser, w.fromUser);
    t.is(got.fromName, w.fromName);
    t.is(got.toUser, w.toUser);
    t.is(got.method, w.method);
    t.is(got.state ?? '', w.state ?? '', w.callId);
    t.is(got.finalStatus, w.finalStatus, w.callId);
    t.is(got.messages, w.messages, w.callId);
    t.is(got.retransmissions, w.retransmissions, w.callId);
    t.is(got.transport, 'UDP');
  }
  const rejected = dialogs.find((d) => d.state === 'REJECTED');
  t.truthy(rejected?.reason, 'the rejection says why (Reason or Warning header)');
});

test('-N prints a readable table with a summary line', (t) => {
  const r = sipscope(['-N', '-I', demoUdp]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /Method\s+From\s+To/);
  t.regex(r.stdout, /INVITE\s+3544151500\s+3544151502/);
  t.regex(r.stdout, /COMPLETED/);
  t.regex(r.stdout, /BUSY/);
  t.regex(r.stdout, /6 dialogs \(6 displayed\), 30 SIP messages/);
});

test('-N -q prints nothing', (t) => {
  const r = sipscope(['-N', '-q', '-I', demoUdp]);
  t.is(r.status, 0);
  t.is(r.stdout, '');
  t.is(r.stderr, '');
});

test('a missing file: exit 2 and one line naming it', (t) => {
  const r = sipscope(['-N', '--json', '-I', '/nonexistent/calls.pcap']);
  t.is(r.status, 2);
  t.regex(r.stderr, /\/nonexistent\/calls\.pcap: no such file/);
});

test('a file that is not a capture: exit 2 naming the file', (t) => {
  const f = path.join(tmp, 'notes.txt');
  fs.writeFileSync(f, 'INVITE is not a pcap header\n');
  const r = sipscope(['-N', '--json', '-I', f]);
  t.is(r.status, 2);
  t.true(r.stderr.includes(f));
  t.regex(r.stderr, /not a pcap or pcapng/);
});

test('a capture cut mid-record keeps every dialog read before the cut, with a warning', (t) => {
  const whole = fs.readFileSync(demoUdp);
  const f = path.join(tmp, 'cut.pcap');
  fs.writeFileSync(f, whole.subarray(0, whole.length - 100));
  const r = sipscope(['-N', '--json', '-I', f]);
  t.is(r.status, 0, 'a truncated tail is usable input');
  t.regex(r.stderr, /truncat/i);
  const { summary } = parseJson(r.stdout);
  t.is(summary.frames, 29);
  t.is(summary.dialogs, 6);
});

test('an absurd record length: exit 2, the dialogs before it are printed', (t) => {
  const whole = Buffer.from(fs.readFileSync(demoUdp));
  // Corrupt the caplen of the 9th record: walk the records to find it.
  let off = 24;
  for (let i = 0; i < 8; i++) off += 16 + whole.readUInt32LE(off + 8);
  whole.writeUInt32LE(0x7fffffff, off + 8);
  const f = path.join(tmp, 'corrupt.pcap');
  fs.writeFileSync(f, whole);
  const r = sipscope(['-N', '--json', '-I', f]);
  t.is(r.status, 2);
  t.true(r.stderr.includes(f));
  t.regex(r.stderr, /offset \d+|corrupt/);
  const { dialogs, summary } = parseJson(r.stdout);
  t.is(summary.frames, 8);
  t.is(dialogs.find((d) => d.fromUser === '3544151500')?.messages, 7, 'the answered call read before the damage is complete');
});

test('gzip-compressed captures and standard input give the same dialogs', (t) => {
  const plain = parseJson(sipscope(['-N', '--json', '-I', demoUdp]).stdout);
  const gz = path.join(tmp, 'demo.pcap.gz');
  fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(demoUdp)));
  const viaGzip = parseJson(sipscope(['-N', '--json', '-I', gz]).stdout);
  const viaStdin = parseJson(sipscope(['-N', '--json', '-I', '-'], fs.readFileSync(demoUdp)).stdout);
  const viaStdinGz = parseJson(sipscope(['-N', '--json', '-I', '-'], fs.readFileSync(gz)).stdout);
  t.deepEqual(viaGzip.dialogs, plain.dialogs);
  t.deepEqual(viaStdin.dialogs, plain.dialogs);
  t.deepEqual(viaStdinGz.dialogs, plain.dialogs);
});

test('several -I files are merged in time order', (t) => {
  // Split the demo capture's records alternately into two files: merged, they are the original.
  const whole = fs.readFileSync(demoUdp);
  const header = whole.subarray(0, 24);
  const parts: Buffer[][] = [[header], [header]];
  let off = 24;
  for (let i = 0; off < whole.length; i++) {
    const len = 16 + whole.readUInt32LE(off + 8);
    parts[i % 2]!.push(whole.subarray(off, off + len));
    off += len;
  }
  const a = path.join(tmp, 'even.pcap');
  const b = path.join(tmp, 'odd.pcap');
  fs.writeFileSync(a, Buffer.concat(parts[0]!));
  fs.writeFileSync(b, Buffer.concat(parts[1]!));
  const merged = parseJson(sipscope(['-N', '--json', '-I', b, '-I', a]).stdout);
  const plain = parseJson(sipscope(['-N', '--json', '-I', demoUdp]).stdout);
  t.deepEqual(
    merged.dialogs.map((d) => [d.callId, d.state, d.messages, d.src, d.dst]),
    plain.dialogs.map((d) => [d.callId, d.state, d.messages, d.src, d.dst]),
  );
});

test('the match expression is tested against every message, not only the first', (t) => {
  // "Busy Here" appears only in the 486 response, the second message of its dialog.
  const r = parseJson(sipscope(['-N', '--json', '-I', demoUdp, 'Busy Here']).stdout);
  t.deepEqual(r.dialogs.map((d) => d.state), ['BUSY']);
  t.is(r.summary.dialogsDisplayed, 1);
  const inverted = parseJson(sipscope(['-N', '--json', '-v', '-I', demoUdp, 'Busy Here']).stdout);
  t.is(inverted.dialogs.length, 5);
  t.false(inverted.dialogs.some((d) => d.state === 'BUSY'));
  const caseless = parseJson(sipscope(['-N', '--json', '-i', '-I', demoUdp, 'busy here']).stdout);
  t.is(caseless.dialogs.length, 1);
  const cased = parseJson(sipscope(['-N', '--json', '-I', demoUdp, 'busy here']).stdout);
  t.is(cased.dialogs.length, 0);
});

test('-c keeps only INVITE dialogs; -l limits; -R rotates', (t) => {
  const calls = parseJson(sipscope(['-N', '--json', '-c', '-I', demoUdp]).stdout);
  t.is(calls.dialogs.length, 5);
  t.true(calls.dialogs.every((d) => d.method === 'INVITE'));
  t.is(calls.summary.dropped.notInvite, 4);
  const limited = parseJson(sipscope(['-N', '--json', '-l', '2', '-I', demoUdp]).stdout);
  t.deepEqual(limited.dialogs.map((d) => d.fromUser), ['3544151500', '3544151510']);
  t.is(limited.dialogs[0]!.messages, 7, 'kept dialogs keep all their messages');
  t.true(limited.summary.dropped.dialogLimit! > 0);
  const rotated = parseJson(sipscope(['-N', '--json', '-l', '2', '-R', '-I', demoUdp]).stdout);
  t.deepEqual(rotated.dialogs.map((d) => d.fromUser), ['3544151540', '3544151550']);
});

test('a BPF filter selects packets; one beyond the supported subset is refused clearly', (t) => {
  const all = parseJson(sipscope(['-N', '--json', '-I', demoUdp, 'udp', 'and', 'port', '5060']).stdout);
  t.is(all.summary.sipMessages, 30);
  const none = parseJson(sipscope(['-N', '--json', '-I', demoUdp, 'host', '10.9.9.9']).stdout);
  t.is(none.summary.sipMessages, 0);
  const withMatch = parseJson(sipscope(['-N', '--json', '-I', demoUdp, 'Forbidden', 'udp', 'port', '5060']).stdout);
  t.is(withMatch.dialogs.length, 1);
  const r = sipscope(['-N', '--json', '-I', demoUdp, 'udp[8:4]', '=', '0']);
  t.is(r.status, 2);
  t.regex(r.stderr, /beyond/);
});

test('an unknown link type is reported once with its number; the file is still read', (t) => {
  const frames = [1, 2, 3].map((i) => ({ sec: 1_763_900_000 + i, nsec: 0, data: Buffer.alloc(60, i) }));
  const f = path.join(tmp, 'linktype147.pcap');
  fs.writeFileSync(f, pcapFile({ linktype: 147, packets: frames }));
  const r = sipscope(['-N', '--json', '-I', f]);
  t.is(r.status, 0);
  t.is(r.stderr.match(/link type 147/g)?.length, 1);
  t.is(parseJson(r.stdout).summary.dropped.unknownLinkType, 3);
});

test('captured text cannot drive the terminal: control characters in headers are escaped in the table', (t) => {
  const evil = request({
    callId: 'evil@test',
    from: { user: 'mallory\x1b[2J', host: '192.0.2.66' },
    to: { user: 'bob', host: '192.0.2.20' },
    cseq: 1,
    method: 'INVITE',
  });
  const fr = udpFrame({ src: '192.0.2.66', dst: '192.0.2.20', sport: 5060, dport: 5060, payload: Buffer.from(evil) });
  const f = path.join(tmp, 'evil.pcap');
  fs.writeFileSync(f, pcapFile({ linktype: fr.linktype, packets: [{ sec: 1_763_900_000, nsec: 0, data: fr.data }] }));
  const r = sipscope(['-N', '-I', f]);
  t.false(r.stdout.includes('\x1b'));
  t.true(r.stdout.includes('\\x1b'));
});

test('bad arguments: exit 2 with the reason', (t) => {
  t.is(sipscope(['-l', 'many']).status, 2);
  t.regex(sipscope(['--frobnicate']).stderr, /unknown option --frobnicate/);
  t.regex(sipscope(['-N', '-I', demoUdp, '(unclosed']).stderr, /not a valid regular expression/);
});
