/**
 * Headless network mode: `-L` (HEP listener), `--tzsp` (TZSP listener) and `-H` (HEP sender),
 * alone or with `-I` files and `-O`:
 *
 *   sipscope -L udp:0.0.0.0:9060 -N --json       collect until SIGINT/SIGTERM, print dialogs
 *   sipscope -I f.pcap -N -H udp:10.0.0.5:9060     send every SIP message of a file as HEP
 *   sipscope -L tcp:[::]:9061 -H udp:homer:9060 -N relay (and -O keeps a pcap of what came)
 *
 * Output is the file mode's: one JSON object per dialog then {"summary": ...} (with the
 * listeners' and senders' counters added), or the table and a summary line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { reassemblyLimits, type CliOptions } from './args';
import type { Io } from './main';
import type { IpInfo } from '../net/types';
import type { Frame } from '../pcap/types';
import { ByteReader } from '../capture/byte-reader';
import { formatEndpoint, parseEndpointSpec, type EndpointSpec } from '../capture/endpoint-spec';
import { HepListener, type HepListenerCounters } from '../capture/hep-listener';
import { HepSender, MessageTap, hepMessageOf, type HepSenderCounters } from '../capture/hep-sender';
import { TzspListener, type TzspListenerCounters } from '../capture/tzsp-listener';
import { readInputs, type InputReport, type InputSpec } from '../capture/inputs';
import { TZSP_DEFAULT_PORT } from '../net/tzsp';
import { safeText } from '../view/dialog-report';
import { printResults } from './diagnose';
import type { CompiledFilter } from '../filter/compile-filter';
import type { LiveCaptureOptions } from '../capture/live';
import type { PcapFileWriter } from '../capture/pcap-file-writer';
import { liveSummary, openWriter, outputSummary, startLiveSession, TeeEngine, type LiveSession, type LiveUiRequest } from './live-mode';
import type { OutputSummary } from './summary';

/** What main.ts hands over (passed in rather than imported, so the two modules do not import each other). */
export interface ListenModeDeps {
  splitPositional(words: readonly string[]):
    | { ok: true; match: string | undefined; bpf: string | undefined; bpfMatch: ((p: IpInfo) => boolean) | undefined }
    | { ok: false; error: string };
  /** The capture read when -H is given with no input and no listener. */
  demoCapture: string;
  /** --filter, compiled by main.ts. */
  filter: CompiledFilter | undefined;
  stdoutIsTty: boolean;
  /** The full-screen live view (ui-mode's runLiveUiMode), for listeners on a terminal without -N. */
  runLiveUi?(o: LiveUiRequest): Promise<number>;
}

/** True when the command line asks for this mode (any -L, --tzsp or -H). */
export function wantsListenMode(o: CliOptions): boolean {
  return o.hepListen.length > 0 || o.tzspListen.length > 0 || o.hepSend.length > 0;
}

/** How often new messages go to the HEP senders while listening. */
const TAP_INTERVAL_MS = 50;
/**
 * Messages handed to the senders per step when sending a file; then the sockets take them
 * and, for UDP, a short pause lets the collector drain its socket buffer: a file is read far
 * faster than live traffic comes, and UDP has no flow control (unpaced, 30,000 messages to
 * a sipscope collector on the same host lost about 1%; paced, none).
 */
const SEND_BATCH = 256;
const UDP_BATCH_PAUSE_MS = 2;
/** How long the senders may take to deliver what is queued at the end. */
const FINAL_FLUSH_MS = 3000;

/** Counters this mode adds to the {"summary": ...} object. */
export interface ListenExtra {
  hepListeners: ({ endpoint: string } & HepListenerCounters)[];
  tzspListeners: ({ endpoint: string } & TzspListenerCounters)[];
  hepSenders: ({ endpoint: string; version: number } & HepSenderCounters)[];
  /** Stored messages whose bytes could not be read back for sending. */
  hepUnreadable: number;
  /** -O: what was written (the same object as in live capture). */
  outputFile?: OutputSummary;
}

