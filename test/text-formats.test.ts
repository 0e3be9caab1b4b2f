/**
 * Header recognisers, hex lines, message restoration and the streaming text reader as
 * pure units: every format's header line, lossy text made whole again, and the reader fed
 * split at every byte, truncated at every line and given garbage.
 */
import test from 'ava';
import {
  detectTextCapture,
  parseHexLine,
  parseTextHeader,
  parseTcpdumpAddressLine,
} from '../src/capture/text-formats';
import { restoreMessage } from '../src/capture/text-message';
import { TextCaptureReader } from '../src/capture/text-input';
import type { Frame, ReadIssue } from '../src/pcap/types';
import { request, response } from './helpers/sip-text';

const alice = { user: 'alice', host: '10.0.0.1', port: 5060 };
const bob = { user: 'bob', host: '10.0.0.2', port: 5060 };
const INVITE = request({ callId: 'c1@test', from: alice, to: bob, cseq: 1, method: 'INVITE', body: 'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n' });
const RINGING = response({ callId: 'c1@test', from: alice, to: bob, cseq: 1, method: 'INVITE', toTag: 'b1' }, 180, 'Ringing');

test('generic header: sipscope -T, sngrep txt and Kamailio-style lines', (t) => {
  const h = parseTextHeader('2026/11/23 12:39:49.677850 127.0.0.1:5062 -> 127.0.0.1:5060 (UDP)');
  t.is(h?.format, 'generic');
  t.deepEqual(h?.src, { host: '127.0.0.1', port: 5062 });
  t.deepEqual(h?.dst, { host: '127.0.0.1', port: 5060 });
  t.is(h?.transport, 'UDP');
  t.deepEqual(h?.time, { date: true, sec: Date.UTC(2026, 10, 23, 12, 39, 49) / 1000, nsec: 677850000 });
  const v6 = parseTextHeader('2026-11-23 12:39:49.5 [2001:db8::1]:5061 -> [2001:db8::2]:5061 (TLS)\r');
  t.is(v6?.src?.host, '2001:db8::1');
  t.is(v6?.transport, 'TLS');
  t.is(v6?.time?.nsec, 500_000_000);
  t.is(parseTextHeader('2026/11/23 12:39:49.677850 127.0.0.1:5062 -> 127.0.0.1:5060 (UDP) trailing'), undefined);
  t.is(parseTextHeader('2026/13/23 12:39:49.677850 127.0.0.1:5062 -> 127.0.0.1:5060'), undefined);
});

test('tcpdump header lines: -nn, names, -tttt, -tt, -e, TCP, IPv6, -v', (t) => {
  const a = parseTextHeader('12:39:49.677850 IP 127.0.0.1.5062 > 127.0.0.1.5060: UDP, length 732');
  t.is(a?.format, 'tcpdump');
  t.deepEqual(a?.time, { date: false, sec: 12 * 3600 + 39 * 60 + 49, nsec: 677850000 });
  t.is(a?.length, 732);
  t.is(a?.transport, 'UDP');
  const names = parseTextHeader('2026-11-23 12:39:49.677850 IP localhost.5062 > localhost.sip: SIP: INVITE sip:x@y SIP/2.0');
  t.deepEqual(names?.dst, { host: 'localhost', port: 5060 });
  t.true(names?.time?.date);
  t.true(names?.sipPrinted);
  const epoch = parseTextHeader('1795437589.677850 IP 10.0.0.1.5060 > 10.0.0.2.5060: UDP, length 10');
  t.deepEqual(epoch?.time, { date: true, sec: 1795437589, nsec: 677850000 });
  const eth = parseTextHeader('12:39:49.677850 00:00:00:00:00:00 > 00:00:00:00:00:00, ethertype IPv4 (0x0800), length 823: 127.0.0.1.5062 > 127.0.0.1.5060: SIP: INVITE');
  t.deepEqual(eth?.src, { host: '127.0.0.1', port: 5062 });
  const tcp = parseTextHeader('12:40:07.146554 IP 127.0.0.1.5062 > 127.0.0.1.5060: Flags [P.], seq 1:782, ack 1, win 65495, length 781: SIP: INVITE');
  t.is(tcp?.transport, 'TCP');
  t.is(tcp?.length, 781);
  const six = parseTextHeader('12:00:00.000001 IP6 2001:db8::1.5060 > 2001:db8::2.5080: UDP, length 5');
  t.deepEqual(six?.src, { host: '2001:db8::1', port: 5060 });
  const any = parseTextHeader('12:00:00.000001 lo    In  IP 127.0.0.1.5062 > 127.0.0.1.5060: UDP, length 5');
  t.is(any?.length, 5);
  const v = parseTextHeader('12:39:49.677850 IP (tos 0x0, ttl 64, id 9098, offset 0, flags [DF], proto UDP (17), length 809)');
  t.true(v?.addressesFollow);
  const second = parseTcpdumpAddressLine('    127.0.0.1.5062 > 127.0.0.1.5060: [bad udp cksum 0x0129 -> 0xebb0!] SIP, length: 781');
  t.is(second?.length, 781);
  t.is(parseTextHeader('12:39:49.677850 ARP, Request who-has 10.0.0.1 tell 10.0.0.2, length 28'), undefined);
});

