/**
 * The call-flow features of the full-screen UI in a real pseudo-terminal: several dialogs
 * in one ladder, the extended flow, the message diff, stats, saving as text or one
 * message, sideways scrolling.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { KEYS, spawnSipscope, type ScreenSession } from './helpers/pty';
import { ownCaptures, sipscopeBin } from './helpers/paths';

const demo = path.join(ownCaptures, 'demo-udp.pcap');
const b2bua = path.join(ownCaptures, 'b2bua-udp.pcap');
const has = (s: string) => (lines: string[]) => lines.join('\n').includes(s);
const CTRL_U = '\x15';

async function withScreen(file: string, dialogs: number, run: (s: ScreenSession) => Promise<void>, cols = 150, rows = 40): Promise<void> {
  const s = spawnSipscope(['-I', file], { cols, rows });
  try {
    await s.waitFor((l) => has(`Dialogs: ${dialogs} (${dialogs} displayed)`)(l) && !has('Loading')(l), 'the loaded list');
    await run(s);
  } finally {
    s.kill();
  }
}

function jsonRecords(file: string): Record<string, unknown>[] {
  const out = execFileSync(process.execPath, [sipscopeBin, '-N', '--json', '-I', file], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => !('summary' in r));
}

/** Arrow lines of a ladder: `L1  14:43:42.338247 ... │──INVITE──>│`. */
const legArrows = (l: string[]): string[] => l.filter((x) => /^L\d  \d\d:\d\d:\d\d\.\d{6}/.test(x));
const stamp = (line: string): string => line.slice(4, 19);

test('two selected B2BUA legs and Enter: one ladder, both legs tagged, in time order', async (t) => {
  await withScreen(b2bua, 5, async (s) => {
    s.send(KEYS.space);
    s.send(KEYS.space);
    await s.waitFor(has('Selected: 2'), 'two selected');
    s.send(KEYS.enter);
    const l = await s.waitFor((x) => has('Call flow  2 dialogs  14 messages')(x) && legArrows(x).length === 14, 'the two-leg ladder');
    t.true(l.some((x) => x.startsWith('L1  3544151600 -> 3544151602  COMPLETED  Call-ID: sipscope-b2bua-leg1-1@127.0.0.1')));
    t.true(l.some((x) => x.startsWith('L2  +3544151600 -> 003544151602  COMPLETED  Call-ID: sipscope-b2bua-leg2-1@127.0.0.1')));
    const header = l.find((x) => x.includes('127.0.0.1:5072'))!;
    const cols = ['127.0.0.1:5072', '127.0.0.1:5070', '127.0.0.1:5074', '127.0.0.1:5076'].map((c) => header.indexOf(c));
    t.deepEqual([...cols].sort((a, b) => a - b), cols, 'four columns, the caller first');
    const arrows = legArrows(l);
    const times = arrows.map(stamp);
    t.deepEqual(times, [...times].sort(), 'arrows in time order');
    const seq = arrows.map((a) => `${a.slice(0, 2)} ${/(INVITE|100 Trying|180 Ringing|200 OK|ACK|BYE)/.exec(a)?.[1] ?? '?'}`);
    t.deepEqual(seq.slice(0, 9), ['L1 INVITE', 'L1 100 Trying', 'L1 180 Ringing', 'L2 INVITE', 'L2 100 Trying', 'L2 180 Ringing', 'L2 200 OK', 'L2 ACK', 'L1 200 OK']);
    // Leg 2's INVITE goes from the B2BUA's outgoing side to the callee (third to fourth column).
    const inv2 = arrows.find((a) => a.startsWith('L2') && a.includes('INVITE'))!;
    t.true(inv2.indexOf('INVITE') > cols[2]! && inv2.indexOf('INVITE') < cols[3]!, inv2);
    // Enter on a leg-2 message opens its raw text.
    for (let i = 0; i < 3; i++) s.send(KEYS.down);
    s.send(KEYS.enter);
    const raw = await s.waitFor((x) => (x[0] ?? '').startsWith('Raw message') && has('X-Call-ID: sipscope-b2bua-leg1-1@127.0.0.1')(x), 'the raw leg-2 INVITE');
    t.true(raw.some((x) => x.startsWith('Call-ID: sipscope-b2bua-leg2-1@127.0.0.1')));
  });
});

