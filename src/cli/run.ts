import { main } from './main';

/** Process entry: the only place that reads argv and sets the exit code. */
export function run(): void {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const version = (require('../../../package.json') as { version: string }).version;
  const write = (stream: NodeJS.WriteStream) => (s: string) => {
    stream.write(s);
  };
  main(process.argv.slice(2), { stdout: write(process.stdout), stderr: write(process.stderr), stdin: process.stdin }, version)
    .then((code) => {
      process.exitCode = code;
    })
    .catch((err: unknown) => {
      process.stderr.write(`sipscope: internal error: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    });
}
