import test from 'ava';
import { compileBpf, type BpfMatcher } from '../src/net/bpf';
import type { IpInfo } from '../src/net/types';

/** A UDP SIP packet 10.0.0.1:5060 → 192.168.1.2:40000, untagged, unless overridden. */
function pkt(over: Partial<IpInfo> = {}): IpInfo {
  return { ipVersion: 4, src: '10.0.0.1', dst: '192.168.1.2', proto: 17, sport: 5060, dport: 40000, vlan: false, ...over };
}
function v6(over: Partial<IpInfo> = {}): IpInfo {
  return pkt({ ipVersion: 6, src: '2001:db8::1', dst: 'fd00:abcd:0:1::10', ...over });
}

function compile(expr: string): BpfMatcher {
  const r = compileBpf(expr);
  if (!r.ok) throw new Error(`unexpected error: ${r.error}`);
  return r.match;
}

/** Each row: expression, packet, expected answer. */
function table(rows: [string, IpInfo, boolean][]): (t: import('ava').ExecutionContext) => void {
  return (t) => {
    for (const [expr, p, want] of rows) t.is(compile(expr)(p), want, `${expr} on ${JSON.stringify(p)}`);
  };
}

function error(expr: string): { error: string; position: number } {
  const r = compileBpf(expr);
  if (r.ok) throw new Error(`'${expr}' compiled, expected an error`);
  return r;
}

test('empty expression matches everything', (t) => {
  t.true(compile('')(pkt()));
  t.true(compile('   ')(v6()));
});

test('host: src, dst, either, both; IPv4 and IPv6', table([
  ['host 10.0.0.1', pkt(), true],
  ['host 192.168.1.2', pkt(), true],
  ['host 10.0.0.2', pkt(), false],
  ['src host 10.0.0.1', pkt(), true],
  ['src host 192.168.1.2', pkt(), false],
  ['dst host 192.168.1.2', pkt(), true],
  ['dst host 10.0.0.1', pkt(), false],
  ['src or dst host 192.168.1.2', pkt(), true],
  ['dst or src host 10.0.0.1', pkt(), true],
  ['src and dst host 10.0.0.1', pkt(), false],
  ['src and dst host 10.0.0.1', pkt({ dst: '10.0.0.1' }), true],
  ['dst and src host 10.0.0.1', pkt({ dst: '10.0.0.1' }), true],
  ['src 10.0.0.1', pkt(), true], // a direction alone implies host
  ['host 010.0.0.001', pkt(), true], // dotted parts are decimal
  ['host 10.0.0.1', v6(), false],
  ['host 2001:db8::1', v6(), true],
  ['host 2001:0DB8:0:0:0:0:0:0001', v6(), true], // any text form of the address
  ['host fd00:abcd:0:1:0:0:0:10', v6(), true],
  ['dst host 2001:db8::1', v6(), false],
  ['host 2001:db8::1', pkt(), false],
  ['host ::ffff:1.2.3.4', v6({ src: '::ffff:1.2.3.4' }), true],
  ['ip host 10.0.0.1', pkt(), true],
  ['ip6 host 2001:db8::1', v6(), true],
  ['host 10', pkt({ src: '0.0.0.10' }), true], // a number is a 32-bit address, as in libpcap
  ['host 192.168', pkt(), true], // a partial address is a network, as in libpcap
  ['host 192.169', pkt(), false],
]));