test('x shows the related leg and how it was matched: X-Call-ID, or the same numbers', async (t) => {
  await withScreen(b2bua, 5, async (s) => {
    s.send('x');
    const l = await s.waitFor(has('Call flow  2 dialogs'), 'the extended flow of dialog 1');
    t.true(l.some((x) => x.includes('Call-ID: sipscope-b2bua-leg2-1@127.0.0.1') && x.includes("(its X-Call-ID names L1's Call-ID)")));
    t.is(legArrows(l).length, 14);
    s.send(KEYS.esc);
    await s.waitFor(has('Dialogs: 5'), 'back to the list');
    s.send(KEYS.down);
    s.send(KEYS.down);
    s.send('x');
    const n = await s.waitFor(has('Call flow  2 dialogs'), 'the extended flow of dialog 3');
    t.true(n.some((x) => x.includes('Call-ID: sipscope-b2bua-leg4-1@127.0.0.1') && /same numbers as L1 \(3544151610 -> 3544151612\), 0\.1\d\d s apart/.test(x)), n.join('\n'));
    t.false(has('leg5')(n), 'the call 7 s later is not related');
    s.send(KEYS.esc);
    await s.waitFor(has('Dialogs: 5'), 'back to the list again');
    s.send(KEYS.down);
    s.send(KEYS.down);
    s.send('x');
    await s.waitFor(has('No related dialogs found'), 'nothing related to dialog 5');
  });
});

test('Space on two messages shows their differences side by side; Esc goes back to the flow', async (t) => {
  await withScreen(demo, 6, async (s) => {
    s.send(KEYS.enter);
    await s.waitFor(has('Call flow  3544151500'), 'the flow of the answered call');
    s.send(KEYS.space);
    await s.waitFor(has('Message marked'), 'the mark');
    s.send(KEYS.down);
    s.send(KEYS.down);
    s.send(KEYS.down);
    s.send(KEYS.space);
    const l = await s.waitFor((x) => (x[0] ?? '').startsWith('Message diff'), 'the diff window');
    t.regex(l[0]!, /Message diff {2}\d+ changed/);
    const row = (start: string): string => l.find((x) => x.startsWith(start)) ?? '';
    t.regex(row('INVITE sip:3544151502@127.0.0.1:5060 SIP/2.0'), / ~ SIP\/2\.0 200 OK$/);
    t.regex(row('To: "Bjorn Magnusson"'), / ~ To: "Bjorn Magnusson" <sip:3544151502@127\.0\.0\.1>;tag=/);
    t.regex(row('Call-ID: sipscope-answered-udp-'), /^Call-ID: (\S+) +Call-ID: \1$/, 'same Call-ID: no mark');
    t.regex(row('Max-Forwards: 70'), / <$/, 'only the request has Max-Forwards');
    s.send(KEYS.esc);
    await s.waitFor((x) => (x[0] ?? '').startsWith('Call flow'), 'back to the flow');
  });
});

test('i shows counts that agree with -N --json on the same capture', async (t) => {
  const records = jsonRecords(demo);
  const messages = records.reduce((n, r) => n + (r.messages as number), 0);
  const byState = new Map<string, number>();
  for (const r of records) if (r.state !== null) byState.set(r.state as string, (byState.get(r.state as string) ?? 0) + 1);
  await withScreen(demo, 6, async (s) => {
    s.send('i');
    const l = await s.waitFor((x) => (x[0] ?? '').startsWith('Stats') && has('Counted:')(x), 'the stats window');
    t.true(has(`Dialogs: ${records.length}   Messages: ${messages} (`)(l), l.join('\n'));
    t.true(has('Counted: 6 displayed of 6 dialogs')(l));
    for (const [state, n] of byState) t.true(l.some((x) => new RegExp(`^  ${state} +${n}( |$)`).test(x)), `${state} ${n}`);
    t.true(l.some((x) => /^ {2}INVITE +5( |$)/.test(x)), 'five INVITE dialogs');
    s.send(KEYS.esc);
    await s.waitFor(has('Dialogs: 6 (6 displayed)'), 'back to the list');
    // With a display filter, only the displayed dialogs are counted and the filter is named.
    s.send('/');
    s.send('BUSY');
    s.send(KEYS.enter);
    await s.waitFor(has('Dialogs: 6 (1 displayed)'), 'one dialog displayed');
    s.send('i');
    const f = await s.waitFor(has('Counted: 1 displayed of 6 dialogs'), 'stats of the filtered list');
    const busy = records.find((r) => r.state === 'BUSY')!;
    t.true(has(`Dialogs: 1   Messages: ${busy.messages as number} (`)(f));
    t.true(f.some((x) => x.includes('Counted:') && x.includes('BUSY')), 'the filter is shown');
  });
});

test('the save window writes text that -N --json -I reads back to the same dialogs', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-ui-text-'));
  const out = path.join(dir, 'all.txt');
  await withScreen(demo, 6, async (s) => {
    s.send(KEYS.f2);
    await s.waitFor(has('Save dialogs as pcap, text, or pcap with RTP'), 'the save window');
    s.send(CTRL_U);
    s.send(out);
    s.send(KEYS.tab);
    s.send(KEYS.space);
    await s.waitFor(has('(*) text'), 'text chosen');
    s.send(KEYS.enter);
    await s.waitFor(has('Saved 6 dialogs (30 messages, text)'), 'the confirmation');
  });
  const key = (r: Record<string, unknown>): string => [r.callId, r.state, r.messages, r.fromUser, r.toUser, r.src, r.dst, r.start, r.finalStatus].join('|');
  t.deepEqual(jsonRecords(out).map(key), jsonRecords(demo).map(key));
});

