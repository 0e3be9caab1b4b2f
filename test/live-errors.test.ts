/**
 * The errors a user hits with live capture and -O, each one line naming the device or file
 * and what to do; and the file viewer working where cap cannot be loaded.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ended, hasCommand, liveSkipReason, parseJsonLines, sipscope } from './live-helpers';
import { ownCaptures } from './helpers/paths';

const skip = liveSkipReason();
const liveTest = skip === undefined ? test : test.skip;

function tmpdir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-live-err-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A preload that makes `require('cap')` fail as it does where libpcap or the binding is missing. */
function noCapHook(dir: string): string {
  const hook = path.join(dir, 'no-cap.js');
  fs.writeFileSync(
    hook,
    `const Module = require('module');
const orig = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'cap') { const e = new Error("libpcap.so.0.8: cannot open shared object file: No such file or directory"); e.code = 'ERR_DLOPEN_FAILED'; throw e; }
  return orig.call(this, request, ...rest);
};\n`,
  );
  return hook;
}

function oneLine(t: { is(a: unknown, b: unknown, m?: string): void }, stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  t.is(lines.length, 1, stderr);
  return lines[0] ?? '';
}

liveTest('unknown device: one line naming it and listing the devices', async (t) => {
  const p = sipscope(['-d', 'nosuchdev0', '-N']);
  t.is(await ended(p, 15000), 2);
  const line = oneLine(t, p.err());
  t.regex(line, /cannot capture on nosuchdev0: no such device; devices: .*\blo\b/);
  t.regex(line, /\bany\b/);
});

liveTest('BPF syntax error: libpcap\'s message, naming the device and filter', async (t) => {
  const p = sipscope(['-d', 'lo', '-N', 'udp', 'port']);
  t.is(await ended(p, 15000), 2);
  const line = oneLine(t, p.err());
  t.regex(line, /cannot capture on lo: the BPF filter 'udp port' is not valid: .*syntax error/);
});

liveTest('several devices: the one that fails is named', async (t) => {
  const p = sipscope(['-d', 'lo,nosuchdev1', '-N']);
  t.is(await ended(p, 15000), 2);
  t.regex(oneLine(t, p.err()), /cannot capture on nosuchdev1: no such device/);
});

const permTest = skip === undefined && hasCommand('setpriv') ? test : test.skip;
permTest('no permission: says to run as root or set capabilities', async (t) => {
  const r = spawnSync(
    'setpriv',
    ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, path.join(__dirname, '..', '..', 'bin', 'sipscope'), '-d', 'lo', '-N'],
    { encoding: 'utf8', timeout: 20000, cwd: '/' },
  );
  t.is(r.status, 2, r.stderr);
  const line = oneLine(t, r.stderr);
  t.regex(line, /cannot capture on lo: permission denied/);
  t.true(line.includes('setcap cap_net_raw,cap_net_admin+eip'));
});

test('cap cannot be loaded: live capture says how to install it; the file viewer still works', async (t) => {
  const dir = tmpdir(t);
  const hook = noCapHook(dir);
  const env = { NODE_OPTIONS: `--require ${hook}` };
  const live = sipscope(['-d', 'lo', '-N'], env);
  t.is(await ended(live, 30000), 2, live.err());
  const line = oneLine(t, live.err());
  t.regex(line, /live capture needs libpcap and the cap module.*apt-get install libpcap-dev/);
  t.regex(line, /reading capture files with -I works without them/);

  const file = sipscope(['-N', '--json', '-I', path.join(ownCaptures, 'demo-udp.pcap')], env);
  t.is(await ended(file, 30000), 0, file.err());
  t.true(parseJsonLines(file.out()).dialogs.length > 0);
});

test('-I with -O writes the frames read; the copy reads back to the same dialogs', async (t) => {
  const dir = tmpdir(t);
  const input = path.join(ownCaptures, 'demo-udp.pcap');
  const out = path.join(dir, 'copy.pcap');
  const p = sipscope(['-N', '--json', '-I', input, '-O', out]);
  t.is(await ended(p, 30000), 0, p.err());
  const a = parseJsonLines(p.out());
  const q = sipscope(['-N', '--json', '-I', out]);
  t.is(await ended(q, 30000), 0, q.err());
  const b = parseJsonLines(q.out());
  t.deepEqual(b.dialogs, a.dialogs);
  t.is((a.summary?.outputFile as { packets: number }).packets, a.summary?.frames as number);
});

test('-O on a full disk: reported once, naming the file; dialogs are still printed', async (t) => {
  const dir = tmpdir(t);
  const mnt = path.join(dir, 'small');
  fs.mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
  let target: string;
  if (m.status === 0) {
    t.teardown(() => void spawnSync('umount', [mnt]));
    target = path.join(mnt, 'out.pcap');
    // Fill most of it so the copy of the capture cannot fit.
    fs.writeFileSync(path.join(mnt, 'filler'), Buffer.alloc(60 * 1024));
  } else {
    t.log('mount -t tmpfs not permitted here: using /dev/full');
    target = '/dev/full';
  }
  const inputs = ['demo-udp.pcap', 'demo-tcp.pcap'].flatMap((f) => ['-I', path.join(ownCaptures, f)]);
  const p = sipscope(['-N', '--json', ...inputs, '-O', target]);
  t.is(await ended(p, 30000), 0, p.err());
  const errors = p.err().split('\n').filter((l) => l.includes('no space left on device'));
  t.is(errors.length, 1, p.err());
  t.true(errors[0]!.includes(target));
  const { dialogs, summary } = parseJsonLines(p.out());
  t.true(dialogs.length > 0);
  t.true((summary?.outputFile as { notWritten: number }).notWritten > 0);
});

test('-O in a directory that does not exist: refused before anything runs', async (t) => {
  const p = sipscope(['-N', '-I', path.join(ownCaptures, 'demo-udp.pcap'), '-O', '/nonexistent-dir/x.pcap']);
  t.is(await ended(p, 15000), 2);
  t.regex(oneLine(t, p.err()), /cannot write \/nonexistent-dir\/x\.pcap: no such directory/);
});
