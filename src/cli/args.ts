/**
 * Command-line parsing: sngrep-compatible flags (getopt style: `-Nq`, `-l100`, `-l 100`)
 * plus long options. Pure: returns options or an error message, never exits.
 */
export interface CliOptions {
  inputs: string[];
  devices: string[];
  noInterface: boolean;
  quiet: boolean;
  onlyInvite: boolean;
  limit: number | undefined;
  rotate: boolean;
  ignoreCase: boolean;
  invert: boolean;
  json: boolean;
  output: string | undefined;
  help: boolean;
  version: boolean;
  /** Positional words: `[match expression] [bpf filter ...]`, split later (see splitPositional). */
  positional: string[];
}

export type ParseResult = { ok: true; options: CliOptions } | { ok: false; error: string };

interface FlagSpec {
  short?: string;
  long: string;
  arg: boolean;
  help: string;
  argName?: string;
  apply: (o: CliOptions, value: string) => string | undefined;
}

/** The option table: parsing and `--help` both come from it. */
export const FLAGS: readonly FlagSpec[] = [
  {
    short: 'I',
    long: 'input',
    arg: true,
    argName: 'FILE',
    help: 'read a pcap/pcapng capture (gzip accepted; - is standard input); repeat to merge files in time order',
    apply: (o, v) => void o.inputs.push(v),
  },
  {
    short: 'd',
    long: 'device',
    arg: true,
    argName: 'DEV[,DEV]',
    help: 'capture live on these interfaces (live capture arrives with the live-capture work; not available yet)',
    apply: (o, v) => void o.devices.push(...v.split(',').filter((s) => s !== '')),
  },
  {
    short: 'N',
    long: 'no-interface',
    arg: false,
    help: 'no full-screen interface: read the input, then print the dialogs (a table, or JSON with --json)',
    apply: (o) => void (o.noInterface = true),
  },
  {
    short: 'q',
    long: 'quiet',
    arg: false,
    help: 'with -N: print no table and no progress (JSON output with --json is still printed)',
    apply: (o) => void (o.quiet = true),
  },
  {
    long: 'json',
    arg: false,
    help: 'with -N: one JSON object per dialog per line, then a {"summary": ...} line',
    apply: (o) => void (o.json = true),
  },
  {
    short: 'c',
    long: 'calls',
    arg: false,
    help: 'keep only dialogs started by an INVITE',
    apply: (o) => void (o.onlyInvite = true),
  },
  {
    short: 'l',
    long: 'limit',
    arg: true,
    argName: 'N',
    help: 'keep at most N dialogs (default 1000000); new dialogs beyond it are counted and dropped, unless -R',
    apply: (o, v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) return `-l needs a positive whole number of dialogs, not '${v}'`;
      o.limit = Number(v);
      return undefined;
    },
  },
  {
    short: 'R',
    long: 'rotate',
    arg: false,
    help: 'at the dialog limit, evict the oldest dialog whole to make room',
    apply: (o) => void (o.rotate = true),
  },
  {
    short: 'i',
    long: 'ignore-case',
    arg: false,
    help: 'the match expression ignores case',
    apply: (o) => void (o.ignoreCase = true),
  },
  {
    short: 'v',
    long: 'invert',
    arg: false,
    help: 'show the dialogs in which no message matches the match expression',
    apply: (o) => void (o.invert = true),
  },
  {
    short: 'O',
    long: 'output',
    arg: true,
    argName: 'FILE',
    help: 'write captured packets to a pcap file while running (arrives with live capture; not available yet)',
    apply: (o, v) => void (o.output = v),
  },
  { short: 'h', long: 'help', arg: false, help: 'show this help', apply: (o) => void (o.help = true) },
  { short: 'V', long: 'version', arg: false, help: 'show the version', apply: (o) => void (o.version = true) },
];

export function defaultOptions(): CliOptions {
  return {
    inputs: [],
    devices: [],
    noInterface: false,
    quiet: false,
    onlyInvite: false,
    limit: undefined,
    rotate: false,
    ignoreCase: false,
    invert: false,
    json: false,
    output: undefined,
    help: false,
    version: false,
    positional: [],
  };
}

export function parseArgs(argv: readonly string[]): ParseResult {
  const o = defaultOptions();
  const byShort = new Map(FLAGS.filter((f) => f.short !== undefined).map((f) => [f.short!, f]));
  const byLong = new Map(FLAGS.map((f) => [f.long, f]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      o.positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const flag = byLong.get(name);
      if (flag === undefined) return { ok: false, error: `unknown option --${name}; see sipscope --help` };
      let value = '';
      if (flag.arg) {
        if (eq >= 0) value = a.slice(eq + 1);
        else if (i + 1 < argv.length) value = argv[++i]!;
        else return { ok: false, error: `--${name} needs ${flag.argName ?? 'a value'}` };
      } else if (eq >= 0) {
        return { ok: false, error: `--${name} takes no value` };
      }
      const err = flag.apply(o, value);
      if (err !== undefined) return { ok: false, error: err };
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const flag = byShort.get(a[j]!);
        if (flag === undefined) return { ok: false, error: `unknown option -${a[j]}; see sipscope --help` };
        if (!flag.arg) {
          const err = flag.apply(o, '');
          if (err !== undefined) return { ok: false, error: err };
          continue;
        }
        let value: string;
        if (j + 1 < a.length) value = a.slice(j + 1);
        else if (i + 1 < argv.length) value = argv[++i]!;
        else return { ok: false, error: `-${flag.short} needs ${flag.argName ?? 'a value'}` };
        const err = flag.apply(o, value);
        if (err !== undefined) return { ok: false, error: err };
        break;
      }
      continue;
    }
    o.positional.push(a);
  }
  return { ok: true, options: o };
}

/** The --help text, generated from FLAGS. */
export function helpText(): string {
  const lines = [
    'usage: sipscope [options] [match expression] [bpf filter]',
    '',
    'Reads SIP from capture files, groups messages into dialogs and shows them.',
    '',
    'options:',
  ];
  for (const f of FLAGS) {
    const names = (f.short !== undefined ? `-${f.short}, ` : '    ') + `--${f.long}` + (f.arg ? ` ${f.argName ?? 'ARG'}` : '');
    lines.push(`  ${names.padEnd(28)} ${f.help}`);
  }
  lines.push(
    '',
    'match expression: a regular expression tested against every message of a dialog;',
    '  a dialog is shown when any of its messages matches (-i ignores case, -v inverts).',
    'bpf filter: a capture filter such as "udp port 5060 and host 10.0.0.1"; for files sipscope',
    '  evaluates host, net, port, portrange, udp/tcp/sctp/icmp, ip/ip6, proto and vlan with',
    '  and/or/not and parentheses, and says so when an expression is beyond that.',
    '',
    'exit status: 0 success; 2 unusable input or arguments (one line on stderr says why).',
  );
  return lines.join('\n') + '\n';
}
