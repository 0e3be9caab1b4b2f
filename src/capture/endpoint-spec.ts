/**
 * Network endpoints given on the command line for HEP and TZSP: `udp:HOST:PORT` or
 * `tcp:HOST:PORT` (sngrep's form, `-H udp:10.0.0.1:9060`), IPv6 addresses in brackets
 * (`udp:[::1]:9060`). Pure: parsing returns a value or an error that says what to write.
 */
import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import { isIP } from 'node:net';

export type EndpointProtocol = 'udp' | 'tcp';

export interface EndpointSpec {
  protocol: EndpointProtocol;
  /** Address or host name, without brackets. */
  host: string;
  port: number;
  /** 4 or 6 for a literal address, 0 for a host name (resolved when the socket opens). */
  family: 0 | 4 | 6;
}

export interface EndpointParseOptions {
  /** The option that carried the text, for messages ("-H", "--tzsp"). */
  flag: string;
  /** Protocols this option accepts (default both). */
  protocols?: readonly EndpointProtocol[];
  /** Port used when the text gives none; without it the port is required. */
  defaultPort?: number;
}

export type EndpointParseResult = { ok: true; endpoint: EndpointSpec } | { ok: false; error: string };

/** Parses `udp:HOST:PORT` / `tcp:HOST:PORT` / `udp:[V6]:PORT` (and `udp:HOST` with a default port). */
export function parseEndpointSpec(text: string, opts: EndpointParseOptions): EndpointParseResult {
  const protocols = opts.protocols ?? ['udp', 'tcp'];
  const example = `${protocols[0] ?? 'udp'}:127.0.0.1:${opts.defaultPort ?? 9060}`;
  const fail = (why: string): EndpointParseResult => ({
    ok: false,
    error: `${opts.flag} '${text}': ${why}; write ${protocols.map((p) => `${p}:HOST:PORT`).join(' or ')}, e.g. ${example} (IPv6 in brackets: ${protocols[0] ?? 'udp'}:[::1]:${opts.defaultPort ?? 9060})`,
  });
  const colon = text.indexOf(':');
  if (colon < 0) return fail('no protocol');
  const proto = text.slice(0, colon).toLowerCase();
  if (proto !== 'udp' && proto !== 'tcp') return fail(`unknown protocol '${text.slice(0, colon)}'`);
  if (!protocols.includes(proto)) return fail(`${proto} is not supported here`);
  const rest = text.slice(colon + 1);

  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return fail('missing ] after the IPv6 address');
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after === '') portText = undefined;
    else if (after.startsWith(':')) portText = after.slice(1);
    else return fail(`unexpected '${after}' after the address`);
    if (isIP(host) !== 6) return fail(`'${host}' is not an IPv6 address`);
  } else {
    const last = rest.lastIndexOf(':');
    if (last >= 0 && rest.indexOf(':') !== last) return fail('an IPv6 address must be written in brackets');
    host = last < 0 ? rest : rest.slice(0, last);
    portText = last < 0 ? undefined : rest.slice(last + 1);
  }
  if (host === '') return fail('no host');
  if (!/^[A-Za-z0-9.\-_:%]+$/.test(host)) return fail(`'${host}' is not a host name or address`);

  let port: number;
  if (portText === undefined) {
    if (opts.defaultPort === undefined) return fail('no port');
    port = opts.defaultPort;
  } else {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      return fail(`port '${portText}' is not a number from 1 to 65535`);
    }
    port = Number(portText);
  }
  const ipFamily = isIP(host);
  const family: 0 | 4 | 6 = ipFamily === 4 ? 4 : ipFamily === 6 ? 6 : 0;
  return { ok: true, endpoint: { protocol: proto, host, port, family } };
}

/** The endpoint as written on the command line: `udp:127.0.0.1:9060`, `tcp:[::1]:9060`. */
export function formatEndpoint(e: EndpointSpec): string {
  const host = e.family === 6 || e.host.includes(':') ? `[${e.host}]` : e.host;
  return `${e.protocol}:${host}:${e.port}`;
}

/** A socket error code as words for messages ("address in use"). */
export function describeSocketError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'EADDRINUSE':
      return 'address in use; another program listens there (pick another port, or stop it)';
    case 'EADDRNOTAVAIL':
      return 'address not available on this host (use one of its own addresses, or 0.0.0.0 / [::])';
    case 'EACCES':
      return 'permission denied (ports below 1024 need root)';
    case 'ECONNREFUSED':
      return 'connection refused (is the collector listening?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to host';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'ECONNRESET':
      return 'connection reset by the peer';
    case 'EPIPE':
      return 'connection closed by the peer';
    default:
      return e.message ?? String(err);
  }
}

/** The endpoint's address and family: a literal as is, a host name looked up (first answer). */
export async function resolveEndpoint(e: EndpointSpec): Promise<{ address: string; family: 4 | 6 }> {
  if (e.family !== 0) return { address: e.host, family: e.family };
  const r = await dns.promises.lookup(e.host);
  return { address: r.address, family: r.family === 6 ? 6 : 4 };
}

/**
 * A UDP socket bound to the endpoint (listeners). Rejects with a message naming the
 * endpoint and what to do: "cannot listen on udp:127.0.0.1:9060: address in use; ...".
 */
export async function bindUdpSocket(e: EndpointSpec, recvBufferSize = 8 << 20): Promise<dgram.Socket> {
  let resolved: { address: string; family: 4 | 6 };
  try {
    resolved = await resolveEndpoint(e);
  } catch (err) {
    throw new Error(`cannot listen on ${formatEndpoint(e)}: ${describeSocketError(err)}`);
  }
  const socket = dgram.createSocket({ type: resolved.family === 6 ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(new Error(`cannot listen on ${formatEndpoint(e)}: ${describeSocketError(err)}`));
    };
    socket.once('error', onError);
    socket.bind({ address: resolved.address, port: e.port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  try {
    // A burst from many agents outruns the default buffer (about 200 KiB); best effort.
    socket.setRecvBufferSize(recvBufferSize);
  } catch {
    // the kernel's limit (net.core.rmem_max) applies
  }
  return socket;
}

/**
 * The receive time of packets from a socket: wall-clock time with sub-millisecond
 * resolution, made strictly increasing (by 1 µs when two arrive within the clock's
 * resolution) so that arrival order is time order — the store orders messages and spots
 * retransmissions by time.
 */
export function newArrivalClock(): () => { sec: number; nsec: number } {
  const origin = performance.timeOrigin;
  let lastUs = 0;
  return () => {
    let us = Math.floor((origin + performance.now()) * 1000);
    if (us <= lastUs) us = lastUs + 1;
    lastUs = us;
    return { sec: Math.floor(us / 1e6), nsec: (us % 1e6) * 1000 };
  };
}
