/**
 * The decoder on real third-party captures (../shared/captures), with counts checked
 * against tshark 4.0 where tshark can read the file. Skipped when the folder is absent.
 *
 * The classic-pcap reading here is a minimal stand-in so these tests do not depend on
 * src/pcap; it tolerates cool.pcap, whose record headers use the other byte order than its
 * file header.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from '../src/pcap/types';
import { newNetCounters, type Packet } from '../src/net/types';
import { NetDecoder } from '../src/net/decoder';
import { decodeFrames } from './helpers/packets';
import { sharedCaptures } from './helpers/paths';
import { readCaptureFrames } from './helpers/read-capture';


const have = fs.existsSync(sharedCaptures);
const capture = (rel: string): string => path.join(sharedCaptures, rel);
const maybe = have ? test : test.skip;

maybe('pkts/cool.pcap: link type NULL carrying raw IPv4', (t) => {
  const frames = readCaptureFrames(capture('pkts/cool.pcap'));
  t.true(frames.length > 0);
  t.true(frames.every((f) => f.linktype === 0));
  const { packets, counters } = decodeFrames(frames);
  t.is(packets.length, frames.length, JSON.stringify(counters));
  t.is(packets[0]?.src, '127.0.0.1');
  t.regex(packets[0]?.payload.toString() ?? '', /^INVITE sip:service@127\.0\.0\.1:5090 SIP\/2\.0\r\n/);
});

maybe('pkts/sipp.pcap and its SLL twin decode to the same datagrams', (t) => {
  const eth = decodeFrames(readCaptureFrames(capture('pkts/sipp.pcap'))).packets;
  const sllp = decodeFrames(readCaptureFrames(capture('pkts/sipp_sll.pcap'))).packets;
  t.is(eth.length, 30);
  t.deepEqual(
    sllp.map((p) => [p.src, p.sport, p.dst, p.dport, p.payload.toString()]),
    eth.map((p) => [p.src, p.sport, p.dst, p.dport, p.payload.toString()]),
  );
});

maybe('pkts/fragmented_udp_sip.pcap: a lone first fragment ends incomplete', (t) => {
  const { packets, counters } = decodeFrames(readCaptureFrames(capture('pkts/fragmented_udp_sip.pcap')));
  t.is(packets.length, 5);
  t.is(counters.fragments, 1);
  t.is(counters.incompleteFragments, 1);
  t.is(counters.reassembled, 0);
});

maybe('sngrep/ipv6frag.pcap: two SIP messages reassembled from IPv6 fragments over SLL', (t) => {
  const frames = readCaptureFrames(capture('sngrep/ipv6frag.pcap'));
  const { packets, counters } = decodeFrames(frames);
  t.is(frames.length, 34);
  t.is(packets.length, 32); // tshark: 32 UDP datagrams
  t.is(counters.fragments, 4);
  t.is(counters.reassembled, 2);
  const re = packets.filter((p) => p.frames !== undefined);
  t.deepEqual(
    re.map((p) => p.frames),
    [
      [0, 1],
      [3, 4],
    ],
  );
  for (const p of re) {
    t.is(p.frameOffset, -1);
    t.regex(p.payload.toString(), /^(INVITE|SIP\/2\.0|[A-Z]+ sip:)/);
  }
  // Unfragmented packets point at their bytes in the frame.
  const plain = packets.find((p) => p.frames === undefined) as Packet;
  const f = frames[2] as Frame;
  t.is(f.data.subarray(plain.frameOffset, plain.frameOffset + plain.payload.length).toString(), plain.payload.toString());
});

maybe('sngrep/ipip.pcap: IP-in-IP re-enters the IP decoder (inner TCP)', (t) => {
  const frames = readCaptureFrames(capture('sngrep/ipip.pcap'));
  const counters = newNetCounters();
  const inner: string[] = [];
  const dec = new NetDecoder({ counters, onPacket: () => t.fail('no UDP') });
  dec.registerTransport(4, (_ip, payload, off, fr) => dec.decodeIp(payload, off, fr));
  dec.registerTransport(6, (ip, payload) => inner.push(`${ip.src}>${ip.dst} ${payload.length}`));
  frames.forEach((f, i) => dec.decode(f, i));
  t.is(inner.length, 4); // tshark: 4 TCP segments
  t.is(counters.otherTransport + counters.truncated + counters.badIp, 0);
});

maybe('raw IP, BSD NULL and a larger Ethernet capture match tshark counts', (t) => {
  const raw = decodeFrames(readCaptureFrames(capture('zeek/sip-long-request-response-paths.pcap')));
  t.is(raw.packets.length, 2);
  const loop = decodeFrames(readCaptureFrames(capture('suricata-verify/sip-body-large__sip-body-large.pcap')));
  t.is(loop.counters.otherTransport, 16); // 16 TCP frames, no TCP decoder registered here
  const aaa = decodeFrames(readCaptureFrames(capture('sngrep/aaa.pcap')));
  t.is(aaa.packets.length, 590);
  t.is(aaa.counters.otherTransport, 57);
  t.is(aaa.counters.notIp, 44); // ARP
  const ott = decodeFrames(readCaptureFrames(capture('pcaptoparquet/01_udp_voice_ott.pcap')));
  // tshark: 2537 IPv6/UDP + 4 IPv4/UDP datagrams; 3 ICMPv6 errors quoting UDP are ICMP here.
  t.is(ott.packets.length, 2541);
  t.is(ott.counters.otherTransport, 3);
});
