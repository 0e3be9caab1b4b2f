import test from 'ava';
import { parseSipDatagram, sipMessageEnd } from '../src/sip/parser';
import type { SipMalformed, SipMessage } from '../src/sip/types';

// --- Messages in the style of RFC 3665 §3.1 (Alice calls Bob through no proxy) ------------

const OFFER = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 client.atlanta.example.com',
  's=-',
  'c=IN IP4 192.0.2.101',
  't=0 0',
  'm=audio 49172 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

/** Joins header lines with CRLF, adds Content-Length (unless told not to) and the body. */
function sip(lines: string[], body = '', opts: { contentLength?: string | null; eol?: string } = {}): string {
  const eol = opts.eol ?? '\r\n';
  const h = [...lines];
  if (opts.contentLength !== null) h.push(`Content-Length: ${opts.contentLength ?? Buffer.byteLength(body)}`);
  return h.join(eol) + eol + eol + body;
}

const INVITE = sip(
  [
    'INVITE sip:bob@biloxi.example.com SIP/2.0',
    'Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9',
    'Max-Forwards: 70',
    'From: "Alice Liddell" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
    'To: Bob <sip:bob@biloxi.example.com>',
    'Call-ID: 3848276298220188511@atlanta.example.com',
    'CSeq: 1 INVITE',
    'Contact: <sip:alice@client.atlanta.example.com;transport=udp>',
    'User-Agent: Softphone Beta1.5',
    'Content-Type: application/sdp',
  ],
  OFFER,
);

const RINGING = sip([
  'SIP/2.0 180 Ringing',
  'Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101',
  'From: "Alice Liddell" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  'To: Bob <sip:bob@biloxi.example.com>;tag=8321234356',
  'Call-ID: 3848276298220188511@atlanta.example.com',
  'CSeq: 1 INVITE',
  'Contact: <sip:bob@client.biloxi.example.com>',
  'Server: Biloxi PBX 2.1',
]);

const BYE = sip([
  'BYE sip:alice@client.atlanta.example.com SIP/2.0',
  'Via: SIP/2.0/UDP client.biloxi.example.com:5060;branch=z9hG4bKnashds7',
  'Max-Forwards: 70',
  'From: Bob <sip:bob@biloxi.example.com>;tag=8321234356',
  'To: "Alice Liddell" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  'Call-ID: 3848276298220188511@atlanta.example.com',
  'CSeq: 1 BYE',
  'Reason: Q.850;cause=16;text="Normal call clearing"',
]);

interface Parsed {
  isSip: boolean;
  messages: SipMessage[];
  malformed: SipMalformed[];
}

function parse(data: string | Buffer): Parsed {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const messages: SipMessage[] = [];
  const malformed: SipMalformed[] = [];
  const isSip = parseSipDatagram(buf, (m) => messages.push(m), (m) => malformed.push(m));
  return { isSip, messages, malformed };
}

function one(data: string | Buffer): SipMessage {
  const r = parse(data);
  if (r.messages.length !== 1 || r.malformed.length !== 0) {
    throw new Error(`expected one message, got ${JSON.stringify(r)}`);
  }
  return r.messages[0]!;
}

/** Checks the invariants every parse result must satisfy, whatever the input. */
function checkInvariants(buf: Buffer, r: Parsed): string | null {
  if (!r.isSip && (r.messages.length > 0 || r.malformed.length > 0)) return 'not SIP but callbacks called';
  const spans = [...r.messages, ...r.malformed].map((m) => [m.offset, m.length] as const).sort((a, b) => a[0] - b[0]);
  let prevEnd = 0;
  for (const [o, l] of spans) {
    if (!Number.isInteger(o) || !Number.isInteger(l) || o < prevEnd || l <= 0 || o + l > buf.length) {
      return `bad span ${o}+${l} in ${buf.length} bytes`;
    }
    prevEnd = o + l;
  }
  for (const m of r.messages) {
    if (m.callId === '') return 'message without Call-ID';
    if (m.bodyLength < 0 || m.bodyLength > m.length) return 'bad bodyLength';
  }
  return null;
}

