import type { Dialog } from '../store/dialog';
import type { DialogStore } from '../store/store';
import { splitCommaValues } from '../sip/headers';
import { parseNameAddr } from '../sip/name-addr';
import { header, headers, readDialogMessages, uriUser, type MessageByteSource, type MessageInfo } from './dialog-messages';
import { describeReason, describeWarning, isIpLiteral, parseVia, privateRange, sdpCodecs, uriHost } from './sip-facts';
import { explainStatus } from './status-explanations';
import { mediaFindings, RTP_JITTER_MS, RTP_LOSS_PERCENT } from './rtp-findings';

/*
 * Findings: what an engineer reading a dialog's ladder would say is wrong with it, computed
 * from its messages. Each has a short label (a list column, `--filter 'finding LABEL'`) and
 * one line of text with the facts (numbers, addresses, counts, times). They come from SIP
 * and SDP, and from the RTP streams tied to the dialog (rtp-findings.ts).
 */

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  label: string;
  severity: Severity;
  /** One line, in words, with the facts of this dialog. */
  text: string;
}

export interface FindingKind {
  label: string;
  severity: Severity;
  /** What the label means, for group headings. */
  title: string;
}

/** Every label, in the order reports list them. */
export const FINDING_KINDS: readonly FindingKind[] = [
  { label: 'no-response', severity: 'error', title: 'request got no response' },
  { label: 'slow-response', severity: 'warning', title: 'request retransmitted before its first response' },
  { label: 'no-ack', severity: 'error', title: '2xx to INVITE never acknowledged' },
  { label: 'forbidden', severity: 'error', title: '403 Forbidden: caller ID not allowed or caller barred' },
  { label: 'auth-failed', severity: 'error', title: 'credentials rejected' },
  { label: 'auth-unanswered', severity: 'warning', title: 'authentication challenge not answered' },
  { label: 'not-found', severity: 'error', title: 'number not found' },
  { label: 'busy', severity: 'info', title: 'callee busy' },
  { label: 'unavailable', severity: 'warning', title: 'callee unavailable (480)' },
  { label: 'declined', severity: 'info', title: 'call declined' },
  { label: 'timeout', severity: 'error', title: 'timeout reported by the far end (408/504)' },
  { label: 'server-error', severity: 'error', title: 'server failure (5xx)' },
  { label: 'rejected', severity: 'warning', title: 'request rejected (other 4xx/6xx)' },
  { label: 'codec-mismatch', severity: 'error', title: 'offered media not acceptable (488/606)' },
  { label: 'no-common-codec', severity: 'error', title: 'offer and answer share no codec' },
  { label: 'no-diversion', severity: 'warning', title: 'forwarded without Diversion or History-Info' },
  { label: 'diversion-mismatch', severity: 'warning', title: 'Diversion number differs from the called number' },
  { label: 'nat', severity: 'warning', title: 'private address in Via, Contact or SDP: NAT not handled' },
  { label: 'no-bye', severity: 'info', title: 'call still up at the end of the capture' },
  { label: 'post-dial-delay', severity: 'warning', title: 'long post-dial delay' },
  { label: 'one-way-audio', severity: 'error', title: 'answered call with RTP in one direction only' },
  { label: 'no-rtp', severity: 'error', title: 'SDP media address with no RTP to or from it (the capture has RTP)' },
  { label: 'rtp-loss', severity: 'warning', title: `RTP packet loss over ${RTP_LOSS_PERCENT}%` },
  { label: 'rtp-jitter', severity: 'warning', title: `RTP jitter peak over ${RTP_JITTER_MS} ms` },
];

export const FINDING_LABELS: readonly string[] = FINDING_KINDS.map((k) => k.label);

const SEVERITY = new Map(FINDING_KINDS.map((k) => [k.label, k.severity]));

export interface AnalysisOptions {
  /** Seconds from INVITE to the first 18x/2xx above which post-dial delay is reported (default 5). */
  postDialDelay?: number;
}

/** Seconds as people write them: one decimal below 10, whole above. */
export function formatSeconds(s: number): string {
  return s < 10 ? `${(Math.round(s * 10) / 10).toFixed(1)} s` : `${Math.round(s)} s`;
}

