import test from 'ava';
import { decodeNameAddr, parseNameAddr } from '../src/sip/name-addr';

const cases: [string, string, { display: string; uri: string; user: string; tag: string }][] = [
  ['quoted display name', '"Alice Liddell" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
    { display: 'Alice Liddell', uri: 'sip:alice@atlanta.example.com', user: 'alice', tag: '9fxced76sl' }],
  ['quoted display with escapes (RFC 3261 §25.1 quoted-pair)', '"Bob \\"The Builder\\" \\\\ Smith" <sip:bob@biloxi.example.com>',
    { display: 'Bob "The Builder" \\ Smith', uri: 'sip:bob@biloxi.example.com', user: 'bob', tag: '' }],
  ['quoted display with < , ; inside', '"A <b>, c; tag=no" <sip:a@example.com>;tag=yes',
    { display: 'A <b>, c; tag=no', uri: 'sip:a@example.com', user: 'a', tag: 'yes' }],
  ['unquoted display name of several tokens', 'Bob Smith <sip:bob@biloxi.example.com>;tag=a6c85cf',
    { display: 'Bob Smith', uri: 'sip:bob@biloxi.example.com', user: 'bob', tag: 'a6c85cf' }],
  ['no display name', '<sip:carol@chicago.example.com>',
    { display: '', uri: 'sip:carol@chicago.example.com', user: 'carol', tag: '' }],
  ['addr-spec without <>: ;params belong to the header', 'sip:alice@atlanta.example.com;tag=88sja8x',
    { display: '', uri: 'sip:alice@atlanta.example.com', user: 'alice', tag: '88sja8x' }],
  ['addr-spec with port and params', 'sip:alice@192.0.2.4:5070;transport=udp;tag=1',
    { display: '', uri: 'sip:alice@192.0.2.4:5070', user: 'alice', tag: '1' }],
  ['tel: URI: user is the number', '<tel:+1-201-555-0123;phone-context=example.com>;tag=t1',
    { display: '', uri: 'tel:+1-201-555-0123;phone-context=example.com', user: '+1-201-555-0123', tag: 't1' }],
  ['tel: URI without <>', 'tel:+358-555-1234567;tag=x',
    { display: '', uri: 'tel:+358-555-1234567', user: '+358-555-1234567', tag: 'x' }],
  ['sips: URI', '"Secure" <sips:bob@biloxi.example.com:5061>',
    { display: 'Secure', uri: 'sips:bob@biloxi.example.com:5061', user: 'bob', tag: '' }],
  ['user part with parameters (RFC 4694 npdi)', '<sip:+3541234;npdi;rn=+3549999@gw.example.is;user=phone>;tag=n1',
    { display: '', uri: 'sip:+3541234;npdi;rn=+3549999@gw.example.is;user=phone', user: '+3541234', tag: 'n1' }],
  ['user part with parameters, brackets omitted', 'sip:+3541234;npdi@host.example.is;tag=n2',
    { display: '', uri: 'sip:+3541234;npdi@host.example.is', user: '+3541234', tag: 'n2' }],
  ['user with password', '<sip:alice:secret@atlanta.example.com>',
    { display: '', uri: 'sip:alice:secret@atlanta.example.com', user: 'alice', tag: '' }],
  ['IPv6 host in brackets', '"v6" <sip:alice@[2001:db8::10]:5060;transport=tcp>;tag=6',
    { display: 'v6', uri: 'sip:alice@[2001:db8::10]:5060;transport=tcp', user: 'alice', tag: '6' }],
  ['IPv6 host, no user', '<sip:[2001:db8::1]>',
    { display: '', uri: 'sip:[2001:db8::1]', user: '', tag: '' }],
  ['host only', '<sip:biloxi.example.com>;tag=h',
    { display: '', uri: 'sip:biloxi.example.com', user: '', tag: 'h' }],
  ['upper-case scheme and TAG', 'Alice <SIP:Alice@Atlanta.example.com>;TAG=AbC',
    { display: 'Alice', uri: 'SIP:Alice@Atlanta.example.com', user: 'Alice', tag: 'AbC' }],
  ['spaces around = and ;', '<sip:a@b> ; foo=bar ; tag = spaced',
    { display: '', uri: 'sip:a@b', user: 'a', tag: 'spaced' }],
  ['quoted parameter value before tag', '<sip:a@b>;x="a;tag=fake";tag=real',
    { display: '', uri: 'sip:a@b', user: 'a', tag: 'real' }],
  ['a parameter starting with tag is not tag', '<sip:a@b>;tags=no;tag=yes',
    { display: '', uri: 'sip:a@b', user: 'a', tag: 'yes' }],
  ['UTF-8 display name', '"Jón Þórsson" <sip:jon@example.is>',
    { display: 'Jón Þórsson', uri: 'sip:jon@example.is', user: 'jon', tag: '' }],
  ['quoted display glued to <', '"Alice"<sip:alice@a.example.com>',
    { display: 'Alice', uri: 'sip:alice@a.example.com', user: 'alice', tag: '' }],
  ['stray escaped quotes (suricata compact-form capture)', '\\"arik\\" <sip:816666@voip.brurjula.net>;tag=6433ef9',
    { display: 'arik', uri: 'sip:816666@voip.brurjula.net', user: '816666', tag: '6433ef9' }],
  ['unterminated quote', '"Alice <sip:alice@a.example.com>',
    { display: 'Alice <sip:alice@a.example.com>', uri: '', user: '', tag: '' }],
  ['missing >', 'Alice <sip:alice@a.example.com;tag=1',
    { display: 'Alice', uri: 'sip:alice@a.example.com;tag=1', user: 'alice', tag: '' }],
  ['other scheme', '<urn:service:sos>',
    { display: '', uri: 'urn:service:sos', user: '', tag: '' }],
  ['URI without scheme', '<alice@atlanta.example.com>',
    { display: '', uri: 'alice@atlanta.example.com', user: 'alice', tag: '' }],
  ['anonymous', '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=hyh8',
    { display: 'Anonymous', uri: 'sip:anonymous@anonymous.invalid', user: 'anonymous', tag: 'hyh8' }],
  ['empty', '', { display: '', uri: '', user: '', tag: '' }],
  ['whitespace only', '  \t ', { display: '', uri: '', user: '', tag: '' }],
  ['folded value', '"Alice"\r\n <sip:alice@a.example.com>\r\n\t;tag=f',
    { display: 'Alice', uri: 'sip:alice@a.example.com', user: 'alice', tag: 'f' }],
];

for (const [title, value, expected] of cases) {
  test(`parseNameAddr: ${title}`, (t) => {
    t.deepEqual(parseNameAddr(value), expected);
  });
}

test('decodeNameAddr reads a byte range of a bigger buffer', (t) => {
  const buf = Buffer.from('From: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774\r\nTo: x\r\n');
  const s = buf.indexOf('"');
  const e = buf.indexOf('\r\n');
  t.deepEqual(decodeNameAddr(buf, s, e, false), {
    display: 'Alice',
    uri: 'sip:alice@atlanta.example.com',
    user: 'alice',
    tag: '1928301774',
  });
  t.deepEqual(decodeNameAddr(buf, e, s), { display: '', uri: '', user: '', tag: '' });
  t.deepEqual(decodeNameAddr(buf, -5, 0), { display: '', uri: '', user: '', tag: '' });
});

test('parseNameAddr never throws on odd input', (t) => {
  for (const v of ['<', '>', '"', '\\', ';tag=', '<>;tag', 'sip:', 'tel:', '<sip:@>', '"\\', ';;;;', '<<<>>>', 'a@b;c@d;tag=1@2']) {
    t.notThrows(() => parseNameAddr(v), v);
  }
});
