/**
 * Headless live capture: `sipscope -d lo -N [--json] [-O f.pcap] [match] [bpf]` captures
 * until SIGINT or SIGTERM, then prints the dialogs as file mode does, with the live
 * statistics in the summary. SIGUSR1 reopens the -O file (rotation). Without -q a progress
 * line goes to standard error about once a second.
 *
 * Also `-I FILE -O out.pcap`: the frames read are written to out.pcap.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine, type EngineOptions } from '../engine/engine';
import type { Frame } from '../pcap/types';
import type { IpInfo } from '../net/types';
import { reassemblyLimits, type CliOptions } from './args';
import { readInputs, type InputReport, type InputSpec } from '../capture/inputs';
import { startLiveCapture, totalStats, type LiveCapture, type LiveCaptureOptions, type LiveStats } from '../capture/live';
import { PcapFileWriter } from '../capture/pcap-file-writer';
import { printResults } from './diagnose';
import type { CompiledFilter } from '../filter/compile-filter';
import type { LiveSummary, OutputSummary } from './summary';
import type { EndpointSpec } from '../capture/endpoint-spec';

export interface LiveModeOptions {
  capture: LiveCaptureOptions;
  engine: EngineOptions;
  /** -O file. */
  output: string | undefined;
  json: boolean;
  quiet: boolean;
  invert: boolean;
  /** --filter, compiled. */
  filter: CompiledFilter | undefined;
  /** --diagnose: the problem dialogs grouped by finding instead of the list. */
  diagnose: boolean;
  /** --findings: each dialog's findings in the output. */
  findings: boolean;
  /** Rewrite the progress line in place (standard error is a terminal). */
  progressInPlace: boolean;
  /** Extra environment for the capture process (tests). */
  childEnv?: Record<string, string>;
}

export interface ModeIo {
  stdout: (s: string) => void | Promise<void>;
  stderr: (s: string) => void;
}

const PROGRESS_MS = 1000;

/** An engine that hands every frame to `tee` (the -O writer) before decoding it. */
export class TeeEngine extends Engine {
  constructor(
    options: EngineOptions,
    private readonly tee: ((frame: Frame) => void) | undefined,
  ) {
    super(options);
  }

  override ingest(frame: Frame, source: number): void {
    this.tee?.(frame);
    super.ingest(frame, source);
  }
}

export function openWriter(file: string, snaplen: number | undefined, io: Pick<ModeIo, 'stderr'>): PcapFileWriter | string {
  const writer = new PcapFileWriter(file, {
    snaplen,
    onError: (m) => io.stderr(`sipscope: ${m}\n`),
    onNotice: (m) => io.stderr(`sipscope: ${m}\n`),
  });
  const err = writer.open();
  return err !== undefined ? err : writer;
}

export function outputSummary(w: PcapFileWriter): OutputSummary {
  const s = w.stats;
  return { file: s.file, packets: s.packets, notWritten: s.notWritten, files: s.files, error: s.error };
}

/** A running live capture feeding an engine, with its -O writer. */
export interface LiveSession {
  devices: string[];
  live: LiveCapture;
  writer: PcapFileWriter | undefined;
  /** Set when the capture reported a fatal error. */
  fatal(): string | undefined;
}

/**
 * Starts live capture into `engine` (a source `live:<devices>`), every frame also going to
 * the -O file when `output` is given. Resolves once every device is open, with the session,
 * or with the message saying why capture could not start (the -O file is closed then).
 */
export async function startLiveSession(
  capture: LiveCaptureOptions,
  output: string | undefined,
  engine: Engine,
  io: Pick<ModeIo, 'stderr'>,
  childEnv?: Record<string, string>,
): Promise<LiveSession | string> {
  const devices = capture.devices.length > 0 ? capture.devices : ['any'];
  let writer: PcapFileWriter | undefined;
  if (output !== undefined) {
    const w = openWriter(output, undefined, io);
    if (typeof w === 'string') return w;
    writer = w;
  }
  const source = engine.addSource(`live:${devices.join(',')}`);
  let fatal: string | undefined;
  const live = startLiveCapture(
    { ...capture, devices },
    {
      onFrame: (f) => {
        writer?.write(f);
        engine.ingest(f, source);
      },
      onStats: () => undefined,
      onError: (message, isFatal) => {
        if (isFatal) fatal = message;
        io.stderr(`sipscope: ${message}\n`);
      },
    },
    childEnv,
  );
  const started = await live.started;
  if (!started.ok) {
    await live.ended;
    writer?.close();
    return started.error;
  }
  // The -O file gets its header now, so an empty capture still leaves a valid file.
  const first = started.devices[0];
  if (writer !== undefined && first !== undefined) writer.start(first.linktype);
  return { devices, live, writer, fatal: () => fatal };
}

