/**
 * Findings on crafted dialogs, one per finding (and the cases that must stay quiet), each
 * through the real engine: pcap written, read back, bytes read from the file.
 */
import test from 'ava';
import { Call, findingsByCallId, labels, runSent, sdp } from './analysis-call-builder';
import { FINDING_KINDS, FINDING_LABELS } from '../src/analysis';

const alice = { user: '3544151500', host: '192.0.2.10', name: 'Alice' };
const bob = { user: '3544151502', host: '10.0.0.5' };
const PCMU: [number, string][] = [
  [0, 'PCMU'],
  [101, 'telephone-event'],
];
const PCMA: [number, string][] = [[8, 'PCMA']];

async function findingsOf(call: Call) {
  const run = await runSent(call.sent);
  return findingsByCallId(run).get(call.spec.callId) ?? [];
}

test('labels are unique and every kind has a title', (t) => {
  t.is(new Set(FINDING_LABELS).size, FINDING_LABELS.length);
  for (const k of FINDING_KINDS) t.true(k.title.length > 5 && /^[a-z0-9-]+$/.test(k.label), k.label);
});

test('INVITE retransmitted 7 times over 32 s with no response: no-response, with count, time and destination', async (t) => {
  const call = new Call({ callId: 'noresp@t', caller: alice, callee: bob }).req([0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5], 'INVITE', 1, {
    body: sdp('192.0.2.10', 40000, PCMU),
  });
  const f = await findingsOf(call);
  t.deepEqual(labels(f), ['no-response']);
  t.is(f[0]!.severity, 'error');
  t.regex(f[0]!.text, /^INVITE to 10\.0\.0\.5:5060 sent 7 times over 32 s, no response: NAT timeout, missing port forward or firewall/);
});

test('a request answered after retransmissions: slow-response with the delay; a single unanswered BYE is not reported', async (t) => {
  const call = new Call({ callId: 'slow@t', caller: alice, callee: bob })
    .req([0, 0.5, 1.5], 'INVITE', 1)
    .res(2.2, 100, 'Trying', 'INVITE', 1)
    .res(3, 200, 'OK', 'INVITE', 1)
    .req(3.01, 'ACK', 1)
    .req(10, 'BYE', 2);
  const f = await findingsOf(call);
  t.deepEqual(labels(f), ['slow-response']);
  t.regex(f[0]!.text, /INVITE to 10\.0\.0\.5:5060 sent 3 times over 1\.5 s before the first response \(100 Trying\) 2\.2 s after it/);
});

test('403 on a trunk: forbidden, naming the From and P-Asserted-Identity numbers and the Warning', async (t) => {
  const call = new Call({ callId: 'f403@t', caller: alice, callee: bob })
    .req(0, 'INVITE', 1, { headers: ['P-Asserted-Identity: <sip:+3544151599@192.0.2.10>'] })
    .res(0.1, 403, 'Forbidden', 'INVITE', 1, { headers: ['Warning: 399 trunk "Caller ID not allowed"'] })
    .req(0.11, 'ACK', 1);
  const f = await findingsOf(call);
  t.deepEqual(labels(f), ['forbidden']);
  t.regex(f[0]!.text, /caller ID not allowed/);
  t.regex(f[0]!.text, /From 3544151500/);
  t.regex(f[0]!.text, /P-Asserted-Identity \+3544151599/);
  t.regex(f[0]!.text, /Warning: 399 "Caller ID not allowed"/);
});

test('credentials refused after a 407 challenge: auth-failed with user and realm', async (t) => {
  const call = new Call({ callId: 'auth@t', caller: alice, callee: bob })
    .req(0, 'INVITE', 1)
    .res(0.1, 407, 'Proxy Authentication Required', 'INVITE', 1, { headers: ['Proxy-Authenticate: Digest realm="example.net", nonce="abc"'] })
    .req(0.11, 'ACK', 1)
    .req(0.2, 'INVITE', 2, { headers: ['Proxy-Authorization: Digest username="alice", realm="example.net", nonce="abc", uri="sip:x", response="00"'] })
    .res(0.3, 403, 'Wrong password', 'INVITE', 2)
    .req(0.31, 'ACK', 2);
  const f = await findingsOf(call);
  t.deepEqual(labels(f), ['auth-failed']);
  t.regex(f[0]!.text, /user "alice" \(realm "example\.net"\) refused with 403 Wrong password: wrong password/);
});

