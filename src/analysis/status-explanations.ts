/*
 * What a failure final response usually means on a real network, in words, and the finding
 * label it files under. Codes and names from RFC 3261 §21 (and RFC 3329 494, RFC 4412 417,
 * RFC 3312 580, RFC 6228 199 aside); the "usually" part is field experience, stated as such.
 */

export interface StatusExplanation {
  label: string;
  words: string;
}

const TABLE: Readonly<Record<number, StatusExplanation>> = {
  400: { label: 'rejected', words: 'the far end found the request malformed' },
  402: { label: 'rejected', words: 'payment required: the account is out of credit' },
  404: { label: 'not-found', words: 'the number is unknown there: not provisioned, not registered, or the number format/dial plan is wrong' },
  405: { label: 'rejected', words: 'the far end does not accept this method' },
  408: { label: 'timeout', words: 'the far end or a later hop did not answer in time' },
  410: { label: 'not-found', words: 'the number is no longer in service' },
  413: { label: 'rejected', words: 'the request is too large for the far end (trim headers or SDP, or use TCP)' },
  414: { label: 'rejected', words: 'the Request-URI is too long' },
  415: { label: 'rejected', words: 'the body type is not supported' },
  416: { label: 'rejected', words: 'the URI scheme is not supported' },
  420: { label: 'rejected', words: 'an extension in Require or Proxy-Require is not supported' },
  421: { label: 'rejected', words: 'the far end needs an extension the request did not offer (see its Require)' },
  423: { label: 'rejected', words: 'the registration interval is too short (raise Expires to the Min-Expires given)' },
  480: { label: 'unavailable', words: 'the callee cannot be reached now: not registered, do-not-disturb or not answering' },
  481: { label: 'rejected', words: 'the far end has no such call or transaction (already ended, or tags/Call-ID do not match)' },
  482: { label: 'rejected', words: 'a loop was detected' },
  483: { label: 'rejected', words: 'too many hops: a routing loop between proxies' },
  484: { label: 'not-found', words: 'the dialled number is incomplete' },
  485: { label: 'not-found', words: 'the address is ambiguous' },
  486: { label: 'busy', words: 'the callee is busy' },
  488: { label: 'codec-mismatch', words: 'the callee cannot accept the offered media' },
  489: { label: 'rejected', words: 'the event package is not supported' },
  491: { label: 'rejected', words: 'request pending: both sides sent a re-INVITE at once (glare), retry later' },
  493: { label: 'rejected', words: 'the far end cannot decrypt the S/MIME body' },
  494: { label: 'rejected', words: 'a security agreement is required (RFC 3329)' },
  500: { label: 'server-error', words: 'the far end failed internally' },
  501: { label: 'server-error', words: 'the far end does not implement this request' },
  502: { label: 'server-error', words: 'a gateway got an invalid response from the next network' },
  503: { label: 'server-error', words: 'the far end is overloaded, in maintenance, or has no route or trunk for the call' },
  504: { label: 'timeout', words: 'a gateway or proxy got no answer in time from the next network' },
  505: { label: 'server-error', words: 'the SIP version is not supported' },
  513: { label: 'rejected', words: 'the message is too large (use TCP, or trim it)' },
  580: { label: 'rejected', words: 'the preconditions (QoS) could not be met' },
  600: { label: 'busy', words: 'the callee is busy everywhere' },
  603: { label: 'declined', words: 'the callee declined the call' },
  604: { label: 'not-found', words: 'the number does not exist anywhere' },
  606: { label: 'codec-mismatch', words: 'no acceptable media: the callee cannot use any of the offered codecs' },
};

/** The explanation of a 4xx-6xx code; unknown codes fall back on their class. */
export function explainStatus(code: number): StatusExplanation {
  const known = TABLE[code];
  if (known !== undefined) return known;
  if (code >= 600) return { label: 'declined', words: 'a global failure: no destination will take the call' };
  if (code >= 500) return { label: 'server-error', words: 'a server failure on the way' };
  return { label: 'rejected', words: 'the far end refused the request' };
}
