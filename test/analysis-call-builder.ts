/**
 * Crafted calls for the filter and analysis tests: SIP texts sent between "ip:port"
 * endpoints at given times, written to a pcap and read through the real engine (runEngine).
 * Not a test file itself (no `.test.`): the filter-*.test.ts and analysis-*.test.ts import it.
 */
import { pcapFile } from './helpers/capture-files';
import { udpFrame } from './helpers/packets';
import { runEngine, type EngineRun } from './helpers/run-engine';
import { LINKTYPE } from '../src/pcap/types';
import { request, response, type CallParty, type MessageSpec } from './helpers/sip-text';
import type { Dialog } from '../src/store/dialog';
import { analyseDialog, type Finding } from '../src/analysis';

export const T0 = 1_763_900_000; // 2025-11-23T12:13:20Z

export interface Sent {
  /** Seconds after T0. */
  at: number;
  from: string;
  to: string;
  /** SIP text, or the bytes of another payload (RTP). */
  text: string | Buffer;
}

function split(ep: string): { ip: string; port: number } {
  if (ep.startsWith('[')) {
    const close = ep.indexOf(']');
    return { ip: ep.slice(1, close), port: Number(ep.slice(close + 2)) };
  }
  const c = ep.lastIndexOf(':');
  return { ip: ep.slice(0, c), port: Number(ep.slice(c + 1)) };
}

export function pcapOf(sent: Sent[]): Buffer {
  const packets = [...sent]
    .sort((a, b) => a.at - b.at)
    .map((s) => {
      const a = split(s.from);
      const b = split(s.to);
      const f = udpFrame({ src: a.ip, dst: b.ip, sport: a.port, dport: b.port, payload: s.text });
      const sec = T0 + Math.floor(s.at);
      return { sec, nsec: Math.round((s.at - Math.floor(s.at)) * 1e9), data: f.data };
    });
  return pcapFile({ linktype: LINKTYPE.ETHERNET, packets });
}

export async function runSent(...calls: Sent[][]): Promise<EngineRun> {
  return runEngine([pcapOf(calls.flat())]);
}

/** The findings of every dialog, by Call-ID. */
export function findingsByCallId(run: EngineRun): Map<string, Finding[]> {
  const out = new Map<string, Finding[]>();
  for (const d of run.engine.store.dialogList()) out.set(d.callId, analyseDialog(run.engine.store, d, run.bytes));
  return out;
}

export function dialogOf(run: EngineRun, callId: string): Dialog {
  const d = run.engine.store.dialog(callId);
  if (d === undefined) throw new Error(`no dialog ${callId}`);
  return d;
}

export function labels(f: readonly Finding[] | undefined): string[] {
  return (f ?? []).map((x) => x.label);
}

/** An SDP body with the given payload types (rtpmap written for each). */
export function sdp(ip: string, port: number, codecs: [number, string][]): string {
  return [
    'v=0',
    `o=- 1 1 IN IP4 ${ip}`,
    's=-',
    `c=IN IP4 ${ip}`,
    't=0 0',
    `m=audio ${port} RTP/AVP ${codecs.map((c) => c[0]).join(' ')}`,
    ...codecs.map(([pt, name]) => `a=rtpmap:${pt} ${name}/8000`),
    'a=sendrecv',
    '',
  ].join('\r\n');
}

export interface CallSpec {
  callId: string;
  caller: CallParty;
  callee: CallParty;
  /** Packet endpoints (default from the parties' host:port). */
  a?: string;
  b?: string;
}

/** A little call script: INVITE from a to b and responses back, with shared Call-ID and tags. */
export class Call {
  readonly sent: Sent[] = [];
  readonly a: string;
  readonly b: string;

  constructor(readonly spec: CallSpec) {
    this.a = spec.a ?? `${spec.caller.host}:${spec.caller.port ?? 5060}`;
    this.b = spec.b ?? `${spec.callee.host}:${spec.callee.port ?? 5060}`;
  }

  private base(method: string, cseq: number, extra: Partial<MessageSpec> = {}): MessageSpec {
    return { callId: this.spec.callId, from: this.spec.caller, to: this.spec.callee, cseq, method, fromTag: 'ft1', ...extra };
  }

  /** A request from the caller (repeat > 1: sent again unchanged at the given offsets). */
  req(at: number | number[], method: string, cseq: number, extra: Partial<MessageSpec> = {}, rewrite?: (t: string) => string): this {
    const text0 = request(this.base(method, cseq, extra));
    const text = rewrite !== undefined ? rewrite(text0) : text0;
    for (const t of Array.isArray(at) ? at : [at]) this.sent.push({ at: t, from: this.a, to: this.b, text });
    return this;
  }

  /** A response from the callee to the caller's request with this CSeq/method. */
  res(at: number | number[], status: number, phrase: string, method: string, cseq: number, extra: Partial<MessageSpec> = {}): this {
    const callee = this.spec.callee;
    // sip-text writes the caller's Contact; a response carries the callee's.
    const text = response(this.base(method, cseq, { toTag: status > 100 ? 'tt1' : undefined, ...extra }), status, phrase).replace(
      /^Contact: .*$/m,
      `Contact: <sip:${callee.user}@${callee.host}:${callee.port ?? 5060}>`,
    );
    for (const t of Array.isArray(at) ? at : [at]) this.sent.push({ at: t, from: this.b, to: this.a, text });
    return this;
  }
}
