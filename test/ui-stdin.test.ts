/**
 * `-I -` in the full-screen view: the capture comes through a pipe on standard input, so
 * keys are read from the terminal itself (/dev/tty). Run as a user would type it, in a shell
 * inside a pseudo-terminal.
 */
import test from 'ava';
import * as path from 'node:path';
import { KEYS, spawnInTerminal } from './helpers/pty';
import { ownCaptures, sipscopeBin } from './helpers/paths';

const text = (lines: string[]): string => lines.join('\n');
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

test('cat capture | sipscope -I -: the list fills from the pipe and keys still drive the view', async (t) => {
  const capture = path.join(ownCaptures, 'demo-udp.pcap');
  const s = spawnInTerminal('sh', ['-c', `cat ${quote(capture)} | ${quote(process.execPath)} ${quote(sipscopeBin)} -I -`], { cols: 160, rows: 30 });
  t.teardown(() => s.kill());
  const list = await s.waitFor((l) => text(l).includes('Dialogs: 6 (6 displayed)'), 'the six dialogs of the demo capture', 20_000);
  t.true(text(list).includes('File: stdin'), text(list));
  // Keys come from /dev/tty: Enter opens the call flow of the first dialog, Esc returns, q quits.
  s.send(KEYS.enter);
  const flow = await s.waitFor((l) => /INVITE/.test(text(l)) && /127\.0\.0\.1:5060/.test(text(l)) && !text(l).includes('Dialogs: 6'), 'the call flow', 10_000);
  t.regex(text(flow), /200/);
  s.send(KEYS.esc);
  await s.waitFor((l) => text(l).includes('Dialogs: 6 (6 displayed)'), 'the list again', 10_000);
  s.send('q');
  t.is(await s.exited(10_000), 0);
});

test('sipscope -I - with no terminal to read keys from says what to do and exits 2', async (t) => {
  // setsid leaves the process without a controlling terminal: standard output is still the
  // pseudo-terminal, but /dev/tty cannot be opened for the keys.
  const capture = path.join(ownCaptures, 'demo-udp.pcap');
  const s = spawnInTerminal('setsid', ['-w', 'sh', '-c', `${quote(process.execPath)} ${quote(sipscopeBin)} -I - < ${quote(capture)}; echo "exit $?"`], { cols: 160, rows: 30 });
  t.teardown(() => s.kill());
  const out = await s.waitFor((l) => /exit \d+/.test(text(l)), 'the exit status', 15_000);
  t.regex(text(out), /-I - needs a terminal \(\/dev\/tty\) for the keys; use -N to print the dialogs instead/);
  t.regex(text(out), /exit 2/);
});