test('a 401 challenge never answered: auth-unanswered with the realm', async (t) => {
  const call = new Call({ callId: 'reg@t', caller: alice, callee: alice })
    .req(0, 'REGISTER', 1)
    .res(0.1, 401, 'Unauthorized', 'REGISTER', 1, { headers: ['WWW-Authenticate: Digest realm="sipscope.test", nonce="n1"'] });
  const f = await findingsOf(call);
  t.deepEqual(labels(f), ['auth-unanswered']);
  t.regex(f[0]!.text, /^REGISTER for 3544151500 challenged with 401 Unauthorized \(realm "sipscope\.test"\) and not sent again with credentials/);
});

for (const [code, phrase, label, words] of [
  [404, 'Not Found', 'not-found', /number is unknown/],
  [486, 'Busy Here', 'busy', /callee is busy/],
  [600, 'Busy Everywhere', 'busy', /busy everywhere/],
  [480, 'Temporarily Unavailable', 'unavailable', /not registered, do-not-disturb/],
  [408, 'Request Timeout', 'timeout', /did not answer in time/],
  [503, 'Service Unavailable', 'server-error', /overloaded, in maintenance, or has no route/],
  [603, 'Decline', 'declined', /declined/],
  [484, 'Address Incomplete', 'not-found', /incomplete/],
  [420, 'Bad Extension', 'rejected', /extension/],
] as const) {
  test(`final ${code} ${phrase}: ${label}`, async (t) => {
    const call = new Call({ callId: `final${code}@t`, caller: alice, callee: bob })
      .req(0, 'INVITE', 1)
      .res(0.05, 100, 'Trying', 'INVITE', 1)
      .res(0.5, code, phrase, 'INVITE', 1, code === 480 ? { headers: ['Reason: Q.850;cause=18'] } : {})
      .req(0.51, 'ACK', 1);
    const f = await findingsOf(call);
    t.deepEqual(labels(f), [label]);
    t.true(f[0]!.text.startsWith(`INVITE from 3544151500 to 3544151502`), f[0]!.text);
    t.true(f[0]!.text.includes(`refused with ${code} ${phrase}`), f[0]!.text);
    t.regex(f[0]!.text, words);
    if (code === 480) t.regex(f[0]!.text, /Reason: Q\.850 cause 18 \(no user responding\)/);
  });
}

test('488 to a PCMU-only offer: codec-mismatch names the offered codecs and the Warning', async (t) => {
  const call = new Call({ callId: 'c488@t', caller: alice, callee: bob })
    .req(0, 'INVITE', 1, { body: sdp('192.0.2.10', 40000, PCMU) })
    .res(0.1, 488, 'Not Acceptable Here', 'INVITE', 1, { headers: ['Warning: 305 callee "Incompatible media format"'] })
    .req(0.11, 'ACK', 1);
  const f = await findingsOf(call);
  t.deepEqual(labels(f), ['codec-mismatch']);
  t.regex(f[0]!.text, /refused with 488 Not Acceptable Here: .*; offered PCMU; Warning: 305 "Incompatible media format"/);
});

test('488 with an SDP of what the callee supports: the accepted codecs are named', async (t) => {
  const call = new Call({ callId: 'c488sdp@t', caller: alice, callee: bob })
    .req(0, 'INVITE', 1, { body: sdp('192.0.2.10', 40000, PCMU) })
    .res(0.1, 488, 'Not Acceptable Here', 'INVITE', 1, { body: sdp('10.0.0.5', 0, PCMA) })
    .req(0.11, 'ACK', 1);
  const f = await findingsOf(call);
  t.deepEqual(labels(f), ['codec-mismatch'], 'an SDP in a failure response is not an answer (no no-common-codec)');
  t.regex(f[0]!.text, /offered PCMU; the callee accepts PCMA/);
});

test('answer with no codec of the offer: no-common-codec (telephone-event does not count)', async (t) => {
  const callee = { user: '3544151502', host: '192.0.2.20' };
  const call = new Call({ callId: 'nocommon@t', caller: alice, callee })
    .req(0, 'INVITE', 1, { body: sdp('192.0.2.10', 40000, PCMU) })
    .res(0.5, 200, 'OK', 'INVITE', 1, { body: sdp('192.0.2.20', 50000, [...PCMA, [101, 'telephone-event']]) })
    .req(0.51, 'ACK', 1)
    .req(5, 'BYE', 2)
    .res(5.01, 200, 'OK', 'BYE', 2);
  const f = await findingsOf(call);
  t.deepEqual(labels(f), ['no-common-codec']);
  t.regex(f[0]!.text, /offer \(INVITE from 192\.0\.2\.10:5060\) has PCMU, answer \(200 OK\) has PCMA: no codec in common/);
});

