/**
 * -R in a long run: rows of evicted dialogs are reclaimed, and what is kept still reads back
 * and saves exactly as captured (message bytes, frames).
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runEngine } from './helpers/run-engine';
import { ownCaptures } from './helpers/paths';
import { saveDialogsPcap } from '../src/capture/save';

const demo = path.join(ownCaptures, 'demo-udp.pcap');

test('after compaction the kept dialogs read back and save byte for byte', async (t) => {
  const whole = await runEngine([demo]);
  const rotated = await runEngine([demo], { store: { limit: 2, rotate: true, compactMinRows: 3 } });
  t.true(rotated.engine.store.generation > 0, 'compaction ran');
  const kept = [...rotated.engine.store.dialogList()];
  t.deepEqual(kept.map((d) => d.callId), [...whole.engine.store.dialogList()].slice(-2).map((d) => d.callId));
  const byId = new Map([...whole.engine.store.dialogList()].map((d) => [d.callId, d]));
  for (const d of kept) {
    const ref = byId.get(d.callId)!;
    const texts = d.msgs.map((r) => rotated.bytes.read(rotated.engine.store.msgBytes(r))?.toString('latin1'));
    const want = ref.msgs.map((r) => whole.bytes.read(whole.engine.store.msgBytes(r))?.toString('latin1'));
    t.deepEqual(texts, want, d.callId);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-rot-'));
  const a = path.join(dir, 'a.pcap');
  const b = path.join(dir, 'b.pcap');
  saveDialogsPcap(rotated.engine.store, rotated.bytes, kept, a);
  saveDialogsPcap(whole.engine.store, whole.bytes, kept.map((d) => byId.get(d.callId)!), b);
  t.true(fs.readFileSync(a).equals(fs.readFileSync(b)), 'same frames as from the run without rotation');
});