// --- Fields ---------------------------------------------------------------------------------

test('INVITE with SDP: every field', (t) => {
  const m = one(INVITE);
  t.true(m.isRequest);
  t.is(m.method, 'INVITE');
  t.is(m.requestUri, 'sip:bob@biloxi.example.com');
  t.is(m.status, 0);
  t.is(m.reasonPhrase, '');
  t.is(m.callId, '3848276298220188511@atlanta.example.com');
  t.deepEqual(m.from, { display: 'Alice Liddell', uri: 'sip:alice@atlanta.example.com', user: 'alice', tag: '9fxced76sl' });
  t.deepEqual(m.to, { display: 'Bob', uri: 'sip:bob@biloxi.example.com', user: 'bob', tag: '' });
  t.is(m.cseq, 1);
  t.is(m.cseqMethod, 'INVITE');
  t.is(m.branch, 'z9hG4bK74bf9');
  t.is(m.contentType, 'application/sdp');
  t.is(m.userAgent, 'Softphone Beta1.5');
  t.is(m.reason, '');
  t.is(m.warning, '');
  t.is(m.xCallId, '');
  t.is(m.offset, 0);
  t.is(m.length, Buffer.byteLength(INVITE));
  t.is(m.bodyLength, Buffer.byteLength(OFFER));
  t.true(m.hasSdp);
  t.deepEqual(m.problems, []);
});

test('180 Ringing: status, reason phrase, method from CSeq, Server as user agent, To tag', (t) => {
  const m = one(RINGING);
  t.false(m.isRequest);
  t.is(m.status, 180);
  t.is(m.reasonPhrase, 'Ringing');
  t.is(m.method, 'INVITE');
  t.is(m.cseqMethod, 'INVITE');
  t.is(m.requestUri, '');
  t.is(m.to.tag, '8321234356');
  t.is(m.branch, 'z9hG4bK74bf9');
  t.is(m.userAgent, 'Biloxi PBX 2.1');
  t.is(m.bodyLength, 0);
  t.false(m.hasSdp);
  t.is(m.contentType, '');
});

test('BYE with Reason; Warning, X-Call-ID and X-CID', (t) => {
  t.is(one(BYE).reason, 'Q.850;cause=16;text="Normal call clearing"');
  const extra = sip([
    'SIP/2.0 488 Not Acceptable Here',
    'Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9',
    'From: <sip:alice@atlanta.example.com>;tag=1',
    'To: <sip:bob@biloxi.example.com>;tag=2',
    'Call-ID: c1@atlanta.example.com',
    'CSeq: 1 INVITE',
    'Warning: 305 biloxi.example.com "Incompatible media format"',
    'X-Call-ID: leg-a-1234',
  ]);
  const m = one(extra);
  t.is(m.warning, '305 biloxi.example.com "Incompatible media format"');
  t.is(m.xCallId, 'leg-a-1234');
  t.is(m.reasonPhrase, 'Not Acceptable Here');
  t.is(one(extra.replace('X-Call-ID', 'X-CID')).xCallId, 'leg-a-1234');
});

test('any method token is a request (RFC 3261 §7.1), not a fixed list', (t) => {
  const m = one(
    sip([
      'FOOBAR sip:x SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKfoo',
      'From: <sip:a@example.com>;tag=1',
      'To: <sip:x>',
      'Call-ID: foo-1',
      'CSeq: 7 FOOBAR',
    ]),
  );
  t.is(m.method, 'FOOBAR');
  t.is(m.requestUri, 'sip:x');
  t.is(m.cseq, 7);
  t.is(m.cseqMethod, 'FOOBAR');
  t.deepEqual(m.problems, []);
  const odd = one(sip(['X.Y-Z_1! sip:x SIP/2.0', 'Call-ID: 1', 'CSeq: 1 X.Y-Z_1!', 'From: <sip:a@b>', 'To: <sip:x>']));
  t.is(odd.method, 'X.Y-Z_1!');
});

