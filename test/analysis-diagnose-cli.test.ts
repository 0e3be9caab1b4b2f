/**
 * --diagnose and --filter through the real program (bin/sipscope -N), on the project's
 * demo capture and a gzip-compressed copy of it (read back from a spool copy).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ownCaptures, sipscopeBin } from './helpers/paths';

function sipscope(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [sipscopeBin, ...args], { input, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const demo = path.join(ownCaptures, 'demo-udp.pcap');

test('--diagnose: findings grouped by label with counts, errors first, each dialog with its text', (t) => {
  const r = sipscope(['-N', '-I', demo, '--diagnose']);
  t.is(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  t.is(lines[0], '6 dialogs, 3 with findings');
  const headings = lines.filter((l) => /^[a-z-]+ \(/.test(l));
  t.deepEqual(headings, [
    'no-response (error): 1 dialog: request got no response',
    'forbidden (error): 1 dialog: 403 Forbidden: caller ID not allowed or caller barred',
    'busy (info): 1 dialog: callee busy',
  ]);
  t.regex(r.stdout, /#5 2026-11-23 12:39:56 INVITE 3544151540 -> 3544151542 CALL SETUP {2}sipscope-unanswered-udp-/);
  t.regex(r.stdout, /\n {6}INVITE to 127\.0\.0\.1:5060 sent 5 times over 7\.5 s, no response/);
});

test('--diagnose --json: one object per finding group, per problem dialog, then a summary', (t) => {
  const r = sipscope(['-N', '-I', demo, '--diagnose', '--json']);
  t.is(r.status, 0, r.stderr);
  const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.deepEqual(
    objs.filter((o) => o.type === 'finding').map((o) => [o.label, o.severity, o.dialogs, o.indexes]),
    [
      ['no-response', 'error', 1, [5]],
      ['forbidden', 'error', 1, [3]],
      ['busy', 'info', 1, [2]],
    ],
  );
  const dialogs = objs.filter((o) => o.type === 'dialog');
  t.deepEqual(dialogs.map((o) => o.index), [2, 3, 5]);
  const forbidden = dialogs[1]!;
  t.is(forbidden.state, 'REJECTED');
  t.is(forbidden.finalStatus, 403);
  t.is(forbidden.from, '3544151520');
  const f = forbidden.findings as { label: string; severity: string; text: string }[];
  t.is(f[0]!.label, 'forbidden');
  t.regex(f[0]!.text, /Caller barred/);
  t.deepEqual(objs[objs.length - 1], { type: 'summary', dialogs: 6, problemDialogs: 3, findings: { 'no-response': 1, forbidden: 1, busy: 1 } });
});

test('--filter narrows the table and the JSON; --diagnose reports only the filtered dialogs', (t) => {
  const table = sipscope(['-N', '-I', demo, '--filter', 'srcnum 4151510 4151520']);
  t.is(table.status, 0, table.stderr);
  t.regex(table.stdout, /6 dialogs \(2 displayed\)/);
  const json = sipscope(['-N', '-I', demo, '--json', '--filter', 'finding no-response or (has Reason and final 4xx and not state cancelled)']);
  const ids = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { callId?: string }).filter((o) => o.callId !== undefined);
  t.deepEqual(ids.map((o) => o.callId!.replace(/-udp-.*/, '')), ['sipscope-rejected', 'sipscope-unanswered']);
  const diag = sipscope(['-N', '-I', demo, '--diagnose', '--filter', 'not state call-setup']);
  t.regex(diag.stdout, /^5 dialogs, 2 with findings\n/);
});

test('--filter reads headers back from a gzip-compressed capture (spool copy) before it is removed', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-filter-'));
  const gz = path.join(dir, 'demo.pcap.gz');
  fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(demo)));
  const r = sipscope(['-N', '-I', gz, '--filter', 'header Warning ~ barred']);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /6 dialogs \(1 displayed\)/);
  const stdin = sipscope(['-N', '-I', '-', '--diagnose'], fs.readFileSync(demo));
  t.regex(stdin.stdout, /Warning: 399 "Calls from 3544151520 are barred by policy"/);
});

test('a wrong --filter exits 2 with the message and a caret under the offending word', (t) => {
  const r = sipscope(['-N', '-I', demo, '--filter', 'srcnum and']);
  t.is(r.status, 2);
  t.is(r.stdout, '');
  t.is(r.stderr, "sipscope: --filter: expected a number after 'srcnum' at 'and' (position 7)\n  srcnum and\n         ^\n");
  const unknown = sipscope(['-N', '-I', demo, '--filter', 'finding bogus']);
  t.is(unknown.status, 2);
  t.regex(unknown.stderr, /expected a finding label \(no-response, slow-response, .*\) after 'finding' at 'bogus' \(position 8\)/);
});
