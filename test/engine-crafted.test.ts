/**
 * The engine on crafted captures, one per case the engine must handle: fragments in
 * reverse order (IPv4 and IPv6), every link layer, QinQ, pcapng mixing link types, several
 * messages in one datagram, a missing fragment. Each goes through the real input path
 * (file → reader → decoders → parser → store) and the bytes are read back from the file.
 */
import test from 'ava';
import { pcapFile, pcapngFile } from './helpers/capture-files';
import { ethernet, fragmentIpv4, fragmentIpv6, ipv4, ipv6, udp, udpFrame } from './helpers/packets';
import { request, response, sdpOffer } from './helpers/sip-text';
import { runEngine } from './helpers/run-engine';
import { LINKTYPE } from '../src/pcap/types';

const alice = { user: '3544151500', host: '192.0.2.10', name: 'Alice' };
const bob = { user: '3544151502', host: '192.0.2.20' };

function bigInvite(callId: string, padTo = 3000): string {
  const pad = 'x'.repeat(Math.max(0, padTo - 700));
  return request({
    callId,
    from: alice,
    to: bob,
    cseq: 1,
    method: 'INVITE',
    headers: [`X-Padding: ${pad}`],
    body: sdpOffer('192.0.2.10', 40000),
  });
}

const T0 = 1_763_900_000;

test('IPv4 fragments in reverse order reassemble into one INVITE, read back byte for byte', async (t) => {
  const text = bigInvite('frag-v4@test', 4000);
  const datagram = udp({ sport: 5060, dport: 5060, payload: Buffer.from(text) });
  const frags = fragmentIpv4(datagram, { src: '192.0.2.10', dst: '192.0.2.20', proto: 17, id: 0x1234 }, 1480);
  t.true(frags.length >= 3);
  const packets = frags
    .reverse()
    .map((ip, i) => ({ sec: T0, nsec: i * 1000, data: ethernet(ip, { ethertype: 0x0800 }) }));
  const run = await runEngine([pcapFile({ linktype: LINKTYPE.ETHERNET, packets })]);
  const s = run.engine.store;
  t.is(s.counters.sipMessages, 1);
  const d = s.dialog('frag-v4@test');
  t.truthy(d);
  t.is(d!.from.user, '3544151500');
  t.deepEqual(run.texts(), [text]);
  t.is(s.msgFrames(d!.msgs[0]!).length, frags.length, 'the message keeps every fragment frame');
  t.is(run.engine.counters.net.fragments, frags.length);
  t.is(run.engine.counters.net.reassembled, 1);
  t.is(run.engine.counters.net.incompleteFragments, 0);
});

test('IPv6 fragments in reverse order reassemble', async (t) => {
  const text = bigInvite('frag-v6@test', 4000);
  const datagram = udp({ sport: 5060, dport: 5062, payload: Buffer.from(text) });
  const frags = fragmentIpv6(datagram, { src: '2001:db8::10', dst: '2001:db8::20', proto: 17, id: 77 }, 1232);
  const packets = frags.reverse().map((ip, i) => ({ sec: T0, nsec: i, data: ethernet(ip, { ethertype: 0x86dd }) }));
  const run = await runEngine([pcapFile({ linktype: LINKTYPE.ETHERNET, packets })]);
  const d = run.engine.store.dialog('frag-v6@test');
  t.truthy(d);
  t.is(d!.src, '[2001:db8::10]:5060');
  t.is(d!.dst, '[2001:db8::20]:5062');
  t.deepEqual(run.texts(), [text]);
});

test('a datagram missing a fragment is counted as incomplete, not shown, not lost silently', async (t) => {
  const datagram = udp({ sport: 5060, dport: 5060, payload: Buffer.from(bigInvite('lost@test')) });
  const frags = fragmentIpv4(datagram, { src: '192.0.2.10', dst: '192.0.2.20', proto: 17, id: 9 }, 1480);
  const packets = frags.slice(1).map((ip, i) => ({ sec: T0, nsec: i, data: ethernet(ip, { ethertype: 0x0800 }) }));
  const run = await runEngine([pcapFile({ linktype: LINKTYPE.ETHERNET, packets })]);
  t.is(run.engine.store.counters.sipMessages, 0);
  t.is(run.engine.counters.net.incompleteFragments, 1);
});