export async function runLiveMode(o: LiveModeOptions, io: ModeIo): Promise<number> {
  const devices = o.capture.devices.length > 0 ? o.capture.devices : ['any'];
  const capture: LiveCaptureOptions = { ...o.capture, devices };
  const engine = new Engine({
    ...o.engine,
    onUnknownLinkType: (lt) => io.stderr(`sipscope: link type ${lt} is not supported; frames of that type are counted and skipped\n`),
  });
  const session = await startLiveSession(capture, o.output, engine, io, o.childEnv);
  if (typeof session === 'string') {
    io.stderr(`sipscope: ${session}\n`);
    return 2;
  }
  const { live, writer } = session;
  if (!o.quiet) {
    const bpf = capture.filter !== '' ? ` (filter: ${capture.filter})` : '';
    io.stderr(`sipscope: capturing on ${devices.join(',')}${bpf}; Ctrl-C to stop\n`);
  }

  // ---- run until a signal or the capture process ends ----
  let progressShown = false;
  const progress = (): void => {
    const t = totalStats(live.stats);
    const line = `Dialog count: ${engine.store.dialogCount}  SIP messages: ${engine.store.counters.sipMessages}  packets: ${t.received}`;
    if (o.progressInPlace) io.stderr(`\r${line}\x1b[K`);
    else io.stderr(`${line}\n`);
    progressShown = true;
  };
  const timer = o.quiet ? undefined : setInterval(progress, PROGRESS_MS);
  const onUsr1 = (): void => writer?.reopen();
  let signalled: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (signalled = resolve));
  const onStop = (): void => signalled();
  process.on('SIGINT', onStop);
  process.on('SIGTERM', onStop);
  process.on('SIGUSR1', onUsr1);
  await Promise.race([stopped, live.ended]);
  if (timer !== undefined) clearInterval(timer);
  if (progressShown && o.progressInPlace) io.stderr('\n');
  await live.stop();
  process.off('SIGINT', onStop);
  process.off('SIGTERM', onStop);
  process.off('SIGUSR1', onUsr1);
  engine.finish();
  writer?.close();

  const extra: { live: LiveSummary; outputFile?: OutputSummary } = { live: liveSummary(devices, live.stats) };
  if (writer !== undefined) extra.outputFile = outputSummary(writer);
  await printResults(io.stdout, engine, [], { filter: o.filter, diagnose: o.diagnose, findings: o.findings, json: o.json, quiet: o.quiet, invert: o.invert, extra });
  return session.fatal() !== undefined ? 1 : 0;
}

export function liveSummary(devices: string[], stats: LiveStats | undefined): LiveSummary {
  const t = totalStats(stats);
  return {
    devices,
    packetsReceived: t.received,
    kernelDrops: t.kernelDrops,
    interfaceDrops: t.interfaceDrops,
    discarded: t.discarded,
  };
}

export interface FileOutputOptions {
  inputs: string[];
  output: string;
  engine: EngineOptions;
  json: boolean;
  quiet: boolean;
  invert: boolean;
  filter: CompiledFilter | undefined;
  diagnose: boolean;
  findings: boolean;
  stdin: NodeJS.ReadableStream & import('node:stream').Readable;
}

