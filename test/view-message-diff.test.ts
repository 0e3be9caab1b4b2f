/** Message diff: headers paired by name, bodies aligned line by line. */
import test from 'ava';
import { diffLines, diffMessages, diffSummary, sideBySide } from '../src/view/message-diff';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

const INVITE = crlf([
  'INVITE sip:2002@10.0.0.2 SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1',
  'From: <sip:1001@10.0.0.1>;tag=a1',
  'To: <sip:2002@10.0.0.2>',
  'Call-ID: c1@x',
  'CSeq: 1 INVITE',
  'Content-Type: application/sdp',
  'Content-Length: 60',
  '',
  'v=0',
  'c=IN IP4 10.0.0.1',
  'm=audio 40000 RTP/AVP 0 8',
  'a=sendrecv',
  '',
]);

// The re-INVITE: headers in another order, compact forms, a new To tag, CSeq 2, hold in SDP.
const REINVITE = crlf([
  'INVITE sip:2002@10.0.0.2 SIP/2.0',
  'i: c1@x',
  'f: <sip:1001@10.0.0.1>;tag=a1',
  'v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-2',
  't: <sip:2002@10.0.0.2>;tag=b9',
  'CSeq: 2 INVITE',
  'c: application/sdp',
  'Content-Length: 60',
  'Session-Expires: 1800',
  '',
  'v=0',
  'c=IN IP4 10.0.0.1',
  'm=audio 40000 RTP/AVP 0 8',
  'a=sendonly',
  '',
]);

test('reordered and compact headers are paired by name: only real differences are marked', (t) => {
  const rows = diffMessages(INVITE, REINVITE);
  const marked = rows.filter((r) => r.mark !== '=').map((r) => `${r.mark} ${r.left} | ${r.right}`);
  t.deepEqual(marked, [
    '~ Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1 | Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-2',
    '~ To: <sip:2002@10.0.0.2> | To: <sip:2002@10.0.0.2>;tag=b9',
    '~ CSeq: 1 INVITE | CSeq: 2 INVITE',
    '>  | Session-Expires: 1800',
    '~ a=sendrecv | a=sendonly',
  ]);
  t.true(rows.some((r) => r.mark === '=' && r.left === 'Call-ID: c1@x' && r.right === 'Call-ID: c1@x'), 'i: is Call-ID');
  t.is(diffSummary(rows), '4 changed, 0 only in the first, 1 only in the second');
});

test('body lines align on what they have in common', (t) => {
  const rows = diffLines(['v=0', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=ptime:20'], ['v=0', 'a=rtpmap:8 PCMA/8000', 'a=ptime:20', 'a=sendonly']);
  t.deepEqual(
    rows.map((r) => r.mark),
    ['=', '<', '=', '=', '>'],
  );
});

test('control characters from the capture are escaped; side by side marks changed rows', (t) => {
  const a = crlf(['OPTIONS sip:x SIP/2.0', 'Subject: hi\x1b[2J', 'Content-Length: 0', '', '']);
  const b = crlf(['OPTIONS sip:x SIP/2.0', 'Subject: hi', 'Content-Length: 0', '', '']);
  const rows = diffMessages(a, b);
  t.false(rows.some((r) => r.left.includes('\x1b')));
  const text = sideBySide(rows, 60);
  const subject = text.find((l) => l.startsWith('Subject'))!;
  t.regex(subject, /^Subject: hi\\x1b\[2J +~ Subject: hi$/);
  t.regex(text[0]!, /^OPTIONS sip:x SIP\/2\.0 {3,}OPTIONS sip:x SIP\/2\.0$/);
});