function times(n: number): string {
  return n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`;
}

function add(out: Finding[], label: string, text: string): void {
  out.push({ label, severity: SEVERITY.get(label) ?? 'warning', text });
}

/**
 * The findings of one dialog. `bytes` reads message bytes back (headers, SDP); without it,
 * only what the store knows is used (retransmissions, states, codes, times).
 */
export function analyseDialog(store: DialogStore, dialog: Dialog, bytes?: MessageByteSource, options: AnalysisOptions = {}): Finding[] {
  const msgs = readDialogMessages(store, dialog, bytes);
  const out: Finding[] = [];
  try {
    transactions(msgs, out);
    ackOf2xx(msgs, out);
    finalResponse(dialog, msgs, out);
    offerAnswer(msgs, out);
    diversion(msgs, out);
    nat(msgs, out);
    stillUp(dialog, msgs, out);
    postDialDelay(msgs, options.postDialDelay ?? 5, out);
    for (const f of mediaFindings(store, dialog, msgs)) add(out, f.label, f.text);
  } catch {
    // A finding that cannot be computed is left out; the others stand.
  }
  return out;
}

// ---- transactions: retransmissions and missing responses (RFC 3261 §17) ----

function transactions(msgs: MessageInfo[], out: Finding[]): void {
  const groups = new Map<string, MessageInfo[]>();
  for (const m of msgs) {
    // ACK has no response (RFC 3261 §17.1.1.3).
    if (!m.isRequest || m.method === 'ACK') continue;
    const key = `${m.method} ${m.cseq} ${m.src} ${m.dst}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = []));
    g.push(m);
  }
  for (const sends of groups.values()) {
    const first = sends[0]!;
    const last = sends[sends.length - 1]!;
    const answers = msgs.filter((r) => !r.isRequest && r.method === first.method && r.cseq === first.cseq && r.time >= first.time);
    // A response from the host the request went to; failing that, one back to the sender
    // (asymmetric paths: the answer may come from another address of the far end).
    const reply = answers.find((r) => r.srcIp === first.dstIp) ?? answers.find((r) => r.dstIp === first.srcIp);
    const over = last.time - first.time;
    if (reply === undefined) {
      if (sends.length >= 2) {
        add(
          out,
          'no-response',
          `${first.method} to ${first.dst} sent ${times(sends.length)} over ${formatSeconds(over)}, no response: ` +
            `NAT timeout, missing port forward or firewall, or the far end is down`,
        );
      } else if (first.method === 'INVITE') {
        const reliable = first.transport !== 'UDP' && first.transport !== '';
        add(
          out,
          'no-response',
          `INVITE to ${first.dst} sent once${reliable ? ` over ${first.transport}` : ''}, no response in the capture` +
            (reliable ? ': the far end took the connection but never answered (not even 100 Trying)' : ': the capture may end too early, or the far end is unreachable'),
        );
      }
      continue;
    }
    const before = sends.filter((s) => s.time <= reply.time);
    if (before.length >= 2) {
      const lastBefore = before[before.length - 1]!;
      add(
        out,
        'slow-response',
        `${first.method} to ${first.dst} sent ${times(before.length)} over ${formatSeconds(lastBefore.time - first.time)} before the first response ` +
          `(${reply.status}${reply.phrase !== '' ? ' ' + reply.phrase : ''}) ${formatSeconds(reply.time - first.time)} after it: ` +
          `responses slow or lost on the way back`,
      );
    }
  }
}

// ---- 2xx without ACK (RFC 3261 §13.3.1.4: the UAS retransmits the 2xx until the ACK, 64*T1) ----