test('a normal answered call, and a call the caller cancelled (487), have no findings', async (t) => {
  const callee = { user: '3544151502', host: '192.0.2.20' };
  const ok = new Call({ callId: 'fine@t', caller: alice, callee })
    .req(0, 'INVITE', 1, { body: sdp('192.0.2.10', 40000, PCMU) })
    .res(0.01, 100, 'Trying', 'INVITE', 1)
    .res(0.2, 180, 'Ringing', 'INVITE', 1)
    .res(2, 200, 'OK', 'INVITE', 1, { body: sdp('192.0.2.20', 50000, PCMU) })
    .req(2.01, 'ACK', 1)
    .req(9, 'BYE', 2)
    .res(9.01, 200, 'OK', 'BYE', 2);
  const cancelled = new Call({ callId: 'cancel@t', caller: alice, callee })
    .req(20, 'INVITE', 1)
    .res(20.2, 180, 'Ringing', 'INVITE', 1)
    .req(22, 'CANCEL', 1)
    .res(22.01, 200, 'OK', 'CANCEL', 1)
    .res(22.02, 487, 'Request Terminated', 'INVITE', 1)
    .req(22.03, 'ACK', 1);
  const run = await runSent(ok.sent, cancelled.sent);
  const all = findingsByCallId(run);
  t.deepEqual(labels(all.get('fine@t')), []);
  t.deepEqual(labels(all.get('cancel@t')), []);
});

test('INVITE retargeted (To differs from the Request-URI) without Diversion or History-Info: no-diversion', async (t) => {
  const call = new Call({ callId: 'div@t', caller: alice, callee: bob })
    .req(0, 'INVITE', 1, {}, (s) => s.replace(/^INVITE sip:3544151502@/, 'INVITE sip:+3544151599@'))
    .res(0.5, 486, 'Busy Here', 'INVITE', 1)
    .req(0.51, 'ACK', 1);
  const f = await findingsOf(call);
  t.deepEqual(labels(f), ['busy', 'no-diversion']);
  t.regex(f[1]!.text, /INVITE for 3544151502 \(To\) sent to \+3544151599 \(Request-URI\) by 192\.0\.2\.10:5060 without Diversion or History-Info/);
});

test('the same number written differently in To and Request-URI is not a retarget; with Diversion it is fine', async (t) => {
  const same = new Call({ callId: 'same@t', caller: alice, callee: bob })
    .req(0, 'INVITE', 1, {}, (s) => s.replace(/^INVITE sip:3544151502@/, 'INVITE sip:+3544151502@'))
    .res(0.5, 486, 'Busy Here', 'INVITE', 1);
  const withDiv = new Call({ callId: 'withdiv@t', caller: alice, callee: bob })
    .req(0, 'INVITE', 1, { headers: ['Diversion: <sip:3544151502@10.0.0.5>;reason=unconditional'] }, (s) => s.replace(/^INVITE sip:3544151502@/, 'INVITE sip:3544151599@'))
    .res(0.5, 486, 'Busy Here', 'INVITE', 1);
  const run = await runSent(same.sent, withDiv.sent);
  const all = findingsByCallId(run);
  t.deepEqual(labels(all.get('same@t')), ['busy']);
  t.deepEqual(labels(all.get('withdiv@t')), ['busy']);
});

test('a Diversion number that differs from the To number: diversion-mismatch', async (t) => {
  const call = new Call({ callId: 'divmis@t', caller: alice, callee: bob })
    .req(0, 'INVITE', 1, { headers: ['Diversion: <sip:3544151777@10.0.0.5>;reason=no-answer'] }, (s) => s.replace(/^INVITE sip:3544151502@/, 'INVITE sip:3544151599@'))
    .res(0.5, 486, 'Busy Here', 'INVITE', 1);
  const f = await findingsOf(call);
  t.deepEqual(labels(f), ['busy', 'diversion-mismatch']);
  t.regex(f[1]!.text, /Diversion 3544151777 differs from the To number 3544151502/);
});

