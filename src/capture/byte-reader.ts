import * as fs from 'node:fs';
import { ARENA_SOURCE, type ByteLocation, type DialogStore } from '../store/store';

/**
 * Reads message and frame bytes back from where the engine left them: the capture files
 * (or their spool copies) by offset, or the store's in-memory arena. Keeps one descriptor
 * per file open until `close()`.
 */
export class ByteReader {
  private readonly paths = new Map<number, string>();
  private readonly fds = new Map<number, number>();

  constructor(private readonly store: DialogStore) {}

  /** Declares the file the bytes of source `id` are read back from. */
  setPath(id: number, file: string): void {
    this.paths.set(id, file);
  }

  /** The files declared with setPath, by source id. */
  files(): { source: number; path: string }[] {
    return [...this.paths].map(([source, path]) => ({ source, path }));
  }

  /** The bytes, or undefined when they cannot be had (file gone, out of range). */
  read(loc: ByteLocation): Buffer | undefined {
    if (loc.source === ARENA_SOURCE) {
      const view = this.store.arena.read(loc.offset, loc.length);
      return view === undefined ? undefined : Buffer.from(view);
    }
    const file = this.paths.get(loc.source);
    if (file === undefined) return undefined;
    try {
      let fd = this.fds.get(loc.source);
      if (fd === undefined) {
        fd = fs.openSync(file, 'r');
        this.fds.set(loc.source, fd);
      }
      const buf = Buffer.allocUnsafe(loc.length);
      let got = 0;
      while (got < loc.length) {
        const n = fs.readSync(fd, buf, got, loc.length - got, loc.offset + got);
        if (n === 0) return undefined;
        got += n;
      }
      return buf;
    } catch {
      return undefined;
    }
  }

  close(): void {
    for (const fd of this.fds.values()) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.fds.clear();
  }
}
