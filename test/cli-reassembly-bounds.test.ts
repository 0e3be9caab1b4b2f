/**
 * The reassembly memory bounds are options: a flood of TCP streams holding out-of-order
 * data beyond a hole is cut back to the bound given with --reassembly-mb, and the
 * evictions are counted in the summary.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pcapFile } from './helpers/capture-files';
import { tcpFrame } from './helpers/packets';
import { sipscopeBin } from './helpers/paths';

function floodCapture(streams: number, bytesEach: number): Buffer {
  const packets: { sec: number; nsec: number; data: Buffer }[] = [];
  for (let i = 0; i < streams; i++) {
    const src = `10.1.${(i >> 8) & 255}.${i & 255}`;
    const sport = 20000 + i;
    const syn = tcpFrame({ src, dst: '10.2.0.1', sport, dport: 5060, seq: 1000, flags: 'S' });
    // Data after a 100-byte hole that never fills: it must wait in memory.
    const held = tcpFrame({ src, dst: '10.2.0.1', sport, dport: 5060, seq: 1101, payload: Buffer.alloc(bytesEach, 0x41) });
    packets.push({ sec: 1_763_900_000 + i, nsec: 0, data: syn.data }, { sec: 1_763_900_000 + i, nsec: 1000, data: held.data });
  }
  return pcapFile({ linktype: 1, packets });
}

function summary(file: string, extra: string[]): Record<string, unknown> & { decoders: Record<string, number> } {
  const r = spawnSync(process.execPath, [sipscopeBin, '-N', '--json', '-I', file, ...extra], { encoding: 'utf8' });
  const last = r.stdout.trim().split('\n').pop() ?? '{}';
  return (JSON.parse(last) as { summary: Record<string, unknown> & { decoders: Record<string, number> } }).summary;
}

test('--reassembly-mb bounds what TCP streams hold; evictions are counted', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-bounds-'));
  const file = path.join(dir, 'flood.pcap');
  fs.writeFileSync(file, floodCapture(120, 16 * 1024)); // ~1.9 MiB held beyond holes
  const roomy = summary(file, []);
  t.is(roomy.decoders.tcpStreamsEvicted, 0, 'the default 64 MiB holds them all');
  const tight = summary(file, ['--reassembly-mb', '1']);
  t.true(tight.decoders.tcpStreamsEvicted! > 0, 'with 1 MiB the oldest streams are evicted');
  t.true(tight.decoders.tcpStreamsEvicted! <= 120);
});

test('bad bound values are refused with the reason', (t) => {
  const r = spawnSync(process.execPath, [sipscopeBin, '-N', '--reassembly-mb', 'lots'], { encoding: 'utf8' });
  t.is(r.status, 2);
  t.regex(r.stderr, /--reassembly-mb needs a positive whole number/);
});
