import { main } from './main';

/** Process entry: the only place that reads argv and sets the exit code. */
export function run(): void {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const version = (require('../../../package.json') as { version: string }).version;
  // Output to a pipe is buffered in the process when the reader is slow: wait for 'drain'
  // so that printing 100,000 dialogs does not hold them all in memory at once.
  const stdout = (s: string): Promise<void> =>
    new Promise((resolve) => {
      if (process.stdout.write(s)) resolve();
      else process.stdout.once('drain', () => resolve());
    });
  const stderr = (s: string): void => {
    process.stderr.write(s);
  };
  main(process.argv.slice(2), { stdout, stderr, stdin: process.stdin }, version)
    .then((code) => {
      process.exitCode = code;
    })
    .catch((err: unknown) => {
      process.stderr.write(`sipscope: internal error: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    });
}
