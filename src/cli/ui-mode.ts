import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tty from 'node:tty';
import { Engine, type EngineOptions } from '../engine/engine';
import { readInputs, type InputSpec } from '../capture/inputs';
import { ByteReader } from '../capture/byte-reader';
import { saveDialogsPcap, saveDialogsPcapWithRtp, savedPcapMessage, type MessageGroup } from '../capture/save';
import { saveDialogsText } from '../capture/text-export';
import type { Dialog } from '../store/dialog';
import type { ByteLocation, DialogStore } from '../store/store';
import { App } from '../ui/app';
import { createBlessedCanvas, terminalProblem } from '../ui/blessed-canvas';
import type { LoadState, SaveFormat } from '../ui/window';
import { cachedFindings, type UiTelephony } from '../view/dialog-filter';
import type { LiveHeader } from '../ui/list-window';
import { totalStats, type LiveCaptureOptions } from '../capture/live';
import { openWriter, startLiveSession, type LiveSession } from './live-mode';
import type { PcapFileWriter } from '../capture/pcap-file-writer';
import type { Frame } from '../pcap/types';
import { formatEndpoint, type EndpointSpec } from '../capture/endpoint-spec';
import { HepListener } from '../capture/hep-listener';
import { TzspListener } from '../capture/tzsp-listener';
import { HepSender, MessageTap, hepMessageOf } from '../capture/hep-sender';
import type { SipscopeConfig } from '../config/config';

export interface UiModeOptions {
  inputs: string[];
  engine: EngineOptions;
  /** -v: show the dialogs the match expression does not match. */
  invert: boolean;
  /** Force ASCII line drawing (SIPSCOPE_ASCII=1 until the CLI has a flag). */
  ascii: boolean;
  /** --filter EXPR (already compiled once by the command line): applied in the UI at start. */
  filter?: string;
  /** Config file settings (columns, colours, keys, aliases, correlation headers of the extended flow). */
  config?: SipscopeConfig;
  stdin: NodeJS.ReadableStream & import('node:stream').Readable;
  stderr: (s: string) => void;
}

/** Local time zone offset at an instant, in seconds east of UTC. */
function localOffset(sec: number): number {
  return -new Date(sec * 1000).getTimezoneOffset() * 60;
}

function isGzipFile(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const b = Buffer.alloc(2);
      fs.readSync(fd, b, 0, 2, 0);
      return b[0] === 0x1f && b[1] === 0x8b;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return true; // unreadable: do not read back from it
  }
}

/**
 * The full-screen mode: the list is on screen at once while the inputs load (readInputs
 * yields between chunks); the UI redraws on a timer. The terminal is restored on quit,
 * SIGTERM, SIGINT and an uncaught error; SIGHUP (the SSH session went away) ends at once.
 * Resolves with the exit status.
 */