function ackOf2xx(msgs: MessageInfo[], out: Finding[]): void {
  const oks = msgs.filter((m) => !m.isRequest && m.method === 'INVITE' && m.status >= 200 && m.status < 300);
  const seen = new Set<number>();
  for (const ok of oks) {
    if (seen.has(ok.cseq)) continue;
    seen.add(ok.cseq);
    const same = oks.filter((o) => o.cseq === ok.cseq);
    const acked = msgs.some((m) => m.isRequest && m.method === 'ACK' && m.cseq === ok.cseq && m.time >= ok.time);
    if (acked) continue;
    const later = msgs.some((m) => m.time > same[same.length - 1]!.time && !(m.method === 'INVITE' && !m.isRequest));
    // One 2xx as the very last message may just be the end of the capture.
    if (same.length < 2 && !later) continue;
    const last = same[same.length - 1]!;
    add(
      out,
      'no-ack',
      `${ok.status} ${ok.phrase !== '' ? ok.phrase + ' ' : ''}to INVITE from ${ok.src} sent ${times(same.length)} over ${formatSeconds(last.time - ok.time)}, no ACK seen: ` +
        `the ACK is lost or goes elsewhere (unreachable Contact or Record-Route, NAT); the callee drops the call after 32 s`,
    );
  }
}

// ---- final failure responses ----

function numbersOf(m: MessageInfo | undefined, name: string): string[] {
  if (m === undefined) return [];
  const out: string[] = [];
  for (const v of headers(m, name)) {
    for (const one of splitCommaValues(v)) {
      const na = parseNameAddr(one);
      const u = na.user !== '' ? na.user : na.uri;
      if (u !== '' && !out.includes(u)) out.push(u);
    }
  }
  return out;
}

function credentials(m: MessageInfo): { user: string; realm: string } | undefined {
  const v = header(m, 'Authorization') || header(m, 'Proxy-Authorization');
  if (v === '') return undefined;
  return {
    user: /username\s*=\s*"([^"]*)"/i.exec(v)?.[1] ?? '',
    realm: /realm\s*=\s*"([^"]*)"/i.exec(v)?.[1] ?? '',
  };
}

function responseDetails(resp: MessageInfo, dialog: Dialog): string {
  const parts: string[] = [];
  const reason = header(resp, 'Reason') || (resp.headers.length === 0 ? dialog.reason : '');
  if (reason !== '') parts.push(`Reason: ${describeReason(reason)}`);
  const warning = header(resp, 'Warning') || (resp.headers.length === 0 ? dialog.warning : '');
  if (warning !== '') parts.push(`Warning: ${describeWarning(warning)}`);
  return parts.length === 0 ? '' : '; ' + parts.join('; ');
}

function finalResponse(dialog: Dialog, msgs: MessageInfo[], out: Finding[]): void {
  const code = dialog.finalStatus;
  // 487 answers a CANCEL (or BYE) of the caller's own: the caller hung up, nothing failed.
  if (code < 400 || code === 487) return;
  let resp: MessageInfo | undefined;
  for (const m of msgs) if (!m.isRequest && !m.retrans && m.method === dialog.method && m.status === code) resp = m;
  if (resp === undefined) return;
  const r = resp;
  const requests = msgs.filter((m) => m.isRequest && !m.retrans && m.method === dialog.method && m.cseq === r.cseq && m.time <= r.time);
  const req = requests.find((m) => m.dstIp === r.srcIp) ?? requests[requests.length - 1];
  const phrase = r.phrase !== '' ? r.phrase : dialog.finalPhrase;
  const status = `${code}${phrase !== '' ? ' ' + phrase : ''}`;
  const method = dialog.method;
  const from = dialog.from.user || dialog.from.uri;
  const to = dialog.to.user || dialog.to.uri;
  const who = method === 'REGISTER' ? `REGISTER for ${from}` : `${method} from ${from} to ${to}`;
  const details = responseDetails(r, dialog);
  const creds = req !== undefined ? credentials(req) : undefined;

  if ((code === 401 || code === 407 || code === 403) && creds !== undefined) {
    add(
      out,
      'auth-failed',
      `${method} with credentials for user "${creds.user}"${creds.realm !== '' ? ` (realm "${creds.realm}")` : ''} refused with ${status}: ` +
        `wrong password, user name or realm${code !== 403 ? ' (or a stale nonce answered with an old one)' : ''}${details}`,
    );
    return;
  }
  if (code === 401 || code === 407) {
    const challenge = header(r, code === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate');
    const realm = /realm\s*=\s*"([^"]*)"/i.exec(challenge)?.[1] ?? '';
    add(
      out,
      'auth-unanswered',
      `${who} challenged with ${status}${realm !== '' ? ` (realm "${realm}")` : ''} and not sent again with credentials: ` +
        `the client has no password for this realm, or gave up${details}`,
    );
    return;
  }
  if (code === 403) {
    if (method === 'REGISTER') {
      add(out, 'forbidden', `${who} refused with ${status}: the account may not register here (wrong user or domain, or blocked)${details}`);
      return;
    }
    const pai = numbersOf(req, 'P-Asserted-Identity');
    const ppi = numbersOf(req, 'P-Preferred-Identity');
    const rpid = numbersOf(req, 'Remote-Party-ID');
    const ids = [`From ${from}`, `P-Asserted-Identity ${pai.length > 0 ? pai.join(', ') : 'none'}`];
    if (ppi.length > 0) ids.push(`P-Preferred-Identity ${ppi.join(', ')}`);
    if (rpid.length > 0) ids.push(`Remote-Party-ID ${rpid.join(', ')}`);
    add(
      out,
      'forbidden',
      `${who} refused with ${status}: caller ID not allowed on this trunk or caller barred ` +
        `(check ${ids.join(', ')} against the numbers the account may present)${details}`,
    );
    return;
  }
  const ex = explainStatus(code);
  if (ex.label === 'codec-mismatch') {
    add(out, 'codec-mismatch', `${who} refused with ${status}: ${ex.words}${codecStory(msgs, req, r)}${details}`);
    return;
  }
  let extra = '';
  if (ex.label === 'not-found' && req !== undefined) {
    const ruser = uriUser(req.requestUri);
    if (ruser !== '' && ruser !== to) extra = ` (Request-URI ${ruser})`;
  }
  if (ex.label === 'busy') {
    const retry = header(r, 'Retry-After');
    if (retry !== '') extra = ` (Retry-After ${retry.split(/[;\s(]/)[0]} s)`;
  }
  add(out, ex.label, `${who}${extra} refused with ${status}: ${ex.words}${details}`);
}

