import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, helpText, reassemblyLimits, type CliOptions } from './args';
import { Engine } from '../engine/engine';
import { compileBpf } from '../net/bpf';
import type { IpInfo } from '../net/types';
import { readInputs, type InputReport, type InputSpec } from '../capture/inputs';
import { ByteReader } from '../capture/byte-reader';
import { saveDialogsText } from '../capture/text-export';
import type { Dialog } from '../store/dialog';
import { printHeadless } from './headless-output';
import { compileCliFilter, runTelephony } from './diagnose';
import { runLiveUiMode, runUiMode } from './ui-mode';
import { runListenMode, wantsListenMode } from './listen-mode';
import { runCaptureMode, type LiveUiRequest } from './live-mode';
import { loadConfig } from '../config/load-config';
import { defaultConfig, formatConfig } from '../config/config';

/** The capture opened when no input is given (recorded by captures/record.sh). */
export const DEMO_CAPTURE = path.resolve(__dirname, '..', '..', '..', 'captures', 'demo-udp.pcap');

export interface Io {
  /** Writes to standard output; the promise resolves when the consumer has taken it (backpressure). */
  stdout: (s: string) => void | Promise<void>;
  stderr: (s: string) => void;
  stdin: NodeJS.ReadableStream & import('node:stream').Readable;
}

/** Splits `[match expression] [bpf filter...]` the way sngrep does (see its main.c). */
export function splitPositional(words: readonly string[]):
  | { ok: true; match: string | undefined; bpf: string | undefined; bpfMatch: ((p: IpInfo) => boolean) | undefined }
  | { ok: false; error: string } {
  if (words.length === 0) return { ok: true, match: undefined, bpf: undefined, bpfMatch: undefined };
  const rest = words.slice(1).join(' ');
  if (rest === '') return { ok: true, match: words[0], bpf: undefined, bpfMatch: undefined };
  const asRest = compileBpf(rest);
  if (asRest.ok) return { ok: true, match: words[0], bpf: rest, bpfMatch: asRest.match };
  const all = words.join(' ');
  const asAll = compileBpf(all);
  if (asAll.ok) return { ok: true, match: undefined, bpf: all, bpfMatch: asAll.match };
  // Neither reading works: report the one that says the filter is beyond what files support,
  // since that is the actionable message; else the whole-expression error.
  const error = asRest.error.includes('beyond') ? asRest.error : asAll.error;
  return { ok: false, error: `BPF filter: ${error}` };
}

