/**
 * Extended flow: which dialogs are related to a dialog, and how (crafted B2BUA legs read
 * through the real engine).
 */
import test from 'ava';
import { request, type CallParty } from './helpers/sip-text';
import { dialogOf, runSent, type Sent } from './analysis-call-builder';
import { relatedChain, relatedDialogs } from '../src/view/related-dialogs';
import type { EngineRun } from './helpers/run-engine';

const CALLER = '10.0.0.1:5060';
const B2BUA_IN = '10.0.0.2:5060';
const B2BUA_OUT = '10.0.0.2:5080';
const CALLEE = '10.0.0.3:5060';

const party = (user: string, host: string): CallParty => ({ user, host });

/** One INVITE of a leg at `at` seconds, with extra header lines. */
function invite(callId: string, from: string, to: string, at: number, headers: string[] = [], [src, dst] = [CALLER, B2BUA_IN]): Sent {
  return { at, from: src, to: dst, text: request({ callId, from: party(from, '10.0.0.1'), to: party(to, '10.0.0.2'), cseq: 1, method: 'INVITE', headers }) };
}

async function legs(): Promise<EngineRun> {
  return runSent([
    // X-Call-ID on the outgoing leg names the incoming leg.
    invite('in-1@a', '1001', '2001', 0),
    invite('out-1@b', '3001', '4001', 0.05, ['X-Call-ID: in-1@a'], [B2BUA_OUT, CALLEE]),
    // Both legs carry the same X-CID (a correlation id of the platform's own).
    invite('in-2@a', '1002', '2002', 1),
    invite('out-2@b', '3002', '4002', 1.05, ['X-CID: corr-77'], [B2BUA_OUT, CALLEE]),
    invite('third-2@c', '5002', '6002', 1.1, ['X-CID: corr-77'], [B2BUA_OUT, CALLEE]),
    // No header: same numbers written differently, 0.2 s apart.
    invite('in-3@a', '+3544151600', '3544151602', 2),
    invite('out-3@b', '003544151600', '+354-415-1602', 2.2, [], [B2BUA_OUT, CALLEE]),
    // The same numbers again 20 s later: another call, not related.
    invite('later-3@a', '3544151600', '3544151602', 22),
    // A REGISTER with those numbers is no call leg.
    { at: 2.5, from: CALLER, to: B2BUA_IN, text: request({ callId: 'reg@a', from: party('3544151600', 'x'), to: party('3544151602', 'x'), cseq: 1, method: 'REGISTER' }) },
    // A header only a configured name finds.
    invite('in-4@a', '1004', '2004', 30, ['X-Leg-Ref: out-4@b']),
    invite('out-4@b', '3004', '4004', 30.1, [], [B2BUA_OUT, CALLEE]),
  ]);
}

function related(run: EngineRun, callId: string, headers?: string[]): [string, string][] {
  const store = run.engine.store;
  return relatedDialogs(store, dialogOf(run, callId), store.dialogList(), (loc) => run.bytes.read(loc), headers === undefined ? {} : { relatedHeaders: headers }).map((r) => [
    r.dialog.callId,
    r.how,
  ]);
}

test('X-Call-ID links the two legs both ways, and says which side names which', async (t) => {
  const run = await legs();
  t.deepEqual(related(run, 'in-1@a'), [['out-1@b', "its X-Call-ID names L1's Call-ID"]]);
  t.deepEqual(related(run, 'out-1@b'), [['in-1@a', "L1's X-Call-ID names its Call-ID"]]);
});

test('the same X-CID value on several dialogs relates them all', async (t) => {
  const run = await legs();
  t.deepEqual(related(run, 'out-2@b'), [['third-2@c', 'same X-CID as L1']]);
  t.deepEqual(related(run, 'in-2@a'), [], 'the incoming leg carries no X-CID: nothing links it');
});

test('without headers, INVITEs with the same caller and called numbers within 5 s are related', async (t) => {
  const run = await legs();
  t.deepEqual(related(run, 'in-3@a'), [['out-3@b', 'same numbers as L1 (3544151600 -> 3544151602), 0.200 s apart']]);
  t.deepEqual(related(run, 'later-3@a'), [], '20 s later is another call; the REGISTER is not a call leg');
});

test('relatedHeaders replaces the default correlation headers', async (t) => {
  const run = await legs();
  t.deepEqual(related(run, 'in-4@a'), []);
  t.deepEqual(related(run, 'in-4@a', ['X-Leg-Ref']), [['out-4@b', "L1's X-Leg-Ref names its Call-ID"]]);
  t.deepEqual(related(run, 'in-1@a', ['X-Leg-Ref']), [], 'X-Call-ID no longer counts');
});

test('a chain of legs (SBC -> PBX -> trunk) is followed through the correlation headers, each leg named by the one it was found from', async (t) => {
  const run = await runSent([
    invite('sbc-in@a', '1001', '2001', 0),
    invite('pbx-in@b', '1001', '2001', 0.05, ['X-Call-ID: sbc-in@a'], [B2BUA_OUT, CALLEE]),
    invite('trunk-out@c', '91001', '2001', 0.1, ['X-Call-ID: pbx-in@b'], [B2BUA_OUT, CALLEE]),
    // Another call between the same numbers 4 s later, and one 4 s after that: related to the
    // first only by numbers, never chained on from leg to leg.
    invite('again@a', '1001', '2001', 4),
    invite('again2@a', '1001', '2001', 8),
  ]);
  const store = run.engine.store;
  const chain = relatedChain(store, dialogOf(run, 'sbc-in@a'), store.dialogList(), (loc) => run.bytes.read(loc)).map((r) => [r.dialog.callId, r.how]);
  t.deepEqual(chain, [
    ['pbx-in@b', "its X-Call-ID names L1's Call-ID"],
    ['again@a', 'same numbers as L1 (1001 -> 2001), 4.000 s apart'],
    ['trunk-out@c', "its X-Call-ID names L2's Call-ID"],
  ]);
  // From the middle leg, both neighbours are direct.
  const middle = relatedChain(store, dialogOf(run, 'pbx-in@b'), store.dialogList(), (loc) => run.bytes.read(loc)).map((r) => r.dialog.callId);
  t.deepEqual(middle.slice(0, 2).sort(), ['sbc-in@a', 'trunk-out@c']);
  // At most MAX_CHAIN_LEGS legs: with a limit of 2, only the first found.
  t.is(relatedChain(store, dialogOf(run, 'sbc-in@a'), store.dialogList(), (loc) => run.bytes.read(loc), {}, 2).length, 1);
});