function codecList(list: string[]): string {
  return list.length === 0 ? 'nothing' : list.join(', ');
}

/** "; offered PCMU; the callee accepts PCMA" from the INVITE's SDP and the refusal's SDP, if any. */
function codecStory(msgs: MessageInfo[], req: MessageInfo | undefined, resp: MessageInfo): string {
  const offer = req?.sdp ?? msgs.find((m) => m.isRequest && m.method === 'INVITE' && m.sdp !== null)?.sdp ?? null;
  let s = '';
  if (offer !== null) {
    const o = sdpCodecs(offer);
    s += `; offered ${codecList(o.codecs)}`;
    const video = sdpCodecs(offer, 'video');
    if (video.codecs.length > 0) s += ` (video ${video.codecs.join(', ')})`;
  }
  if (resp.sdp !== null) {
    s += `; the callee accepts ${codecList(sdpCodecs(resp.sdp, 'audio', true).codecs)}`;
  } else {
    const accept = header(resp, 'Accept');
    if (accept !== '' && !/^\s*application\/sdp\s*$/i.test(accept)) s += `; Accept: ${accept}`;
  }
  return s;
}

// ---- offer/answer (RFC 3264 §6: the answer picks from the offer's formats) ----

function offerAnswer(msgs: MessageInfo[], out: Finding[]): void {
  const withSdp = msgs.filter((m) => !m.retrans && m.sdp !== null);
  const offer = withSdp[0];
  if (offer === undefined || offer.sdp === null) return;
  // The answer: the first SDP coming back from the other side in a 1xx/2xx (an SDP in a
  // failure response describes capabilities, not an answer: RFC 3261 §21.4.26, RFC 6337 §3.1)
  // or, for an offer in a 2xx, in the ACK (RFC 3261 §13.2.1).
  const answer = withSdp.find(
    (m) => m !== offer && m.time >= offer.time && m.srcIp === offer.dstIp && m.isRequest !== offer.isRequest && (m.isRequest || m.status < 300),
  );
  if (answer === undefined || answer.sdp === null) return;
  const o = sdpCodecs(offer.sdp);
  const a = sdpCodecs(answer.sdp);
  const name = (m: MessageInfo): string => (m.isRequest ? m.method : `${m.status}${m.phrase !== '' ? ' ' + m.phrase : ''}`);
  if (a.rejected && !o.rejected) {
    add(out, 'no-common-codec', `answer (${name(answer)}) rejects the audio stream (m= port 0) offered with ${codecList(o.codecs)} in the ${name(offer)}: no codec the callee accepts`);
    return;
  }
  if (o.codecs.length === 0 || a.codecs.length === 0) return;
  const common = a.codecs.filter((c) => o.codecs.includes(c));
  if (common.length > 0) return;
  add(
    out,
    'no-common-codec',
    `offer (${name(offer)} from ${offer.src}) has ${codecList(o.codecs)}, answer (${name(answer)}) has ${codecList(a.codecs)}: ` +
      `no codec in common, the answer must pick from the offer (RFC 3264 §6.1); expect no or garbled audio`,
  );
}

