/**
 * Live capture in the full-screen UI: `sipscope -d lo -O f.pcap <bpf>` in a pseudo-terminal
 * while SIPp places calls on 127.0.0.1. Needs root, cap and sipp; skipped otherwise.
 * The filter is written so that its first word does not read as a match expression
 * (with `udp port A or udp port B`, sngrep's rule makes `udp` the match expression).
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSipscope } from './helpers/pty';
import { ended, freePorts, hasCommand, liveSkipReason, parseJsonLines, sipscope, sippCalls } from './live-helpers';

const skip = liveSkipReason() ?? (hasCommand('sipp') ? undefined : 'sipp is needed');
const liveTest = skip === undefined ? test : test.skip;
if (skip !== undefined) test('live UI tests skipped', (t) => t.log(skip));

const text = (lines: string[]): string => lines.join('\n');
const count = (lines: string[], s: string): number => lines.filter((l) => l.includes(s)).length;

liveTest('-d lo -O: Online header, SIPp calls appear as COMPLETED dialogs, p pauses, q closes the -O file', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-ui-live-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'live.pcap');
  const [uacPort, uasPort] = await freePorts(2);
  const s = spawnSipscope(['-d', 'lo', '-O', out, ...`udp and (port ${uacPort} or port ${uasPort})`.split(' ')], { cols: 160, rows: 30 });
  t.teardown(() => s.kill());

  const first = await s.waitFor((l) => text(l).includes('Mode: Online'), 'the Online header', 20_000);
  t.regex(text(first), /Device: lo/);
  t.true(text(first).includes(`Saving to: ${out}`));
  t.false(text(first).includes('Paused'));

  await sippCalls(uacPort!, uasPort!, 5, 5);
  const lines = await s.waitFor((l) => count(l, 'COMPLETED') === 5 && text(l).includes('Dialogs: 5'), 'five COMPLETED dialogs', 20_000);
  t.true(text(lines).includes('Mode: Online'));
  const packets = /Packets: (\d+)/.exec(text(lines));
  t.truthy(packets);
  // The header's count comes from the capture statistics (about once a second).
  await s.waitFor((l) => Number(/Packets: (\d+)/.exec(text(l))?.[1] ?? 0) >= 30, 'the packet count (6 per call)', 10_000);
  // SIP messages and the kernel's drop count are in the header too.
  await s.waitFor((l) => /SIP: 30\b/.test(text(l)) && /Drops: 0\b/.test(text(l)), 'SIP: 30 and Drops: 0', 10_000);

  s.send('p');
  await s.waitFor((l) => text(l).includes('Paused'), 'the Paused header');
  s.send('p');
  await s.waitFor((l) => text(l).includes('Mode: Online') && !text(l).includes('Paused'), 'capture resumed');
  s.send('p');
  await s.waitFor((l) => text(l).includes('Paused'), 'the Paused header again');

  s.send('q');
  t.is(await s.exited(10_000), 0);

  const back = sipscope(['-N', '--json', '-I', out]);
  t.is(await ended(back, 20_000), 0, back.err());
  const { dialogs } = parseJsonLines(back.out());
  t.is(dialogs.length, 5);
  for (const d of dialogs) {
    t.is(d.state, 'COMPLETED');
    t.is(d.messages, 6);
  }
});

for (const [sig, code] of [
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  liveTest(`-d lo -O: ${sig} stops the capture and leaves a complete -O file`, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-ui-live-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const out = path.join(dir, 'live.pcap');
    const [uacPort, uasPort] = await freePorts(2);
    const s = spawnSipscope(['-d', 'lo', '-O', out, ...`udp and (port ${uacPort} or port ${uasPort})`.split(' ')], { cols: 160, rows: 30 });
    t.teardown(() => s.kill());
    await s.waitFor((l) => text(l).includes('Mode: Online'), 'the Online header', 20_000);
    await sippCalls(uacPort!, uasPort!, 2, 5);
    await s.waitFor((l) => count(l, 'COMPLETED') === 2, 'two COMPLETED dialogs', 20_000);
    s.signal(sig);
    t.is(await s.exited(10_000), code);
    const back = sipscope(['-N', '--json', '-I', out]);
    t.is(await ended(back, 20_000), 0, back.err());
    const { dialogs } = parseJsonLines(back.out());
    t.deepEqual(
      dialogs.map((d) => [d.state, d.messages]),
      [
        ['COMPLETED', 6],
        ['COMPLETED', 6],
      ],
    );
  });
}

liveTest('-d lo with -L in the full-screen view: captured and HEP-fed calls in one list, kernel drops in the header, --filter applied', async (t) => {
  const [uacPort, uasPort, hepPort] = await freePorts(3);
  const s = spawnSipscope(
    ['-d', 'lo', '-L', `udp:127.0.0.1:${hepPort}`, '--filter', 'not method REGISTER', ...`udp and (port ${uacPort} or port ${uasPort})`.split(' ')],
    { cols: 180, rows: 30 },
  );
  t.teardown(() => s.kill());
  const first = await s.waitFor((l) => text(l).includes('Mode: Online'), 'the Online header', 20_000);
  t.true(text(first).includes(`Device: lo, HEP udp:127.0.0.1:${hepPort}`), text(first));
  // The kernel's drop count arrives with the capture statistics (once a second).
  await s.waitFor((l) => /Drops: 0/.test(text(l)), 'the kernel drop count', 10_000);

  // The bundled demo capture (5 calls and a REGISTER) arrives over HEP; SIPp places 2 calls.
  const sender = sipscope(['-I', path.join(__dirname, '..', '..', 'captures', 'demo-udp.pcap'), '-N', '-q', '-H', `udp:127.0.0.1:${hepPort}`]);
  t.is(await ended(sender, 20_000), 0, sender.err());
  await sippCalls(uacPort!, uasPort!, 2, 5);
  // 8 dialogs in all; --filter hides the REGISTER.
  const lines = await s.waitFor((l) => text(l).includes('Dialogs: 8 (7 displayed)'), 'seven displayed of eight', 20_000);
  t.is(count(lines, `127.0.0.1:${uacPort}`), 2);
  t.is(count(lines.slice(3), 'REGISTER'), 0); // rows only: the header names the filter
  await s.waitFor((l) => Number(/Packets: (\d+)/.exec(text(l))?.[1] ?? 0) >= 12 + 30, 'packets from both sources', 10_000);
  s.send('q');
  t.is(await s.exited(10_000), 0);
});

liveTest('-L alone opens the full-screen view; a port in use is said plainly before the screen', async (t) => {
  const [hepPort] = await freePorts(1);
  const s = spawnSipscope(['-L', `udp:127.0.0.1:${hepPort}`], { cols: 160, rows: 30 });
  t.teardown(() => s.kill());
  const first = await s.waitFor((l) => text(l).includes('Mode: Online'), 'the Online header', 20_000);
  t.true(text(first).includes(`Device: HEP udp:127.0.0.1:${hepPort}`), text(first));
  t.false(text(first).includes('Drops:'));
  // A second sipscope on the same port cannot listen: it says so and exits 2.
  const busy = spawnSipscope(['-L', `udp:127.0.0.1:${hepPort}`], { cols: 160, rows: 30 });
  t.teardown(() => busy.kill());
  t.is(await busy.exited(10_000), 2);
  t.regex(busy.output(), new RegExp(`cannot listen on udp:127\\.0\\.0\\.1:${hepPort}`));
  s.send('q');
  t.is(await s.exited(10_000), 0);
});

liveTest('F2 during live capture saves the dialogs so far while capture goes on', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-ui-live-save-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'all.pcap');
  const saved = path.join(dir, 'saved.pcap');
  const [uacPort, uasPort] = await freePorts(2);
  const s = spawnSipscope(['-d', 'lo', '-O', out, ...`udp and (port ${uacPort} or port ${uasPort})`.split(' ')], { cols: 160, rows: 30 });
  t.teardown(() => s.kill());
  await s.waitFor((l) => text(l).includes('Mode: Online'), 'the Online header', 20_000);
  await sippCalls(uacPort!, uasPort!, 3, 10);
  await s.waitFor((l) => count(l, 'COMPLETED') === 3, 'three calls', 20_000);

  s.send('\x1bOQ'); // F2
  await s.waitFor((l) => text(l).includes('Save dialogs'), 'the save window');
  s.send('\x15'); // Ctrl+U clears the path field
  s.send(saved);
  s.send('\r');
  await s.waitFor((l) => text(l).includes('Saved 3 dialogs'), 'the confirmation');
  s.send('\x1b');
  // Capture went on during the save: two more calls arrive.
  await sippCalls(uacPort!, uasPort!, 2, 10);
  await s.waitFor((l) => count(l, 'COMPLETED') === 5 && text(l).includes('Dialogs: 5'), 'five calls', 20_000);
  s.send('q');
  t.is(await s.exited(10_000), 0);

  const read = async (file: string): Promise<string[]> => {
    const r = sipscope(['-N', '--json', '-I', file]);
    t.is(await ended(r, 20_000), 0, r.err());
    return parseJsonLines(r.out()).dialogs.map((d) => `${String(d.state)} ${String(d.messages)}`);
  };
  t.deepEqual(await read(saved), Array(3).fill('COMPLETED 6'));
  t.deepEqual(await read(out), Array(5).fill('COMPLETED 6'));
});

liveTest('-d lo -H in the full-screen view: the header names the collector, and the collector gets every call', async (t) => {
  const [uacPort, uasPort, hepPort] = await freePorts(3);
  const collector = sipscope(['-L', `udp:127.0.0.1:${hepPort}`, '-N', '--json']);
  t.teardown(() => collector.child.kill('SIGKILL'));
  const deadline = Date.now() + 15_000;
  while (!collector.err().includes('listening for HEP') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const s = spawnSipscope(['-d', 'lo', '-H', `udp:127.0.0.1:${hepPort}`, ...`udp and (port ${uacPort} or port ${uasPort})`.split(' ')], { cols: 180, rows: 30 });
  t.teardown(() => s.kill());
  const first = await s.waitFor((l) => text(l).includes('Mode: Online'), 'the Online header', 20_000);
  t.true(text(first).includes(`Device: lo, -> HEP udp:127.0.0.1:${hepPort}`), text(first));
  await sippCalls(uacPort!, uasPort!, 3, 10);
  await s.waitFor((l) => count(l, 'COMPLETED') === 3, 'three calls', 20_000);
  s.send('q');
  t.is(await s.exited(10_000), 0);
  await new Promise((r) => setTimeout(r, 500));
  collector.child.kill('SIGINT');
  t.is(await ended(collector, 10_000), 0, collector.err());
  const { dialogs } = parseJsonLines(collector.out());
  t.is(dialogs.length, 3);
  t.true(dialogs.every((d) => d.state === 'COMPLETED' && d.messages === 6), JSON.stringify(dialogs));
});
