import test from 'ava';
import { rawLines, safeLine, splitLines } from '../src/view/raw-view';
import { UTC, formatDateTime } from '../src/view/clock';

const T0 = 1795435200; // 2026-11-23 12:00:00 UTC

test('each message is headed with its date, time and addresses, then its lines', (t) => {
  const lines = rawLines(
    [
      { sec: T0, nsec: 123456789, src: '127.0.0.1:5062', dst: '127.0.0.1:5060', bytes: Buffer.from('OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\n\r\n') },
      { sec: T0 + 1, nsec: 0, src: '[2001:db8::1]:5060', dst: '127.0.0.1:5062', bytes: undefined },
    ],
    UTC,
  );
  t.deepEqual(lines, [
    '2026/11/23 12:00:00.123456 127.0.0.1:5062 -> 127.0.0.1:5060',
    'OPTIONS sip:a SIP/2.0',
    'Call-ID: x',
    '',
    '',
    '2026/11/23 12:00:01.000000 [2001:db8::1]:5060 -> 127.0.0.1:5062',
    '(the bytes of this message cannot be read back: the capture file is gone or still loading)',
  ]);
});

test('escape sequences and control characters are shown escaped, tabs expanded, CR/LF break lines', (t) => {
  t.is(safeLine('Subject: \x1b]0;pwned\x07\x1b[2J'), 'Subject: \\x1b]0;pwned\\x07\\x1b[2J');
  t.is(safeLine('a\tb'), 'a       b');
  t.is(safeLine('C1 \u009b31m'), 'C1 \\x9b31m');
  t.deepEqual(splitLines('a\r\nb\nc\rd\r\n'), ['a', 'b', 'c', 'd']);
  const lines = rawLines([{ sec: T0, nsec: 0, src: 'a', dst: 'b', bytes: Buffer.from('X: \x1b[31mred\r\n') }], UTC);
  t.false(lines.join('\n').includes('\x1b'));
  t.is(lines[1], 'X: \\x1b[31mred');
});

test('time zone offset is applied by the caller', (t) => {
  t.is(formatDateTime(T0, 0, () => 3600), '2026/11/23 13:00:00.000000');
});
