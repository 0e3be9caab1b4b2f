import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Writes a file through `body` under a temporary name in the same directory, then renames
 * it into place: a failed save never leaves a half-written file under the chosen name.
 * Throws an Error whose message names the file and says what to do.
 */
export function writeFileAtomically(file: string, body: (write: (b: Buffer) => void) => void): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.sipscope.tmp`);
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'w', 0o644);
  } catch (err) {
    throw new Error(`cannot write ${file}: ${writeErrorReason(err)}`);
  }
  try {
    body((b) => {
      let off = 0;
      while (off < b.length) off += fs.writeSync(fd, b, off, b.length - off);
    });
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
