import test from 'ava';
import { COMPACT_FORMS, headerValues, parseHeaders, splitCommaValues } from '../src/sip/headers';

test('COMPACT_FORMS: the registered compact forms, all of them', (t) => {
  t.deepEqual({ ...COMPACT_FORMS }, {
    a: 'Accept-Contact',
    b: 'Referred-By',
    c: 'Content-Type',
    d: 'Request-Disposition',
    e: 'Content-Encoding',
    f: 'From',
    i: 'Call-ID',
    j: 'Reject-Contact',
    k: 'Supported',
    l: 'Content-Length',
    m: 'Contact',
    n: 'Identity-Info',
    o: 'Event',
    r: 'Refer-To',
    s: 'Subject',
    t: 'To',
    u: 'Allow-Events',
    v: 'Via',
    x: 'Session-Expires',
    y: 'Identity',
  });
  t.true(Object.isFrozen(COMPACT_FORMS));
});

test('parseHeaders: every compact form is expanded to its long name', (t) => {
  const letters = Object.keys(COMPACT_FORMS);
  const text = 'NOTIFY sip:alice@a.example.com SIP/2.0\r\n' + letters.map((l) => `${l}: value-${l}\r\n`).join('') + '\r\nbody';
  const { startLine, headers, bodyOffset } = parseHeaders(Buffer.from(text));
  t.is(startLine, 'NOTIFY sip:alice@a.example.com SIP/2.0');
  t.deepEqual(headers.map((h) => h.name), letters.map((l) => COMPACT_FORMS[l]));
  t.deepEqual(headers.map((h) => h.value), letters.map((l) => `value-${l}`));
  t.is(bodyOffset, text.length - 4);
  for (const l of letters) {
    t.deepEqual(headerValues(headers, l), [`value-${l}`], l);
    t.deepEqual(headerValues(headers, l.toUpperCase()), [`value-${l}`], l);
    t.deepEqual(headerValues(headers, COMPACT_FORMS[l] ?? ''), [`value-${l}`], l);
  }
  // Upper-case compact forms are compact forms too.
  t.is(parseHeaders(Buffer.from('SIP/2.0 200 OK\r\nI: abc\r\n\r\n')).headers[0]?.name, 'Call-ID');
});

test('parseHeaders: folding, LF-only, names as written, trimmed values, body offset', (t) => {
  const text = [
    'INVITE sip:bob@biloxi.example.com SIP/2.0',
    'Subject: I know you are there,',
    '   pick up the phone',
    '\tand talk to me!',
    'x-custom-Header :  spaced value  ',
    'not a header line',
    'Content-Length: 4',
    '',
    'abcd',
  ].join('\n');
  const r = parseHeaders(Buffer.from(text));
  t.deepEqual(r.headers, [
    { name: 'Subject', value: 'I know you are there, pick up the phone and talk to me!' },
    { name: 'x-custom-Header', value: 'spaced value' },
    { name: 'Content-Length', value: '4' },
  ]);
  t.is(text.slice(r.bodyOffset), 'abcd');
  const cut = parseHeaders(Buffer.from('SIP/2.0 100 Trying\r\nVia: x'));
  t.is(cut.bodyOffset, 'SIP/2.0 100 Trying\r\nVia: x'.length);
  t.deepEqual(cut.headers, [{ name: 'Via', value: 'x' }]);
  t.deepEqual(parseHeaders(Buffer.alloc(0)), { startLine: '', headers: [], bodyOffset: 0 });
  t.is(parseHeaders(Buffer.from('\r\n\r\nBYE sip:x SIP/2.0\r\n\r\n')).startLine, 'BYE sip:x SIP/2.0');
});

test('headerValues: multi-value headers split, several lines merged, case-insensitive', (t) => {
  const { headers } = parseHeaders(
    Buffer.from(
      [
        'SIP/2.0 200 OK',
        'Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bKnashds8;received=192.0.2.3, SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1',
        'v: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
        'Contact: "Mr. Watson, at work" <sip:watson@worcester.bell-telephone.com>;q=0.7, <mailto:watson@bell-telephone.com,x> ;q=0.1',
        'Record-Route: <sip:p1.example.com;lr>,<sip:p2.example.com;lr>',
        'Allow: INVITE, ACK, CANCEL,OPTIONS, BYE',
        'Supported: replaces, timer',
        'k: 100rel',
        'Authorization: Digest username="bob", realm="biloxi.example.com", nonce="dcd98b"',
        'Date: Sat, 13 Nov 2010 23:29:00 GMT',
        'Subject: Hello, world',
        'Warning: 370 devnull "Choose a bigger pipe, please", 307 isi.edu "Session parameter \'foo\' not understood"',
      ].join('\r\n') + '\r\n\r\n',
    ),
  );
  t.deepEqual(headerValues(headers, 'VIA'), [
    'SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bKnashds8;received=192.0.2.3',
    'SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1',
    'SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  ]);
  t.deepEqual(headerValues(headers, 'm'), [
    '"Mr. Watson, at work" <sip:watson@worcester.bell-telephone.com>;q=0.7',
    '<mailto:watson@bell-telephone.com,x> ;q=0.1',
  ]);
  t.deepEqual(headerValues(headers, 'record-route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
  t.deepEqual(headerValues(headers, 'Allow'), ['INVITE', 'ACK', 'CANCEL', 'OPTIONS', 'BYE']);
  t.deepEqual(headerValues(headers, 'supported'), ['replaces', 'timer', '100rel']);
  t.deepEqual(headerValues(headers, 'Authorization'), ['Digest username="bob", realm="biloxi.example.com", nonce="dcd98b"']);
  t.deepEqual(headerValues(headers, 'date'), ['Sat, 13 Nov 2010 23:29:00 GMT']);
  t.deepEqual(headerValues(headers, 's'), ['Hello, world']);
  t.deepEqual(headerValues(headers, 'warning'), [
    '370 devnull "Choose a bigger pipe, please"',
    '307 isi.edu "Session parameter \'foo\' not understood"',
  ]);
  t.deepEqual(headerValues(headers, 'X-Nothing'), []);
});

test('splitCommaValues: quotes with escapes, angle brackets, empty pieces', (t) => {
  t.deepEqual(splitCommaValues('"a \\", b" <sip:x>, <sip:y,z>,, c'), ['"a \\", b" <sip:x>', '<sip:y,z>', 'c']);
  t.deepEqual(splitCommaValues(''), []);
});

test('parseHeaders never throws on garbage', (t) => {
  for (const s of ['\0\0', ':::', '\r\r\r', 'a\n b\n c', ':\r\n:\r\n\r\n', 'X\r\n :y\r\n']) {
    t.notThrows(() => parseHeaders(Buffer.from(s)));
  }
});