export function runUiMode(o: UiModeOptions): Promise<number> {
  const problem = terminalProblem(process.env);
  if (problem !== undefined) {
    o.stderr(`sipscope: ${problem}\n`);
    return Promise.resolve(2);
  }
  const engine = new Engine(o.engine);
  const store = engine.store;
  const bytes = new ByteReader(store);
  // Plain files are read back in place, so their messages can be shown while loading; the
  // source ids follow the order of the inputs (readInputs adds them first to last).
  o.inputs.forEach((name, i) => {
    if (name !== '-' && !isGzipFile(name)) bytes.setPath(store.sources.length + i, path.resolve(name));
  });
  const load: LoadState = {
    files: o.inputs.map((n) => (n === '-' ? 'stdin' : path.basename(n))),
    loading: true,
    bytesRead: 0,
    bytesTotal: 0,
    errors: [],
    traffic: () => {
      const c = engine.counters;
      const st = store.counters;
      return {
        packets: c.frames,
        sip: st.sipMessages,
        dropped: st.malformed + c.encrypted + c.net.espEncrypted + c.net.incompleteFragments + c.tcpGaps + c.net.truncated + st.droppedDialogLimit,
      };
    },
  };
  // The filter language in the UI: --filter at start, and findings analysed lazily (cached
  // per dialog and store version) for the Findings column, `finding LABEL` and the call flow.
  const telephony: UiTelephony = { filter: o.filter, findings: cachedFindings(store, bytes) };
  (load as LoadState & { telephony?: UiTelephony }).telephony = telephony;
  const done: number[] = [];
  const totals: number[] = [];
  const spools: string[] = [];
  let stopReading = false;

  return new Promise<number>((resolve) => {
    // With -I - the capture arrives on standard input, so keys are read from the terminal itself.
    let keyboard: tty.ReadStream | undefined;
    if (o.inputs.includes('-')) {
      try {
        keyboard = new tty.ReadStream(fs.openSync('/dev/tty', 'r'));
      } catch {
        o.stderr('sipscope: -I - needs a terminal (/dev/tty) for the keys; use -N to print the dialogs instead\n');
        resolve(2);
        return;
      }
    }
    const canvas = createBlessedCanvas({ input: keyboard, colour: o.config?.colours.enabled });
    let finished = false;
    const finish = (code: number, message?: string): void => {
      if (finished) return;
      finished = true;
      stopReading = true;
      app.stop();
      canvas.destroy();
      keyboard?.destroy();
      bytes.close();
      for (const s of spools) fs.rmSync(path.dirname(s), { recursive: true, force: true });
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onTerm);
      process.off('SIGHUP', onHup);
      process.off('uncaughtException', onError);
      if (message !== undefined) o.stderr(message);
      resolve(code);
      // Nothing should keep the process alive after this; if something does, do not hang.
      setTimeout(() => process.exit(code), 1000).unref();
    };
    const onTerm = (): void => finish(143);
    const onHup = (): void => {
      // The terminal is gone: restoring it may fail, and nobody is left to read output.
      finish(129);
      process.exit(129);
    };
    const onError = (err: Error): void => finish(1, `sipscope: internal error: ${err.stack ?? String(err)}\n`);
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onTerm);
    process.on('SIGHUP', onHup);
    process.on('uncaughtException', onError);

    const app = new App({
      store,
      canvas,
      load,
      offset: localOffset,
      ascii: o.ascii,
      config: o.config,
      ...storeAccess(store, bytes, o.invert),
      relatedHeaders: o.config?.relatedHeaders,
      onQuit: () => finish(0),
    });
    try {
      app.start();
    } catch (err) {
      onError(err as Error);
      return;
    }

    const specs: InputSpec[] = o.inputs.map((name) => (name === '-' ? { name, stream: o.stdin } : { name }));
    readInputs(specs, engine, {
      shouldStop: () => stopReading,
      onProgress: (name, read, total) => {
        const i = o.inputs.indexOf(name);
        if (i >= 0) {
          done[i] = read;
          totals[i] = total;
        }
        load.bytesRead = done.reduce((s, n) => s + (n ?? 0), 0);
        load.bytesTotal = totals.reduce((s, n) => s + (n ?? 0), 0);
      },
      onIssue: (name, issue) => {
        if (!issue.fatal) load.errors.push(`${name}: ${issue.message}`);
      },
    })
      .then((reports) => {
        for (const r of reports) {
          if (r.readBackPath !== undefined) {
            bytes.setPath(r.sourceId, r.readBackPath);
            if (r.readBackPath.endsWith('.spool')) spools.push(r.readBackPath);
          }
          if (r.error !== undefined) load.errors.push(r.error);
        }
        if (finished) for (const s of spools) fs.rmSync(path.dirname(s), { recursive: true, force: true });
        load.loading = false;
      })
      .catch((err: unknown) => onError(err as Error));
  });
}

export interface LiveUiModeOptions {
  /** -d: live capture (absent when only listeners feed the view). */
  capture: LiveCaptureOptions | undefined;
  /** -L and --tzsp: network sources shown as live traffic, alone or beside -d. */
  listeners?: UiListeners;
  /** -H: forward every SIP message as HEP while viewing. */
  senders?: UiSenders;
  engine: EngineOptions;
  /** -O file, written while capturing. */
  output: string | undefined;
  invert: boolean;
  ascii: boolean;
  /** --filter EXPR (already checked by the command line): applied at start. */
  filter?: string;
  /** Config file settings. */
  config?: SipscopeConfig;
  stderr: (s: string) => void;
  /** Extra environment for the capture process (tests). */
  childEnv?: Record<string, string>;
}

/** Listeners the live view opens. */
export interface UiListeners {
  hep: EndpointSpec[];
  tzsp: EndpointSpec[];
  /** --hep-key. */
  authKey?: string;
}

/** -H: HEP collectors every SIP message goes to as it arrives. */
export interface UiSenders {
  endpoints: EndpointSpec[];
  version: 2 | 3;
  captureId: number;
  authKey?: string;
}

/** How often new messages go to the HEP senders (as in headless mode). */
const TAP_INTERVAL_MS = 50;
/** How long the senders may take to deliver what is queued when the view closes. */
const SENDER_CLOSE_MS = 2000;

/** How often the header's packet count is refreshed from the capture statistics. */
const LIVE_HEADER_MS = 250;

/** The running sources of the live view: capture and listeners, with the -O writer. */
interface LiveSources {
  names: string[];
  session: LiveSession | undefined;
  writer: PcapFileWriter | undefined;
  hep: HepListener[];
  tzsp: TzspListener[];
  /** Packets seen: captured, HEP packets, TZSP frames. */
  packets(): number;
  /** Kernel drops (null: not known, or no capture). */
  drops(): number | null;
  stop(): Promise<void>;
}