test('Asterisk and FreeSWITCH header lines', (t) => {
  const pj = parseTextHeader('[2026-11-23 12:39:49.677] VERBOSE[4711] res_pjsip_logger.c: <--- Received SIP request (913 bytes) from UDP:10.0.0.1:5060 --->');
  t.is(pj?.format, 'asterisk');
  t.is(pj?.direction, 'in');
  t.is(pj?.length, 913);
  t.deepEqual(pj?.remote, { host: '10.0.0.1', port: 5060 });
  t.is(pj?.time?.nsec, 677_000_000);
  const tx = parseTextHeader('<--- Transmitting SIP response (500 bytes) to TLS:[2001:db8::1]:5061 --->');
  t.is(tx?.direction, 'out');
  t.is(tx?.transport, 'TLS');
  t.is(tx?.time, undefined);
  const chan = parseTextHeader('[Nov 23 12:39:49] VERBOSE[123] chan_sip.c: <--- SIP read from UDP:10.0.0.9:5060 --->');
  t.is(chan?.direction, 'in');
  t.is(chan?.time?.date, false);
  const fs = parseTextHeader('recv 1234 bytes from udp/[10.0.0.1]:5060 at 12:00:00.123456:');
  t.is(fs?.format, 'freeswitch');
  t.is(fs?.length, 1234);
  t.is(fs?.time?.nsec, 123456000);
  t.is(parseTextHeader('send 12 bytes to tcp/[10.0.0.1]:5060 at 25:00:00.000000:'), undefined);
});

test('hex lines of -x/-X: groups, odd last byte, the ASCII column never read as hex', (t) => {
  t.deepEqual(parseHexLine('\t0x0000:  4500 0329 238a 4000 4011 1638 7f00 0001  E..)#.@.@..8....'), {
    offset: 0,
    bytes: [0x45, 0x00, 0x03, 0x29, 0x23, 0x8a, 0x40, 0x00, 0x40, 0x11, 0x16, 0x38, 0x7f, 0x00, 0x00, 0x01],
  });
  t.deepEqual(parseHexLine('\t0x0310:  0d0a 0d                                  ...'), { offset: 0x310, bytes: [0x0d, 0x0a, 0x0d] });
  t.deepEqual(parseHexLine('\t0x0020:  dead                                     dead beef cafe'), { offset: 0x20, bytes: [0xde, 0xad] });
  t.is(parseHexLine('INVITE sip:x SIP/2.0'), undefined);
});

test('detection: a header among the first lines; binary and plain prose are not text captures', (t) => {
  t.is(detectTextCapture(Buffer.from('some banner\n\n12:39:49.677850 IP 1.2.3.4.5060 > 1.2.3.5.5060: UDP, length 3\nabc\n')), 'tcpdump');
  t.is(detectTextCapture(Buffer.from('Lorem ipsum dolor sit amet\nconsectetur\n')), undefined);
  t.is(detectTextCapture(Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 0, 0, 0, 0])), undefined);
});

test('restoring a message whose CRs were lost gives the original bytes', (t) => {
  const lossy = INVITE.replace(/\r\n/g, '\n') + '\n\n';
  const r = restoreMessage(lossy, INVITE.length, false);
  t.is(r.bytes.toString('latin1'), INVITE);
  t.deepEqual(r.notes, []);
  const exact = restoreMessage(INVITE + '\n', undefined, false);
  t.is(exact.bytes.toString('latin1'), INVITE);
});

test('restoring: log lines after a lossy body are dropped with a note; a body that cannot fit gets Content-Length rewritten', (t) => {
  const lossy = INVITE.replace(/\r\n/g, '\n') + 'NOTICE something else\n';
  const r = restoreMessage(lossy, undefined, false);
  t.is(r.bytes.toString('latin1'), INVITE);
  t.regex(r.notes.join(), /1 line after/);
  const bodyLength = INVITE.length - INVITE.indexOf('\r\n\r\n') - 4;
  const wrong = INVITE.replace(/Content-Length: \d+/, 'Content-Length: 99').replace(/\r\n/g, '\n');
  const fixed = restoreMessage(wrong, undefined, false);
  t.is(fixed.bytes.toString('latin1'), INVITE);
  t.regex(fixed.notes.join(), new RegExp(`rewritten to ${bodyLength}`));
});

