/**
 * SIP message and dialog counts on the third-party captures, against tshark's counts in
 * ../shared/captures/manifest.tsv (tshark 4.0: `-z sip,stat` messages, distinct Call-IDs).
 * Every capture is checked, whatever carries its SIP (UDP, TCP, WebSocket, SCTP, tunnels,
 * ESP-null); where sipscope differs, the reason is stated next to the expected figures.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../src/engine/engine';
import { readInputs } from '../src/capture/inputs';
import { sharedCaptures } from './helpers/paths';

interface Row {
  file: string;
  transports: string;
  sip: number;
  dialogs: number;
}

function manifest(): Row[] {
  const lines = fs.readFileSync(path.join(sharedCaptures, 'manifest.tsv'), 'utf8').trim().split('\n');
  const head = lines[0]!.split('\t');
  const col = (name: string) => head.indexOf(name);
  return lines.slice(1).map((l) => {
    const f = l.split('\t');
    return {
      file: f[col('file')]!,
      transports: f[col('transports')]!,
      sip: Number(f[col('sip_messages')]),
      dialogs: Number(f[col('dialogs')]),
    };
  });
}

/** Where sipscope's figures differ from tshark's, and why sipscope is right. */
const EXPLAINED: Record<string, { sip: number; dialogs: number; malformed?: number; why: string }> = {
  'PcapPlusPlus/sip_reqs.pcap': {
    sip: 4,
    dialogs: 3,
    why: 'the file holds 4 SIP frames (the manifest notes "sip,stat=3 vs 4 SIP frames"); tshark\'s sip,stat misses one of them, sipscope keeps all four, two of them inside PPPoE',
  },
  'pkts/cool.pcap': {
    sip: 10,
    dialogs: 5,
    why: 'tshark cannot read this file (big-endian file header, little-endian records with overstated lengths); sipscope reads it and finds the 10 requests and 5 Call-IDs grep finds',
  },
  'zeek/sip-junk-before-request.pcap': {
    sip: 0,
    dialogs: 0,
    malformed: 1,
    why: 'the only SIP-like datagram is a REGISTER after 2 junk bytes with no Call-ID, From, To or CSeq: tshark counts it as a message with no dialog; sipscope cannot place it in a dialog, so it counts it as malformed and keeps its text',
  },
};

for (const row of manifest()) {
  test(`${row.file}: SIP messages and dialogs as tshark counts them, or explained`, async (t) => {
    const engine = new Engine();
    const reports = await readInputs([{ name: path.join(sharedCaptures, row.file) }], engine);
    t.is(reports[0]!.error, undefined, `${row.file} reads without error`);
    const sip = engine.store.counters.sipMessages;
    const dialogs = engine.store.dialogCount;
    const explained = EXPLAINED[row.file];
    if (explained !== undefined) {
      t.log(explained.why);
      t.is(sip, explained.sip);
      t.is(dialogs, explained.dialogs);
      if (explained.malformed !== undefined) t.is(engine.store.counters.malformed, explained.malformed);
    } else {
      t.is(sip, row.sip, 'SIP messages');
      t.is(dialogs, row.dialogs, 'dialogs');
      t.is(engine.store.counters.malformed, 0, 'nothing malformed');
    }
  });
}
