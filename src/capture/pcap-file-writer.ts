/**
 * `-O FILE`: every captured (or read) frame written to a classic pcap file while running.
 *
 * - Records are buffered and written at least every `flushMs` (default 500 ms) or every
 *   `flushBytes`, so a crash loses under a second of packets.
 * - `reopen()` (SIGUSR1) closes the file and opens the same path again, as sngrep does for
 *   log rotation: the user moved the old file away first. If the file was not moved away,
 *   writing goes on in it rather than truncating it.
 * - A write error (disk full, ...) is reported once; packets are then counted as not
 *   written until `reopen()` succeeds. Capture itself goes on.
 * - A pcap file holds one link type: frames of another link type are counted, reported
 *   once and not written.
 */
import * as fs from 'node:fs';
import * as tty from 'node:tty';
import { PcapStreamWriter } from '../pcap/writer';
import type { Frame } from '../pcap/types';

export interface PcapFileWriterOptions {
  /** Snap length written in the file header. */
  snaplen?: number;
  /** Longest time a record stays in memory before being written (default 500 ms). */
  flushMs?: number;
  /** Buffered bytes that trigger a write (default 1 MiB). */
  flushBytes?: number;
  /** Problems, one line each, naming the file and what to do. */
  onError: (message: string) => void;
  /** Notices (rotation done, file not moved away). */
  onNotice?: (message: string) => void;
}

export interface PcapFileWriterStats {
  file: string;
  /** Packets written to the current and earlier files. */
  packets: number;
  /** Packets not written: write errors, file not open, or another link type. */
  notWritten: number;
  /** Files opened (1 + successful rotations). */
  files: number;
  /** The last write error, if any. */
  error: string | null;
}

export class PcapFileWriter {
  private fd = -1;
  private ino = -1;
  private stream: PcapStreamWriter | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pendingPackets = 0;
  private timer: NodeJS.Timeout | undefined;
  private failed = false;
  private linktype: number | undefined;
  private otherLinkTypeReported = false;
  private readonly flushMs: number;
  private readonly flushBytes: number;
  private _packets = 0;
  private _notWritten = 0;
  private _files = 0;
  private lastError: string | null = null;

  constructor(
    readonly file: string,
    private readonly opts: PcapFileWriterOptions,
  ) {
    this.flushMs = opts.flushMs ?? 500;
    this.flushBytes = opts.flushBytes ?? 1 << 20;
  }

  /** Opens (creates or truncates) the file; returns an error message naming it, or undefined. */
  open(): string | undefined {
    try {
      this.fd = fs.openSync(this.file, 'w', 0o644);
      this.ino = fs.fstatSync(this.fd).ino;
    } catch (err) {
      return `cannot write ${this.file}: ${errnoText(err)}; give -O a writable path`;
    }
    if (tty.isatty(this.fd)) {
      fs.closeSync(this.fd);
      this.fd = -1;
      return `cannot write ${this.file}: it is a terminal, and a pcap file is binary; give -O a file, or a pipe (for example -O /dev/stdout | tshark -r -)`;
    }
    this._files++;
    this.failed = false;
    this.newStream();
    return undefined;
  }

  /** Writes the file header now (so an empty capture is still a valid file). */
  start(linktype: number): void {
    if (this.linktype === undefined) this.linktype = linktype;
    if (this.stream !== undefined && this.stream.fileLinktype === undefined) this.stream.start(this.linktype);
    this.flush();
  }

  write(frame: Frame): void {
    if (this.linktype === undefined) this.linktype = frame.linktype;
    const s = this.stream;
    if (s === undefined || this.failed) {
      this._notWritten++;
      return;
    }
    if (!s.writePacket(frame)) {
      this._notWritten++;
      if (!this.otherLinkTypeReported) {
        this.otherLinkTypeReported = true;
        this.opts.onError(
          `-O ${this.file}: frames of link type ${frame.linktype} are not written (the file holds link type ${s.fileLinktype ?? '?'} and a pcap file holds one); capture on devices of one kind, or on 'any'`,
        );
      }
      return;
    }
    this.pendingPackets++;
    if (this.pendingBytes >= this.flushBytes) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes what is buffered. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    const packets = this.pendingPackets;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingPackets = 0;
    if (this.fd < 0 || this.failed) {
      this._notWritten += packets;
      return;
    }
    try {
      let off = 0;
      while (off < data.length) off += fs.writeSync(this.fd, data, off, data.length - off);
      this._packets += packets;
    } catch (err) {
      this._notWritten += packets;
      this.fail(err);
    }
  }

  /**
   * SIGUSR1: closes the file and opens its path again. When the path still names the file
   * being written (it was not moved away), writing goes on in it.
   */
  reopen(): void {
    this.flush();
    let samePath = false;
    try {
      samePath = this.fd >= 0 && fs.statSync(this.file).ino === this.ino;
    } catch {
      samePath = false;
    }
    if (samePath && !this.failed) {
      this.opts.onNotice?.(`-O ${this.file}: SIGUSR1, but the file was not moved away; writing on in it`);
      return;
    }
    this.closeFd();
    const err = this.open();
    if (err !== undefined) {
      this.lastError = err;
      this.failed = true;
      this.opts.onError(`${err}; packets are not saved until the next SIGUSR1`);
      return;
    }
    this.opts.onNotice?.(`-O ${this.file}: reopened`);
  }

  close(): void {
    this.flush();
    this.closeFd();
  }

  get stats(): PcapFileWriterStats {
    return { file: this.file, packets: this._packets, notWritten: this._notWritten, files: this._files, error: this.lastError };
  }

  private newStream(): void {
    this.stream = new PcapStreamWriter(
      (buf) => {
        this.pending.push(buf);
        this.pendingBytes += buf.length;
      },
      { linktype: this.linktype },
    );
    if (this.linktype !== undefined) this.stream.start(this.linktype);
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.lastError = `cannot write ${this.file}: ${errnoText(err)}`;
    this.opts.onError(
      `${this.lastError}; packets are no longer saved (capture goes on); free space, move the file away and send SIGUSR1 to start a new one`,
    );
  }

  private closeFd(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // a close error after a failed write says nothing new
      }
    }
    this.fd = -1;
    this.stream = undefined;
  }
}

function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'no such directory';
    case 'EISDIR':
      return 'it is a directory';
    case 'EROFS':
      return 'read-only file system';
    default:
      return e.message ?? String(err);
  }
}
