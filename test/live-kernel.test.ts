/**
 * What libpcap's pcap_stats and promiscuous-mode switch give a user, through the project's
 * native helper (src/native): kernel drop counts in `-N --json`'s live summary, and
 * --no-promisc really leaving an interface out of promiscuous mode. Needs root and cap.
 */
import test from 'ava';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { repoRoot } from './helpers/paths';
import { ended, freePorts, liveSkipReason, parseJsonLines, sipscope, waitFor, type Proc } from './live-helpers';

const skip = liveSkipReason();
const liveTest = skip === undefined ? test.serial : test.skip;
if (skip !== undefined) test('kernel counter tests skipped', (t) => t.log(skip));

interface LiveSummary {
  packetsReceived: number;
  kernelDrops: number | null;
  discarded: number;
}

async function capturing(t: { teardown(fn: () => void): void }, args: string[]): Promise<Proc> {
  const p = sipscope(args);
  t.teardown(() => p.child.kill('SIGKILL'));
  await waitFor(() => p.err().includes('capturing on') || p.child.exitCode !== null, 15000, 'sipscope to start capturing');
  if (!p.err().includes('capturing on')) throw new Error(`sipscope did not start: ${p.err()}`);
  return p;
}

function childPid(parent: number): number {
  const out = execFileSync('pgrep', ['-P', String(parent)], { encoding: 'utf8' }).trim().split('\n');
  return Number(out[0]);
}

test('the native helper is built by npm install', (t) => {
  t.true(fs.existsSync(path.join(repoRoot, 'src', 'native', 'build', 'Release', 'packet_socket.node')), 'npm install should have built src/native');
});

liveTest('-N --json reports the kernel drop count: 0 for a quiet capture', async (t) => {
  const [port] = await freePorts(1);
  const p = await capturing(t, ['-d', 'lo', '-N', '--json', 'udp', 'and', 'port', String(port)]);
  const sock = dgram.createSocket('udp4');
  const sink = dgram.createSocket('udp4');
  await new Promise<void>((r) => sink.bind(port, '127.0.0.1', () => r()));
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => sock.send('OPTIONS sip:x SIP/2.0\r\n\r\n', port!, '127.0.0.1', () => r()));
  await new Promise((r) => setTimeout(r, 1200));
  p.child.kill('SIGINT');
  t.is(await ended(p, 10000), 0, p.err());
  sock.close();
  sink.close();
  const live = parseJsonLines(p.out()).summary?.live as LiveSummary | undefined;
  t.is(live?.packetsReceived, 20);
  t.is(live?.kernelDrops, 0);
});

liveTest('packets the kernel could not hand over while capture was stalled are counted as kernel drops', async (t) => {
  const [port] = await freePorts(1);
  const p = await capturing(t, ['-d', 'lo', '-N', '--json', 'udp', 'and', 'port', String(port)]);
  const child = childPid(p.child.pid!);
  const sink = dgram.createSocket('udp4');
  await new Promise<void>((r) => sink.bind(port, '127.0.0.1', () => r()));
  const sock = dgram.createSocket('udp4');
  // Stop the capture process: the kernel ring (32 MiB of 64 KiB slots) fills and overflows.
  process.kill(child, 'SIGSTOP');
  const sent = 3000;
  const payload = Buffer.alloc(1000, 0x41);
  try {
    for (let i = 0; i < sent; i++) await new Promise<void>((r) => sock.send(payload, port!, '127.0.0.1', () => r()));
  } finally {
    process.kill(child, 'SIGCONT');
  }
  await new Promise((r) => setTimeout(r, 2500));
  p.child.kill('SIGINT');
  t.is(await ended(p, 15000), 0, p.err());
  sock.close();
  sink.close();
  const live = parseJsonLines(p.out()).summary?.live as LiveSummary | undefined;
  t.truthy(live);
  t.true(live!.packetsReceived < sent, `received ${live!.packetsReceived} of ${sent}`);
  t.true((live!.kernelDrops ?? 0) > 0, `kernel drops ${String(live!.kernelDrops)}`);
  // Every datagram was either handed over or counted as dropped.
  t.true(live!.packetsReceived + live!.kernelDrops! >= sent, JSON.stringify(live));
});

/** An interface other than lo that is up (tests on lo run concurrently and open it promiscuous). */
function otherInterface(): string | undefined {
  for (const name of fs.readdirSync('/sys/class/net')) {
    if (name === 'lo') continue;
    try {
      if (fs.readFileSync(`/sys/class/net/${name}/operstate`, 'utf8').trim() !== 'up') continue;
      if ((Number(fs.readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim()) & 0x100) !== 0) continue;
      return name;
    } catch {
      // vanished: next
    }
  }
  return undefined;
}

function promiscuous(dev: string): boolean {
  return (Number(fs.readFileSync(`/sys/class/net/${dev}/flags`, 'utf8').trim()) & 0x100) !== 0;
}

liveTest('--no-promisc leaves the interface out of promiscuous mode; the default puts it in', async (t) => {
  const dev = otherInterface();
  if (dev === undefined) {
    t.log('no interface besides lo is up and non-promiscuous here');
    t.pass();
    return;
  }
  const plain = await capturing(t, ['-d', dev, '-N', 'udp', 'and', 'port', '9']);
  t.true(promiscuous(dev), `${dev} should be promiscuous while sipscope captures by default`);
  plain.child.kill('SIGINT');
  await ended(plain, 10000);
  t.false(promiscuous(dev), `${dev} back to normal after sipscope exits`);

  const quiet = await capturing(t, ['-d', dev, '-N', '--no-promisc', 'udp', 'and', 'port', '9']);
  t.false(promiscuous(dev), `${dev} with --no-promisc`);
  t.false(quiet.err().includes('promiscuous'), quiet.err());
  quiet.child.kill('SIGINT');
  t.is(await ended(quiet, 10000), 0, quiet.err());
});