test('net: CIDR, mask, classful and partial, IPv6 prefixes', table([
  ['net 10.0.0.0/8', pkt(), true],
  ['net 10.0.0.0/8', pkt({ src: '100.0.0.1', dst: '1.0.0.10' }), false],
  ['net 192.168.0.0/16', pkt(), true],
  ['net 192.168.0.0/23', pkt(), true],
  ['net 192.168.2.0/23', pkt(), false],
  ['net 192.168.1.0/31', pkt({ dst: '192.168.1.1' }), true],
  ['net 192.168.1.0/31', pkt({ dst: '192.168.1.2' }), false],
  ['net 0.0.0.0/0', pkt(), true],
  ['net 0.0.0.0/0', v6(), false],
  ['net 10.0.0.1/32', pkt(), true],
  ['net 172.16.0.0/12', pkt({ src: '172.31.255.255' }), true],
  ['net 172.16.0.0/12', pkt({ src: '172.32.0.1', dst: '172.15.0.1' }), false],
  ['net 10.0.0.0 mask 255.0.0.0', pkt(), true],
  ['net 192.168.0.0 mask 255.255.254.0', pkt(), true],
  ['net 10', pkt(), true], // classful: 10.0.0.0/8
  ['net 11', pkt(), false],
  ['net 192.168', pkt(), true], // 192.168.0.0/16
  ['net 192.168.1', pkt(), true], // 192.168.1.0/24
  ['net 192.168.2', pkt(), false],
  ['net 10.0/16', pkt(), true],
  ['net 192.168.1.0', pkt(), false], // four parts: the host 192.168.1.0 only (libpcap)
  ['src net 10.0.0.0/8', pkt(), true],
  ['dst net 10.0.0.0/8', pkt(), false],
  ['src and dst net 10.0.0.0/8', pkt({ dst: '10.9.9.9' }), true],
  ['src and dst net 10.0.0.0/8', pkt(), false],
  ['net 10.0.0.0/8', v6(), false],
  ['net 2001:db8::/32', v6(), true],
  ['net 2001:db8::/32', v6({ src: '2001:db9::1' }), false],
  ['net fd00:abcd::/32', v6({ src: '::1' }), true],
  ['net fd00:abcd:0:1::/64', v6(), true],
  ['net fd00:abcd:0:2::/64', v6(), false],
  ['net 2001:db8::/33', v6({ src: '2001:db8:7fff::1' }), true],
  ['net 2001:db8::/33', v6({ src: '2001:db8:8000::1', dst: '::' }), false],
  ['net ::/0', v6(), true],
  ['net ::/0', pkt(), false],
  ['net ::ffff:0:0/96', v6({ src: '::ffff:10.1.2.3' }), true],
  ['net ::ffff:10.0.0.0/104', v6({ src: '::ffff:10.1.2.3' }), true],
  ['net ::ffff:10.0.0.0/104', v6({ src: '::ffff:11.1.2.3', dst: '::1' }), false],
  ['net 2001:db8::/32', v6({ src: '2001:db8:1:2:3:4:5:6' }), true],
  ['net 2001:db8::/32', v6({ src: 'not-an-address', dst: '::' }), false],
  ['ip net 10.0.0.0/8', pkt(), true],
  ['ip6 net 2001:db8::/32', v6(), true],
]));

test('port and portrange, names, and fragments', table([
  ['port 5060', pkt(), true],
  ['port 5060', pkt({ sport: 1, dport: 5060 }), true],
  ['port 5061', pkt(), false],
  ['src port 5060', pkt(), true],
  ['dst port 5060', pkt(), false],
  ['src or dst port 40000', pkt(), true],
  ['src and dst port 5060', pkt(), false],
  ['src and dst port 5060', pkt({ dport: 5060 }), true],
  ['port 5060', pkt({ proto: 6 }), true],
  ['port 5060', pkt({ proto: 132 }), true],
  ['port 5060', pkt({ proto: 33 }), false], // only tcp, udp and sctp have ports for libpcap
  ['udp port 5060', pkt(), true],
  ['tcp port 5060', pkt(), false],
  ['tcp port 5060', pkt({ proto: 6 }), true],
  ['sctp port 5060', pkt({ proto: 132 }), true],
  ['tcp dst port 5061', pkt({ proto: 6, dport: 5061 }), true],
  ['tcp dst port 5061', pkt({ proto: 6, sport: 5061 }), false],
  ['port sip', pkt(), true],
  ['port sip-tls', pkt({ dport: 5061 }), true],
  ['port domain', pkt({ dport: 53 }), true],
  ['port http', pkt({ dport: 80 }), false], // http is tcp only in /etc/services
  ['port http', pkt({ dport: 80, proto: 6 }), true],
  ['port 0x13c4', pkt(), true],
  ['port 011704', pkt(), true], // octal, as libpcap
  ['port 5060', pkt({ sport: -1, dport: -1 }), false], // non-first fragment
  ['not port 5060', pkt({ sport: -1, dport: -1 }), true],
  ['port 5060', v6(), true],
  ['portrange 5060-5080', pkt(), true],
  ['portrange 5061-5080', pkt(), false],
  ['portrange 5080-5060', pkt(), true], // reversed bounds
  ['portrange 39999-40001', pkt(), true],
  ['src portrange 39999-40001', pkt(), false],
  ['dst portrange 39999-40001', pkt(), true],
  ['src and dst portrange 5000-50000', pkt(), true],
  ['portrange 5060', pkt(), true],
  ['portrange sip-sip-tls', pkt({ sport: 5061 }), true],
  ['udp portrange 5060-5061', pkt({ proto: 6 }), false],
  ['portrange 0-65535', pkt({ sport: -1, dport: -1 }), false],
]));