export async function runListenMode(o: CliOptions, io: Io, deps: ListenModeDeps): Promise<number> {
  // ---- arguments ----
  const fail = (message: string): number => {
    io.stderr(`sipscope: ${message}\n`);
    return 2;
  };
  const listen: EndpointSpec[] = [];
  for (const text of o.hepListen) {
    const r = parseEndpointSpec(text, { flag: '-L' });
    if (!r.ok) return fail(r.error);
    listen.push(r.endpoint);
  }
  const tzsp: EndpointSpec[] = [];
  for (const text of o.tzspListen) {
    const r = parseEndpointSpec(text, { flag: '--tzsp', protocols: ['udp'], defaultPort: TZSP_DEFAULT_PORT });
    if (!r.ok) return fail(r.error);
    tzsp.push(r.endpoint);
  }
  const send: EndpointSpec[] = [];
  for (const text of o.hepSend) {
    const r = parseEndpointSpec(text, { flag: '-H' });
    if (!r.ok) return fail(r.error);
    if (r.endpoint.protocol === 'tcp' && o.hepVersion === 2) {
      return fail(`-H ${text}: HEP v2 has no length field, so it cannot be framed on TCP; use --hep-version 3 or udp:`);
    }
    send.push(r.endpoint);
  }
  const live = o.devices.length > 0;
  if (live && o.inputs.length > 0) {
    return fail('-d (live capture) and -I (files) cannot be combined; run one sipscope for each');
  }
  const wantUi = !o.noInterface && deps.stdoutIsTty;
  const liveSources = listen.length + tzsp.length > 0 || live;
  if (wantUi && (o.inputs.length > 0 || !liveSources || deps.runLiveUi === undefined)) {
    return fail(
      liveSources
        ? 'the full-screen view shows live sources (-d, -L, --tzsp), not -I files together with them; add -N to run headless (with --json for machine-readable output)'
        : '-H without -d, -L or --tzsp sends files, which runs headless; add -N (with --json for machine-readable output)',
    );
  }
  // Positional words as sngrep reads them: [match expression] [bpf filter]. With -d, libpcap
  // compiles the filter, so words beyond what sipscope evaluates go to it whole.
  let split = deps.splitPositional(o.positional);
  if (!split.ok && live) split = { ok: true, match: undefined, bpf: o.positional.join(' '), bpfMatch: undefined };
  if (!split.ok) return fail(split.error);
  let match: RegExp | undefined;
  if (split.match !== undefined) {
    try {
      match = new RegExp(split.match, o.ignoreCase ? 'i' : '');
    } catch (err) {
      return fail(`match expression '${split.match}' is not a valid regular expression: ${(err as Error).message}`);
    }
  }
  const listening = listen.length + tzsp.length > 0 || live;
  if (wantUi) {
    return deps.runLiveUi!({
      capture: live ? { devices: o.devices, filter: split.bpf ?? '', snaplen: o.snaplen, promisc: o.promisc, bufferMb: o.bufferMb } : undefined,
      listeners: { hep: listen, tzsp, authKey: o.hepAuthKey },
      senders: send.length > 0 ? { endpoints: send, version: o.hepVersion, captureId: o.hepCaptureId, authKey: o.hepAuthKey } : undefined,
      engine: { store: { limit: o.limit, rotate: o.rotate, onlyInvite: o.onlyInvite }, match, reassembly: reassemblyLimits(o) },
      output: o.output,
      invert: o.invert,
      filter: o.filter,
    });
  }
  let inputs = o.inputs;
  if (inputs.length === 0 && !listening) {
    if (!fs.existsSync(deps.demoCapture)) return fail(`no input given and the demo capture ${deps.demoCapture} is missing; use -I FILE or -L`);
    if (!o.quiet) io.stderr(`sipscope: no -I or -L given: sending the bundled demo capture ${deps.demoCapture}\n`);
    inputs = [deps.demoCapture];
  }
  if (inputs.filter((i) => i === '-').length > 1) return fail('standard input (-I -) can be read only once');

  // ---- -O: the live capture's writer (flushed twice a second, SIGUSR1 reopens it) ----
  let writer: PcapFileWriter | undefined;
  if (o.output !== undefined) {
    const w = openWriter(o.output, undefined, io);
    if (typeof w === 'string') return fail(w);
    writer = w;
  }
  const tee = writer === undefined ? undefined : (f: Frame): void => writer!.write(f);

  const engine = new TeeEngine(
    {
      store: { limit: o.limit, rotate: o.rotate, onlyInvite: o.onlyInvite },
      match,
      // Live, libpcap applies the BPF filter in the kernel: no second pass here.
      ipFilter: live ? undefined : split.bpfMatch,
      reassembly: reassemblyLimits(o),
      onUnknownLinkType: (lt) => io.stderr(`sipscope: link type ${lt} is not supported; frames of that type are counted and skipped\n`),
    },
    tee,
  );

  // ---- sockets ----
  const hepListeners: HepListener[] = [];
  const tzspListeners: TzspListener[] = [];
  const senders: HepSender[] = [];
  let session: LiveSession | undefined;
  const closeAll = async (): Promise<void> => {
    await Promise.all([...hepListeners.map((l) => l.close()), ...tzspListeners.map((l) => l.close()), session?.live.stop()]);
  };
  try {
    if (live) {
      const capture: LiveCaptureOptions = {
        devices: o.devices,
        filter: split.bpf ?? '',
        snaplen: o.snaplen,
        promisc: o.promisc,
        bufferMb: o.bufferMb,
      };
      // Frames go through the engine's tee, so -O gets them as it gets the listeners'.
      const started = await startLiveSession(capture, undefined, engine, io);
      if (typeof started === 'string') throw new Error(started);
      session = started;
    }
    for (const e of listen) {
      const source = engine.addSource(`hep ${formatEndpoint(e)}`);
      hepListeners.push(
        await HepListener.open({ endpoint: e, authKey: o.hepAuthKey, onFrame: (f) => engine.ingest(f, source) }),
      );
    }
    for (const e of tzsp) {
      const source = engine.addSource(`tzsp ${formatEndpoint(e)}`);
      tzspListeners.push(await TzspListener.open({ endpoint: e, onFrame: (f) => engine.ingest(f, source) }));
    }
    for (const e of send) {
      senders.push(
        await HepSender.open({
          endpoint: e,
          version: o.hepVersion,
          captureId: o.hepCaptureId,
          authKey: o.hepAuthKey,
          onWarning: (m) => io.stderr(`sipscope: ${m}\n`),
        }),
      );
    }
  } catch (err) {
    await closeAll();
    await Promise.all(senders.map((s) => s.close(0)));
    writer?.close();
    return fail((err as Error).message);
  }

  const bytes = new ByteReader(engine.store);
  const tap = new MessageTap(engine.store, bytes);
  const toSenders = (limit?: number): number =>
    senders.length === 0
      ? 0
      : tap.poll((m) => {
          const hep = hepMessageOf(m, o.hepCaptureId);
          for (const s of senders) s.send(hep);
        }, limit);

  let stop = false;
  let wake: (() => void) | undefined;
  const onSignal = (): void => {
    stop = true;
    wake?.();
  };
  const onUsr1 = (): void => writer?.reopen();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGUSR1', onUsr1);
  // A capture process that dies (device gone) ends the run as a signal would.
  void session?.live.ended.then(onSignal);

  let exit = 0;
  let reports: InputReport[] = [];
  try {
    if (listening && !o.quiet) {
      const what = [
        ...(session !== undefined ? [`packets on ${session.devices.join(',')}`] : []),
        ...listen.map((e) => `HEP on ${formatEndpoint(e)}`),
        ...tzsp.map((e) => `TZSP on ${formatEndpoint(e)}`),
      ];
      io.stderr(`sipscope: listening for ${what.join(', ')}; SIGINT (Ctrl-C) or SIGTERM stops and prints the dialogs\n`);
    }

    if (inputs.length > 0) {
      const specs: InputSpec[] = inputs.map((name) => (name === '-' ? { name, stream: io.stdin } : { name }));
      reports = await readInputs(specs, engine, {
        shouldStop: () => stop,
        onIssue: (name, issue) => {
          if (!issue.fatal) io.stderr(`sipscope: ${name}: ${issue.message}\n`);
        },
      });
      for (const r of reports) {
        if (r.readBackPath !== undefined) bytes.setPath(r.sourceId, r.readBackPath);
        if (r.error !== undefined) {
          io.stderr(`sipscope: ${r.error}${r.frames > 0 ? ` (${r.frames} frames read before it are kept)` : ''}\n`);
          exit = 2;
        }
      }
      // Send the files' messages in batches, letting the sockets take each one.
      let waiting = true;
      while (tap.pending > 0 && senders.length > 0) {
        toSenders(SEND_BATCH);
        if (waiting) waiting = (await Promise.all(senders.map((s) => s.flush(FINAL_FLUSH_MS)))).every((ok) => ok);
        if (send.some((e) => e.protocol === 'udp')) await new Promise((r) => setTimeout(r, UDP_BATCH_PAUSE_MS));
      }
    }

    if (listening) {
      const timer = setInterval(() => toSenders(), TAP_INTERVAL_MS);
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (stop) resolve();
      });
      clearInterval(timer);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGUSR1', onUsr1);
    await closeAll();
  }

  engine.finish();
  toSenders();
  await Promise.all(senders.map((s) => s.close(FINAL_FLUSH_MS)));
  bytes.close();
  if (writer !== undefined) {
    writer.start(1); // an empty capture is still a valid file (Ethernet when no frame said otherwise)
    writer.close();
  }

  const extra: ListenExtra = {
    hepListeners: hepListeners.map((l) => ({ endpoint: formatEndpoint(l.endpoint), ...l.counters })),
    tzspListeners: tzspListeners.map((l) => ({ endpoint: formatEndpoint(l.endpoint), ...l.counters })),
    hepSenders: senders.map((s) => ({ endpoint: s.name, version: o.hepVersion, ...s.counters })),
    hepUnreadable: tap.unreadable,
  };
  if (writer !== undefined) extra.outputFile = outputSummary(writer);
  const summaryExtra: Record<string, unknown> = { ...extra };
  if (session !== undefined) summaryExtra['live'] = liveSummary(session.devices, session.live.stats);
  // --filter and --diagnose read message bytes back: before the spool copies go.
  await printResults(io.stdout, engine, reports, { filter: deps.filter, diagnose: o.diagnose, findings: o.findings, json: o.json, quiet: o.quiet, invert: o.invert, extra: summaryExtra });
  cleanupSpools(reports);
  if (!o.json && !o.quiet && !o.diagnose) await io.stdout(formatListenLines(extra));
  if (session?.fatal() !== undefined && exit === 0) exit = 1;
  return exit;
}

