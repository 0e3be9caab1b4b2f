import * as fs from 'node:fs';
import { CaptureReader } from '../../src/pcap/reader';
import type { Frame } from '../../src/pcap/types';

/** Every frame of a capture file (pcap or pcapng), read with the project's reader and copied. */
export function readCaptureFrames(file: string): Frame[] {
  const frames: Frame[] = [];
  const reader = new CaptureReader({
    onFrame: (f) => frames.push({ ...f, data: Buffer.from(f.data) }),
    onIssue: () => undefined,
  });
  reader.push(fs.readFileSync(file));
  reader.end();
  return frames;
}
