/**
 * Colours: syntax colouring of SIP text and call-flow arrows where the terminal has colours,
 * bold and inverse only where it has not (TERM=vt100) or the user said NO_COLOR, and a clear
 * refusal on a terminal that cannot address the cursor (TERM=dumb).
 */
import test from 'ava';
import * as path from 'node:path';
import { labelColour, styleSipLines, fitStyled } from '../src/ui/sip-colours';
import { wantsColour, terminalProblem } from '../src/ui/blessed-canvas';
import { lineText } from '../src/ui/canvas';
import { KEYS, spawnSipscope } from './helpers/pty';
import { ownCaptures } from './helpers/paths';

test('arrow colours follow the kind of message', (t) => {
  t.is(labelColour('INVITE'), 'cyan');
  t.is(labelColour('180 Ringing'), 'yellow');
  t.is(labelColour('200 OK'), 'green');
  t.is(labelColour('302 Moved Temporarily'), 'blue');
  t.is(labelColour('403 Forbidden'), 'red');
  t.is(labelColour('503 Service Unavailable'), 'red');
  t.is(labelColour('603 Decline'), 'red');
  t.is(labelColour('RTP PCMU'), 'magenta');
});

test('SIP text: start line by kind, header names, the SDP lines that say where media goes', (t) => {
  const lines = [
    '2026/11/23 12:39:50.382500 127.0.0.1:5060 -> 127.0.0.1:5062',
    'SIP/2.0 486 Busy Here',
    'Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-1',
    'Content-Type: application/sdp',
    '',
    'v=0',
    'c=IN IP4 192.168.1.20',
    'm=audio 40002 RTP/AVP 0',
    'a=rtpmap:0 PCMU/8000',
    '2026/11/23 12:39:50.400000 127.0.0.1:5062 -> 127.0.0.1:5060',
    'ACK sip:b@127.0.0.1:5060 SIP/2.0',
    'Call-ID: x',
  ];
  const styled = styleSipLines(lines);
  // The text is unchanged: copying from the screen gives the message as it was.
  t.deepEqual(styled.map(lineText), lines);
  t.true(styled[0]![0]!.bold === true);
  t.is(styled[1]![0]!.fg, 'red');
  t.deepEqual(styled[2]!.map((s) => [s.text, s.fg]), [['Via', 'cyan'], [': SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-1', undefined]]);
  t.is(styled[5]![0]!.fg, undefined); // v=0
  t.is(styled[6]![0]!.fg, 'yellow');
  t.is(styled[7]![0]!.fg, 'yellow');
  t.is(styled[8]![0]!.fg, 'yellow');
  t.is(styled[10]![0]!.fg, 'cyan'); // the next message's request line
  t.is(styled[11]![0]!.fg, 'cyan'); // its header name, not a body line
});

test('fitStyled cuts and pads by characters and keeps the styles', (t) => {
  const line = [{ text: 'Via', fg: 'cyan' as const }, { text: ': SIP/2.0/UDP' }];
  t.deepEqual(fitStyled(line, 6), [{ text: 'Via', fg: 'cyan' }, { text: ': S' }]);
  t.is(lineText(fitStyled(line, 18)), 'Via: SIP/2.0/UDP  ');
  t.deepEqual(fitStyled([], 3), [{ text: '   ' }]);
});

test('colours only where the terminal has them and nobody said no', (t) => {
  t.true(wantsColour(undefined, {}, 256));
  t.true(wantsColour(undefined, {}, 8));
  t.false(wantsColour(undefined, {}, -1)); // vt100
  t.false(wantsColour(undefined, { NO_COLOR: '1' }, 256));
  t.true(wantsColour(undefined, { NO_COLOR: '' }, 256)); // no-color.org: only a non-empty value counts
  t.false(wantsColour(false, {}, 256));
  t.regex(terminalProblem({ TERM: 'dumb' }) ?? '', /'dumb' cannot show the full-screen view; set TERM .* or add -N/);
  t.regex(terminalProblem({}) ?? '', /TERM is not set/);
  t.is(terminalProblem({ TERM: 'vt100' }), undefined);
});

