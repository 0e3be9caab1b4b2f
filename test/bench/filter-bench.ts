/**
 * Filter and analysis benchmark (run by hand):
 *
 *   npx tsc -p tsconfig.json && node dist/test/bench/filter-bench.js [CAPTURE]
 *
 * Loads 100,000 dialogs, from a SIPp load capture when one is there (the argument,
 * /tmp/sipscope-bench/load-u1-100000.pcap or /work/bench/load-udp-100000.pcap, made by
 * ../shared/bench/make-load-capture.sh), else from a synthetic capture built in memory, then
 * times the filter over every dialog for several fields, and the analysis of every dialog.
 * Each filter is run 3 times; the best time is reported.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { readInputs } from '../../src/capture/inputs';
import { ByteReader } from '../../src/capture/byte-reader';
import { compileFilter, type FilterContext } from '../../src/filter/compile-filter';
import { analyseDialog, FINDING_LABELS } from '../../src/analysis';
import { pcapFile } from '../helpers/capture-files';
import { udpFrame } from '../helpers/packets';
import { request, response } from '../helpers/sip-text';
import { LINKTYPE } from '../../src/pcap/types';

function syntheticCapture(dialogs: number): string {
  const packets: { sec: number; nsec: number; data: Buffer }[] = [];
  for (let i = 0; i < dialogs; i++) {
    const from = { user: String(3544150000 + (i % 10000)), host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
    const to = { user: String(3544160000 + (i % 7000)), host: '192.0.2.1' };
    const spec = { callId: `bench-${i}@x`, from, to, cseq: 1, method: 'INVITE' };
    const sec = 1_763_900_000 + Math.floor(i / 100);
    const send = (payload: string, up: boolean, k: number) =>
      packets.push({
        sec,
        nsec: (i % 100) * 10_000_000 + k * 1000,
        data: udpFrame({ src: up ? from.host : to.host, dst: up ? to.host : from.host, sport: 5060, dport: 5060, payload }).data,
      });
    send(request(spec), true, 0);
    send(response({ ...spec, toTag: 't' }, i % 10 === 0 ? 486 : 200, i % 10 === 0 ? 'Busy Here' : 'OK'), false, 1);
    send(request({ ...spec, method: 'ACK' }), true, 2);
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-filter-bench-')), 'synthetic.pcap');
  fs.writeFileSync(file, pcapFile({ linktype: LINKTYPE.ETHERNET, packets }));
  return file;
}

async function main(): Promise<void> {
  const candidates = [process.argv[2], '/tmp/sipscope-bench/load-u1-100000.pcap', '/work/bench/load-udp-100000.pcap'];
  let file = candidates.find((f): f is string => f !== undefined && fs.existsSync(f));
  if (file === undefined) {
    console.log('no load capture found: building a synthetic one (100,000 INVITE dialogs)');
    file = syntheticCapture(100_000);
  }
  const engine = new Engine();
  let t0 = performance.now();
  const reports = await readInputs([{ name: file }], engine, {});
  const store = engine.store;
  console.log(`${file}: ${store.dialogCount} dialogs, ${store.counters.sipMessages} messages, loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const bytes = new ByteReader(store);
  for (const r of reports) if (r.readBackPath !== undefined) bytes.setPath(r.sourceId, r.readBackPath);
  const dialogs = [...store.dialogList()];
  const ctx: FilterContext = { store, bytes, findings: (d) => analyseDialog(store, d, bytes).map((f) => f.label) };

  const exprs = [
    'srcnum 4151500',
    'telnum 3544150001 3544160002 +3544150003',
    'state completed',
    'method INVITE and not status 4xx',
    'srcip 127.0.0.0/8',
    'ip 10.0.0.0/8 or port 5070',
    'callid ~ ^1-',
    'duration > 30s or after 12:00',
    'srcnum 4151500 and header User-Agent ~ sipp',
    'has Max-Forwards',
    'payload ~ "m=audio 6000"',
  ];
  console.log('\nfilter over every dialog (best of 3):');
  for (const expr of exprs) {
    const c = compileFilter(expr, { findingLabels: FINDING_LABELS });
    if (!c.ok) throw new Error(`${expr}: ${c.error}`);
    let best = Infinity;
    let hits = 0;
    for (let run = 0; run < 3; run++) {
      t0 = performance.now();
      hits = 0;
      for (const d of dialogs) if (c.test(d, ctx)) hits++;
      best = Math.min(best, performance.now() - t0);
    }
    console.log(`  ${expr.padEnd(45)} ${best.toFixed(0).padStart(6)} ms  ${hits} match${c.readsBytes ? '  (reads bytes)' : ''}`);
  }
  t0 = performance.now();
  const counts = new Map<string, number>();
  for (const d of dialogs) for (const f of analyseDialog(store, d, bytes)) counts.set(f.label, (counts.get(f.label) ?? 0) + 1);
  console.log(`\nanalysis of every dialog: ${(performance.now() - t0).toFixed(0)} ms; findings: ${JSON.stringify(Object.fromEntries(counts))}`);
  bytes.close();
}

void main();
