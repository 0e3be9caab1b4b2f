/**
 * Text export (-T FILE, saveDialogsText): read back, it gives the same dialogs, times to
 * the microsecond, addresses and message bytes, control characters included.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ownCaptures, sipscopeBin } from './helpers/paths';
import { runEngine } from './helpers/run-engine';
import { pcapFile } from './helpers/capture-files';
import { udpFrame } from './helpers/packets';
import { request, response } from './helpers/sip-text';
import { renderDialogsText, saveDialogsText } from '../src/capture/text-export';
import { dialogRecord } from '../src/view/dialog-report';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-text-export-'));

function sipscope(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [sipscopeBin, ...args], { input, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const capture of ['demo-udp.pcap', 'demo-tcp.pcap']) {
  test(`-T ${capture}: read back, the same dialogs (every JSON field) and the same message bytes`, async (t) => {
    const src = path.join(ownCaptures, capture);
    const out = path.join(dir, `${capture}.txt`);
    const first = sipscope(['-N', '-q', '--json', '-T', out, '-I', src]);
    t.is(first.status, 0, first.stderr);
    const again = sipscope(['-N', '-q', '--json', '-I', out]);
    t.is(again.status, 0, again.stderr);
    const dialogs = (s: string): string[] => s.trim().split('\n').filter((l) => !l.startsWith('{"summary"'));
    t.deepEqual(dialogs(again.stdout), dialogs(first.stdout));
    t.is(dialogs(first.stdout).length, 6);
    const want = await runEngine([src]);
    const got = await runEngine([out]);
    t.deepEqual(got.texts(), want.texts());
    // And an export of the export is the same file.
    const out2 = path.join(dir, `${capture}.2.txt`);
    t.is(sipscope(['-N', '-q', '-T', out2, '-I', out]).status, 0);
    t.true(fs.readFileSync(out2).equals(fs.readFileSync(out)));
  });
}

test('control characters and non-UTF-8 bytes are written as they are and read back identical', async (t) => {
  const a = { user: 'alice', host: '10.0.0.1', port: 5060, name: 'Al\x1b[2Jice' };
  const b = { user: 'bob', host: '10.0.0.2', port: 5060 };
  const body = 'v=0\r\ns=\x00\x07\x7f\xff\xfe odd\r\n\x1b]0;title\x07\r\n';
  const inv = Buffer.from(request({ callId: 'ctl@test', from: a, to: b, cseq: 1, method: 'INVITE', body, headers: ['X-Weird: tab\there \x01\x02'] }), 'latin1');
  const busy = Buffer.from(response({ callId: 'ctl@test', from: a, to: b, cseq: 1, method: 'INVITE', toTag: 't' }, 486, 'Busy Here'), 'latin1');
  const pcap = pcapFile({
    linktype: 1,
    packets: [
      { sec: 1_800_000_000, nsec: 123_456_000, data: udpFrame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 5060, dport: 5060, payload: inv }).data },
      { sec: 1_800_000_001, nsec: 999_999_000, data: udpFrame({ src: '10.0.0.2', dst: '10.0.0.1', sport: 5060, dport: 5060, payload: busy }).data },
    ],
  });
  const want = await runEngine([pcap]);
  const file = path.join(dir, 'ctl.txt');
  const r = saveDialogsText(want.engine.store, want.bytes, want.engine.store.dialogList(), file);
  t.is(r.messages, 2);
  t.is(r.unreadable, 0);
  const written = fs.readFileSync(file);
  t.true(written.includes(Buffer.from('\x1b[2J', 'latin1')));
  t.true(written.includes(Buffer.from([0x00, 0x07, 0x7f, 0xff, 0xfe])));
  t.regex(written.toString('latin1'), /^2027\/01\/15 08:00:00\.123456 10\.0\.0\.1:5060 -> 10\.0\.0\.2:5060 \(UDP\)\n/);
  const got = await runEngine([file]);
  t.deepEqual(
    got.texts().map((s) => Buffer.from(s)),
    want.texts().map((s) => Buffer.from(s)),
  );
  const rec = (run: typeof want): unknown => [...run.engine.store.dialogList()].map((d) => dialogRecord(run.engine.store, d));
  t.deepEqual(rec(got), rec(want));
  // Exact bytes, not only the same UTF-8 decoding: compare the raw message buffers.
  const raw = (run: typeof want): Buffer[] =>
    [...run.engine.store.dialogList()].flatMap((d) => d.msgs.map((m) => run.bytes.read(run.engine.store.msgBytes(m)) ?? Buffer.alloc(0)));
  t.deepEqual(raw(got), raw(want));
  t.true(raw(got)[0]?.equals(inv));
});

test('only the chosen dialogs are written, their messages in capture order', async (t) => {
  const run = await runEngine([path.join(ownCaptures, 'demo-udp.pcap')]);
  const chosen = [...run.engine.store.dialogList()].filter((d) => d.state === 'BUSY' || d.method === 'REGISTER');
  const text = Buffer.concat([...renderDialogsText(run.engine.store, run.bytes, chosen)]).toString('latin1');
  const headers = text.split('\n').filter((l) => /^\d{4}\/\d\d\/\d\d /.test(l));
  t.is(headers.length, chosen.reduce((n, d) => n + d.msgs.length, 0));
  t.deepEqual([...headers].sort(), headers);
  t.false(text.includes('sipscope-answered'));
});

test('-T to a path that cannot be written: exit 2, the file and the reason named', (t) => {
  const r = sipscope(['-N', '-q', '-T', path.join(dir, 'no-such-dir', 'out.txt'), '-I', path.join(ownCaptures, 'demo-udp.pcap')]);
  t.is(r.status, 2);
  t.regex(r.stderr, /cannot write .*no-such-dir\/out\.txt: the directory does not exist/);
});