test('protocols: udp, tcp, sctp, icmp, icmp6, ip, ip6, proto', table([
  ['udp', pkt(), true],
  ['udp', v6(), true],
  ['tcp', pkt(), false],
  ['tcp', pkt({ proto: 6 }), true],
  ['sctp', pkt({ proto: 132 }), true],
  ['icmp', pkt({ proto: 1 }), true],
  ['icmp', v6({ proto: 1 }), false], // icmp is IPv4
  ['icmp6', v6({ proto: 58 }), true],
  ['icmp6', pkt({ proto: 58 }), false],
  ['ip', pkt(), true],
  ['ip', v6(), false],
  ['ip6', v6(), true],
  ['ip6', pkt(), false],
  ['ip proto 17', pkt(), true],
  ['ip proto 17', v6(), false],
  ['ip proto \\udp', pkt(), true],
  ['ip proto \\tcp', pkt(), false],
  ['ip6 proto 17', v6(), true],
  ['ip6 proto \\udp', pkt(), false],
  ['proto 17', pkt(), true],
  ['proto 17', v6(), true],
  ['proto \\gre', pkt({ proto: 47 }), true],
  ['proto 0x11', pkt(), true],
  ['ip proto 17 or 6', pkt({ proto: 6 }), true], // the number inherits 'ip proto'
  ['ip6 proto \\ipv6-icmp', v6({ proto: 58 }), true],
]));

test('vlan is true for tagged frames; other primitives look through the tag', table([
  ['vlan', pkt({ vlan: true }), true],
  ['vlan', pkt(), false],
  ['not vlan', pkt(), true],
  ['vlan and udp port 5060', pkt({ vlan: true }), true],
  ['port 5060', pkt({ vlan: true }), true],
  ['vlan and host 10.0.0.1', pkt(), false],
]));

test('and, or, not, && || !, parentheses', table([
  ['udp and port 5060', pkt(), true],
  ['udp && port 5061', pkt(), false],
  ['tcp or port 5060', pkt(), true],
  ['tcp || port 5061', pkt(), false],
  ['not tcp', pkt(), true],
  ['!udp', pkt(), false],
  ['! udp', pkt(), false],
  ['not not udp', pkt(), true],
  ['(tcp or udp) and port 5060', pkt(), true],
  ['tcp or (udp and port 5061)', pkt(), false],
  ['not (tcp or udp)', pkt(), false],
  ['((((udp))))', pkt(), true],
  ['ip and not (src net 10.0.0.0/8 or dst port 40000)', pkt(), false],
  ['udp&&port 5060', pkt(), true],
  ['(udp)and(port 5060)', pkt(), true],
]));

test('precedence: and/or are equal and left-associative, not binds tightest', table([
  // libpcap: `a or b and c` is `(a or b) and c` (not `a or (b and c)`).
  ['udp or tcp and port 5061', pkt(), false],
  ['udp or (tcp and port 5061)', pkt(), true],
  ['tcp and port 5061 or udp', pkt(), true],
  ['udp and tcp or port 5060', pkt(), true], // (udp and tcp) or port 5060
  ['udp and (tcp or port 5061)', pkt(), false],
  ['not udp or port 5060', pkt(), true], // (not udp) or port 5060
  ['not udp and port 5060', pkt(), false], // (not udp) and port 5060
  ['not (udp and port 5061)', pkt(), true],
]));

