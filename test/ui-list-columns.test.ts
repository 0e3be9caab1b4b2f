/**
 * The dialog list's columns, sort and config in the real program (pseudo-terminal): keys
 * pressed as a terminal sends them, assertions on the screen text.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KEYS, spawnSipscope, type ScreenSession } from './helpers/pty';
import { ownCaptures } from './helpers/paths';
import { wideNamesCapture, WIDE_NAMES } from './list-wide-capture';

const demo = path.join(ownCaptures, 'demo-udp.pcap');
const F10 = '\x1b[21~';
const END = '\x1b[F';
const has = (s: string) => (lines: string[]) => lines.join('\n').includes(s);
/** The column header line of the list (third line). */
const headerOf = (lines: string[]): string => lines[2] ?? '';
/** Dialog numbers of the rows on screen, top to bottom. */
const rowIndexes = (lines: string[]): number[] =>
  lines.filter((l) => /^\[[ *]\] +\d+ /.test(l)).map((l) => Number(/^\[[ *]\] +(\d+) /.exec(l)![1]));

function rcFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-ui-rc-'));
  const file = path.join(dir, 'sipscoperc');
  fs.writeFileSync(file, text);
  return file;
}

async function withList(args: string[], run: (s: ScreenSession) => Promise<void>, cols = 120, rows = 30): Promise<void> {
  const s = spawnSipscope(args, { cols, rows });
  try {
    await s.waitFor((l) => has('(6 displayed)')(l) || has('(4 displayed)')(l), 'the list');
    await run(s);
  } finally {
    s.kill();
  }
}

test('F10 opens the columns window: Space hides Method at once, a typed header becomes a column', async (t) => {
  await withList(['-F', '-I', demo], async (s) => {
    t.true(headerOf(s.lines()).includes('Method'));
    s.send(F10);
    await s.waitFor(has('List columns'), 'the columns window');
    s.send(KEYS.down);
    s.send(KEYS.space);
    const hidden = await s.waitFor((l) => !headerOf(l).includes('Method'), 'Method gone from the list header');
    t.true(has('[ ] Method')(hidden), 'its box is unticked');
    s.send(KEYS.esc);
    const list = await s.waitFor((l) => !has('List columns')(l), 'the window closed');
    t.false(list.some((l) => /^\[ \] +1 INVITE/.test(l)), 'rows have no method any more');
    t.regex(list.find((l) => l.startsWith('[ ]'))!, /^\[ \] +1 3544151500 +3544151502/);
    // t opens it too; End goes to the header field.
    s.send('t');
    await s.waitFor(has('List columns'), 'the columns window again');
    s.send(END);
    s.send('User-Agent');
    await s.waitFor(has('[User-Agent_'), 'the typed name');
    s.send(KEYS.enter);
    const added = await s.waitFor((l) => headerOf(l).includes('User-Agent'), 'the User-Agent column');
    t.true(has('Added the User-Agent column')(added));
    s.send(KEYS.esc);
    const withUa = await s.waitFor((l) => !has('List columns')(l), 'the window closed');
    const first = withUa.find((l) => /^\[ \] +1 /.test(l))!;
    // The new column comes last; at 120 columns SIPp's User-Agent is cut with an ellipsis.
    t.regex(first, / sipscope-[a-z-]*…$/, first);
    t.is(headerOf(withUa).trimEnd().split(/ +/).pop(), 'User-Agent');
  });
});

test('in the columns window - and + (or Shift+Down/Up) move a column right and left', async (t) => {
  /** The shown columns as the window lists them, in order. */
  const shown = (l: string[]): string => l.map((x) => /\[✔\] (\S+)/.exec(x)?.[1]).filter((x) => x !== undefined).slice(0, 4).join(' ');
  await withList(['-F', '-I', demo], async (s) => {
    s.send(F10);
    await s.waitFor((l) => shown(l) === 'Idx Method From To', 'the columns window');
    s.send(KEYS.down);
    s.send('-');
    await s.waitFor((l) => shown(l) === 'Idx From Method To', 'Method after From');
    s.send('-');
    await s.waitFor((l) => shown(l) === 'Idx From To Method', 'Method after To');
    s.send(KEYS.esc);
    const list = await s.waitFor((l) => !has('List columns')(l), 'the window closed');
    t.regex(headerOf(list), /^ +Idx From +To +Method +Msgs/);
    t.regex(list.find((l) => /^\[ \] +1 /.test(l))!, /^\[ \] +1 3544151500 +3544151502 +INVITE /);
    // Shift+Up and + move it back; the cursor starts on the first column again.
    s.send(F10);
    await s.waitFor(has('List columns'), 'the columns window');
    for (let i = 0; i < 3; i++) s.send(KEYS.down);
    s.send('\x1b[1;2A'); // Shift+Up
    await s.waitFor((l) => shown(l) === 'Idx From Method To', 'Method before To');
    s.send('+');
    await s.waitFor((l) => shown(l) === 'Idx Method From To', 'Method second again');
    s.send(KEYS.esc);
    const back = await s.waitFor((l) => !has('List columns')(l), 'the window closed');
    t.regex(headerOf(back), /^ +Idx Method +From +To +Msgs/);
  });
});

