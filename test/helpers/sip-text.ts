/** Realistic SIP message text for crafted captures (RFC 3261 / RFC 3665 style). */

export interface CallParty {
  user: string;
  host: string;
  port?: number;
  name?: string;
}

export interface MessageSpec {
  callId: string;
  from: CallParty;
  to: CallParty;
  cseq: number;
  method: string;
  branch?: string;
  fromTag?: string;
  toTag?: string;
  /** Extra header lines, without CRLF. */
  headers?: string[];
  body?: string;
  /** Use compact header names (i, f, t, v, l, c, m). */
  compact?: boolean;
}

function nameAddr(p: CallParty): string {
  const uri = `sip:${p.user}@${p.host}${p.port !== undefined ? ':' + p.port : ''}`;
  return p.name !== undefined ? `"${p.name}" <${uri}>` : `<${uri}>`;
}

function lines(spec: MessageSpec, start: string): string {
  const c = spec.compact === true;
  const body = spec.body ?? '';
  const h = [
    start,
    `${c ? 'v' : 'Via'}: SIP/2.0/UDP ${spec.from.host}:${spec.from.port ?? 5060};branch=${spec.branch ?? 'z9hG4bK' + spec.cseq + spec.method.toLowerCase()}`,
    `Max-Forwards: 70`,
    `${c ? 'f' : 'From'}: ${nameAddr(spec.from)};tag=${spec.fromTag ?? 'f' + spec.callId.slice(0, 6)}`,
    `${c ? 't' : 'To'}: ${nameAddr(spec.to)}${spec.toTag !== undefined ? ';tag=' + spec.toTag : ''}`,
    `${c ? 'i' : 'Call-ID'}: ${spec.callId}`,
    `CSeq: ${spec.cseq} ${spec.method}`,
    `${c ? 'm' : 'Contact'}: <sip:${spec.from.user}@${spec.from.host}:${spec.from.port ?? 5060}>`,
    ...(spec.headers ?? []),
  ];
  if (body !== '') h.push(`${c ? 'c' : 'Content-Type'}: application/sdp`);
  h.push(`${c ? 'l' : 'Content-Length'}: ${Buffer.byteLength(body)}`);
  return h.join('\r\n') + '\r\n\r\n' + body;
}

export function request(spec: MessageSpec): string {
  return lines(spec, `${spec.method} sip:${spec.to.user}@${spec.to.host} SIP/2.0`);
}

export function response(spec: MessageSpec, status: number, phrase: string): string {
  return lines(spec, `SIP/2.0 ${status} ${phrase}`);
}

export function sdpOffer(ip: string, port: number): string {
  return [
    'v=0',
    `o=alice 2890844526 2890844526 IN IP4 ${ip}`,
    's=-',
    `c=IN IP4 ${ip}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0 8 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
}