test('implicit qualifiers: a bare id reuses the qualifiers before it', table([
  ['host 1.1.1.1 or 10.0.0.1', pkt(), true],
  ['host 1.1.1.1 or 2.2.2.2', pkt(), false],
  ['port 5070 or 5060', pkt(), true],
  ['port 5070 or 5080', pkt(), false],
  ['dst host 1.1.1.1 or 10.0.0.1', pkt(), false], // the id is 'dst host 10.0.0.1'
  ['dst host 1.1.1.1 or 192.168.1.2', pkt(), true],
  ['tcp dst port 1 or 40000', pkt({ proto: 6 }), true],
  ['tcp dst port 1 or 40000', pkt(), false], // inherits tcp too
  ['not host 10.0.0.1 and 192.168.1.2', pkt(), false], // (not host a) and host b
  ['not host 1.1.1.1 and 192.168.1.2', pkt(), true],
  ['host 10.0.0.1 and not 192.168.1.2', pkt(), false], // host a and not host b
  ['host 10.0.0.1 and ! 1.1.1.1', pkt(), true],
  ['port 5060 and (40000 or 1)', pkt(), true], // port 5060 and (port 40000 or port 1)
  ['port 5060 and (1 or 2)', pkt(), false],
  ['port 5060 and (not 1)', pkt(), true],
  ['host 1.1.1.1 or (udp) or 10.0.0.1', pkt({ proto: 6 }), true], // qualifiers pass over (...)
  ['net 172.16.0.0/12 or 10.0.0.0/8', pkt(), true],
  ['net 1 or 10', pkt(), true],
  ['src port 1 or 5060 and udp', pkt(), true],
  ['proto 6 or 17', pkt(), true],
  ['portrange 1-2 or 5000-5100', pkt(), true],
  ['src or dst port 1 or 40000', pkt(), true],
]));

function unsupportedMessage(expr: string, word: string): string {
  return (
    `BPF filter '${expr}': '${word}' is beyond what sipscope evaluates for files (supported: host, net, port, ` +
    'portrange, udp, tcp, sctp, icmp, ip, ip6, proto, vlan with and/or/not)'
  );
}

