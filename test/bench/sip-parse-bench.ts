/**
 * Micro-benchmark of the SIP datagram parser: a typical ~600-byte INVITE with SDP parsed in
 * a loop. `node dist/test/bench/sip-parse-bench.js [iterations]`. Indicative only.
 */
import { parseSipDatagram } from '../../src/sip/parser';
import type { SipMessage } from '../../src/sip/types';
import { request, response, sdpOffer } from '../helpers/sip-text';

const n = Number(process.argv[2] ?? 600_000);
const spec = {
  callId: 'a84b4c76e66710@pc33.atlanta.example.com',
  from: { user: 'alice', host: 'atlanta.example.com', name: 'Alice' },
  to: { user: 'bob', host: 'biloxi.example.com', name: 'Bob' },
  cseq: 314159,
  method: 'INVITE',
  headers: ['User-Agent: SIPPhone/1.2.3', 'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS'],
  body: sdpOffer('192.0.2.101', 49172),
};
const invite = Buffer.from(request(spec));
const ok = Buffer.from(response({ ...spec, toTag: '8321234356', body: undefined }, 200, 'OK'));

let sink = 0;
const onMessage = (m: SipMessage): void => {
  sink += m.cseq + m.callId.length;
};
const onMalformed = (): void => {
  sink--;
};

function run(buf: Buffer, label: string): void {
  for (let i = 0; i < 50_000; i++) parseSipDatagram(buf, onMessage, onMalformed); // warm-up
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) parseSipDatagram(buf, onMessage, onMalformed);
  const c = process.cpuUsage(c0);
  const ns = Number(process.hrtime.bigint() - t0);
  const cpuNs = (c.user + c.system) * 1000;
  // CPU time is steadier than wall time on a shared machine.
  console.log(
    `${label} (${buf.length} bytes): ${n} in ${(ns / 1e6).toFixed(0)} ms wall, ${(cpuNs / 1e6).toFixed(0)} ms CPU` +
      ` = ${((n / cpuNs) * 1e6).toFixed(0)}k messages/CPU-second (${(cpuNs / n).toFixed(0)} ns each)`,
  );
}

run(invite, 'INVITE with SDP');
run(ok, '200 OK without body');
if (sink === 42) console.log('');
