/**
 * Findings on real captures: what an engineer reading each ladder would say. The project's
 * demo capture (SIPp), third-party captures (sngrep's aaa.pcap: a phone behind NAT with
 * retransmissions, failed authentication and a 480; a clean cancelled call) and the
 * captures/diagnosis/*.pcap recordings (captures/diagnosis/record.sh).
 */
import * as path from 'node:path';
import test from 'ava';
import { runEngine } from './helpers/run-engine';
import { ownCaptures, sharedCaptures } from './helpers/paths';
import { findingsByCallId, labels } from './analysis-call-builder';
import type { Finding } from '../src/analysis';

async function byPrefix(file: string): Promise<(prefix: string) => Finding[]> {
  const all = findingsByCallId(await runEngine([file]));
  return (prefix) => {
    const hits = [...all].filter(([id]) => id.startsWith(prefix));
    if (hits.length !== 1) throw new Error(`${hits.length} dialogs with Call-ID prefix ${prefix} in ${file}`);
    return hits[0]![1];
  };
}

test('demo-udp.pcap: busy, forbidden with Reason and Warning, unanswered INVITE sent 5 times; the rest clean', async (t) => {
  const f = await byPrefix(path.join(ownCaptures, 'demo-udp.pcap'));
  t.deepEqual(labels(f('sipscope-answered-')), []);
  t.deepEqual(labels(f('sipscope-cancelled-')), [], 'a 487 after the caller cancels is not a problem');
  t.deepEqual(labels(f('sipscope-register-')), [], 'a 401 answered with credentials then 200 is normal');
  t.deepEqual(labels(f('sipscope-busy-')), ['busy']);
  t.regex(f('sipscope-busy-')[0]!.text, /486 Busy Here: the callee is busy/);
  const forbidden = f('sipscope-rejected-');
  t.deepEqual(labels(forbidden), ['forbidden']);
  t.regex(forbidden[0]!.text, /caller ID not allowed/);
  t.regex(forbidden[0]!.text, /From 3544151520/);
  t.regex(forbidden[0]!.text, /Reason: SIP cause 403 "Caller barred"/);
  t.regex(forbidden[0]!.text, /Warning: 399 "Calls from 3544151520 are barred by policy"/);
  const unanswered = f('sipscope-unanswered-');
  t.deepEqual(labels(unanswered), ['no-response']);
  t.regex(unanswered[0]!.text, /^INVITE to 127\.0\.0\.1:5060 sent 5 times over 7\.5 s, no response/);
});

test('demo-tcp.pcap: the unanswered INVITE over TCP is sent once and reported as such', async (t) => {
  const f = await byPrefix(path.join(ownCaptures, 'demo-tcp.pcap'));
  const unanswered = f('sipscope-unanswered-');
  t.deepEqual(labels(unanswered), ['no-response']);
  t.regex(unanswered[0]!.text, /INVITE to 127\.0\.0\.1:5060 sent once over TCP, no response/);
});

