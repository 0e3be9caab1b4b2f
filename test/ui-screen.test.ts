/**
 * The full-screen UI in a real pseudo-terminal: keys pressed as a terminal sends them,
 * assertions on what the screen shows.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { KEYS, spawnSipscope, type ScreenSession } from './helpers/pty';
import { ownCaptures, sharedCaptures, sipscopeBin } from './helpers/paths';

const demo = path.join(ownCaptures, 'demo-udp.pcap');
const has = (s: string) => (lines: string[]) => lines.join('\n').includes(s);
const rowOf = (lines: string[], s: string): number => lines.findIndex((l) => l.includes(s));

async function withScreen(run: (s: ScreenSession) => Promise<void>, cols = 120, rows = 30): Promise<void> {
  const s = spawnSipscope(['-I', demo], { cols, rows });
  try {
    await s.waitFor(has('Dialogs: 6 (6 displayed)'), 'the six dialogs');
    await run(s);
  } finally {
    s.kill();
  }
}

test('the list shows the six dialogs of the demo capture with their states', async (t) => {
  await withScreen(async (s) => {
    const lines = await s.waitFor((l) => !has('Loading')(l) && has('REGISTER')(l), 'loaded list');
    t.true(has('Mode: Offline')(lines));
    t.true(has('demo-udp.pcap')(lines));
    // What was read: 30 packets, all SIP (as -N --json's summary says).
    t.true(has('Packets: 30  SIP: 30')(lines), lines[0]);
    t.false(has('Not decoded')(lines));
    const expect: [string, string, string][] = [
      ['3544151500', '3544151502', 'COMPLETED'],
      ['3544151510', '3544151512', 'BUSY'],
      ['3544151520', '3544151522', 'REJECTED'],
      ['3544151530', '3544151532', 'CANCELLED'],
      ['3544151540', '3544151542', 'CALL SETUP'],
    ];
    let prev = -1;
    for (const [from, to, state] of expect) {
      const r = rowOf(lines, from);
      t.true(r > prev, `${from} after the previous dialog`);
      t.regex(lines[r]!, new RegExp(`^\\[ \\] +\\d+ INVITE +${from} +${to} .*${state}`));
      prev = r;
    }
    t.regex(lines[rowOf(lines, '3544151550')]!, /REGISTER/);
  });
});

test('Enter opens the call flow, Enter on an arrow shows the raw message, Esc goes back', async (t) => {
  await withScreen(async (s) => {
    s.send(KEYS.enter);
    const arrowsOf = (l: string[]): string[] => l.filter((x) => /[─-]{2}/.test(x) && /[<>]/.test(x));
    const flow = await s.waitFor((l) => has('Call flow')(l) && arrowsOf(l).length === 7, 'the call flow with seven arrows');
    const header = flow.find((l) => l.includes('127.0.0.1:5062'))!;
    t.true(header.indexOf('127.0.0.1:5062') < header.indexOf('127.0.0.1:5060'));
    const labels = ['INVITE', '100 Trying', '180 Ringing', '200 OK', 'ACK', 'BYE', '200 OK'];
    const arrows = arrowsOf(flow);
    arrows.forEach((l, i) => t.true(l.includes(labels[i]!), `arrow ${i + 1}: ${l}`));
    t.true(arrows[0]!.includes('>│') && arrows[1]!.includes('│<'));
    t.true(arrows[0]!.includes('(SDP) PCMU 127.0.0.1:40000'));
    s.send(KEYS.enter);
    const raw = await s.waitFor((l) => (l[0] ?? '').startsWith('Raw message') && has('a=sendrecv')(l), 'the raw message');
    t.true(raw.some((l) => /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} 127\.0\.0\.1:5062 -> 127\.0\.0\.1:5060$/.test(l)));
    t.true(raw.some((l) => l.startsWith('INVITE sip:3544151502@127.0.0.1:5060 SIP/2.0')));
    t.true(raw.some((l) => l === 'a=rtpmap:0 PCMU/8000'));
    s.send(KEYS.esc);
    await s.waitFor((l) => (l[0] ?? '').startsWith('Call flow'), 'back to the flow');
    s.send(KEYS.esc);
    await s.waitFor(has('Dialogs: 6'), 'back to the list');
  });
});

test('F7 with a To filter narrows the list and the header says so', async (t) => {
  await withScreen(async (s) => {
    s.send(KEYS.f7);
    await s.waitFor(has('Filter dialogs'), 'the filter window');
    s.send(KEYS.tab);
    s.send('3544151512');
    const narrowed = await s.waitFor((l) => has('Dialogs: 6 (1 displayed)')(l) && has('To=3544151512')(l), 'one dialog displayed');
    t.true(has('To=3544151512')(narrowed));
    s.send(KEYS.enter);
    const list = await s.waitFor((l) => !has('Filter dialogs')(l) && has('BUSY')(l), 'the window closed');
    t.true(has('BUSY')(list));
    t.false(has('COMPLETED')(list));
  });
});

test('/ narrows the list as you type', async (t) => {
  await withScreen(async (s) => {
    s.send('/');
    await s.waitFor(has('Display filter: _'), 'the display filter prompt');
    s.send('CANCEL');
    const l = await s.waitFor((x) => has('Dialogs: 6 (1 displayed)')(x) && has('3544151530')(x), 'one dialog');
    t.true(has('3544151530')(l));
    s.send(KEYS.esc);
    await s.waitFor(has('Dialogs: 6 (6 displayed)'), 'all dialogs again');
  });
});

test('F2 saves the selected dialog to a pcap that -N --json reads back', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-ui-save-'));
  const out = path.join(dir, 'busy.pcap');
  await withScreen(async (s) => {
    s.send(KEYS.down);
    s.send(' ');
    await s.waitFor(has('[*]'), 'a selection mark');
    s.send(KEYS.f2);
    await s.waitFor(has('Save dialogs as pcap'), 'the save window');
    s.send('\x15'); // Ctrl+U clears the path field
    s.send(out);
    s.send(KEYS.enter);
    await s.waitFor(has('Saved 1 dialog'), 'the confirmation');
  });
  const json = execFileSync(process.execPath, [sipscopeBin, '-N', '--json', '-I', out], { encoding: 'utf8' });
  const records = json.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => !('summary' in r));
  t.is(records.length, 1);
  t.is(records[0]!.state, 'BUSY');
  t.is(records[0]!.fromUser, '3544151510');
});

test('a failed save says why and keeps the window open', async (t) => {
  await withScreen(async (s) => {
    s.send(KEYS.f2);
    await s.waitFor(has('Save dialogs as pcap'), 'the save window');
    s.send('\x15');
    s.send('/nonexistent-dir/x.pcap');
    s.send(KEYS.enter);
    const l = await s.waitFor((x) => has('Not saved')(x) && has('not exist')(x), 'the failure');
    t.true(l.join(' ').replace(/\s+/g, ' ').includes('the directory does not exist'));
    t.true(has('Save dialogs as pcap')(l));
  });
});

test('q exits with status 0 and leaves the alternate screen', async (t) => {
  const s = spawnSipscope(['-I', demo]);
  try {
    await s.waitFor(has('Dialogs: 6'), 'the list');
    s.send('q');
    t.is(await s.exited(), 0);
    const raw = s.output();
    t.true(raw.includes('\x1b[?1049h'), 'entered the alternate screen');
    t.true(raw.lastIndexOf('\x1b[?1049l') > raw.lastIndexOf('\x1b[?1049h'), 'left it at the end');
  } finally {
    s.kill();
  }
});

test('resize to 80x24 reflows the list and keeps it usable', async (t) => {
  await withScreen(async (s) => {
    s.resize(80, 24);
    const l = await s.waitFor(
      (x) => x.length === 24 && (x[23] ?? '').includes('Enter Flow') && x.some((line) => line.includes('3544151500') && line.includes('COMPLETED')),
      'rows reflowed to 80x24',
    );
    t.true(l.every((line) => [...line].length <= 80));
    t.true(has('Enter Flow')(l));
    s.send(KEYS.enter);
    await s.waitFor(has('Call flow'), 'the flow at 80 columns');
  });
});

test('F1 shows the help generated from the keymap', async (t) => {
  await withScreen(async (s) => {
    s.send('\x1bOP');
    const l = await s.waitFor((x) => has('sipscope keys')(x) && has('Dialog list')(x), 'the help');
    t.true(has('filter window: From, To, addresses, payload, methods')(l));
    s.send(KEYS.esc);
    await s.waitFor(has('Dialogs: 6'), 'back to the list');
  });
});

test('SIGTERM restores the terminal; SIGHUP ends the program within a second', async (t) => {
  const a = spawnSipscope(['-I', demo]);
  try {
    await a.waitFor(has('Dialogs: 6'), 'the list');
    a.signal('SIGTERM');
    t.is(await a.exited(), 143);
    const raw = a.output();
    t.true(raw.lastIndexOf('\x1b[?1049l') > raw.lastIndexOf('\x1b[?1049h'), 'left the alternate screen');
  } finally {
    a.kill();
  }
  const b = spawnSipscope(['-I', demo]);
  try {
    await b.waitFor(has('Dialogs: 6'), 'the list');
    const sent = Date.now();
    b.signal('SIGHUP');
    await b.exited(1000);
    t.true(Date.now() - sent < 1000);
  } finally {
    b.kill();
  }
});

test('the header counts what could not be decoded (TLS here), as -N --json does', async (t) => {
  const file = path.join(sharedCaptures, 'pcaptoparquet', '10_tcp_volte.pcap');
  const s = spawnSipscope(['-I', file], { cols: 140, rows: 24 });
  try {
    const lines = await s.waitFor((l) => l.join('\n').includes('Dialogs: 2 (2 displayed)'), 'the two dialogs');
    t.regex(lines[0] ?? '', /Packets: 100  SIP: 7  Not decoded: 4/);
  } finally {
    s.kill();
  }
});