async function openSources(
  o: LiveUiModeOptions,
  engine: Engine,
  bytes: ByteReader,
  report: (s: string) => void,
  paused: () => boolean,
): Promise<LiveSources | string> {
  let session: LiveSession | undefined;
  let writer: PcapFileWriter | undefined;
  const hep: HepListener[] = [];
  const tzsp: TzspListener[] = [];
  const senders: HepSender[] = [];
  const closeListeners = async (): Promise<void> => {
    await Promise.all([...hep.map((l) => l.close()), ...tzsp.map((l) => l.close())]);
  };
  if (o.capture !== undefined) {
    const started = await startLiveSession(o.capture, o.output, engine, { stderr: report }, o.childEnv);
    if (typeof started === 'string') return started;
    session = started;
    writer = started.writer;
  } else if (o.output !== undefined) {
    const w = openWriter(o.output, undefined, { stderr: report });
    if (typeof w === 'string') return w;
    writer = w;
  }
  // Listener frames go to -O and the engine as captured ones do; while paused they are not kept.
  const feed = (source: number) => (f: Frame): void => {
    if (paused()) return;
    writer?.write(f);
    engine.ingest(f, source);
  };
  try {
    for (const e of o.listeners?.hep ?? []) {
      const source = engine.addSource(`hep ${formatEndpoint(e)}`);
      hep.push(await HepListener.open({ endpoint: e, authKey: o.listeners?.authKey, onFrame: feed(source) }));
    }
    for (const e of o.listeners?.tzsp ?? []) {
      const source = engine.addSource(`tzsp ${formatEndpoint(e)}`);
      tzsp.push(await TzspListener.open({ endpoint: e, onFrame: feed(source) }));
    }
    for (const e of o.senders?.endpoints ?? []) {
      senders.push(
        await HepSender.open({
          endpoint: e,
          version: o.senders!.version,
          captureId: o.senders!.captureId,
          authKey: o.senders!.authKey,
          onWarning: (m) => report(`sipscope: ${m}\n`),
        }),
      );
    }
  } catch (err) {
    await closeListeners();
    await Promise.all(senders.map((x) => x.close(0)));
    await session?.live.stop();
    writer?.close();
    return (err as Error).message;
  }
  // -H: new messages go out as HEP every TAP_INTERVAL_MS, as in headless mode.
  const tap = senders.length > 0 ? new MessageTap(engine.store, bytes) : undefined;
  const forward = (): void => {
    tap?.poll((m) => {
      const packet = hepMessageOf(m, o.senders!.captureId);
      for (const x of senders) x.send(packet);
    });
  };
  const tapTimer = tap !== undefined ? setInterval(forward, TAP_INTERVAL_MS) : undefined;
  return {
    names: [
      ...(session?.devices ?? []),
      ...hep.map((l) => `HEP ${formatEndpoint(l.endpoint)}`),
      ...tzsp.map((l) => `TZSP ${formatEndpoint(l.endpoint)}`),
      ...senders.map((x) => `-> HEP ${x.name}`),
    ],
    session,
    writer,
    hep,
    tzsp,
    packets: () =>
      (session !== undefined ? totalStats(session.live.stats).received : 0) +
      hep.reduce((n, l) => n + l.counters.packets, 0) +
      tzsp.reduce((n, l) => n + l.counters.frames, 0),
    drops: () => (session !== undefined ? totalStats(session.live.stats).kernelDrops : null),
    stop: async () => {
      await Promise.all([closeListeners(), session?.live.stop().catch(() => undefined)]);
      writer?.close();
      if (tapTimer !== undefined) clearInterval(tapTimer);
      forward(); // the last messages, then the senders deliver what they hold
      await Promise.all(senders.map((x) => x.close(SENDER_CLOSE_MS)));
    },
  };
}

/**
 * The full-screen mode on live traffic (Online): `-d` capture and/or `-L`/`--tzsp`
 * listeners. The sources start first (an error such as a missing permission or a port in
 * use is printed plainly), then the list fills as SIP arrives. `p` pauses and resumes; q,
 * SIGTERM, SIGINT and SIGHUP stop the capture process and the listeners and close the -O
 * file before exit. SIGUSR1 reopens the -O file (rotation).
 */