test('restoring: a datagram of two messages keeps both; a cut message keeps its Content-Length and says so', (t) => {
  const two = restoreMessage(INVITE + RINGING + '\n', undefined, false);
  t.is(two.bytes.toString('latin1'), INVITE + RINGING);
  const cut = restoreMessage(INVITE.slice(0, INVITE.length - 10), undefined, true);
  t.is(cut.bytes.toString('latin1'), INVITE.slice(0, INVITE.length - 10));
  t.regex(cut.notes.join(), /cut by the end of the input/);
});

interface Collected {
  frames: Frame[];
  issues: ReadIssue[];
  reader: TextCaptureReader;
}

function readText(text: Buffer, chunks: number[] | 'lines' = [text.length]): Collected {
  const frames: Frame[] = [];
  const issues: ReadIssue[] = [];
  const reader = new TextCaptureReader({ onFrame: (f) => frames.push({ ...f, data: Buffer.from(f.data) }), onIssue: (i) => issues.push(i) });
  if (chunks === 'lines') {
    let at = 0;
    for (;;) {
      const nl = text.indexOf(0x0a, at);
      if (nl < 0) break;
      reader.push(text.subarray(at, nl + 1));
      at = nl + 1;
    }
    reader.push(text.subarray(at));
  } else {
    let at = 0;
    let i = 0;
    while (at < text.length) {
      const n = Math.max(1, chunks[i++ % chunks.length] as number);
      reader.push(text.subarray(at, at + n));
      at += n;
    }
  }
  reader.end();
  return { frames, issues, reader };
}

const SMALL = Buffer.from(
  `2026/11/23 12:00:00.000001 10.0.0.1:5060 -> 10.0.0.2:5060 (UDP)\n${INVITE}\n` +
    `2026/11/23 12:00:00.100000 10.0.0.2:5060 -> 10.0.0.1:5060 (UDP)\n${RINGING}\n`,
  'latin1',
);

test('the reader gives the same frames whatever the chunking: every split point, every line, one byte at a time', (t) => {
  const whole = readText(SMALL);
  t.is(whole.frames.length, 2);
  t.deepEqual(whole.issues, []);
  const payloads = whole.frames.map((f) => f.data.toString('latin1'));
  t.true((payloads[0] as string).endsWith(INVITE));
  for (let cut = 1; cut < SMALL.length; cut++) {
    const r = readText(SMALL, [cut, SMALL.length]);
    t.deepEqual(r.frames.map((f) => f.data.toString('latin1')), payloads, `split at ${cut}`);
  }
  t.deepEqual(readText(SMALL, 'lines').frames.map((f) => f.data.toString('latin1')), payloads);
  t.deepEqual(readText(SMALL, [1]).frames.map((f) => f.data.toString('latin1')), payloads);
});

test('the reader never throws on input cut at any line, and reports what the cut took', (t) => {
  const lines = SMALL.toString('latin1').split('\n');
  for (let n = 0; n <= lines.length; n++) {
    const cut = Buffer.from(lines.slice(0, n).join('\n'), 'latin1');
    const r = readText(cut);
    t.true(r.frames.length <= 2);
    if (n > 0 && r.frames.length === 0) t.true(r.issues.length > 0 || r.reader.counters.blocks === 0);
  }
});

test('random text and random bytes: no exception, no hang, every block accounted for', (t) => {
  let seed = 7;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let round = 0; round < 50; round++) {
    const parts: string[] = [];
    for (let i = 0; i < 40; i++) {
      const k = rnd() % 6;
      if (k === 0) parts.push('12:00:00.000001 IP 10.0.0.1.5060 > 10.0.0.2.5060: UDP, length ' + (rnd() % 900));
      else if (k === 1) parts.push(INVITE.slice(0, rnd() % INVITE.length));
      else if (k === 2) parts.push('\t0x00' + (rnd() % 99).toString().padStart(2, '0') + ':  4500 00' + (rnd() % 99));
      else if (k === 3) parts.push(String.fromCharCode(...Array.from({ length: rnd() % 80 }, () => rnd() % 256)));
      else if (k === 4) parts.push('recv 12 bytes from udp/[10.0.0.1]:5060 at 12:00:00.000000:');
      else parts.push('-'.repeat(rnd() % 80));
    }
    const r = readText(Buffer.from(parts.join('\n'), 'latin1'), [1 + (rnd() % 300)]);
    t.is(r.reader.counters.messages + r.reader.counters.unparsed <= r.reader.counters.blocks, true);
  }
});
