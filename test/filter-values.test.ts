/** Number normalisation and address patterns of the filter language. */
import test from 'ava';
import { normaliseNumber, numberMatches } from '../src/filter/phone-number';
import { addressInPattern, parseAddress, parseAddressPattern, splitEndpoint } from '../src/filter/ip-match';

const n = (s: string) => normaliseNumber(s)!;

test('numbers: + and 00 are the same international prefix; separators and percent-encoding are dropped', (t) => {
  t.deepEqual(normaliseNumber('+3544151500'), { digits: '3544151500', international: true });
  t.deepEqual(normaliseNumber('003544151500'), { digits: '3544151500', international: true });
  t.deepEqual(normaliseNumber('%2B354-415-1500'), { digits: '3544151500', international: true });
  t.deepEqual(normaliseNumber('(0)41 515.00'), { digits: '04151500', international: false });
  t.deepEqual(normaliseNumber('*21#'), { digits: '*21#', international: false });
  t.is(normaliseNumber('alice'), undefined);
  t.is(normaliseNumber(''), undefined);
  t.is(normaliseNumber('+'), undefined);
  t.is(normaliseNumber('%zz'), undefined);
});

test('numbers: whole match after normalisation; a value without international prefix also matches as a suffix', (t) => {
  t.true(numberMatches(n('+3544151500'), n('003544151500')));
  t.true(numberMatches(n('3544151500'), n('+3544151500')));
  t.true(numberMatches(n('+3544151500'), n('4151500')));
  t.true(numberMatches(n('04151500'), n('4151500')));
  t.false(numberMatches(n('+3544151500'), n('+4151500')), 'an international value matches whole numbers only');
  t.false(numberMatches(n('4151500'), n('3544151500')), 'a longer value never matches a shorter number');
  t.false(numberMatches(n('3544151500'), n('415150')));
});

test('addresses: IPv4/IPv6 addresses and CIDR prefixes', (t) => {
  const inP = (a: string, p: string) => addressInPattern(parseAddress(a)!, parseAddressPattern(p)!);
  t.true(inP('10.1.2.3', '10.0.0.0/8'));
  t.false(inP('11.1.2.3', '10.0.0.0/8'));
  t.true(inP('172.31.255.1', '172.16.0.0/12'));
  t.false(inP('172.32.0.1', '172.16.0.0/12'));
  t.true(inP('192.0.2.7', '192.0.2.7'));
  t.true(inP('1.2.3.4', '0.0.0.0/0'));
  t.true(inP('2001:db8::1', '2001:db8::/32'));
  t.true(inP('2001:db8::1', '[2001:db8::1]'));
  t.false(inP('2001:db9::1', '2001:db8::/32'));
  t.false(inP('10.0.0.1', '::/0'), 'families never mix');
  t.true(inP('::ffff:192.0.2.1', '::ffff:0:0/96'));
  for (const bad of ['300.1.1.1', '10.0.0.0/33', '2001:db8::/129', '1.2.3', 'a::b::c', '10.0.0.0/x', 'host']) {
    t.is(parseAddressPattern(bad), undefined, bad);
  }
});

test('endpoints: the store\'s "ip:port" and "[v6]:port" texts', (t) => {
  t.deepEqual(splitEndpoint('192.0.2.1:5060'), { ip: '192.0.2.1', port: 5060 });
  t.deepEqual(splitEndpoint('[2001:db8::1]:5070'), { ip: '2001:db8::1', port: 5070 });
});
