import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine, type EngineOptions } from '../../src/engine/engine';
import { readInputs, type InputReport } from '../../src/capture/inputs';
import { ByteReader } from '../../src/capture/byte-reader';

export interface EngineRun {
  engine: Engine;
  reports: InputReport[];
  bytes: ByteReader;
  /** Text of every message of every dialog, in dialog then capture order. */
  texts(): string[];
}

/** Writes each capture to a temporary file and reads them all through the real input path. */
export async function runEngine(captures: Buffer[] | string[], options: EngineOptions = {}): Promise<EngineRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipscope-test-'));
  const files = captures.map((c, i) => {
    if (typeof c === 'string') return c;
    const f = path.join(dir, `capture-${i}.pcap`);
    fs.writeFileSync(f, c);
    return f;
  });
  const engine = new Engine(options);
  const reports = await readInputs(files.map((name) => ({ name })), engine, { spoolDir: dir });
  const bytes = new ByteReader(engine.store);
  for (const r of reports) if (r.readBackPath !== undefined) bytes.setPath(r.sourceId, r.readBackPath);
  return {
    engine,
    reports,
    bytes,
    texts: () => {
      const out: string[] = [];
      for (const d of engine.store.dialogList()) {
        for (const row of d.msgs) out.push(bytes.read(engine.store.msgBytes(row))?.toString('utf8') ?? '<unreadable>');
      }
      return out;
    },
  };
}