test('every link layer: Ethernet, QinQ, SLL, SLL2, raw IPv4/IPv6, NULL and LOOP', async (t) => {
  const cases: { name: string; linktype: number; data: Buffer }[] = [];
  const payload = (id: string) => Buffer.from(request({ callId: id, from: alice, to: bob, cseq: 1, method: 'OPTIONS' }));
  for (const link of ['ethernet', 'sll', 'sll2', 'raw', 'null'] as const) {
    const f = udpFrame({ src: '192.0.2.10', dst: '192.0.2.20', sport: 5060, dport: 5060, payload: payload(`link-${link}`), link });
    cases.push({ name: link, linktype: f.linktype, data: f.data });
  }
  const v6 = udpFrame({ src: '2001:db8::1', dst: '2001:db8::2', sport: 5060, dport: 5060, payload: payload('link-raw6'), link: 'raw' });
  cases.push({ name: 'raw6', linktype: v6.linktype, data: v6.data });
  const qinqIp = ipv4({ src: '192.0.2.10', dst: '192.0.2.20', proto: 17, payload: udp({ sport: 5060, dport: 5060, payload: payload('link-qinq') }) });
  cases.push({ name: 'qinq', linktype: LINKTYPE.ETHERNET, data: ethernet(qinqIp, { ethertype: 0x0800, vlans: [100, 200], qinq: true }) });
  const run = await runEngine(cases.map((c) => pcapFile({ linktype: c.linktype, packets: [{ sec: T0, nsec: 0, data: c.data }] })));
  for (const c of cases) t.truthy(run.engine.store.dialog(`link-${c.name}`), c.name);
  t.is(run.engine.store.counters.sipMessages, cases.length);
});

test('pcapng with an Ethernet and a Linux cooked v2 interface in one file', async (t) => {
  const a = udpFrame({ src: '192.0.2.10', dst: '192.0.2.20', sport: 5060, dport: 5060, link: 'ethernet',
    payload: Buffer.from(request({ callId: 'ng@test', from: alice, to: bob, cseq: 1, method: 'INVITE' })) });
  const b = udpFrame({ src: '192.0.2.20', dst: '192.0.2.10', sport: 5060, dport: 5060, link: 'sll2',
    payload: Buffer.from(response({ callId: 'ng@test', from: alice, to: bob, cseq: 1, method: 'INVITE', toTag: 'b1' }, 486, 'Busy Here')) });
  const file = pcapngFile({
    sections: [
      {
        interfaces: [{ linktype: a.linktype }, { linktype: b.linktype }],
        packets: [
          { iface: 0, sec: T0, nsec: 0, data: a.data },
          { iface: 1, sec: T0, nsec: 5_000_000, data: b.data },
        ],
      },
    ],
  });
  const run = await runEngine([file]);
  const d = run.engine.store.dialog('ng@test');
  t.is(d?.messageCount, 2);
  t.is(d?.state, 'BUSY');
  t.is(run.reports[0]!.format, 'pcapng');
});

test('two and three SIP messages in one UDP datagram are all kept', async (t) => {
  const m1 = request({ callId: 'multi-1@test', from: alice, to: bob, cseq: 1, method: 'OPTIONS' });
  const m2 = request({ callId: 'multi-2@test', from: alice, to: bob, cseq: 1, method: 'OPTIONS' });
  const m3 = request({ callId: 'multi-3@test', from: alice, to: bob, cseq: 1, method: 'MESSAGE', body: 'hello' });
  const f1 = udpFrame({ src: '192.0.2.10', dst: '192.0.2.20', sport: 5060, dport: 5060, payload: Buffer.from(m1 + m2) });
  const f2 = udpFrame({ src: '192.0.2.10', dst: '192.0.2.20', sport: 5060, dport: 5060, payload: Buffer.from(m1 + m2 + m3) });
  const run = await runEngine([pcapFile({ linktype: f1.linktype, packets: [
    { sec: T0, nsec: 0, data: f1.data },
    { sec: T0 + 1, nsec: 0, data: f2.data },
  ] })]);
  t.is(run.engine.store.counters.sipMessages, 5);
  t.is(run.engine.store.dialogCount, 3);
  t.deepEqual(run.texts(), [m1, m1, m2, m2, m3]);
});

test('IPv6 with extension headers before UDP', async (t) => {
  const text = request({ callId: 'ext6@test', from: alice, to: bob, cseq: 1, method: 'REGISTER' });
  const ip = ipv6({
    src: '2001:db8::a',
    dst: '2001:db8::b',
    nextHeader: 17,
    payload: udp({ sport: 5060, dport: 5060, payload: Buffer.from(text) }),
    extHeaders: [{ type: 0 }, { type: 60 }],
  });
  const run = await runEngine([pcapFile({ linktype: LINKTYPE.ETHERNET, packets: [{ sec: T0, nsec: 0, data: ethernet(ip, { ethertype: 0x86dd }) }] })]);
  t.deepEqual(run.texts(), [text]);
});