test('Via, Contact and SDP c= with a private address while the packets come from a public one: nat', async (t) => {
  const phone = { user: '3544151500', host: '192.168.1.50', port: 5062 };
  const callee = { user: '3544151502', host: '198.51.100.20' };
  const call = new Call({ callId: 'nat@t', caller: phone, callee, a: '203.0.113.7:40123' })
    .req(0, 'INVITE', 1, { body: sdp('192.168.1.50', 40000, PCMU) })
    .res(0.5, 200, 'OK', 'INVITE', 1, { body: sdp('198.51.100.20', 50000, PCMU) })
    .req(0.51, 'ACK', 1)
    .req(3, 'BYE', 2)
    .res(3.01, 200, 'OK', 'BYE', 2);
  const f = await findingsOf(call);
  t.deepEqual(labels(f), ['nat']);
  t.regex(f[0]!.text, /^Via 192\.168\.1\.50:5062, Contact 192\.168\.1\.50:5062, SDP c= 192\.168\.1\.50 \(RFC 1918 private\) in messages that come from 203\.0\.113\.7: NAT not handled/);
});

test('carrier-grade NAT space (RFC 6598 100.64/10) counts as private; private addresses that are the source do not', async (t) => {
  const cgn = { user: '3544151500', host: '100.72.1.9' };
  const lan = { user: '3544151501', host: '10.1.1.1' };
  const callee = { user: '3544151502', host: '10.1.1.2' };
  const a = new Call({ callId: 'cgn@t', caller: cgn, callee, a: '198.51.100.9:5060' })
    .req(0, 'INVITE', 1)
    .res(0.1, 486, 'Busy Here', 'INVITE', 1);
  const b = new Call({ callId: 'lan@t', caller: lan, callee })
    .req(1, 'INVITE', 1, { body: sdp('10.1.1.1', 40000, PCMU) })
    .res(1.1, 486, 'Busy Here', 'INVITE', 1);
  const all = findingsByCallId(await runSent(a.sent, b.sent));
  t.deepEqual(labels(all.get('cgn@t')), ['busy', 'nat']);
  t.regex(all.get('cgn@t')![1]!.text, /RFC 6598 CGN private/);
  t.deepEqual(labels(all.get('lan@t')), ['busy']);
});

test('2xx to INVITE retransmitted with no ACK: no-ack', async (t) => {
  const callee = { user: '3544151502', host: '192.0.2.20' };
  const call = new Call({ callId: 'noack@t', caller: alice, callee })
    .req(0, 'INVITE', 1)
    .res(0.1, 180, 'Ringing', 'INVITE', 1)
    .res([1, 1.5, 2.5, 4.5], 200, 'OK', 'INVITE', 1);
  const f = await findingsOf(call);
  t.deepEqual(labels(f), ['no-ack']);
  t.regex(f[0]!.text, /^200 OK to INVITE from 192\.0\.2\.20:5060 sent 4 times over 3\.5 s, no ACK seen/);
});

test('answered and never hung up: no-bye', async (t) => {
  const callee = { user: '3544151502', host: '192.0.2.20' };
  const call = new Call({ callId: 'up@t', caller: alice, callee })
    .req(0, 'INVITE', 1)
    .res(1, 200, 'OK', 'INVITE', 1)
    .req(1.01, 'ACK', 1)
    .req(61.01, 'OPTIONS', 2)
    .res(61.02, 200, 'OK', 'OPTIONS', 2);
  const f = await findingsOf(call);
  t.deepEqual(labels(f), ['no-bye']);
  t.regex(f[0]!.text, /still up .* 60 s after the ACK \(no BYE\)/);
});

test('first ringing 7 s after the INVITE: post-dial-delay', async (t) => {
  const callee = { user: '3544151502', host: '192.0.2.20' };
  const call = new Call({ callId: 'pdd@t', caller: alice, callee })
    .req(0, 'INVITE', 1)
    .res(0.05, 100, 'Trying', 'INVITE', 1)
    .res(7.2, 180, 'Ringing', 'INVITE', 1)
    .req(9, 'CANCEL', 1)
    .res(9.01, 200, 'OK', 'CANCEL', 1)
    .res(9.02, 487, 'Request Terminated', 'INVITE', 1)
    .req(9.03, 'ACK', 1);
  const f = await findingsOf(call);
  t.deepEqual(labels(f), ['post-dial-delay']);
  t.regex(f[0]!.text, /^first ringing \(180 Ringing\) 7\.2 s after the INVITE to 192\.0\.2\.20:5060: long post-dial delay/);
});

test('without message bytes the store-level findings still come out', async (t) => {
  const { analyseDialog } = await import('../src/analysis');
  const call = new Call({ callId: 'nobytes@t', caller: alice, callee: bob }).req([0, 0.5, 1.5], 'INVITE', 1);
  const run = await runSent(call.sent);
  const d = run.engine.store.dialog('nobytes@t')!;
  t.deepEqual(labels(analyseDialog(run.engine.store, d)), ['no-response']);
});
