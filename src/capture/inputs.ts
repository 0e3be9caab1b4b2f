import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import { CaptureReader, type CaptureSink } from '../pcap/reader';
import { TextCaptureReader } from './text-input';
import { detectTextCapture, looksLikeText } from './text-formats';
import type { Frame, ReadIssue } from '../pcap/types';
import type { Engine } from '../engine/engine';

/** One `-I` argument: a file path, or '-' with the stream to read (standard input). */
export interface InputSpec {
  name: string;
  stream?: Readable;
}

/** What happened to one input. */
export interface InputReport {
  name: string;
  /** The engine's source id for this input (message locations refer to it). */
  sourceId: number;
  /** 'text': a SIP text capture (tcpdump output, phone-system log, sipscope -T); see textFormat. */
  format: 'pcap' | 'pcapng' | 'text' | undefined;
  /** For text inputs: the format of the first message header (tcpdump, asterisk, freeswitch, generic). */
  textFormat?: string;
  /** For text inputs: blocks that gave no message (each also reported as an issue, with its lines). */
  textBlocksUnparsed?: number;
  compressed: boolean;
  frames: number;
  bytesRead: number;
  /** Problems the reader reported (truncation, corruption), in order. */
  issues: ReadIssue[];
  /** Set when the input could not be used at all (cannot open, not a capture, corrupt). */
  error?: string;
  /** The file message bytes are read back from (the input itself, or a spool copy). */
  readBackPath?: string;
}

export interface ReadOptions {
  /** Checked between chunks; true stops reading (SIGINT/SIGTERM). */
  shouldStop?: () => boolean;
  /** Called for each reader issue as it happens. */
  onIssue?: (input: string, issue: ReadIssue) => void;
  /** Called after every chunk with bytes read so far of the current input, for progress. */
  onProgress?: (input: string, bytes: number, total: number) => void;
  /** Directory for spool copies of inputs that cannot be re-read (stdin, gzip). */
  spoolDir?: string;
}

const CHUNK = 1 << 20;
const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
/** Bytes looked at to tell a SIP text capture from a pcap/pcapng one (see detectTextCapture). */
const SNIFF_BYTES = 64 * 1024;

/**
 * A source of input bytes, opened. Regular uncompressed files are read in place (message
 * bytes are read back from them by offset); standard input and gzip files are copied as
 * they are read into a spool file, which plays the same part, so memory stays independent
 * of the input's size either way.
 */
class OpenInput {
  readonly report: InputReport;
  /** pcap/pcapng by default; replaced by a text reader when the first bytes are a SIP text capture. */
  reader: CaptureReader | TextCaptureReader;
  private readonly sink: CaptureSink;
  /** Chunks held until the format is known (undefined once decided). */
  private sniffed: Buffer[] | undefined = [];
  private sniffedBytes = 0;
  private iterator: AsyncIterator<Buffer> | undefined;
  private spoolFd = -1;
  private spoolFailed = false;
  readonly queue: Frame[] = [];
  head = 0;
  done = false;
  total = 0;

  constructor(
    readonly spec: InputSpec,
    readonly sourceId: number,
    private readonly options: ReadOptions,
    private readonly deliver: ((f: Frame, source: number) => void) | undefined,
  ) {
    this.report = { name: spec.name, sourceId, format: undefined, compressed: false, frames: 0, bytesRead: 0, issues: [] };
    this.sink = {
      onFrame: (f) => this.onFrame(f),
      onIssue: (i) => {
        this.report.issues.push(i);
        this.options.onIssue?.(spec.name, i);
      },
    };
    this.reader = new CaptureReader(this.sink);
  }

  /** Hands a chunk to the reader, first deciding from the first bytes which reader it is. */
  private feed(chunk: Buffer): void {
    if (this.sniffed === undefined) {
      this.reader.push(chunk);
      return;
    }
    this.sniffed.push(chunk);
    this.sniffedBytes += chunk.length;
    const first = this.sniffed[0] as Buffer;
    if (this.sniffedBytes >= SNIFF_BYTES || (first.length >= 4 && isCaptureMagic(first))) this.decide();
  }

