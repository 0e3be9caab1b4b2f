import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultConfig, parseConfig, type SipscopeConfig } from './config';

export const SYSTEM_CONFIG = '/etc/sipscoperc';

/** The files read by default: /etc/sipscoperc, then ~/.sipscoperc (each may be absent). */
export function defaultConfigFiles(home: string = os.homedir()): string[] {
  return [SYSTEM_CONFIG, path.join(home, '.sipscoperc')];
}

/**
 * Reads the config: `-F` (none) reads nothing, `-f FILE` reads only FILE (which must
 * exist), otherwise the default files that exist. Errors name the file and line; any error
 * makes the caller exit 2 (a half-applied config, such as a key rebound only in part, is
 * worse than a clear stop).
 */
export function loadConfig(o: { file?: string; none?: boolean; home?: string }): { config: SipscopeConfig; errors: string[] } {
  let config = defaultConfig();
  const errors: string[] = [];
  if (o.none === true) return { config, errors };
  const files = o.file !== undefined ? [o.file] : defaultConfigFiles(o.home);
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (o.file === undefined && e.code === 'ENOENT') continue;
      errors.push(`cannot read config file ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
      continue;
    }
    const r = parseConfig(text, file, config);
    config = r.config;
    errors.push(...r.errors);
  }
  return { config, errors };
}