/** Lines under the table, one per listener and sender. */
export function formatListenLines(x: ListenExtra): string {
  const lines: string[] = [];
  for (const l of x.hepListeners) {
    const drops = dropText({
      'wrong key': l.authFailed,
      truncated: l.truncated,
      bad: l.bad,
      'bad compression': l.badCompression,
      'not HEP': l.notHep,
      'not SIP': l.notSip,
      oversized: l.oversized,
    });
    lines.push(`HEP ${l.endpoint}: ${l.packets} packets, ${l.sip} SIP messages${drops}`);
  }
  for (const l of x.tzspListeners) {
    const drops = dropText({ truncated: l.truncated, bad: l.bad, 'unknown encapsulation': l.unknownEncapsulation, control: l.control });
    lines.push(`TZSP ${l.endpoint}: ${l.datagrams} datagrams, ${l.frames} frames${drops}`);
  }
  for (const s of x.hepSenders) {
    const drops = dropText({ 'queue full': s.droppedQueueFull, unencodable: s.droppedUnencodable, 'send errors': s.sendErrors });
    lines.push(`HEP v${s.version} to ${s.endpoint}: ${s.sent} of ${s.messages} messages sent${drops}`);
  }
  return lines.map((l) => safeText(l) + '\n').join('');
}

function dropText(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  return parts.length > 0 ? `; skipped: ${parts.join(', ')}` : '';
}

/** Spool copies (stdin, gzip inputs) are not needed once the run is over. */
function cleanupSpools(reports: InputReport[]): void {
  for (const r of reports) {
    if (r.readBackPath !== undefined && r.readBackPath.endsWith('.spool')) {
      try {
        fs.rmSync(path.dirname(r.readBackPath), { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
  }
}