  private decide(): void {
    const chunks = this.sniffed;
    if (chunks === undefined) return;
    this.sniffed = undefined;
    const head = Buffer.concat(chunks);
    if (head.length > 0 && !isCaptureMagic(head) && looksLikeText(head)) {
      this.reader = new TextCaptureReader(this.sink, { notRecognised: detectTextCapture(head) === undefined });
    }
    if (head.length > 0) this.reader.push(head);
  }

  /** Opens the input; returns an error message naming it when that is impossible. */
  async open(): Promise<string | undefined> {
    const name = this.spec.name;
    let stream: Readable;
    if (this.spec.stream !== undefined) {
      stream = this.spec.stream;
      const first = await readFirstChunk(stream);
      if (first === undefined) return `${name}: no data on standard input`;
      stream.unshift(first);
      this.report.compressed = isGzip(first);
      if (this.report.compressed) stream = stream.pipe(zlib.createGunzip());
      this.startSpool();
    } else {
      let fd: number;
      try {
        fd = fs.openSync(name, 'r');
        const st = fs.fstatSync(fd);
        if (st.isDirectory()) {
          fs.closeSync(fd);
          return `cannot read ${name}: it is a directory; give a .pcap, .pcapng or .gz capture file`;
        }
        this.total = st.size;
        const head = Buffer.alloc(2);
        fs.readSync(fd, head, 0, 2, 0);
        this.report.compressed = isGzip(head);
      } catch (err) {
        return openErrorMessage(name, err);
      }
      const raw = fs.createReadStream(name, { fd, highWaterMark: CHUNK });
      if (this.report.compressed) {
        stream = raw.pipe(zlib.createGunzip({ chunkSize: CHUNK }));
        raw.on('error', (e) => stream.destroy(e));
        this.startSpool();
      } else {
        stream = raw;
        this.report.readBackPath = path.resolve(name);
      }
    }
    this.iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    return undefined;
  }

  /** Reads the next chunk into the reader; false at the end of the input. */
  async step(): Promise<boolean> {
    if (this.done || this.iterator === undefined) return false;
    if (this.options.shouldStop?.() === true || this.reader.failed) {
      this.finish();
      return false;
    }
    let r: IteratorResult<Buffer>;
    try {
      r = await this.iterator.next();
    } catch (err) {
      this.report.error = `${this.spec.name}: ${readErrorMessage(err)}`;
      this.finish();
      return false;
    }
    if (r.done === true) {
      this.finish();
      return false;
    }
    const chunk = r.value;
    this.spool(chunk);
    this.feed(chunk);
    this.report.bytesRead = this.reader.bytesRead;
    this.options.onProgress?.(this.spec.name, this.report.bytesRead, this.total);
    return true;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.decide();
    this.reader.end();
    if (this.reader instanceof TextCaptureReader) {
      this.report.format = this.reader.format === undefined ? undefined : 'text';
      this.report.textFormat = this.reader.format;
      this.report.textBlocksUnparsed = this.reader.counters.unparsed;
    } else {
      this.report.format = this.reader.format;
    }
    this.report.bytesRead = this.reader.bytesRead;
    const fatal = this.report.issues.find((i) => i.fatal);
    if (fatal !== undefined && this.report.error === undefined) {
      this.report.error = `${this.spec.name}: ${fatal.message}`;
    }
    if (this.spoolFd >= 0) {
      try {
        fs.closeSync(this.spoolFd);
      } catch {
        // nothing to do: the spool is only read back
      }
      this.spoolFd = -1;
    }
    const iterator = this.iterator;
    if (iterator?.return !== undefined) void iterator.return().catch(() => undefined);
  }

  private onFrame(f: Frame): void {
    this.report.frames++;
    if (this.report.readBackPath === undefined || this.spoolFailed) f.fileOffset = -1;
    if (this.deliver !== undefined) this.deliver(f, this.sourceId);
    else this.queue.push(f);
  }