test('unsupported primitives are refused with a message naming the word', (t) => {
  t.deepEqual(compileBpf('ether host 00:11:22:33:44:55'), {
    ok: false,
    error: unsupportedMessage('ether host 00:11:22:33:44:55', 'ether'),
    position: 0,
  });
  for (const [expr, word, position] of [
    ['greater 100', 'greater', 0],
    ['less 100', 'less', 0],
    ['udp and len > 100', 'len', 8],
    ['broadcast', 'broadcast', 0],
    ['ip multicast', 'multicast', 3],
    ['gateway 10.0.0.1', 'gateway', 0],
    ['arp', 'arp', 0],
    ['port 5060 or mpls', 'mpls', 13],
    ['pppoes and udp', 'pppoes', 0],
    ['ip6 protochain 6', 'protochain', 4],
    ['inbound', 'inbound', 0],
    ['esp', 'esp', 0],
  ] as const) {
    const r = error(expr);
    t.is(r.error, unsupportedMessage(expr, word), expr);
    t.is(r.position, position, expr);
  }
  const offsets = error('udp[8:4] = 0x2112a442');
  t.regex(offsets.error, /'udp\[8:4\]' \(byte offsets\) is beyond what sipscope evaluates for files \(supported: host/);
  t.is(offsets.position, 0);
  const tcpFlags = error('port 5060 and tcp[tcpflags] & tcp-syn != 0');
  t.regex(tcpFlags.error, /'tcp\[tcpflags\]' \(byte offsets\) is beyond/);
  t.is(tcpFlags.position, 14);
  const arith = error('ip[9] == 17');
  t.regex(arith.error, /'ip\[9\]'/);
  t.regex(error('vlan 100').error, /'vlan 100' \(VLAN ids\) is beyond what sipscope evaluates for files/);
  t.regex(error('host 00:11:22:33:44:55').error, /'00:11:22:33:44:55' \(a MAC address needs ether\) is beyond/);
});

test('host names are refused: only addresses', (t) => {
  const r = error('host pbx.example.com');
  t.is(
    r.error,
    "BPF filter 'host pbx.example.com': 'pbx.example.com' is a host name: sipscope does not resolve names in filters for files; use an address (e.g. host 192.0.2.10) (position 5)",
  );
  t.is(r.position, 5);
  t.regex(error('port 5060 and src localhost').error, /'localhost' is a host name.*use an address/);
  t.regex(error('host 1.2.3.4.5').error, /'1\.2\.3\.4\.5' is a host name/);
  t.regex(error('net corp').error, /'corp' is a host name/);
});

test('syntax errors name the word and its position', (t) => {
  const cases: [string, number, RegExp][] = [
    ['1.2.3.4', 0, /syntax error at '1\.2\.3\.4' \(position 0\): a primitive starts with a qualifier/],
    ['udp or 5060', 7, /syntax error at '5060' \(position 7\): '5060' has no qualifier to reuse/],
    ['vlan or 5060', 8, /syntax error at '5060'/],
    ['port', 4, /syntax error at the end \(position 4\): expected a value for 'port'/],
    ['host', 4, /syntax error at the end/],
    ['udp and', 7, /syntax error at the end \(position 7\): expected a primitive/],
    ['(udp', 4, /expected '\)' to close the '\(' at position 0/],
    ['udp)', 3, /syntax error at '\)' \(position 3\): no matching "\("/],
    ['()', 1, /syntax error at '\)' \(position 1\)/],
    ['udp tcp', 4, /syntax error at 'tcp' \(position 4\): expected 'and', 'or' or the end/],
    ['ip 1.2.3.4', 3, /syntax error at '1\.2\.3\.4'/],
    ['and udp', 0, /syntax error at 'and' \(position 0\)/],
    ['src proto 17', 4, /syntax error at 'proto'/],
    ['net 10/8', 6, /syntax error at '\/' \(position 6\): '10' is a number/],
    ['host 1.1.1.1 or (2.2.2.2 or port 5)', 28, /syntax error at 'port' \(position 28\)/],
    ['host 1.1.1.1 or ((2.2.2.2) or 3.3.3.3)', 17, /syntax error at '\('/],
    ['not 1.1.1.1', 4, /syntax error at '1\.1\.1\.1' \(position 4\)/],
    ['mask 255.0.0.0', 0, /syntax error at 'mask'/],
    ['net 10.0.0.0 mask 24', 18, /expected a dotted mask/],
    ['net 10.0.0.0/', 13, /syntax error at the end \(position 13\): expected a prefix length/],
    ['portrange 5060 - 5080', 15, /syntax error at '-' \(position 15\)/],
  ];
  for (const [expr, position, re] of cases) {
    const r = error(expr);
    t.regex(r.error, re, expr);
    t.true(r.error.startsWith(`BPF filter '${expr}': `), expr);
    t.is(r.position, position, expr);
  }
});

test('values libpcap refuses are refused, with the reason', (t) => {
  const cases: [string, RegExp][] = [
    ['net 10.1.1.0/16', /non-network bits set in '10\.1\.1\.0\/16'/],
    ['net 10.1.0.0 mask 255.0.0.0', /non-network bits set in '10\.1\.0\.0 mask 255\.0\.0\.0'/],
    ['net 2001:db8::1/32', /non-network bits set in '2001:db8::1\/32'/],
    ['net 10.0.0.0/33', /prefix length 33 is more than 32/],
    ['net 2001:db8::/129', /prefix length 129 is more than 128/],
    ['host 10.0.0.0/8', /a prefix or mask is for 'net', not 'host'/],
    ['src 10.0.0.0/8', /a prefix or mask is for 'net', not 'host'/],
    ['host 2001:db8::/32', /a prefix is for 'net', not 'host'/],
    ['host 256.1.1.1', /'256\.1\.1\.1' is not a valid IPv4 address/],
    ['host 2001:db8:::1', /'2001:db8:::1' is not a valid IPv6 address/],
    ['ip host 2001:db8::1', /'ip' cannot qualify the IPv6 address/],
    ['ip6 host 10.0.0.1', /'ip6' cannot qualify the IPv4 address/],
    ['ip6 net 10.0.0.0/8', /'ip6' cannot qualify the IPv4 address/],
    ['udp host 10.0.0.1', /'udp' cannot qualify a host/],
    ['tcp net 10.0.0.0/8', /'tcp' cannot qualify a net/],
    ['ip port 5060', /'ip port' is not valid: 'port' takes tcp, udp or sctp/],
    ['icmp portrange 1-2', /'icmp portrange' is not valid/],
    ['port 70000', /port number 70000 is more than 65535/],
    ['port 08', /'08' is not a valid number \(a leading 0 means octal\)/],
    ['port foo', /unknown port 'foo' \(names known: .*sip, sip-tls/],
    ['port 1.2.3.4', /'1\.2\.3\.4' is an address, but 'port' needs a port number/],
    ['tcp port ntp', /port 'ntp' exists only for udp/],
    ['portrange ntp-http', /the two ports are for different transports/],
    ['tcp proto 6', /'tcp proto' is not valid/],
    ['ip proto udp', /'udp' is a keyword here: write '\\udp' or its number 17/],
    ['proto tcp', /'tcp' is a keyword here: write '\\tcp' or its number 6/],
    ['ip proto \\nosuch', /unknown IP protocol 'nosuch'/],
    ['net 10.0.0.0 mask ffff::', /expected a dotted mask/],
    ['net 2001:db8:: mask ffff::', /IPv6 networks take a prefix length/],
  ];
  for (const [expr, re] of cases) t.regex(error(expr).error, re, expr);
});

test('never throws, whatever the input', (t) => {
  const inputs = [
    '(((((((((((((((((((((((((',
    '('.repeat(5000) + 'udp' + ')'.repeat(5000),
    'not '.repeat(5000) + 'udp',
    '\\',
    '\\\\\\',
    '&&',
    '||||',
    '!',
    '"host"',
    'host \u0000',
    'port 99999999999999999999',
    'host 0x1ffffffff',
    'net 1.2.3.4 mask',
    'portrange -',
    'portrange 1-',
    'host :::',
    'net ::/',
    'src or',
    'src and dst',
    'port 5060 and (',
    'é',
  ];
  for (const s of inputs) {
    t.notThrows(() => compileBpf(s), s.slice(0, 40));
    const r = compileBpf(s);
    if (!r.ok) {
      t.true(r.position >= 0 && r.position <= s.length, s.slice(0, 40));
      t.true(r.error.length > 0);
    }
  }
  t.regex(error('('.repeat(5000) + 'udp' + ')'.repeat(5000)).error, /nested more than 200 levels/);
  // Random byte soup over the tokens of the language.
  const words = ['host', 'net', 'port', 'udp', 'tcp', 'not', 'and', 'or', '(', ')', '10.0.0.1', '5060', '/', '8', 'src', 'dst', 'mask', '::1', 'vlan', 'proto', '\\udp', '!', '&&', '||', '1-2', 'portrange'];
  let seed = 42;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    const len = 1 + rand(8);
    const expr = Array.from({ length: len }, () => words[rand(words.length)] as string).join(rand(3) === 0 ? '' : ' ');
    const r = compileBpf(expr);
    if (r.ok) {
      t.notThrows(() => r.match(pkt()), expr);
      t.notThrows(() => r.match(v6()), expr);
    } else t.true(r.error.startsWith(`BPF filter '${expr}': `), expr);
  }
});

test('a compiled matcher is fast: a million packets in well under the time a 700k-frame file takes to read', (t) => {
  const m = compile('udp and (port 5060 or portrange 5070-5080) and not src net 172.16.0.0/12 and net 10 or host 2001:db8::1');
  const packets = [pkt(), pkt({ proto: 6 }), pkt({ src: '172.16.5.5' }), v6(), pkt({ sport: -1, dport: -1 })];
  let hits = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < 1_000_000; i++) if (m(packets[i % packets.length] as IpInfo)) hits++;
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.is(hits, 400_000);
  t.true(ms < 2500, `${ms.toFixed(0)} ms`);
  t.log(`1M packets in ${ms.toFixed(0)} ms`);
});