export async function runLiveUiMode(o: LiveUiModeOptions): Promise<number> {
  const problem = terminalProblem(process.env);
  if (problem !== undefined) {
    o.stderr(`sipscope: ${problem}\n`);
    return 2;
  }
  const load: LoadState & { live: LiveHeader } = {
    files: [],
    loading: false,
    bytesRead: 0,
    bytesTotal: 0,
    errors: [],
    live: { devices: [], packets: 0, drops: null, paused: false, output: o.output },
  };
  // Before the screen is up, messages go to standard error; after, to the header's Problems.
  let uiUp = false;
  const report = (s: string): void => {
    if (uiUp) load.errors.push(s.replace(/^sipscope: /, '').trimEnd());
    else o.stderr(s);
  };
  const engine = new Engine({
    ...o.engine,
    onUnknownLinkType: (lt) => report(`sipscope: link type ${lt} is not supported; frames of that type are counted and skipped\n`),
  });
  const store = engine.store;
  const bytes = new ByteReader(store);
  const opened = await openSources(o, engine, bytes, report, () => load.live.paused);
  if (typeof opened === 'string') {
    o.stderr(`sipscope: ${opened}\n`);
    return 2;
  }
  const sources = opened;
  const { session, writer } = sources;
  load.live.devices = sources.names;
  const telephony: UiTelephony = { filter: o.filter, findings: cachedFindings(store, bytes) };
  (load as LoadState & { telephony?: UiTelephony }).telephony = telephony;

  return new Promise<number>((resolve) => {
    const canvas = createBlessedCanvas({ colour: o.config?.colours.enabled });
    uiUp = true;
    let finished = false;
    const headerTimer = setInterval(() => {
      load.live.packets = sources.packets();
      load.live.drops = sources.drops();
    }, LIVE_HEADER_MS);
    const finish = (code: number, message?: string, terminalGone = false): void => {
      if (finished) return;
      finished = true;
      clearInterval(headerTimer);
      app.stop();
      if (!terminalGone) canvas.destroy();
      uiUp = false;
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onTerm);
      process.off('SIGHUP', onHup);
      process.off('SIGUSR1', onUsr1);
      process.off('uncaughtException', onError);
      if (message !== undefined) o.stderr(message);
      // The capture process delivers its last packets, then the -O file is closed.
      void sources
        .stop()
        .catch(() => undefined)
        .then(() => {
          bytes.close();
          const fatal = session?.fatal();
          if (fatal !== undefined && code === 0) code = 1;
          if (terminalGone) process.exit(code);
          resolve(code);
          // Nothing should keep the process alive after this; if something does, do not hang.
          setTimeout(() => process.exit(code), 1000).unref();
        });
    };
    const onTerm = (): void => finish(143);
    // The terminal is gone: do not touch it, but still stop the capture and close -O.
    const onHup = (): void => finish(129, undefined, true);
    const onUsr1 = (): void => writer?.reopen();
    const onError = (err: Error): void => finish(1, `sipscope: internal error: ${err.stack ?? String(err)}\n`);
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onTerm);
    process.on('SIGHUP', onHup);
    process.on('SIGUSR1', onUsr1);
    process.on('uncaughtException', onError);
    // The capture process ended on its own (a fatal error): say so in the header.
    void session?.live.ended.then(() => {
      if (!finished) load.live.state = `Capture stopped${session.fatal() !== undefined ? `: ${session.fatal()}` : ''}`;
    });

    const app = new App({
      store,
      canvas,
      load,
      offset: localOffset,
      ascii: o.ascii,
      config: o.config,
      ...storeAccess(store, bytes, o.invert, () => {
        // The -O file holds the live RTP: write out what is buffered before reading it.
        if (writer === undefined) return [];
        writer.flush();
        return [writer.stats.file];
      }),
      relatedHeaders: o.config?.relatedHeaders,
      onPause: () => {
        load.live.paused = !load.live.paused;
        session?.live.pause(load.live.paused);
      },
      onQuit: () => finish(0),
    });
    try {
      app.start();
    } catch (err) {
      onError(err as Error);
    }
  });
}

/** What every UI mode gives the app to read the store: message bytes, the -v rule, saving. */
function storeAccess(store: DialogStore, bytes: ByteReader, invert: boolean, liveFiles: () => string[] = () => []) {
  const saveAs = (groups: readonly MessageGroup[], format: SaveFormat, file: string, what: string): string => {
    if (format === 'text') {
      const r = saveDialogsText(store, bytes, groups, file);
      return `Saved ${what} (${r.messages} messages, text) to ${file}${r.unreadable > 0 ? `; ${r.unreadable} unreadable messages left out` : ''}`;
    }
    const r = format === 'pcap+rtp' ? saveDialogsPcapWithRtp(store, bytes, groups, file, liveFiles()) : saveDialogsPcap(store, bytes, groups, file);
    return savedPcapMessage(r, what);
  };
  return {
    readBytes: (loc: ByteLocation) => bytes.read(loc),
    matches: (d: Dialog) => (invert ? !d.matched : d.matched),
    savePcap: (dialogs: Dialog[], file: string) => saveAs(dialogs, 'pcap', file, `${dialogs.length} dialog${dialogs.length === 1 ? '' : 's'}`),
    saveAs,
  };
}