export async function main(argv: readonly string[], io: Io, version: string): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    io.stderr(`sipscope: ${parsed.error}\n`);
    return 2;
  }
  const o = parsed.options;
  if (o.help) {
    io.stdout(helpText());
    return 0;
  }
  if (o.version) {
    io.stdout(`sipscope ${version}\n`);
    return 0;
  }
  // The config file (-f FILE, -F none) sets up the full-screen interface only: headless runs
  // (-N, or output not a terminal) do not read it. Any bad line stops here, naming file and line.
  const wantsUi = !o.noInterface && process.stdout.isTTY === true;
  const loaded = wantsUi || o.dumpConfig ? loadConfig({ file: o.configFile, none: o.noConfig }) : { config: undefined, errors: [] };
  if (loaded.errors.length > 0) {
    for (const e of loaded.errors) io.stderr(`sipscope: ${e}\n`);
    io.stderr('sipscope: fix the config file, or start with -F to read none\n');
    return 2;
  }
  if (o.dumpConfig) {
    await io.stdout(formatConfig(loaded.config ?? defaultConfig()));
    return 0;
  }
  const config = loaded.config;
  // --filter: compiled once, before any input is read (exit 2 pointing at the offending word).
  const telephonyFilter = compileCliFilter(o.filter);
  if (!telephonyFilter.ok) {
    io.stderr(`sipscope: ${telephonyFilter.error}\n`);
    return 2;
  }
  // -L / --tzsp / -H: network sources and sinks (src/cli/listen-mode.ts).
  const runLiveUi = (live: LiveUiRequest): Promise<number> =>
    runLiveUiMode({ ...live, ascii: o.ascii || process.env.SIPSCOPE_ASCII === '1', config, stderr: io.stderr });
  if (wantsListenMode(o)) {
    return runListenMode(o, io, { splitPositional, demoCapture: DEMO_CAPTURE, filter: telephonyFilter.filter, stdoutIsTty: process.stdout.isTTY === true, runLiveUi });
  }
  // -d (live capture) and -O (save to pcap, also with -I): src/cli/live-mode.ts.
  if (o.devices.length > 0 || o.output !== undefined) {
    // On a terminal without -N, live capture opens the full-screen UI in Online mode.
    return runCaptureMode(o, io, {
      splitPositional,
      stdoutIsTty: process.stdout.isTTY === true,
      stderrIsTty: process.stderr.isTTY === true,
      filter: telephonyFilter.filter,
      runLiveUi,
    });
  }
  const split = splitPositional(o.positional);
  if (!split.ok) {
    io.stderr(`sipscope: ${split.error}\n`);
    return 2;
  }
  let match: RegExp | undefined;
  if (split.match !== undefined) {
    try {
      match = new RegExp(split.match, o.ignoreCase ? 'i' : '');
    } catch (err) {
      io.stderr(`sipscope: match expression '${split.match}' is not a valid regular expression: ${(err as Error).message}\n`);
      return 2;
    }
  }

  let inputs = o.inputs;
  if (inputs.length === 0) {
    if (!fs.existsSync(DEMO_CAPTURE)) {
      io.stderr(`sipscope: no input given and the demo capture ${DEMO_CAPTURE} is missing; use -I FILE\n`);
      return 2;
    }
    if (!o.quiet) io.stderr(`sipscope: no -I given: opening the bundled demo capture ${DEMO_CAPTURE}\n`);
    inputs = [DEMO_CAPTURE];
  }
  if (inputs.filter((i) => i === '-').length > 1) {
    io.stderr(`sipscope: standard input (-I -) can be read only once\n`);
    return 2;
  }
  if (!o.noInterface) {
    if (process.stdout.isTTY === true) {
      return runUiMode({
        inputs,
        engine: {
          store: { limit: o.limit, rotate: o.rotate, onlyInvite: o.onlyInvite },
          match,
          ipFilter: split.bpfMatch,
          reassembly: reassemblyLimits(o),
        },
        invert: o.invert,
        ascii: o.ascii || process.env.SIPSCOPE_ASCII === '1',
        filter: o.filter,
        config,
        stdin: io.stdin,
        stderr: io.stderr,
      });
    }
    if (!o.quiet) io.stderr('sipscope: standard output is not a terminal; printing the dialogs as with -N\n');
  }

  const engine = new Engine({
    store: { limit: o.limit, rotate: o.rotate, onlyInvite: o.onlyInvite },
    match,
    ipFilter: split.bpfMatch,
    reassembly: reassemblyLimits(o),
    onUnknownLinkType: (lt) => io.stderr(`sipscope: link type ${lt} is not supported; frames of that type are counted and skipped\n`),
  });

  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const specs: InputSpec[] = inputs.map((name) => (name === '-' ? { name, stream: io.stdin } : { name }));
  const reports = await readInputs(specs, engine, {
    shouldStop: () => stop,
    onIssue: (name, issue) => {
      if (!issue.fatal) io.stderr(`sipscope: ${name}: ${issue.message}\n`);
    },
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // --filter and --diagnose read message bytes back: run them while spool copies exist.
  const telephony = runTelephony(engine, reports, {
    filter: telephonyFilter.filter,
    diagnose: o.diagnose,
    findings: o.findings,
    json: o.json,
    quiet: o.quiet,
    invert: o.invert,
  });
  // -T FILE: the displayed dialogs (match expression, -v, --filter) as text, written while
  // spool copies still hold stdin/gzip bytes.
  const textError =
    o.textOutput === undefined ? undefined : writeTextOutput(o.textOutput, engine, reports, { invert: o.invert, quiet: o.quiet, filter: telephony.filter }, io);
  cleanupSpools(reports);

  let exit = textError === undefined ? 0 : 2;
  for (const r of reports) {
    if (r.error !== undefined) {
      io.stderr(`sipscope: ${r.error}${r.frames > 0 ? ` (${r.frames} frames read before it are kept)` : ''}\n`);
      exit = 2;
    }
  }

  if (telephony.report !== undefined) {
    for (const chunk of telephony.report) await io.stdout(chunk);
    return exit;
  }
  await printHeadless(io.stdout, engine, reports, { json: o.json, quiet: o.quiet, invert: o.invert, filter: telephony.filter, findings: telephony.findings });
  return exit;
}

/** Writes the shown dialogs as text (see capture/text-export.ts); returns an error message, printed, on failure. */
function writeTextOutput(
  file: string,
  engine: Engine,
  reports: InputReport[],
  shown: { invert: boolean; quiet: boolean; filter?: (d: Dialog) => boolean },
  io: Io,
): string | undefined {
  const bytes = new ByteReader(engine.store);
  for (const r of reports) if (r.readBackPath !== undefined) bytes.setPath(r.sourceId, r.readBackPath);
  const dialogs = [...engine.store.dialogList()].filter(
    (d) => (shown.invert ? !d.matched : d.matched) && (shown.filter === undefined || shown.filter(d)),
  );
  try {
    const r = saveDialogsText(engine.store, bytes, dialogs, file);
    if (!shown.quiet) io.stderr(`sipscope: wrote ${r.messages} messages of ${dialogs.length} dialogs to ${file}\n`);
    if (r.unreadable > 0) io.stderr(`sipscope: ${file}: ${r.unreadable} messages left out: their bytes could not be read back from the input\n`);
    return undefined;
  } catch (err) {
    const message = (err as Error).message;
    io.stderr(`sipscope: ${message}\n`);
    return message;
  } finally {
    bytes.close();
  }
}

/** Spool copies are only needed while a view reads message bytes back; headless mode is done with them. */
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

export type { CliOptions };