/** `-I FILE... -N -O out.pcap`: file mode that also writes every frame read to out.pcap. */
export async function runFileOutputMode(o: FileOutputOptions, io: ModeIo): Promise<number> {
  const w = openWriter(o.output, undefined, io);
  if (typeof w === 'string') {
    io.stderr(`sipscope: ${w}\n`);
    return 2;
  }
  const writer = w;
  const engine = new TeeEngine(
    {
      ...o.engine,
      onUnknownLinkType: (lt) => io.stderr(`sipscope: link type ${lt} is not supported; frames of that type are counted and skipped\n`),
    },
    (f) => writer.write(f),
  );
  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  const onUsr1 = (): void => writer.reopen();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.on('SIGUSR1', onUsr1);
  const specs: InputSpec[] = o.inputs.map((name) => (name === '-' ? { name, stream: o.stdin } : { name }));
  let reports: InputReport[];
  try {
    reports = await readInputs(specs, engine, {
      shouldStop: () => stop,
      onIssue: (name, issue) => {
        if (!issue.fatal) io.stderr(`sipscope: ${name}: ${issue.message}\n`);
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGUSR1', onUsr1);
  }
  writer.start(1); // an empty input still leaves a valid file (Ethernet when no frame said otherwise)
  writer.close();
  let exit = 0;
  for (const r of reports) {
    if (r.error !== undefined) {
      io.stderr(`sipscope: ${r.error}${r.frames > 0 ? ` (${r.frames} frames read before it are kept)` : ''}\n`);
      exit = 2;
    }
  }
  // --filter and --diagnose read message bytes back: before the spool copies go.
  await printResults(io.stdout, engine, reports, {
    filter: o.filter,
    diagnose: o.diagnose,
    findings: o.findings,
    json: o.json,
    quiet: o.quiet,
    invert: o.invert,
    extra: { outputFile: outputSummary(writer) },
  });
  for (const r of reports) {
    // Spool copies (stdin, gzip) are only needed while bytes are read back.
    if (r.readBackPath !== undefined && r.readBackPath.endsWith('.spool')) {
      fs.rmSync(path.dirname(r.readBackPath), { recursive: true, force: true });
    }
  }
  return exit;
}

/** What main.ts hands over (passed in, so that the two modules do not import each other). */
export interface CaptureModeDeps {
  splitPositional(words: readonly string[]):
    | { ok: true; match: string | undefined; bpf: string | undefined; bpfMatch: ((p: IpInfo) => boolean) | undefined }
    | { ok: false; error: string };
  stdoutIsTty: boolean;
  stderrIsTty: boolean;
  /** --filter, compiled by main.ts. */
  filter: CompiledFilter | undefined;
  /** Live capture in the full-screen UI (ui-mode's runLiveUiMode), for -d on a terminal without -N. */
  runLiveUi?(o: LiveUiRequest): Promise<number>;
}

/** What runCaptureMode hands to the full-screen live UI. */
export interface LiveUiRequest {
  capture: LiveCaptureOptions | undefined;
  /** -L / --tzsp listeners shown beside (or instead of) the capture. */
  listeners?: { hep: EndpointSpec[]; tzsp: EndpointSpec[]; authKey?: string };
  /** -H: HEP collectors the view forwards every SIP message to. */
  senders?: { endpoints: EndpointSpec[]; version: 2 | 3; captureId: number; authKey?: string };
  engine: EngineOptions;
  output: string | undefined;
  invert: boolean;
  /** --filter as typed. */
  filter?: string;
}

/**
 * The composition for `-d` and `-O`: live capture (`-d`, or `-O` without `-I`, on `any` as
 * sngrep does) or file reading that also saves what it reads (`-I ... -O`).
 */
export async function runCaptureMode(o: CliOptions, io: ModeIo & { stdin: NodeJS.ReadableStream & import('node:stream').Readable }, deps: CaptureModeDeps): Promise<number> {
  const fail = (message: string): number => {
    io.stderr(`sipscope: ${message}\n`);
    return 2;
  };
  const liveWanted = o.devices.length > 0 || o.inputs.length === 0;
  if (o.devices.length > 0 && o.inputs.length > 0) {
    return fail('-d (live capture) and -I (files) cannot be combined yet; run one sipscope for each');
  }
  const liveUi = liveWanted && !o.noInterface && deps.stdoutIsTty && deps.runLiveUi !== undefined;
  if (!o.noInterface && !liveUi) {
    if (deps.stdoutIsTty) {
      return fail(
        `the full-screen interface does not show ${liveWanted ? 'live capture' : '-O'} yet; add -N to run headless (with --json for machine-readable output)`,
      );
    }
    if (!o.quiet) io.stderr('sipscope: standard output is not a terminal; printing the dialogs as with -N\n');
  }

  // Positional words as sngrep reads them: [match expression] [bpf filter]. Live, libpcap
  // compiles the filter, so words beyond what sipscope evaluates on files go to it whole.
  const split = deps.splitPositional(o.positional);
  let matchText: string | undefined;
  let bpf = '';
  let ipFilter: ((p: IpInfo) => boolean) | undefined;
  if (split.ok) {
    matchText = split.match;
    bpf = split.bpf ?? '';
    ipFilter = split.bpfMatch;
  } else if (liveWanted) {
    bpf = o.positional.join(' ');
  } else {
    return fail(split.error);
  }
  let match: RegExp | undefined;
  if (matchText !== undefined) {
    try {
      match = new RegExp(matchText, o.ignoreCase ? 'i' : '');
    } catch (err) {
      return fail(`match expression '${matchText}' is not a valid regular expression: ${(err as Error).message}`);
    }
  }
  const store = { limit: o.limit, rotate: o.rotate, onlyInvite: o.onlyInvite };

  if (liveWanted) {
    const capture: LiveCaptureOptions = {
      devices: o.devices.length > 0 ? o.devices : ['any'],
      filter: bpf,
      snaplen: o.snaplen,
      promisc: o.promisc,
      bufferMb: o.bufferMb,
    };
    if (liveUi) {
      return deps.runLiveUi!({ capture, engine: { store, match, reassembly: reassemblyLimits(o) }, output: o.output, invert: o.invert, filter: o.filter });
    }
    return runLiveMode(
      {
        capture,
        // libpcap applies the BPF filter in the kernel: no second pass here.
        engine: { store, match, reassembly: reassemblyLimits(o) },
        output: o.output,
        json: o.json,
        quiet: o.quiet,
        invert: o.invert,
        filter: deps.filter,
        diagnose: o.diagnose,
        findings: o.findings,
        progressInPlace: deps.stderrIsTty,
      },
      io,
    );
  }
  if (o.inputs.filter((i) => i === '-').length > 1) return fail('standard input (-I -) can be read only once');
  return runFileOutputMode(
    {
      inputs: o.inputs,
      output: o.output!,
      engine: { store, match, ipFilter, reassembly: reassemblyLimits(o) },
      json: o.json,
      quiet: o.quiet,
      invert: o.invert,
      filter: deps.filter,
      diagnose: o.diagnose,
      findings: o.findings,
      stdin: io.stdin,
    },
    io,
  );
}
