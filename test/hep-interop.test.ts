/**
 * HEP against real peers, through the real launcher: sngrep 1.6 sending to sipscope,
 * sipscope sending to sngrep (its -O file read back), sipscope to sipscope over TCP (with a
 * key, -O), HEP v2, IPv6 inside and outside, the capture id as it is on the wire (tcpdump),
 * and a listener that keeps going through bad input. Every comparison is against what
 * `sipscope -I FILE -N --json` says of the file that was sent.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findHep3Chunk } from '../src/net/hep-encode';
import { pcapFile } from './helpers/capture-files';
import { hep3, hep3Chunk, udpFrame } from './helpers/packets';
import { request, response } from './helpers/sip-text';
import { ownCaptures } from './helpers/paths';
import {
  background,
  demoUdp,
  dialogKey,
  fileDialogs,
  freePort,
  parseJson,
  readFrames,
  sendUdp,
  sipscope,
  sipscopeListener,
  sortByCallId,
  until,
  type Run,
} from './hep-helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-hep-'));
const hasSngrep = spawnSync('sngrep', ['-V'], { encoding: 'utf8' }).status === 0;
const hasTcpdump = spawnSync('tcpdump', ['--version'], { encoding: 'utf8' }).status === 0;
const demoTcp = path.join(ownCaptures, 'demo-tcp.pcap');

/** Dialogs and summary of a stopped listener, after checking it ended well. */
function listenerResult(t: { is: (a: unknown, b: unknown, m?: string) => void }, r: Run): ReturnType<typeof parseJson> {
  t.is(r.status, 0, r.stderr);
  return parseJson(r.stdout);
}

interface ListenerCounters {
  endpoint: string;
  packets: number;
  sip: number;
  authFailed: number;
  truncated: number;
  bad: number;
  notHep: number;
  notSip: number;
  unknownChunks: number;
  connections: number;
}