test('sngrep aaa.pcap: phone behind NAT, INVITE and CANCEL retransmitted, 408, wrong password, 480 with Q.850 21', async (t) => {
  const f = await byPrefix(path.join(sharedCaptures, 'sngrep', 'aaa.pcap'));
  const call = f('105090259-');
  t.deepEqual(labels(call), ['slow-response', 'slow-response', 'timeout', 'nat']);
  t.regex(call[0]!.text, /^INVITE to 200\.68\.120\.81:5060 sent 3 times over 1\.5 s before the first response \(100 trying/);
  t.regex(call[1]!.text, /^CANCEL to 200\.68\.120\.81:5060 sent 11 times over 32 s before the first response \(408 Request Timeout\)/);
  t.regex(call[2]!.text, /refused with 408 Request Timeout/);
  t.regex(call[3]!.text, /192\.168\.1\.2 is behind NAT: the far end saw it as 80\.230\.219\.70 \(Via received=\), yet its Contact and SDP c= carry 192\.168\.1\.2/);

  const wrongPassword = f('85216695-');
  t.deepEqual(labels(wrongPassword), ['slow-response', 'auth-failed', 'nat']);
  t.regex(wrongPassword[1]!.text, /INVITE with credentials for user "voi18062" \(realm "sip\.cybercity\.dk"\) refused with 403 Wrong password or domain/);

  const unavailable = f('11894297-');
  t.deepEqual(labels(unavailable), ['unavailable', 'nat']);
  t.regex(unavailable[0]!.text, /refused with 480 Error: .*Reason: Q\.850 cause 21 \(call rejected\)/);

  const register = f('578222729-');
  t.deepEqual(labels(register), ['auth-failed', 'nat']);
  t.regex(register[1]!.text, /calls to this phone go to an unreachable address/);
});

test('pkts cancel.pcap: a call cancelled while ringing has no findings', async (t) => {
  const all = findingsByCallId(await runEngine([path.join(sharedCaptures, 'pkts', 'cancel.pcap')]));
  t.is(all.size, 1);
  t.deepEqual(labels([...all.values()][0]), []);
});

const diagnosis = path.join(ownCaptures, 'diagnosis');

test('diagnosis/forbidden.pcap: 403 from the trunk names From and P-Asserted-Identity', async (t) => {
  const f = (await byPrefix(path.join(diagnosis, 'forbidden.pcap')))('sipscope-diagnosis-forbidden-');
  t.deepEqual(labels(f), ['forbidden']);
  t.regex(f[0]!.text, /^INVITE from 3544151560 to 3544151562 refused with 403 Forbidden: caller ID not allowed/);
  t.regex(f[0]!.text, /P-Asserted-Identity \+3544151561/);
  t.regex(f[0]!.text, /Warning: 399 "Caller ID 3544151560 not allowed on this trunk"/);
});

test('diagnosis/busy.pcap: 486 after ringing, with its Q.850 cause', async (t) => {
  const f = (await byPrefix(path.join(diagnosis, 'busy.pcap')))('sipscope-diagnosis-busy-');
  t.deepEqual(labels(f), ['busy']);
  t.regex(f[0]!.text, /486 Busy Here: the callee is busy; Reason: Q\.850 cause 17 \(user busy\)/);
});

test('diagnosis/codec-488.pcap: PCMU offered, 488 says PCMA only', async (t) => {
  const f = (await byPrefix(path.join(diagnosis, 'codec-488.pcap')))('sipscope-diagnosis-codec-488-');
  t.deepEqual(labels(f), ['codec-mismatch']);
  t.regex(f[0]!.text, /refused with 488 Not Acceptable Here: .*offered PCMU; the callee accepts PCMA; Warning: 305 "Incompatible media format/);
});

test('diagnosis/codec-answer.pcap: PCMU offered, 200 OK answers PCMA', async (t) => {
  const f = (await byPrefix(path.join(diagnosis, 'codec-answer.pcap')))('sipscope-diagnosis-codec-answer-');
  t.deepEqual(labels(f), ['no-common-codec']);
  t.regex(f[0]!.text, /has PCMU, answer \(200 OK\) has PCMA: no codec in common/);
});

test('diagnosis/unanswered.pcap: INVITE sent 6 times over 16 s, no response', async (t) => {
  const f = (await byPrefix(path.join(diagnosis, 'unanswered.pcap')))('sipscope-diagnosis-unanswered-');
  t.deepEqual(labels(f), ['no-response']);
  t.regex(f[0]!.text, /^INVITE to 127\.0\.0\.1:5180 sent 6 times over 16 s, no response: NAT timeout, missing port forward or firewall/);
});

test('diagnosis/nat.pcap: Via, Contact and SDP c= say 192.168.1.50, the packets come from 127.0.0.1', async (t) => {
  const f = (await byPrefix(path.join(diagnosis, 'nat.pcap')))('sipscope-diagnosis-nat-');
  t.deepEqual(labels(f), ['nat']);
  t.regex(f[0]!.text, /^Via 192\.168\.1\.50:5182, Contact 192\.168\.1\.50:5182, SDP c= 192\.168\.1\.50 \(RFC 1918 private\) in messages that come from 127\.0\.0\.1/);
});
