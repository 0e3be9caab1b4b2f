import test from 'ava';
import { isoTime, safeText, formatTable, type DialogRecord } from '../src/view/dialog-report';

test('isoTime agrees with Date for any second, with microseconds from nanoseconds', (t) => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < 20000; i++) {
    const sec = Math.floor(rnd() * 4_102_444_800); // 1970 .. 2100
    t.is(isoTime(sec, 987_654_321), new Date(sec * 1000).toISOString().slice(0, 19) + '.987654Z');
  }
  t.is(isoTime(951_782_400, 5000), '2000-02-29T00:00:00.000005Z', 'leap day');
});

test('safeText escapes control characters and escape sequences', (t) => {
  t.is(safeText('a\x1b[2Jb\x07c\x9bd'), 'a\\x1b[2Jb\\x07c\\x9bd');
  t.is(safeText('plain text: 3544151500'), 'plain text: 3544151500');
});

test('the table cuts long cells with a mark and keeps columns aligned', (t) => {
  const r = {
    index: 1, callId: 'x', method: 'INVITE', state: 'COMPLETED', fromUser: '1'.repeat(40), fromUri: '', fromName: '',
    toUser: 'bob', toUri: '', toName: '', src: '10.0.0.1:5060', dst: '10.0.0.2:5060', transport: 'UDP', messages: 7,
    retransmissions: 0, start: '2026-11-23T12:00:00.000000Z', end: '2026-11-23T12:00:02.000000Z', duration: 2,
    talkTime: 1.5, finalStatus: 200, reason: 'OK', warning: '', xCallId: '', userAgent: '', rtp: [], rtcpPackets: 0,
  } satisfies DialogRecord;
  const lines = formatTable([r]).split('\n');
  t.is(lines[2]!.indexOf('bob'), lines[0]!.indexOf('To'));
  t.true(lines[2]!.includes('1'.repeat(15) + '~'));
});