// ---- forwarding: Diversion (RFC 5806) and History-Info (RFC 7044) ----

function digits(user: string): string | undefined {
  const s = user.replace(/[-.() ]/g, '').replace(/^\+/, '').replace(/^00/, '');
  return /^[0-9*#]{3,}$/.test(s) ? s : undefined;
}

/** Same number, allowing one to be a shorter (national) form of the other. */
function sameNumber(a: string, b: string): boolean {
  return a === b || (a.length > b.length ? a.endsWith(b) : b.endsWith(a));
}

function diversion(msgs: MessageInfo[], out: Finding[]): void {
  let reportedMissing = false;
  let reportedMismatch = false;
  for (const m of msgs) {
    if (!m.isRequest || m.retrans || m.method !== 'INVITE' || m.headers.length === 0) continue;
    const toValue = header(m, 'To');
    const to = parseNameAddr(toValue);
    if (to.tag !== '') continue; // re-INVITE inside the dialog
    const toNum = digits(to.user);
    const rNum = digits(uriUser(m.requestUri));
    const div = numbersOf(m, 'Diversion');
    const hasHistory = headers(m, 'History-Info').length > 0;
    if (!reportedMissing && toNum !== undefined && rNum !== undefined && !sameNumber(toNum, rNum) && div.length === 0 && !hasHistory) {
      reportedMissing = true;
      add(
        out,
        'no-diversion',
        `INVITE for ${to.user} (To) sent to ${uriUser(m.requestUri)} (Request-URI) by ${m.src} without Diversion or History-Info: ` +
          `the next network cannot tell it is a forwarded call (it may reject it or check the wrong number)`,
      );
    }
    if (!reportedMismatch && toNum !== undefined && div.length > 0) {
      const divNums = div.map(digits).filter((d): d is string => d !== undefined);
      if (divNums.length > 0 && !divNums.some((d) => sameNumber(d, toNum))) {
        reportedMismatch = true;
        add(
          out,
          'diversion-mismatch',
          `Diversion ${div.join(', ')} differs from the To number ${to.user} in the INVITE from ${m.src}: ` +
            `a trunk that checks the diverting number against the called one may reject the call or bill it wrongly`,
        );
      }
    }
  }
}

// ---- NAT: private addresses that are not where the packets come from ----

function nat(msgs: MessageInfo[], out: Finding[]): void {
  // Per sender: private addresses its messages advertise that differ from the packet source.
  const mismatch = new Map<string, Map<string, string>>();
  // Per sender: where its messages advertise its own (private) source address.
  const ownPrivate = new Map<string, Set<string>>();
  // Private sent-by → the public address the far end saw it come from (Via received=).
  const seenAs = new Map<string, string>();
  for (const m of msgs) {
    if (m.retrans || m.headers.length === 0) continue;
    const consider = (where: string, host: string, shown: string): void => {
      if (host === '' || !isIpLiteral(host) || privateRange(host) === '') return;
      if (host === m.srcIp) {
        let set = ownPrivate.get(host);
        if (set === undefined) ownPrivate.set(host, (set = new Set()));
        set.add(where);
        return;
      }
      let found = mismatch.get(m.srcIp);
      if (found === undefined) mismatch.set(m.srcIp, (found = new Map()));
      if (!found.has(where)) found.set(where, shown);
    };
    const topVia = headers(m, 'Via')[0];
    if (topVia !== undefined) {
      const v = parseVia(topVia);
      if (m.isRequest) {
        // The top Via of a request is put there by its sender (RFC 3261 §18.1.1).
        consider('Via', v.host, v.port > 0 ? `${v.host}:${v.port}` : v.host);
      } else if (v.received !== '' && v.received !== v.host && privateRange(v.host) !== '' && privateRange(v.received) === '') {
        // received= is the address the far end saw the request come from (RFC 3261 §18.2.1).
        seenAs.set(v.host, v.received);
      }
    }
    // In-dialog requests go to the Contact unless a Record-Route keeps a proxy in the path
    // (RFC 3261 §12.1). A REGISTER response's Contact lists bindings, not its sender (§10.3).
    const registerResponse = !m.isRequest && m.method === 'REGISTER';
    if (!registerResponse && headers(m, 'Record-Route').length === 0) {
      const contact = headers(m, 'Contact')[0];
      if (contact !== undefined) {
        const h = uriHost(parseNameAddr(contact).uri);
        consider('Contact', h.host, h.port > 0 ? `${h.host}:${h.port}` : h.host);
      }
    }
    if (m.sdp !== null) {
      const c = m.sdp.connection || m.sdp.media[0]?.connection || '';
      consider('SDP c=', c, c);
    }
  }
  const parts: string[] = [];
  for (const [sender, where] of mismatch) {
    const list = [...where].map(([w, a]) => `${w} ${a}`).join(', ');
    const first = ([...where.values()][0] ?? '').replace(/:\d+$/, '');
    parts.push(`${list} (${privateRange(first)} private) in messages that come from ${sender}`);
  }
  if (parts.length > 0) {
    add(
      out,
      'nat',
      `${parts.join('; ')}: NAT not handled (no Contact/SDP rewrite, rport not used, or a SIP ALG changed only part); ` +
        `responses, in-dialog requests and RTP may go to an unreachable private address`,
    );
    return;
  }
  for (const [priv, pub] of seenAs) {
    const where = ownPrivate.get(priv);
    if (where === undefined) continue;
    const list = [...where].filter((w) => w !== 'Via');
    if (list.length === 0) continue;
    const register = msgs[0]?.method === 'REGISTER';
    add(
      out,
      'nat',
      `${priv} is behind NAT: the far end saw it as ${pub} (Via received=), yet its ${list.join(' and ')} ${list.length > 1 ? 'carry' : 'carries'} ${priv} (${privateRange(priv)} private): ` +
        (register
          ? 'unless the registrar fixes the binding (NAT helper, keep-alives), calls to this phone go to an unreachable address'
          : 'unless the far end fixes them (NAT helper, media relay), in-dialog requests and RTP go to an unreachable address'),
    );
    return;
  }
}

// ---- call still up ----

function stillUp(dialog: Dialog, msgs: MessageInfo[], out: Finding[]): void {
  if (dialog.state !== 'IN CALL' || dialog.connectMsg < 0) return;
  const connect = msgs.find((m) => m.row === dialog.connectMsg);
  const last = msgs[msgs.length - 1];
  if (connect === undefined || last === undefined) return;
  add(
    out,
    'no-bye',
    `call answered and still up when its messages end ${formatSeconds(last.time - connect.time)} after the ACK (no BYE): ` +
      `the capture stopped during the call, or the BYE took another path`,
  );
}

// ---- post-dial delay: INVITE to the first ringing or answer ----

function postDialDelay(msgs: MessageInfo[], limit: number, out: Finding[]): void {
  const first = msgs.find((m) => !m.isRequest && m.method === 'INVITE' && m.status >= 180 && m.status < 300);
  if (first === undefined) return;
  const invite = msgs.find((m) => m.isRequest && m.method === 'INVITE' && m.cseq === first.cseq);
  if (invite === undefined) return;
  const delay = first.time - invite.time;
  if (delay <= limit) return;
  add(
    out,
    'post-dial-delay',
    `first ${first.status < 200 ? 'ringing' : 'answer'} (${first.status}${first.phrase !== '' ? ' ' + first.phrase : ''}) ${formatSeconds(delay)} after the INVITE to ${invite.dst}: ` +
      `long post-dial delay (slow routing, DNS/ENUM lookups, or failover between trunks)`,
  );
}
