/**
 * Dialogs written back to pcap exactly as captured: the save features (and -O) build on the
 * frame references every message keeps.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveDialogsPcap } from '../src/capture/save';
import { runEngine } from './helpers/run-engine';
import { ownCaptures } from './helpers/paths';
import { pcapFile } from './helpers/capture-files';
import { ethernet, fragmentIpv4, udp } from './helpers/packets';
import { request, sdpOffer } from './helpers/sip-text';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-save-'));
const demo = path.join(ownCaptures, 'demo-udp.pcap');

/** The records (16-byte header + data) of a classic little-endian pcap file. */
function records(file: string): Buffer[] {
  const b = fs.readFileSync(file);
  const out: Buffer[] = [];
  for (let off = 24; off + 16 <= b.length; ) {
    const len = 16 + b.readUInt32LE(off + 8);
    out.push(b.subarray(off, off + len));
    off += len;
  }
  return out;
}

test('all dialogs of a capture saved to pcap give back its records byte for byte', async (t) => {
  const run = await runEngine([demo]);
  const out = path.join(tmp, 'all.pcap');
  const r = saveDialogsPcap(run.engine.store, run.bytes, run.engine.store.dialogList(), out);
  t.is(r.packets, 30);
  t.is(r.unreadable, 0);
  const want = records(demo);
  const got = records(out);
  t.is(got.length, want.length);
  for (let i = 0; i < want.length; i++) t.true(got[i]!.equals(want[i]!), `record ${i + 1}`);
});

test('one dialog saved reads back as that dialog alone', async (t) => {
  const run = await runEngine([demo]);
  const busy = [...run.engine.store.dialogList()].find((d) => d.state === 'BUSY')!;
  const out = path.join(tmp, 'busy.pcap');
  t.is(saveDialogsPcap(run.engine.store, run.bytes, [busy], out).packets, 4);
  const again = await runEngine([out]);
  const dialogs = [...again.engine.store.dialogList()];
  t.is(dialogs.length, 1);
  t.is(dialogs[0]!.callId, busy.callId);
  t.is(dialogs[0]!.state, 'BUSY');
  t.is(dialogs[0]!.messageCount, 4);
});

test('a reassembled message is saved with every fragment frame', async (t) => {
  const text = request({
    callId: 'frag-save@test',
    from: { user: '100', host: '192.0.2.1' },
    to: { user: '200', host: '192.0.2.2' },
    cseq: 1,
    method: 'INVITE',
    headers: [`X-Padding: ${'p'.repeat(3500)}`],
    body: sdpOffer('192.0.2.1', 4000),
  });
  const frags = fragmentIpv4(udp({ sport: 5060, dport: 5060, payload: Buffer.from(text) }), { src: '192.0.2.1', dst: '192.0.2.2', proto: 17, id: 5 }, 1480);
  const file = pcapFile({ linktype: 1, packets: frags.map((ip, i) => ({ sec: 1_763_900_000, nsec: i * 1000, data: ethernet(ip, { ethertype: 0x0800 }) })) });
  const run = await runEngine([file]);
  const out = path.join(tmp, 'frag.pcap');
  t.is(saveDialogsPcap(run.engine.store, run.bytes, run.engine.store.dialogList(), out).packets, frags.length);
  const again = await runEngine([out]);
  t.deepEqual(again.texts(), [text]);
});

test('a path that cannot be written gives a message naming it, and leaves nothing behind', async (t) => {
  const run = await runEngine([demo]);
  const bad = path.join(tmp, 'no-such-dir', 'x.pcap');
  const err = t.throws(() => saveDialogsPcap(run.engine.store, run.bytes, run.engine.store.dialogList(), bad));
  t.regex(err!.message, /cannot write .*no-such-dir\/x\.pcap: the directory does not exist/);
});
