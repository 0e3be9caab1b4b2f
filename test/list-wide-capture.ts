/**
 * A crafted capture for the list's column tests (not a test file itself): four INVITE
 * dialogs whose From display names are Chinese, Latin with combining accents (composable
 * into é and í), ASCII, and letters with marks that have no composed form (x́, q̣); a
 * Diversion header on the second one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pcapFile } from './helpers/capture-files';
import { udpFrame } from './helpers/packets';
import { LINKTYPE } from '../src/pcap/types';
import { request, response, type MessageSpec } from './helpers/sip-text';

export const WIDE_NAMES = ['张伟经理', 'Jose\u0301 Mari\u0301a', 'Plain Name', 'Ax\u0301 Bq\u0323 Zed'];

export function wideNamesCapture(): string {
  const packets: { sec: number; nsec: number; data: Buffer }[] = [];
  WIDE_NAMES.forEach((name, i) => {
    const spec: MessageSpec = {
      callId: `wide-${i}@10.0.0.1`,
      from: { user: `100${i}`, host: '10.0.0.1', name },
      to: { user: `200${i}`, host: '10.0.0.2', name: i === 0 ? '李娜' : 'Callee' },
      cseq: 1,
      method: 'INVITE',
      headers: i === 1 ? ['Diversion: <sip:3000@10.0.0.9>;reason=no-answer'] : [],
    };
    const inv = udpFrame({ src: '10.0.0.1', dst: '10.0.0.2', sport: 5060, dport: 5060, payload: request(spec) });
    const busy = udpFrame({ src: '10.0.0.2', dst: '10.0.0.1', sport: 5060, dport: 5060, payload: response({ ...spec, toTag: 't' + i }, 486, 'Busy Here') });
    packets.push({ sec: 1_700_000_000 + i * 10, nsec: 0, data: inv.data }, { sec: 1_700_000_000 + i * 10, nsec: 500_000_000, data: busy.data });
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-wide-'));
  const file = path.join(dir, 'wide.pcap');
  fs.writeFileSync(file, pcapFile({ linktype: LINKTYPE.ETHERNET, packets }));
  return file;
}