const demo = path.join(ownCaptures, 'demo-udp.pcap');
const colourSgr = /\x1b\[(?:\d+;)*3[1-6]m/;

async function flowOutput(env: NodeJS.ProcessEnv): Promise<{ raw: string; text: string }> {
  const s = spawnSipscope(['-I', demo], { cols: 150, rows: 30, env });
  try {
    await s.waitFor((l) => l.join('\n').includes('Dialogs: 6 (6 displayed)'), 'the list');
    s.send(KEYS.enter);
    const l = await s.waitFor((x) => x.join('\n').includes('Call flow'), 'the call flow');
    return { raw: s.output(), text: l.join('\n') };
  } finally {
    s.kill();
  }
}

test('a colour terminal gets coloured arrows and message text', async (t) => {
  const { raw, text } = await flowOutput({ TERM: 'xterm-256color' });
  t.regex(text, /200 OK/);
  t.regex(raw, /\x1b\[(?:\d+;)*32m/); // green: the 200 OK arrow
  t.regex(raw, /\x1b\[(?:\d+;)*36m/); // cyan: requests and header names
});

test('TERM=vt100 and NO_COLOR get the same screen with bold and inverse only', async (t) => {
  const plain = await flowOutput({ TERM: 'vt100' });
  t.notRegex(plain.raw, colourSgr);
  t.regex(plain.raw, /\x1b\[7m/); // the selected arrow is still marked
  t.regex(plain.text, /INVITE/);
  t.regex(plain.text, /200 OK/);
  const noColour = await flowOutput({ TERM: 'xterm-256color', NO_COLOR: '1' });
  t.notRegex(noColour.raw, colourSgr);
  const coloured = await flowOutput({ TERM: 'xterm-256color' });
  t.is(noColour.text, coloured.text);
});

test('TERM=dumb: a clear message instead of a scrambled screen', async (t) => {
  const s = spawnSipscope(['-I', demo], { cols: 120, rows: 30, env: { TERM: 'dumb' } });
  t.teardown(() => s.kill());
  t.is(await s.exited(10_000), 2);
  t.regex(s.output(), /the terminal type 'dumb' cannot show the full-screen view; set TERM \(for example TERM=xterm-256color\) or add -N to print the dialogs/);
});

test('fitStyled counts terminal cells: wide characters take two, none straddles the edge', (t) => {
  const line = [{ text: '显示', fg: 'cyan' as const }, { text: 'ab' }];
  t.deepEqual(fitStyled(line, 6), [{ text: '显示', fg: 'cyan' }, { text: 'ab' }]);
  t.deepEqual(fitStyled(line, 3), [{ text: '显', fg: 'cyan' }, { text: ' ' }]);
  t.deepEqual(fitStyled(line, 8), [{ text: '显示', fg: 'cyan' }, { text: 'ab' }, { text: '  ' }]);
});

test('several legs in one ladder: each leg tag has its own colour', async (t) => {
  const s = spawnSipscope(['-I', path.join(ownCaptures, 'b2bua-udp.pcap')], { cols: 150, rows: 30, env: { TERM: 'xterm-256color' } });
  try {
    await s.waitFor((l) => l.join('\n').includes('Dialogs: 5 (5 displayed)'), 'the list');
    s.send(' ');
    s.send(' ');
    s.send(KEYS.enter);
    await s.waitFor((l) => l.join('\n').includes('Call flow  2 dialogs'), 'the two-leg ladder');
    const raw = s.output();
    t.regex(raw, /\x1b\[[0-9;]*36[0-9;]*mL1/); // cyan L1
    t.regex(raw, /\x1b\[[0-9;]*33[0-9;]*mL2/); // yellow L2
  } finally {
    s.kill();
  }
});
