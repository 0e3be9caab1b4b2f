import type { Dialog } from '../store/dialog';
import { MSG_RETRANS, MSG_SDP, type ByteLocation, type DialogStore } from '../store/store';
import { headerValues, parseHeaders } from '../sip/headers';
import { parseNameAddr } from '../sip/name-addr';
import { parseSdp, sdpText } from '../sip/sdp';
import type { Sdp, SipHeader } from '../sip/types';

/** Where message bytes are read back from (capture/ByteReader satisfies it). */
export interface MessageByteSource {
  read(loc: ByteLocation): Buffer | undefined;
}

/** One message of a dialog as the analysis sees it: store facts, and headers when readable. */
export interface MessageInfo {
  row: number;
  isRequest: boolean;
  /** Request method, or the CSeq method of a response. */
  method: string;
  status: number;
  cseq: number;
  /** "ip:port" endpoints of the packet. */
  src: string;
  dst: string;
  srcIp: string;
  dstIp: string;
  transport: string;
  time: number;
  retrans: boolean;
  /** Reason phrase of a response, Request-URI of a request ('' when the bytes are not readable). */
  phrase: string;
  requestUri: string;
  /** Parsed headers; empty when the bytes cannot be read. */
  headers: SipHeader[];
  /** The SDP body, when there is one and it could be read. */
  sdp: Sdp | null;
}

/** `ip` of an "ip:port" / "[v6]:port" endpoint. */
export function endpointIp(endpoint: string): string {
  if (endpoint.startsWith('[')) {
    const close = endpoint.indexOf(']');
    return close < 0 ? endpoint : endpoint.slice(1, close);
  }
  const colon = endpoint.lastIndexOf(':');
  return colon < 0 ? endpoint : endpoint.slice(0, colon);
}

/**
 * Reads a dialog's messages. Retransmissions repeat an earlier message unchanged (RFC 3261
 * §17), so their bytes are not parsed again: they carry the store facts only.
 */
export function readDialogMessages(store: DialogStore, dialog: Dialog, bytes: MessageByteSource | undefined): MessageInfo[] {
  const out: MessageInfo[] = [];
  for (const row of dialog.msgs) {
    const flags = store.msgFlags(row);
    const retrans = (flags & MSG_RETRANS) !== 0;
    const isRequest = store.msgIsRequest(row);
    const src = store.msgSrc(row);
    const dst = store.msgDst(row);
    const info: MessageInfo = {
      row,
      isRequest,
      method: store.msgMethod(row),
      status: store.msgStatus(row),
      cseq: store.msgCseq(row),
      src,
      dst,
      srcIp: endpointIp(src),
      dstIp: endpointIp(dst),
      transport: store.msgTransport(row),
      time: store.msgTime(row),
      retrans,
      phrase: '',
      requestUri: '',
      headers: [],
      sdp: null,
    };
    const buf = retrans || bytes === undefined ? undefined : bytes.read(store.msgBytes(row));
    if (buf !== undefined) {
      const parsed = parseHeaders(buf);
      info.headers = parsed.headers;
      const line = parsed.startLine;
      if (isRequest) {
        info.requestUri = line.split(/\s+/)[1] ?? '';
      } else {
        const m = /^SIP\/\d\.\d\s+\d{3}\s*(.*)$/i.exec(line);
        info.phrase = m?.[1] ?? '';
      }
      if ((flags & MSG_SDP) !== 0) {
        const ct = headerValues(parsed.headers, 'Content-Type')[0] ?? '';
        const text = sdpText(ct, buf.subarray(parsed.bodyOffset));
        if (text !== null) info.sdp = parseSdp(text);
      }
    }
    out.push(info);
  }
  return out;
}

/** First value of a header ('' when absent). */
export function header(m: MessageInfo, name: string): string {
  return headerValues(m.headers, name)[0] ?? '';
}

export function headers(m: MessageInfo, name: string): string[] {
  return headerValues(m.headers, name);
}

/** User part of a URI (sip:, sips:, tel:) or '' . */
export function uriUser(uri: string): string {
  return parseNameAddr(uri).user;
}