test('compact forms i f t v c l', (t) => {
  const body = OFFER;
  const text = [
    'INVITE sip:bob@biloxi.example.com SIP/2.0',
    'v: SIP/2.0/UDP client.atlanta.example.com;branch=z9hG4bKcompact',
    'f: Alice <sip:alice@atlanta.example.com>;tag=ft',
    't: <sip:bob@biloxi.example.com>',
    'i: compact-1@atlanta.example.com',
    'CSeq: 2 INVITE',
    'm: <sip:alice@client.atlanta.example.com>',
    'c: application/sdp',
    `l: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
  const m = one(text);
  t.is(m.callId, 'compact-1@atlanta.example.com');
  t.is(m.from.tag, 'ft');
  t.is(m.to.user, 'bob');
  t.is(m.branch, 'z9hG4bKcompact');
  t.is(m.contentType, 'application/sdp');
  t.is(m.bodyLength, Buffer.byteLength(body));
  t.true(m.hasSdp);
});

test('header names are case-insensitive; odd spacing around the colon', (t) => {
  const m = one(
    [
      'OPTIONS sip:carol@chicago.example.com SIP/2.0',
      'VIA: SIP/2.0/UDP pc33.atlanta.example.com;BRANCH=z9hG4bKhjhs8ass877',
      'from :Alice <sip:alice@atlanta.example.com>;TAG=1928301774',
      'tO:\t<sip:carol@chicago.example.com>',
      'cALL-iD:   a84b4c76e66710  ',
      'cseq: 63104 OPTIONS',
      'CONTENT-TYPE: Application/SDP; charset=utf-8',
      'content-LENGTH: 0',
      '',
      '',
    ].join('\r\n'),
  );
  t.is(m.branch, 'z9hG4bKhjhs8ass877');
  t.is(m.from.tag, '1928301774');
  t.is(m.to.uri, 'sip:carol@chicago.example.com');
  t.is(m.callId, 'a84b4c76e66710');
  t.is(m.cseq, 63104);
  t.is(m.contentType, 'application/sdp');
  t.false(m.hasSdp, 'empty body is no SDP');
});

test('folded header lines are joined (RFC 3261 §7.3.1)', (t) => {
  const m = one(
    sip([
      'INVITE sip:bob@biloxi.example.com SIP/2.0',
      'Via: SIP/2.0/UDP pc33.atlanta.example.com',
      '   ;branch=z9hG4bKfolded',
      'From: "Alice',
      '\t Liddell" <sip:alice@atlanta.example.com>',
      ' ;tag=ff',
      'To: <sip:bob@biloxi.example.com>',
      'Call-ID:',
      ' folded-callid@atlanta.example.com',
      'CSeq: 4',
      '  INVITE',
      'User-Agent: Phone',
      '  2.0',
    ]),
  );
  t.is(m.branch, 'z9hG4bKfolded');
  t.is(m.from.display, 'Alice Liddell');
  t.is(m.from.tag, 'ff');
  t.is(m.callId, 'folded-callid@atlanta.example.com');
  t.is(m.cseq, 4);
  t.is(m.cseqMethod, 'INVITE');
  t.is(m.userAgent, 'Phone 2.0');
});

test('multi-value Via: the topmost value of the first Via header', (t) => {
  const base = [
    'SIP/2.0 200 OK',
    'From: <sip:a@example.com>;tag=1',
    'To: <sip:b@example.com>;tag=2',
    'Call-ID: mv-1',
    'CSeq: 1 INVITE',
  ];
  const comma = one(
    sip([
      ...base,
      'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKtop;received=192.0.2.1, SIP/2.0/UDP pc33.example.com;branch=z9hG4bKsecond',
      'Via: SIP/2.0/UDP third.example.com;branch=z9hG4bKthird',
    ]),
  );
  t.is(comma.branch, 'z9hG4bKtop');
  const noBranchFirst = one(sip([...base, 'Via: SIP/2.0/UDP proxy.example.com, SIP/2.0/UDP pc33.example.com;branch=z9hG4bKsecond']));
  t.is(noBranchFirst.branch, '', 'a branch of a lower Via is not the top branch');
  const ipv6 = one(sip([...base, 'Via: SIP/2.0/UDP [2001:db8::9:1]:5060;branch=z9hG4bK6;rport']));
  t.is(ipv6.branch, 'z9hG4bK6');
});

test('UTF-8 display name and reason phrase', (t) => {
  const m = one(
    sip([
      'SIP/2.0 603 Décliné',
      'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
      'From: "Jón Þórsson" <sip:jon@example.is>;tag=1',
      'To: Ægir <sip:aegir@example.is>;tag=2',
      'Call-ID: utf8-1',
      'CSeq: 1 INVITE',
    ]),
  );
  t.is(m.reasonPhrase, 'Décliné');
  t.is(m.from.display, 'Jón Þórsson');
  t.is(m.to.display, 'Ægir');
});

// --- Framing --------------------------------------------------------------------------------

test('two and three messages in one datagram, with and without CRLF between them', (t) => {
  const two = parse(INVITE + RINGING);
  t.true(two.isSip);
  t.is(two.messages.length, 2);
  t.is(two.malformed.length, 0);
  t.is(two.messages[1]!.offset, Buffer.byteLength(INVITE));
  t.is(two.messages[1]!.status, 180);

  const three = parse(RINGING + '\r\n' + BYE + '\r\n\r\n' + INVITE);
  t.deepEqual(
    three.messages.map((m) => [m.method, m.status, m.offset, m.length]),
    [
      ['INVITE', 180, 0, RINGING.length],
      ['BYE', 0, RINGING.length + 2, BYE.length],
      ['INVITE', 0, RINGING.length + 2 + BYE.length + 4, Buffer.byteLength(INVITE)],
    ],
  );
  t.is(three.malformed.length, 0);
});

test('no Content-Length on UDP: the body runs to the end of the datagram (§18.3)', (t) => {
  const text = sip(
    [
      'MESSAGE sip:bob@biloxi.example.com SIP/2.0',
      'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
      'From: <sip:alice@atlanta.example.com>;tag=1',
      'To: <sip:bob@biloxi.example.com>',
      'Call-ID: nocl-1',
      'CSeq: 1 MESSAGE',
      'Content-Type: text/plain',
    ],
    'Watson, come here.\r\nINVITE sip:not@a.message SIP/2.0\r\n',
    { contentLength: null },
  );
  const m = one(text);
  t.is(m.length, text.length);
  t.is(m.bodyLength, 'Watson, come here.\r\nINVITE sip:not@a.message SIP/2.0\r\n'.length);
  t.deepEqual(m.problems, []);
});

test('Content-Length larger than the datagram: body cut, problem recorded', (t) => {
  const text = INVITE.replace(/Content-Length: \d+/, 'Content-Length: 500');
  const m = one(text);
  t.is(m.length, Buffer.byteLength(text));
  t.is(m.bodyLength, Buffer.byteLength(OFFER));
  t.deepEqual(m.problems, [`Content-Length 500 exceeds the ${Buffer.byteLength(OFFER)} bytes present`]);
  t.true(m.hasSdp);
});

test('unparsable Content-Length (zeek invalid-content-length.pcap): kept with a problem', (t) => {
  const m = one(
    [
      'INVITE sip:bob@10.0.0.2 SIP/2.0',
      'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776',
      'From: <sip:alice@10.0.0.1>;tag=1928301774',
      'To: <sip:bob@10.0.0.2>',
      'Call-ID: a84b4c76e66710@10.0.0.1',
      'CSeq: 1 INVITE',
      'Content-Length: bad',
      '',
      '',
    ].join('\r\n'),
  );
  t.is(m.callId, 'a84b4c76e66710@10.0.0.1');
  t.deepEqual(m.problems, ['unparsable Content-Length "bad"']);
});

test('Content-Length shorter than the body: the rest is discarded (RFC 3261 §18.3) and noted on the message', (t) => {
  const text = BYE + 'garbage that is no start line';
  const r = parse(text);
  t.is(r.messages.length, 1);
  t.deepEqual(r.malformed, []);
  t.deepEqual(r.messages[0]!.problems, [`${'garbage that is no start line'.length} bytes after the Content-Length body discarded (RFC 3261 §18.3)`]);
  t.is(r.messages[0]!.length, BYE.length);
});

/** The same message with LF line endings everywhere, Content-Length recomputed. */
function lfOnly(text: string): string {
  const lf = text.replace(/\r\n/g, '\n');
  const head = lf.indexOf('\n\n');
  const body = lf.slice(head + 2);
  return lf.slice(0, head + 2).replace(/Content-Length: \d+/, `Content-Length: ${Buffer.byteLength(body)}`) + body;
}

test('LF-only line endings', (t) => {
  const text = lfOnly(INVITE);
  const m = one(text);
  t.is(m.callId, '3848276298220188511@atlanta.example.com');
  t.is(m.from.tag, '9fxced76sl');
  t.is(m.bodyLength, Buffer.byteLength(OFFER.replace(/\r\n/g, '\n')));
  t.true(m.hasSdp);
  t.deepEqual(m.problems, []);
  const two = parse(lfOnly(RINGING) + lfOnly(BYE));
  t.is(two.messages.length, 2);
});

test('a 1 MB body', (t) => {
  const body = 'x'.repeat(1024 * 1024 - 2) + '\r\n';
  const text = sip(
    [
      'MESSAGE sip:bob@biloxi.example.com SIP/2.0',
      'Via: SIP/2.0/TCP h;branch=z9hG4bKbig',
      'From: <sip:alice@atlanta.example.com>;tag=1',
      'To: <sip:bob@biloxi.example.com>',
      'Call-ID: big-1',
      'CSeq: 1 MESSAGE',
      'Content-Type: text/plain',
    ],
    body,
  );
  const buf = Buffer.from(text + BYE);
  const r = parse(buf);
  t.is(r.messages.length, 2);
  t.is(r.messages[0]!.bodyLength, 1024 * 1024);
  t.is(r.messages[1]!.method, 'BYE');
  t.is(sipMessageEnd(buf, 0), text.length);
  t.is(sipMessageEnd(buf.subarray(0, text.length - 1), 0), 'incomplete');
});

test('multipart/mixed body with an SDP part is SDP (RFC 5621 style)', (t) => {
  const body = [
    '--unique-boundary-1',
    'Content-Type: application/sdp',
    '',
    OFFER.trimEnd(),
    '--unique-boundary-1',
    'Content-Type: application/isup; version=itu-t92+',
    'Content-Disposition: signal; handling=optional',
    '',
    '\x01\x00\x49\x00\x00\x03',
    '--unique-boundary-1--',
    '',
  ].join('\r\n');
  const head = [
    'INVITE sip:bob@biloxi.example.com SIP/2.0',
    'Via: SIP/2.0/UDP h;branch=z9hG4bKmp',
    'From: <sip:alice@atlanta.example.com>;tag=1',
    'To: <sip:bob@biloxi.example.com>',
    'Call-ID: multipart-1',
    'CSeq: 1 INVITE',
    'MIME-Version: 1.0',
  ];
  const m = one(sip([...head, 'Content-Type: multipart/mixed; boundary=unique-boundary-1'], body));
  t.is(m.contentType, 'multipart/mixed');
  t.true(m.hasSdp);
  const quoted = one(sip([...head, 'Content-Type: multipart/mixed;boundary="unique-boundary-1"'], body));
  t.true(quoted.hasSdp);
  const noSdp = one(sip([...head, 'Content-Type: multipart/mixed; boundary=unique-boundary-1'], body.replace('application/sdp', 'text/plain')));
  t.false(noSdp.hasSdp);
});

test('CRLF keep-alives: alone not SIP; before a start line skipped (§7.5)', (t) => {
  t.false(parse('\r\n\r\n').isSip);
  t.false(parse('\r\n').isSip);
  t.false(parse('').isSip);
  const r = parse('\r\n\r\n' + BYE);
  t.is(r.messages.length, 1);
  t.is(r.messages[0]!.offset, 4);
});

test('not SIP: RTP, STUN, HTTP, text; nothing is called', (t) => {
  const rtp = Buffer.from([0x80, 0x00, 0x12, 0x34, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff]);
  for (const data of [
    rtp,
    Buffer.from('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n'),
    Buffer.from('HTTP/1.1 200 OK\r\n\r\n'),
    Buffer.from('hello world'),
    Buffer.from('INVITE sip:bob@biloxi.example.com SIP/3.0\r\n'),
    Buffer.from('SIP/2.0 20 OK\r\n'),
    Buffer.from('SIP/2.0 2000 OK\r\n'),
    Buffer.from(' INVITE sip:bob SIP/2.0\r\n'),
  ]) {
    const r = parse(data);
    t.false(r.isSip, data.toString('latin1'));
    t.is(r.messages.length + r.malformed.length, 0);
  }
});

test('junk before a request (zeek sip-junk-before-request.pcap)', (t) => {
  // That capture holds two UDP datagrams from 1.1.1.1:31000 to 1.1.1.2:5060: four NUL bytes,
  // then a REGISTER with only an Expires header. tshark shows the REGISTER; so do we, as a
  // counted malformed message kept as raw text (no Call-ID: it can join no dialog). The junk
  // datagram is simply not SIP, and the parser keeps no state that it could disturb.
  t.false(parse(Buffer.from([0, 0, 0, 0])).isSip);
  const register = 'REGISTER sip:1.1.1.1:5060 SIP/2.0\r\nExpires: 3600\r\n\r\n';
  const r = parse(register);
  t.true(r.isSip);
  t.deepEqual(r.malformed, [{ offset: 0, length: register.length, reason: 'no Call-ID header' }]);
  // Junk inside the same datagram before a start line is not SIP (tshark's UDP heuristic
  // agrees: a SIP payload starts with its start line).
  t.false(parse(Buffer.concat([Buffer.from([0, 0, 0, 0]), Buffer.from(BYE)])).isSip);
});

test('unusable messages are malformed with a reason', (t) => {
  const noCallId = BYE.replace('Call-ID: 3848276298220188511@atlanta.example.com\r\n', '');
  t.deepEqual(parse(noCallId).malformed, [{ offset: 0, length: noCallId.length, reason: 'no Call-ID header' }]);
  t.is(parse(BYE.replace('Call-ID: 3848276298220188511@atlanta.example.com', 'Call-ID:   ')).malformed[0]?.reason, 'empty Call-ID header');
  t.is(parse(BYE.replace('CSeq: 1 BYE', 'CSeq: one BYE')).malformed[0]?.reason, 'unparsable CSeq "one BYE"');
  t.is(parse(BYE.replace('CSeq: 1 BYE', 'CSeq: 1')).malformed[0]?.reason, 'unparsable CSeq "1"');
  t.is(parse(BYE.replace('CSeq: 1 BYE', 'CSeq: 1 BYE extra')).malformed[0]?.reason, 'unparsable CSeq "1 BYE extra"');
  t.is(parse(BYE.replace('CSeq: 1 BYE\r\n', '')).malformed[0]?.reason, 'no CSeq header');
  t.is(parse('OPTIONS sip:x SIP/2.0\r\n\r\n').malformed[0]?.reason, 'no headers after the start line');
  t.is(parse('OPTIONS sip:x SIP/2.0').malformed[0]?.reason, 'no headers after the start line');
  // A malformed message is framed like any other: the next one is still found.
  const r = parse(noCallId + RINGING);
  t.is(r.malformed.length, 1);
  t.is(r.messages.length, 1);
  t.is(r.messages[0]!.offset, noCallId.length);
});

test('non-fatal problems: missing From/To, CSeq method mismatch, headers without end', (t) => {
  const m = one(BYE.replace(/From: .*\r\n/, '').replace('CSeq: 1 BYE', 'CSeq: 1 INVITE'));
  t.deepEqual(m.problems, ['CSeq method INVITE differs from the request method BYE', 'no From header']);
  t.is(m.from.uri, '');
  const cut = one(BYE.slice(0, BYE.indexOf('Content-Length')));
  t.deepEqual(cut.problems, ['headers not ended by a blank line (truncated?)']);
  const noColon = one(BYE.replace('Max-Forwards: 70', 'Max-Forwards 70'));
  t.deepEqual(noColon.problems, ['one header line without a colon']);
});

// --- Robustness -----------------------------------------------------------------------------

test('every truncation of one and of two messages: not SIP, malformed, or a message with a problem', (t) => {
  for (const whole of [INVITE, RINGING + INVITE]) {
    const full = Buffer.from(whole);
    for (let cut = 0; cut < full.length; cut++) {
      const buf = full.subarray(0, cut);
      const r = parse(buf);
      t.is(checkInvariants(buf, r), null, `cut ${cut}`);
      // Cut exactly after the first message: that one is whole.
      const atBoundary = whole !== INVITE && cut === RINGING.length;
      const ok =
        atBoundary || !r.isSip || r.malformed.length > 0 || r.messages.some((m) => m.problems.length > 0);
      if (!ok) t.fail(`cut at ${cut} parsed cleanly: ${JSON.stringify(r.messages.map((m) => m.length))}`);
      const end = sipMessageEnd(buf, 0);
      if (cut < Buffer.byteLength(whole === INVITE ? INVITE : RINGING)) {
        if (end !== 'incomplete' && end !== 'bad') t.fail(`sipMessageEnd at cut ${cut}: ${end}`);
      }
    }
  }
  t.pass();
});

/** mulberry32: a small seeded PRNG, so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  'INVITE sip:a@b SIP/2.0\r\n', 'SIP/2.0 200 OK\r\n', 'Call-ID: x\r\n', 'i: y\r\n', 'CSeq: 1 INVITE\r\n',
  'From: <sip:a@b>;tag=1\r\n', 'To: "q\\"" <sip:c@d>\r\n', 'Via: SIP/2.0/UDP h;branch=z9\r\n', 'l: 5\r\n',
  'Content-Length: 99999999999999999999\r\n', 'Content-Type: multipart/mixed;boundary=b\r\n', '--b\r\n',
  'c: application/sdp\r\n', '\r\n', '\n', '\r', ' ', ':', ';', '"', '<', '>', ',', '\t', 'SIP/2.0', '\x00',
];

test('seeded random garbage and random SIP-ish fragments: no throw, invariants hold', (t) => {
  const rnd = prng(0x5eed);
  for (let i = 0; i < 3000; i++) {
    let buf: Buffer;
    if (i % 2 === 0) {
      buf = Buffer.alloc(Math.floor(rnd() * 600));
      for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rnd() * 256);
    } else {
      const parts: string[] = [];
      const n = Math.floor(rnd() * 30);
      for (let j = 0; j < n; j++) parts.push(PIECES[Math.floor(rnd() * PIECES.length)]!);
      buf = Buffer.from(parts.join(''), 'latin1');
    }
    const r = parse(buf);
    const bad = checkInvariants(buf, r);
    if (bad !== null) t.fail(`${bad}: ${JSON.stringify(buf.toString('latin1'))}`);
    const e = sipMessageEnd(buf, 0);
    if (!(e === 'incomplete' || e === 'bad' || (typeof e === 'number' && e > 0 && e <= buf.length))) {
      t.fail(`sipMessageEnd ${String(e)}`);
    }
  }
  t.pass();
});

test('seeded random mutations of valid messages: no throw, invariants hold', (t) => {
  const rnd = prng(20240611);
  const seeds = [Buffer.from(INVITE), Buffer.from(RINGING + BYE), Buffer.from(lfOnly(INVITE))];
  const specials = [0x0d, 0x0a, 0x20, 0x09, 0x3a, 0x3b, 0x2c, 0x22, 0x3c, 0x3e, 0x5c, 0x00, 0xff, 0x30];
  for (let i = 0; i < 6000; i++) {
    let buf = Buffer.from(seeds[i % seeds.length]!);
    const edits = 1 + Math.floor(rnd() * 4);
    for (let k = 0; k < edits; k++) {
      const at = Math.floor(rnd() * (buf.length + 1));
      const kind = Math.floor(rnd() * 5);
      if (kind === 0 && at < buf.length) buf[at] = Math.floor(rnd() * 256);
      else if (kind === 1 && at < buf.length) buf[at] = specials[Math.floor(rnd() * specials.length)]!;
      else if (kind === 2) buf = Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + Math.floor(rnd() * 40)))]);
      else if (kind === 3) {
        const from = Math.floor(rnd() * buf.length);
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(from, from + Math.floor(rnd() * 60)), buf.subarray(at)]);
      } else buf = buf.subarray(0, at);
    }
    const r = parse(buf);
    const bad = checkInvariants(buf, r);
    if (bad !== null) t.fail(`${bad}: ${JSON.stringify(buf.toString('latin1'))}`);
    for (const m of r.messages) {
      if (typeof m.callId !== 'string' || typeof m.from.tag !== 'string' || !Number.isFinite(m.cseq)) t.fail('bad field');
    }
    sipMessageEnd(buf, 0);
  }
  t.pass();
});

// --- Stream framing -------------------------------------------------------------------------

test('sipMessageEnd: whole messages, every split, LF-only, compact l, missing Content-Length', (t) => {
  const stream = Buffer.from(INVITE + RINGING + BYE);
  let off = 0;
  const ends: number[] = [];
  for (;;) {
    const e = sipMessageEnd(stream, off);
    if (typeof e !== 'number') break;
    ends.push(e);
    off = e;
  }
  const a = Buffer.byteLength(INVITE);
  t.deepEqual(ends, [a, a + RINGING.length, a + RINGING.length + BYE.length]);
  // Fed in two pieces split anywhere: 'incomplete' until the whole message is there.
  const inv = Buffer.from(INVITE);
  for (let cut = 0; cut < inv.length; cut++) {
    const e = sipMessageEnd(inv.subarray(0, cut), 0);
    if (e !== 'incomplete') t.fail(`cut ${cut}: ${String(e)}`);
  }
  t.is(sipMessageEnd(inv, 0), inv.length);
  const lf = Buffer.from(lfOnly(INVITE));
  t.is(sipMessageEnd(lf, 0), lf.length);
  const compact = Buffer.from(BYE.replace('Content-Length: 0', 'l: 4') + 'abcdEXTRA');
  t.is(sipMessageEnd(compact, 0), BYE.length + 4 - 'Content-Length: 0'.length + 'l: 4'.length);
  const noCl = BYE.replace('Content-Length: 0\r\n', '');
  t.is(sipMessageEnd(Buffer.from(noCl + 'next'), 0), noCl.length, 'missing Content-Length counts as 0');
});

test('sipMessageEnd: bad input', (t) => {
  t.is(sipMessageEnd(Buffer.from('\x16\x03\x01\x02\x00\x01\x00\x01\xfc'), 0), 'bad', 'TLS handshake');
  t.is(sipMessageEnd(Buffer.from('GET / HTTP/1.1\r\n\r\n'), 0), 'bad');
  t.is(sipMessageEnd(Buffer.from(BYE.replace('Content-Length: 0', 'Content-Length: zero')), 0), 'bad');
  t.is(sipMessageEnd(Buffer.from(BYE.replace('Content-Length: 0', 'Content-Length: 999999999')), 0), 'bad');
  t.is(sipMessageEnd(Buffer.from('INV'), 0), 'incomplete');
  t.is(sipMessageEnd(Buffer.from('SIP/2'), 0), 'incomplete');
  t.is(sipMessageEnd(Buffer.from(BYE), BYE.length), 'incomplete');
  t.is(sipMessageEnd(Buffer.from(BYE), -1), 'bad');
  const huge = Buffer.from('OPTIONS sip:x SIP/2.0\r\n' + 'X-Pad: 0123456789\r\n'.repeat(5000));
  t.is(sipMessageEnd(huge, 0), 'bad', 'headers beyond the limit');
});
