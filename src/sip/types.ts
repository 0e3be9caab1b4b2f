/** A From/To style header value: `"Display" <sip:user@host;params>;tag=x`. */
export interface NameAddr {
  /** Display name without quotes ('' when absent). */
  display: string;
  /** The URI without angle brackets or header parameters, e.g. `sip:alice@example.com:5060`. */
  uri: string;
  /** User part of a sip:/sips: URI, or the number of a tel: URI ('' when none). */
  user: string;
  /** The tag parameter ('' when absent). */
  tag: string;
}

/**
 * The fields of a SIP message that the engine needs per message. Everything else is read
 * on demand from the message bytes (see `parseHeaders`, `parseSdp`).
 * All strings are fresh copies (never slices that pin a packet buffer).
 */
export interface SipMessage {
  isRequest: boolean;
  /** Request method, or the CSeq method of a response. Any token (not a fixed list). */
  method: string;
  /** Request-URI ('' for responses). */
  requestUri: string;
  /** Status code (0 for requests). */
  status: number;
  /** Reason phrase of a status line ('' for requests). */
  reasonPhrase: string;
  callId: string;
  from: NameAddr;
  to: NameAddr;
  cseq: number;
  cseqMethod: string;
  /** branch parameter of the topmost Via ('' when absent). */
  branch: string;
  /** Content-Type media type, lower-cased, without parameters ('' when absent). */
  contentType: string;
  /** Reason header value ('' when absent; first one when several). */
  reason: string;
  /** Warning header value ('' when absent). */
  warning: string;
  /** X-Call-ID or X-CID header value ('' when absent). */
  xCallId: string;
  /** User-Agent or Server header value ('' when absent). */
  userAgent: string;
  /** Offset of the message's first byte in the buffer given to the parser. */
  offset: number;
  /** Length in bytes of the whole message (start line, headers, blank line, body). */
  length: number;
  /** Length of the body in bytes as framed (may be less than declared when truncated). */
  bodyLength: number;
  /** True when the body is SDP (Content-Type application/sdp, or a multipart part that is). */
  hasSdp: boolean;
  /**
   * Non-fatal problems noticed while parsing (e.g. 'Content-Length 500 exceeds the 120
   * bytes present'). Empty array when clean.
   */
  problems: string[];
}

/** A stretch of bytes that looked like SIP but could not be parsed as a message. */
export interface SipMalformed {
  offset: number;
  length: number;
  /** Why, in words, e.g. 'no Call-ID header'. */
  reason: string;
}

/** One header line as written, compact names expanded to their long form. */
export interface SipHeader {
  /** Canonical long name, e.g. `Call-ID` for `i`, `Content-Length` for `l`; other names as written. */
  name: string;
  /** Value with folding (CRLF + whitespace) replaced by one space, trimmed. */
  value: string;
}

export interface SdpMedia {
  /** m= media type: audio, video, image, application, ... */
  media: string;
  port: number;
  proto: string;
  /** Payload type numbers or format tokens from the m= line. */
  formats: string[];
  /** c= address for this media (media-level c= or else the session-level one), '' when none. */
  connection: string;
  /** a=rtpmap entries: payload type -> encoding name/clock rate[/channels], e.g. 0 -> PCMU/8000. */
  rtpmap: Map<string, string>;
  /** sendrecv | sendonly | recvonly | inactive (default sendrecv, session-level inherited). */
  direction: string;
}

export interface Sdp {
  /** o= origin line fields as written. */
  origin: string;
  /** Session-level c= address ('' when none). */
  connection: string;
  media: SdpMedia[];
}