test('the save window writes pcap+rtp: the call with its RTP, streams read back the same', async (t) => {
  const twoWay = path.join(ownCaptures, 'rtp', 'two-way.pcap');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-ui-rtp-'));
  const out = path.join(dir, 'call.pcap');
  await withScreen(twoWay, 1, async (s) => {
    s.send(KEYS.f2);
    await s.waitFor(has('(*) pcap  ( ) text  ( ) pcap+rtp'), 'the save window offers pcap+rtp');
    s.send(CTRL_U);
    s.send(out);
    s.send(KEYS.tab);
    s.send(KEYS.space);
    s.send(KEYS.space);
    await s.waitFor(has('(*) pcap+rtp'), 'pcap+rtp chosen');
    s.send(KEYS.enter);
    await s.waitFor(has('Saved 1 dialog (208 packets: 202 RTP/RTCP)'), 'the confirmation with the RTP count');
  });
  const rtp = (file: string): unknown => jsonRecords(file).map((r) => r.rtp);
  t.is((rtp(twoWay) as unknown[][])[0]?.length, 2);
  t.deepEqual(rtp(out), rtp(twoWay));
});

test('s in the call flow saves the current message alone, as pcap', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-ui-msg-'));
  const out = path.join(dir, 'busy-486.pcap');
  await withScreen(demo, 6, async (s) => {
    s.send(KEYS.down);
    s.send(KEYS.enter);
    await s.waitFor(has('Call flow  3544151510'), 'the busy call');
    s.send(KEYS.down);
    s.send(KEYS.down);
    s.send('s');
    await s.waitFor(has('Save the message or the dialogs'), 'the save window');
    s.send(CTRL_U);
    s.send(out);
    s.send(KEYS.enter);
    await s.waitFor(has('Saved 1 message (1 packets)'), 'the confirmation in the flow footer');
  });
  const records = jsonRecords(out);
  t.is(records.length, 1);
  t.is(records[0]!.messages, 1);
  t.is(records[0]!.finalStatus, 486);
});

test('Left and Right scroll a ladder wider than the screen', async (t) => {
  await withScreen(
    b2bua,
    5,
    async (s) => {
      s.send(KEYS.space);
      s.send(KEYS.space);
      s.send(KEYS.enter);
      const before = await s.waitFor((x) => has('Call flow  2 dialogs')(x) && has('(Right: more')(x), 'a ladder wider than 80 columns');
      t.false(has('127.0.0.1:5076')(before), 'the last column is off screen');
      for (let i = 0; i < 5; i++) s.send('\x1b[C');
      const after = await s.waitFor((x) => has('127.0.0.1:5076')(x) && has('scrolled')(x), 'the last column after Right');
      const arrow = legArrows(after)[0]!;
      t.is(arrow.slice(0, 19), legArrows(before)[0]!.slice(0, 19), 'the leg and time margin stay');
      t.not(arrow, legArrows(before)[0], 'the ladder itself moved');
      for (let i = 0; i < 5; i++) s.send('\x1b[D');
      await s.waitFor((x) => has('127.0.0.1:5072')(x) && !has('scrolled')(x), 'back to the first column');
    },
    80,
    30,
  );
});

test('a ladder too wide for a preview beside it gets the whole width; t shows the preview, t again hides it', async (t) => {
  await withScreen(
    b2bua,
    5,
    async (s) => {
      s.send(KEYS.space);
      s.send(KEYS.space);
      s.send(KEYS.enter);
      const wide = await s.waitFor((x) => has('Call flow  2 dialogs')(x) && has('127.0.0.1:5076')(x), 'all four columns');
      t.false(has('│INVITE sip:')(wide), 'no preview beside a ladder that needs the width');
      t.true(legArrows(wide).some((a) => a.startsWith('L2') && a.includes('INVITE')), wide.join('\n'));
      t.true(has('t Preview')(wide), 'the footer offers the preview');
      s.send('t');
      const withPreview = await s.waitFor((x) => has('│INVITE sip:3544151602@')(x), 'the preview on request');
      t.true(has('t hides the preview')(withPreview), 'the title says the ladder continues');
      s.send('t');
      await s.waitFor((x) => !has('│INVITE sip:')(x) && has('127.0.0.1:5076')(x), 'the whole ladder again');
    },
    120,
    30,
  );
});