/** Lets datagrams already sent reach the listener's event loop before it is stopped. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 400));

test.serial('sngrep -H → sipscope -L: the dialogs equal those of the file sngrep read', async (t) => {
  if (!hasSngrep) return t.pass('sngrep is not installed');
  const port = await freePort('udp');
  const l = await sipscopeListener(['-L', `udp:127.0.0.1:${port}`, '-N', '--json']);
  const s = spawnSync('sngrep', ['-I', demoUdp, '-N', '-q', '-H', `udp:127.0.0.1:${port}`], { encoding: 'utf8', timeout: 30_000 });
  t.is(s.status, 0, s.stderr);
  await settle();
  const { dialogs, summary } = listenerResult(t, await l.stop('SIGINT'));
  t.deepEqual(sortByCallId(dialogs.map(dialogKey)), fileDialogs(demoUdp));
  const hep = (summary['hepListeners'] as ListenerCounters[])[0]!;
  t.is(hep.packets, 30);
  t.is(hep.sip, 30);
  t.is(hep.bad + hep.truncated + hep.notHep, 0);
});

test.serial('sipscope -H → sngrep -L -O: the pcap sngrep writes holds the same dialogs', async (t) => {
  if (!hasSngrep) return t.pass('sngrep is not installed');
  const port = await freePort('udp');
  const out = path.join(tmp, 'from-sngrep.pcap');
  const sng = background('sngrep', ['-L', `udp:127.0.0.1:${port}`, '-N', '-q', '-O', out]);
  // Ready once the port is taken.
  await until(() => spawnSync('ss', ['-Hlun', `sport = :${port}`], { encoding: 'utf8' }).stdout.includes(`:${port}`), 10_000, 'sngrep to bind');
  const r = sipscope(['-I', demoUdp, '-N', '-q', '-H', `udp:127.0.0.1:${port}`]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, '');
  await settle();
  const done = await sng.stop('SIGINT'); // sngrep 1.6 -N -L runs until a signal, then closes the -O file
  t.is(done.signal ?? 'exited', 'exited', done.stderr);
  t.deepEqual(fileDialogs(out), fileDialogs(demoUdp));
});

test.serial('sipscope → sipscope over HEP3/TCP with a key, -O on the listener; UDP and TCP captures', async (t) => {
  for (const file of [demoUdp, demoTcp]) {
    const port = await freePort('tcp');
    const out = path.join(tmp, `tcp-${path.basename(file)}`);
    const l = await sipscopeListener(['-L', `tcp:127.0.0.1:${port}`, '--hep-key', 'sesame', '-N', '--json', '-O', out]);
    const r = sipscope(['-I', file, '-N', '--json', '-H', `tcp:127.0.0.1:${port}`, '--hep-key', 'sesame']);
    t.is(r.status, 0, r.stderr);
    const sent = parseJson(r.stdout).summary;
    const sender = (sent['hepSenders'] as { sent: number; messages: number; endpoint: string }[])[0]!;
    t.is(sender.endpoint, `tcp:127.0.0.1:${port}`);
    t.is(sender.sent, sent.sipMessages);
    await settle();
    const { dialogs, summary } = listenerResult(t, await l.stop('SIGTERM'));
    const want = fileDialogs(file);
    t.deepEqual(sortByCallId(dialogs.map(dialogKey)), want, path.basename(file));
    const hep = (summary['hepListeners'] as ListenerCounters[])[0]!;
    t.is(hep.connections, 1);
    t.is(hep.sip, sent.sipMessages);
    t.is(hep.authFailed, 0);
    t.deepEqual(fileDialogs(out), want, `-O of ${path.basename(file)}`);
  }
});

test.serial('HEP v2 over UDP, sipscope → sipscope', async (t) => {
  const port = await freePort('udp');
  const l = await sipscopeListener(['-L', `udp:127.0.0.1:${port}`, '-N', '--json']);
  const r = sipscope(['-I', demoUdp, '-N', '-q', '--hep-version', '2', '-H', `udp:127.0.0.1:${port}`]);
  t.is(r.status, 0, r.stderr);
  await settle();
  const { dialogs } = listenerResult(t, await l.stop());
  t.deepEqual(sortByCallId(dialogs.map(dialogKey)), fileDialogs(demoUdp));
  // v2 cannot be framed on TCP: said before anything is sent.
  const bad = sipscope(['-I', demoUdp, '-N', '--hep-version', '2', '-H', `tcp:127.0.0.1:${port}`]);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /HEP v2 has no length field, so it cannot be framed on TCP; use --hep-version 3 or udp:/);
});

test.serial('IPv6: an IPv6 call carried over HEP on ::1 (UDP and TCP) keeps its addresses', async (t) => {
  const a = { user: 'alice', host: '2001:db8::10', port: 5060 };
  const b = { user: 'bob', host: '2001:db8::20', port: 5060 };
  const call = { from: a, to: b, callId: 'v6-call@2001:db8::10', method: 'INVITE', cseq: 1 };
  const msgs: [string, boolean][] = [
    [request(call), true],
    [response({ ...call, toTag: 'b1' }, 100, 'Trying'), false],
    [response({ ...call, toTag: 'b1' }, 200, 'OK'), false],
    [request({ ...call, method: 'ACK', toTag: 'b1' }), true],
    [request({ ...call, method: 'BYE', cseq: 2, toTag: 'b1' }), true],
    [response({ ...call, method: 'BYE', cseq: 2, toTag: 'b1' }, 200, 'OK'), false],
  ];
  const file = path.join(tmp, 'v6.pcap');
  fs.writeFileSync(
    file,
    pcapFile({
      linktype: 1,
      packets: msgs.map(([text, out], i) => ({
        sec: 1_700_000_000 + i,
        nsec: 250_000_000,
        data: udpFrame({ src: out ? a.host : b.host, dst: out ? b.host : a.host, sport: 5060, dport: 5060, payload: text }).data,
      })),
    }),
  );
  const want = fileDialogs(file);
  t.is(want.length, 1);
  t.is(want[0]!['state'], 'COMPLETED');
  t.is(want[0]!['src'], '[2001:db8::10]:5060');
  for (const proto of ['udp', 'tcp'] as const) {
    const port = await freePort(proto, '::1');
    const l = await sipscopeListener(['-L', `${proto}:[::1]:${port}`, '-N', '--json']);
    const r = sipscope(['-I', file, '-N', '-q', '-H', `${proto}:[::1]:${port}`]);
    t.is(r.status, 0, r.stderr);
    await settle();
    const { dialogs } = listenerResult(t, await l.stop());
    t.deepEqual(sortByCallId(dialogs.map(dialogKey)), want, proto);
  }
});

test.serial('the capture id on the wire: sipscope writes --hep-id in network order, sngrep byte-swaps its 2002', async (t) => {
  const portA = await freePort('udp');
  const portB = await freePort('udp');
  // Datagrams as they come off the loopback: tcpdump when it is there, else a plain socket.
  const seen = new Map<number, Buffer[]>([
    [portA, []],
    [portB, []],
  ]);
  const sockets: dgram.Socket[] = [];
  for (const port of [portA, portB]) {
    const s = dgram.createSocket('udp4');
    s.on('message', (m) => seen.get(port)!.push(m));
    await new Promise<void>((r) => s.bind(port, '127.0.0.1', () => r()));
    sockets.push(s);
  }
  let dump: ReturnType<typeof background> | undefined;
  const dumpFile = path.join(tmp, 'capture-id.pcap');
  if (hasTcpdump) {
    dump = background('tcpdump', ['-i', 'lo', '-U', '-n', '-w', dumpFile, `udp and (port ${portA} or port ${portB})`]);
    await dump.waitFor('listening on');
  }
  const r = sipscope(['-I', demoUdp, '-N', '-q', '-H', `udp:127.0.0.1:${portA}`, '--hep-id', '305419896']); // 0x12345678
  t.is(r.status, 0, r.stderr);
  if (hasSngrep) spawnSync('sngrep', ['-I', demoUdp, '-N', '-q', '-H', `udp:127.0.0.1:${portB}`], { timeout: 30_000 });
  await until(() => seen.get(portA)!.length === 30 && (!hasSngrep || seen.get(portB)!.length === 30), 10_000, 'every datagram');
  for (const s of sockets) s.close();

  let wire = seen;
  if (dump !== undefined) {
    // tcpdump -U writes each packet as it goes; wait until the file holds them all before
    // stopping it (stopping at once sometimes left the file empty on a busy machine).
    const countA = (): number => {
      try {
        return readFrames(dumpFile).filter((f) => f.data.length >= 38 && f.data.readUInt16BE(14 + 20 + 2) === portA).length;
      } catch {
        return 0;
      }
    };
    await until(() => countA() >= 30, 10_000, 'tcpdump wrote every datagram').catch(() => undefined);
    await settle();
    await dump.stop('SIGINT');
    // Frames on lo are Ethernet with zero MACs: IPv4 (20) + UDP (8) headers before HEP.
    wire = new Map([
      [portA, []],
      [portB, []],
    ]);
    for (const f of readFrames(dumpFile)) {
      const udpAt = 14 + 20;
      wire.get(f.data.readUInt16BE(udpAt + 2))?.push(f.data.subarray(udpAt + 8));
    }
    t.is(wire.get(portA)!.length, 30);
  }
  const idHex = (d: Buffer): string => {
    const at = findHep3Chunk(d, 0, 12);
    return at === undefined ? 'none' : d.subarray(at[0], at[1]).toString('hex');
  };
  t.deepEqual(new Set(wire.get(portA)!.map(idHex)), new Set(['12345678']));
  if (hasSngrep) t.deepEqual(new Set(wire.get(portB)!.map(idHex)), new Set(['07d20000'])); // 2002 = 0x07d2, swapped into the high half
});

test.serial('a listener keeps going through bad input, counts it, and still collects the calls that follow', async (t) => {
  const port = await freePort('udp');
  const l = await sipscopeListener(['-L', `udp:127.0.0.1:${port}`, '--hep-key', 'k', '-N', '--json']);
  const good = { src: '10.0.0.1', dst: '10.0.0.2', sport: 5060, dport: 5060, sec: 1_700_000_000, usec: 0, payload: request({ from: { user: 'a', host: 'x' }, to: { user: 'b', host: 'y' }, callId: 'odd-chunks@t', method: 'OPTIONS', cseq: 1 }) };
  const full = hep3({ ...good, extraChunks: [hep3Chunk(14, 'k')] });
  await sendUdp('127.0.0.1', port, [
    full.subarray(0, 40), // truncated
    hep3({ ...good, totalLength: 3, extraChunks: [hep3Chunk(14, 'k')] }), // bad total length
    hep3({ ...good, extraChunks: [hep3Chunk(14, 'k'), hep3Chunk(9, Buffer.alloc(2))] }), // seconds chunk of 2 bytes
    hep3({ ...good, extraChunks: [hep3Chunk(14, 'k'), hep3Chunk(77, 'unknown'), hep3Chunk(3, 'x', { vendor: 9 })] }), // unknown chunks: kept
    hep3({ ...good, extraChunks: [hep3Chunk(14, 'wrong')] }), // wrong key
    hep3(good), // no key
    Buffer.alloc(3),
  ]);
  const r = sipscope(['-I', demoUdp, '-N', '-q', '-H', `udp:127.0.0.1:${port}`, '--hep-key', 'k']);
  t.is(r.status, 0, r.stderr);
  await settle();
  const { dialogs, summary } = listenerResult(t, await l.stop());
  const hep = (summary['hepListeners'] as ListenerCounters[])[0]!;
  t.is(hep.truncated, 1);
  t.is(hep.bad, 2);
  t.is(hep.authFailed, 2);
  t.is(hep.notHep, 1);
  t.is(hep.unknownChunks, 2);
  t.is(hep.sip, 31);
  t.is(dialogs.length, 7, 'the six demo calls and the one OPTIONS with unknown chunks');
});

test.serial('command-line errors name the address and what to do', async (t) => {
  const port = await freePort('udp');
  const holder = dgram.createSocket('udp4');
  await new Promise<void>((r) => holder.bind(port, '127.0.0.1', () => r()));
  const busy = sipscope(['-L', `udp:127.0.0.1:${port}`, '-N']);
  holder.close();
  t.is(busy.status, 2);
  t.is(busy.stderr, `sipscope: cannot listen on udp:127.0.0.1:${port}: address in use; another program listens there (pick another port, or stop it)\n`);
  const bad = sipscope(['-L', 'udp:::1:9060', '-N']);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /^sipscope: -L 'udp:::1:9060': an IPv6 address must be written in brackets; write udp:HOST:PORT or tcp:HOST:PORT/);
  const noPort = sipscope(['-H', 'udp:127.0.0.1', '-N', '-I', demoUdp]);
  t.is(noPort.status, 2);
  t.regex(noPort.stderr, /-H 'udp:127.0.0.1': no port/);
});

test.serial('-N without --json prints the table, then one line per listener and sender', async (t) => {
  const port = await freePort('udp');
  const l = await sipscopeListener(['-L', `udp:127.0.0.1:${port}`, '-N']);
  const r = sipscope(['-I', demoUdp, '-N', '-H', `udp:127.0.0.1:${port}`]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`HEP v3 to udp:127.0.0.1:${port}: 30 of 30 messages sent\\n$`));
  await settle();
  const done = await l.stop();
  t.is(done.status, 0, done.stderr);
  t.regex(done.stdout, /INVITE +3544151500 +3544151502 .* COMPLETED/);
  t.regex(done.stdout, new RegExp(`HEP udp:127.0.0.1:${port}: 30 packets, 30 SIP messages\\n$`));
});

test.serial('relay: sipscope -L tcp -H udp forwards what arrives; the collector behind it sees the same dialogs', async (t) => {
  const collectorPort = await freePort('udp');
  const relayPort = await freePort('tcp');
  const collector = await sipscopeListener(['-L', `udp:127.0.0.1:${collectorPort}`, '-N', '--json']);
  const relay = await sipscopeListener(['-L', `tcp:127.0.0.1:${relayPort}`, '-H', `udp:127.0.0.1:${collectorPort}`, '-N', '--json']);
  const r = sipscope(['-I', demoUdp, '-N', '-q', '-H', `tcp:127.0.0.1:${relayPort}`]);
  t.is(r.status, 0, r.stderr);
  await settle();
  const relayed = listenerResult(t, await relay.stop());
  const out = (relayed.summary['hepSenders'] as { sent: number; messages: number }[])[0]!;
  t.deepEqual({ sent: out.sent, messages: out.messages }, { sent: 30, messages: 30 });
  await settle();
  const { dialogs } = listenerResult(t, await collector.stop());
  t.deepEqual(sortByCallId(dialogs.map(dialogKey)), fileDialogs(demoUdp));
});
