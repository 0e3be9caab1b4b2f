import test from 'ava';
import { formatIpv4, formatIpv6, parseIp, parseIpv4, parseIpv6 } from '../src/net/address';

function v6(text: string): string {
  const b = parseIpv6(text);
  if (b === undefined) throw new Error(`unparsable ${text}`);
  return formatIpv6(b, 0);
}

test('IPv4 formats every byte value, at an offset', (t) => {
  const b = Buffer.from([9, 0, 255, 10, 127, 1]);
  t.is(formatIpv4(b, 1), '0.255.10.127');
  t.is(formatIpv4(b, 2), '255.10.127.1');
  for (let i = 0; i < 256; i++) t.is(formatIpv4(Buffer.from([i, i, 0, 1]), 0), `${i}.${i}.0.1`);
});

test('IPv4 parse rejects malformed text', (t) => {
  t.deepEqual(parseIpv4('192.168.0.1'), Buffer.from([192, 168, 0, 1]));
  for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', 'a.b.c.d', '', '1.2.3.-4', '1.2.3.4 ']) {
    t.is(parseIpv4(bad), undefined, bad);
  }
});

// RFC 5952 section 4 and 5 examples, and the corner cases around them.
const RFC5952: [string, string][] = [
  ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'], // 4.2.1 longest run
  ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
  ['2001:0DB8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'], // 4.3 lower case
  ['2001:db8::0001', '2001:db8::1'], // 4.1 leading zeros
  ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // 4.2.2 a single 0 is not compressed
  ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // 4.2.3 longest run wins
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // 4.2.3 first run on ties
  ['0:0:0:0:0:0:0:0', '::'],
  ['0:0:0:0:0:0:0:1', '::1'],
  ['1:0:0:0:0:0:0:0', '1::'],
  ['fe80:0:0:0:0:0:0:0', 'fe80::'],
  ['1:0:0:0:0:0:0:2', '1::2'],
  ['0:0:1:0:0:0:0:0', '0:0:1::'],
  ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['0:0:0:0:0:ffff:c000:0280', '::ffff:192.0.2.128'], // 5 IPv4-mapped
  ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
  ['::ffff:0:0', '::ffff:0.0.0.0'],
  ['0:0:0:0:1:ffff:c000:280', '::1:ffff:c000:280'], // not mapped
  ['::c000:280', '::c000:280'], // deprecated IPv4-compatible: plain hex
  ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ['2001:db8:aaaa:bbbb:cccc:dddd:0:1', '2001:db8:aaaa:bbbb:cccc:dddd:0:1'],
  ['2001:db8:aaaa:bbbb:cccc:dddd::', '2001:db8:aaaa:bbbb:cccc:dddd::'],
  ['fe80::1%eth0', 'fe80::1'],
];

for (const [input, expected] of RFC5952) {
  test(`RFC 5952: ${input} → ${expected}`, (t) => {
    t.is(v6(input), expected);
  });
}

test('IPv6 formats at an offset', (t) => {
  const b = Buffer.concat([Buffer.from([0xaa, 0xbb, 0xcc]), parseIpv6('2001:db8::1') as Buffer, Buffer.from([1])]);
  t.is(formatIpv6(b, 3), '2001:db8::1');
});

test('IPv6 parse rejects malformed text', (t) => {
  for (const bad of ['1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8::', '::1.2.3', '']) {
    t.is(parseIpv6(bad), undefined, bad);
  }
  t.deepEqual(parseIpv6('::'), Buffer.alloc(16));
  t.is(parseIp('::1')?.length, 16);
  t.is(parseIp('1.2.3.4')?.length, 4);
});

test('IPv6 round-trips through format and parse for random addresses', (t) => {
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed >>> 16;
  };
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.alloc(16);
    // Mostly zeros, so runs of zero groups of every length and position occur.
    for (let g = 0; g < 8; g++) if (rnd() % 3 === 0) b.writeUInt16BE(rnd() & (rnd() % 2 === 0 ? 0xff : 0xffff), 2 * g);
    const text = formatIpv6(b, 0);
    t.deepEqual(parseIpv6(text), b, text);
    t.false(/:::/.test(text), text);
    t.is(text, text.toLowerCase());
  }
});
