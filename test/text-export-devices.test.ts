/**
 * -T and saves to something that is not a regular file: /dev/stdout (a pipe here), a
 * terminal. Written in place (renaming a temporary file over /dev/stdout would replace the
 * device with a file), and on a terminal the captured escape sequences are shown escaped.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ownCaptures, sipscopeBin } from './helpers/paths';
import { pcapFile } from './helpers/capture-files';
import { udpFrame } from './helpers/packets';
import { request, response } from './helpers/sip-text';
import { spawnInTerminal } from './helpers/pty';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-text-dev-'));
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [sipscopeBin, ...args], { env: { ...process.env, TZ: 'UTC' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** A call whose display name and SDP carry terminal escape sequences. */
function hostileCapture(): string {
  const a = { user: 'alice', host: '10.0.0.1', port: 5060, name: 'Al\x1b[2Jice' };
  const b = { user: 'bob', host: '10.0.0.2', port: 5060 };
  const body = 'v=0\r\ns=\x1b]0;pwned\x07\r\n';
  const inv = Buffer.from(request({ callId: 'esc@test', from: a, to: b, cseq: 1, method: 'INVITE', body }), 'latin1');
  const busy = Buffer.from(response({ callId: 'esc@test', from: a, to: b, cseq: 1, method: 'INVITE', toTag: 't' }, 486, 'Busy Here'), 'latin1');
  const file = path.join(dir, 'hostile.pcap');
  fs.writeFileSync(
    file,
    pcapFile({
      linktype: 1,
      packets: [
        { sec: 1_800_000_000, nsec: 0, data: udpFrame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 5060, dport: 5060, payload: inv }).data },
        { sec: 1_800_000_001, nsec: 0, data: udpFrame({ src: '10.0.0.2', dst: '10.0.0.1', sport: 5060, dport: 5060, payload: busy }).data },
      ],
    }),
  );
  return file;
}

test('-T /dev/stdout into a pipe writes the export there, byte for byte, and leaves /dev/stdout alone', (t) => {
  const before = fs.lstatSync('/dev/stdout');
  const demo = path.join(ownCaptures, 'demo-udp.pcap');
  const file = path.join(dir, 'demo.txt');
  t.is(run(['-N', '-q', '-T', file, '-I', demo]).status, 0);
  const piped = run(['-N', '-q', '-T', '/dev/stdout', '-I', demo]);
  t.is(piped.status, 0, piped.stderr);
  t.true(piped.stdout.equals(fs.readFileSync(file)));
  const after = fs.lstatSync('/dev/stdout');
  t.is(after.isSymbolicLink(), before.isSymbolicLink());
  t.is(after.ino, before.ino);
});

test('-T to a terminal shows escape sequences escaped; to a file they are kept for reading back', async (t) => {
  const capture = hostileCapture();
  const kept = path.join(dir, 'kept.txt');
  t.is(run(['-N', '-q', '-T', kept, '-I', capture]).status, 0);
  t.true(fs.readFileSync(kept).includes(Buffer.from('\x1b[2J', 'latin1')));

  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const s = spawnInTerminal('sh', ['-c', `${q(process.execPath)} ${q(sipscopeBin)} -N -q -T /dev/tty -I ${q(capture)}; echo "exit $?"`], { cols: 160, rows: 40 });
  t.teardown(() => s.kill());
  const screen = await s.waitFor((l) => /exit \d+/.test(l.join('\n')), 'the export and the exit status', 15_000);
  const text = screen.join('\n');
  t.regex(text, /exit 0/);
  t.true(text.includes('Al\\x1b[2Jice'), text);
  t.true(text.includes('s=\\x1b]0;pwned\\x07'), text);
  t.false(s.output().includes('\x1b]0;pwned'));
  t.false(s.output().includes('\x1b[2J'));
});

test('saving a pcap to a terminal is refused with the reason', async (t) => {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const demo = path.join(ownCaptures, 'demo-udp.pcap');
  const s = spawnInTerminal('sh', ['-c', `${q(process.execPath)} ${q(sipscopeBin)} -I ${q(demo)} -N -q -O /dev/tty; echo "exit $?"`], { cols: 160, rows: 20 });
  t.teardown(() => s.kill());
  const screen = (await s.waitFor((l) => /exit \d+/.test(l.join('\n')), 'the exit status', 15_000)).join('\n');
  t.regex(screen, /exit 2/);
  t.regex(screen, /cannot write \/dev\/tty: it is a terminal, and a pcap file is binary/);
  // Nothing binary reached the screen: no pcap magic, no SIP from the capture.
  t.false(s.output().includes('REGISTER sip:'));
});

test('-O /dev/stdout into a pipe streams a pcap that reads back', (t) => {
  const demo = path.join(ownCaptures, 'demo-udp.pcap');
  const r = spawnSync('sh', ['-c', `'${process.execPath}' '${sipscopeBin}' -I '${demo}' -N -q -O /dev/stdout | cat > '${path.join(dir, 'piped.pcap')}'`]);
  t.is(r.status, 0, r.stderr.toString());
  const back = run(['-N', '--json', '-I', path.join(dir, 'piped.pcap')]);
  const dialogs = back.stdout.toString().trim().split('\n').filter((l) => !l.startsWith('{"summary"'));
  t.is(dialogs.length, 6);
});