  private startSpool(): void {
    try {
      const dir = this.options.spoolDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-'));
      const file = path.join(dir, `input-${this.sourceId}.spool`);
      this.spoolFd = fs.openSync(file, 'w+', 0o600);
      this.report.readBackPath = file;
    } catch {
      this.spoolFailed = true; // bytes of SIP frames are then kept in memory instead
    }
  }

  private spool(chunk: Buffer): void {
    if (this.spoolFd < 0 || this.spoolFailed) return;
    try {
      let off = 0;
      while (off < chunk.length) off += fs.writeSync(this.spoolFd, chunk, off, chunk.length - off);
    } catch {
      // Disk full or similar: from here on frames keep their bytes in memory.
      this.spoolFailed = true;
    }
  }
}

/**
 * Reads every input into the engine: one input straight through; several merged in
 * timestamp order (a k-way merge over per-input frame queues, refilled a chunk at a time).
 * Returns a report per input; never throws for bad input (errors are in the reports).
 */
export async function readInputs(specs: InputSpec[], engine: Engine, options: ReadOptions = {}): Promise<InputReport[]> {
  const single = specs.length === 1;
  const inputs: OpenInput[] = [];
  for (const spec of specs) {
    const sourceId = engine.addSource(spec.name);
    const input = new OpenInput(spec, sourceId, options, single ? (f, s) => engine.ingest(f, s) : undefined);
    const error = await input.open();
    if (error !== undefined) {
      input.report.error = error;
      input.done = true;
    }
    inputs.push(input);
  }
  if (single) {
    const input = inputs[0]!;
    while (await input.step()) {
      // frames go straight to the engine
    }
  } else {
    await merge(inputs, engine);
  }
  engine.finish();
  return inputs.map((i) => i.report);
}

async function merge(inputs: OpenInput[], engine: Engine): Promise<void> {
  for (;;) {
    let best: OpenInput | undefined;
    let bestFrame: Frame | undefined;
    for (const inp of inputs) {
      while (inp.head >= inp.queue.length && !inp.done) {
        inp.queue.length = 0;
        inp.head = 0;
        await inp.step();
      }
      const f = inp.queue[inp.head];
      if (f === undefined) continue;
      if (bestFrame === undefined || f.sec < bestFrame.sec || (f.sec === bestFrame.sec && f.nsec < bestFrame.nsec)) {
        best = inp;
        bestFrame = f;
      }
    }
    if (best === undefined || bestFrame === undefined) return;
    best.head++;
    engine.ingest(bestFrame, best.sourceId);
  }
}

/** pcap (either byte order, µs or ns) or pcapng magic in the first 4 bytes. */
function isCaptureMagic(b: Buffer): boolean {
  if (b.length < 4) return false;
  const m = b.readUInt32BE(0);
  return m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1 || m === 0x0a0d0d0a;
}

function isGzip(b: Buffer): boolean {
  return b.length >= 2 && b[0] === GZIP_MAGIC_0 && b[1] === GZIP_MAGIC_1;
}

function readFirstChunk(stream: Readable): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const onReadable = (): void => {
      const chunk = stream.read() as Buffer | null;
      if (chunk !== null) {
        cleanup();
        resolve(chunk);
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve(undefined);
    };
    const cleanup = (): void => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onEnd);
    };
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('error', onEnd);
  });
}

function openErrorMessage(name: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return `cannot open ${name}: no such file; check the path given to -I`;
    case 'EACCES':
    case 'EPERM':
      return `cannot open ${name}: permission denied; run with read access to the file`;
    case 'EISDIR':
      return `cannot read ${name}: it is a directory; give a .pcap, .pcapng or .gz capture file`;
    default:
      return `cannot open ${name}: ${(err as Error).message}`;
  }
}

function readErrorMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'Z_BUF_ERROR' || e.code === 'Z_DATA_ERROR') {
    return `gzip data is corrupt or truncated (${e.message}); frames read before this point are kept`;
  }
  return `read error: ${e.message}`;
}
