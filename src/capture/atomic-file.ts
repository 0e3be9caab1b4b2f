import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tty from 'node:tty';

/** Where the bytes go: a regular file, or a device, pipe or terminal written in place. */
export interface WriteTarget {
  /** The target is a terminal (e.g. `-T /dev/tty`): what is written will be displayed. */
  terminal: boolean;
}

/**
 * Writes a file through `body` under a temporary name in the same directory, then renames
 * it into place: a failed save never leaves a half-written file under the chosen name.
 * A path that exists and is not a regular file (/dev/stdout, a FIFO, a terminal) is
 * written in place instead: renaming over it would replace the device with a file.
 * Throws an Error whose message names the file and says what to do.
 */
export function writeFileAtomically(file: string, body: (write: (b: Buffer) => void, target: WriteTarget) => void): void {
  let existing: fs.Stats | undefined;
  try {
    existing = fs.statSync(file);
  } catch {
    existing = undefined;
  }
  if (existing !== undefined && !existing.isFile() && !existing.isDirectory()) {
    writeInPlace(file, body);
    return;
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.sipscope.tmp`);
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'w', 0o644);
  } catch (err) {
    throw new Error(`cannot write ${file}: ${writeErrorReason(err)}`);
  }
  try {
    body((b) => writeAll(fd, b), { terminal: false });
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (err) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
    fs.rmSync(tmp, { force: true });
    throw new Error(`cannot write ${file}: ${writeErrorReason(err)}`);
  }
}

/** Writes all of `b`; a pipe or terminal set non-blocking (EAGAIN) is waited for rather than failed. */
function writeAll(fd: number, b: Buffer): void {
  let off = 0;
  while (off < b.length) {
    try {
      off += fs.writeSync(fd, b, off, b.length - off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}

/** /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N: the descriptor itself (a socket cannot be opened by path). */
function inheritedFd(file: string): number | undefined {
  if (file === '/dev/stdout') return 1;
  if (file === '/dev/stderr') return 2;
  const m = /^\/(?:dev|proc\/self)\/fd\/(\d+)$/.exec(file);
  return m !== null ? Number(m[1]) : undefined;
}

function writeInPlace(file: string, body: (write: (b: Buffer) => void, target: WriteTarget) => void): void {
  const inherited = inheritedFd(file);
  let fd: number;
  try {
    fd = inherited ?? fs.openSync(file, 'w');
  } catch (err) {
    throw new Error(`cannot write ${file}: ${writeErrorReason(err)}`);
  }
  try {
    body((b) => writeAll(fd, b), { terminal: tty.isatty(fd) });
  } catch (err) {
    throw new Error(`cannot write ${file}: ${writeErrorReason(err)}`);
  } finally {
    try {
      if (inherited === undefined) fs.closeSync(fd);
    } catch {
      // already closed
    }
  }
}

/** A write error in words a user can act on. */
export function writeErrorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOSPC':
      return 'no space left on the device; free some space or choose another path';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied; choose a writable path';
    case 'ENOENT':
      return 'the directory does not exist';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return e.message;
  }
}