test('F10 no longer quits the list; q still does', async (t) => {
  const s = spawnSipscope(['-F', '-I', demo], { cols: 80, rows: 24 });
  try {
    await s.waitFor(has('(6 displayed)'), 'the list');
    s.send(F10);
    const box = await s.waitFor(has('List columns'), 'the columns window');
    t.true(box.some((l) => l.includes('Space show/hide')), 'the whole box fits 80x24, hint line included');
    s.send(KEYS.esc);
    await s.waitFor((l) => !has('List columns')(l), 'closed');
    s.send('q');
    t.is(await s.exited(), 0);
  } finally {
    s.kill();
  }
});

test('< chooses the sort column, z flips it; the header shows the direction', async (t) => {
  await withList(['-F', '-I', demo], async (s) => {
    s.send('<');
    await s.waitFor(has('Sort by'), 'the sort menu');
    // Idx, Method, From, To, Msgs.
    for (let i = 0; i < 4; i++) s.send(KEYS.down);
    s.send(KEYS.enter);
    const asc = await s.waitFor((l) => headerOf(l).includes('Msg▲') && !has('Sort by')(l), 'sorted by Msgs');
    // Messages per dialog: 7, 4, 3, 7, 5, 4; equal counts keep dialog order.
    t.deepEqual(rowIndexes(asc), [3, 2, 6, 5, 1, 4]);
    s.send('z');
    const desc = await s.waitFor((l) => headerOf(l).includes('Msg▼'), 'flipped');
    t.deepEqual(rowIndexes(desc), [1, 4, 5, 2, 6, 3]);
    // > opens the same menu; sort by Idx again, still descending.
    s.send('>');
    await s.waitFor(has('Sort by'), 'the sort menu');
    s.send('\x1b[H');
    s.send(KEYS.enter);
    const byIdx = await s.waitFor((l) => headerOf(l).includes('Idx▼'), 'sorted by Idx');
    t.deepEqual(rowIndexes(byIdx), [6, 5, 4, 3, 2, 1]);
  });
});

test('a config file via -f: columns, a header column, sort, and aliases in the list and the call flow', async (t) => {
  const rc = rcFile(
    [
      '# list as the NOC wants it',
      'columns index from to src dst state hdr:User-Agent',
      'sort index desc',
      'alias 127.0.0.1:5060 uas',
      'alias 127.0.0.1 lo',
      'bind x open-flow list',
    ].join('\n'),
  );
  await withList(['-f', rc, '-I', demo], async (s) => {
    const list = await s.waitFor((l) => headerOf(l).includes('User-Agent'), 'the configured columns');
    t.regex(headerOf(list), /^ +Idx▼ From +To +Source +Destination +State +User-Agent/);
    t.deepEqual(rowIndexes(list), [6, 5, 4, 3, 2, 1]);
    const answered = list.find((l) => /^\[ \] +1 /.test(l))!;
    t.regex(answered, /^\[ \] +1 3544151500 +3544151502 +lo:5062 +uas +COMPLETED +sipscope-demo-cal/);
    t.false(has('127.0.0.1')(list), 'no raw address left in the list');
    // x (bound in the config) opens the call flow of the dialog under the cursor (number 6).
    for (let i = 0; i < 5; i++) s.send(KEYS.down);
    s.send('x');
    const flow = await s.waitFor((l) => (l[0] ?? '').startsWith('Call flow'), 'the call flow');
    t.true((flow[0] ?? '').includes('3544151500'), flow[0]);
    const header = flow.find((l) => l.includes('uas'))!;
    t.true(header.includes('lo:5062') && header.indexOf('lo:5062') < header.indexOf('uas'), header);
  });
});

test('State cells are coloured by call state; the config changes a colour or turns colours off', async (t) => {
  /** The colour digit (SGR 30-37) the BUSY cell is drawn with, or undefined when uncoloured. */
  const busyColour = (raw: string): string | undefined => /\x1b\[(?:\d+;)*3(\d)m(?:\x1b\[\d*C)?BUSY/.exec(raw)?.[1];
  const screens: [string[], string | undefined][] = [
    [['-F'], '3'],
    [['-f', rcFile('color busy blue\n')], '4'],
    [['-f', rcFile('color off\n')], undefined],
  ];
  for (const [args, want] of screens) {
    await withList([...args, '-I', demo], async (s) => {
      await s.waitFor(has('BUSY'), 'the busy call');
      t.is(busyColour(s.output()), want, args.join(' '));
    });
  }
});

test('wide display names keep the columns aligned at 80x24; nothing is lost at the end of a line', async (t) => {
  const rc = rcFile('columns index fromname toname from state msgs\n');
  await withList(['-f', rc, '-I', wideNamesCapture()], async (s) => {
    const lines = await s.waitFor((l) => rowIndexes(l).length === 4, 'four rows');
    // Cells by an independent rule: CJK ideographs two, everything else one.
    const cells = (x: string): number => [...x].reduce((n, c) => n + (/[\u4e00-\u9fff]/.test(c) ? 2 : 1), 0);
    const header = headerOf(lines);
    const at = cells(header.slice(0, header.indexOf('State')));
    const rows = lines.filter((l) => /^\[ \] +\d /.test(l));
    t.true(rows[0]!.includes(WIDE_NAMES[0]!), rows[0]);
    t.true(rows[1]!.includes('José María'), rows[1]);
    // Marks with no composed form are left out of the screen (neo-blessed would cut the line).
    t.true(rows[3]!.includes('Ax Bq Zed'), rows[3]);
    for (const row of rows) {
      t.is(cells(row.slice(0, row.indexOf('BUSY'))), at, row);
      t.regex(row, / 2$/, 'the last column, Msgs, is still on screen');
    }
    for (const l of lines) t.true(cells(l) <= 80, l);
  }, 80, 24);
});
