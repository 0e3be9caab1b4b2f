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
  /** Kernel capture buffer in MiB (-B; sngrep's default 2). */
  bufferMb: number;
  /** Snap length in bytes (-s). */
  snaplen: number;
  promisc: boolean;
  /** HEP destinations (-H udp:HOST:PORT / tcp:HOST:PORT). */
  hepSend: string[];
  /** HEP listen addresses (-L udp:HOST:PORT / tcp:HOST:PORT). */
  hepListen: string[];
  hepVersion: 2 | 3;
  hepCaptureId: number;
  hepAuthKey: string | undefined;
  /** TZSP listen addresses (--tzsp udp:HOST:PORT). */
  tzspListen: string[];
  /** Force ASCII line drawing in the full-screen interface. */
  ascii: boolean;
  /** --reassembly-mb: bound for TCP streams together, and for IP fragments (SCTP gets a quarter). */
  reassemblyMb: number | undefined;
  /** --tcp-stream-kb: out-of-order bytes held per TCP stream direction. */
  tcpStreamKb: number | undefined;
  /** Telephony filter expression (--filter), e.g. `srcnum 4151500 and status 4xx`. */
  filter: string | undefined;
  /** --diagnose: print the problem dialogs grouped by finding. */
  diagnose: boolean;
  /** --findings: add each dialog's findings to the -N output (JSON records, table column). */
  findings: boolean;
  /** -T FILE: write the dialogs as text (implies -N). */
  textOutput: string | undefined;
  /** -f FILE: read this config file instead of /etc/sipscoperc and ~/.sipscoperc. */
  configFile: string | undefined;
  /** -F: read no config file. */
  noConfig: boolean;
  /** -D: print the effective config and exit. */
  dumpConfig: boolean;
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
    help: 'read a capture: pcap, pcapng, or a text dump (tcpdump -A/-X/-vvv output, PBX SIP logs, sipscope -T text); gzip accepted; - is standard input; repeat to merge files in time order',
    apply: (o, v) => void o.inputs.push(v),
  },
  {
    short: 'd',
    long: 'device',
    arg: true,
    argName: 'DEV[,DEV]',
    help: 'capture live on these interfaces with libpcap (any: all of them); without -I, -d, -L or --tzsp sipscope opens its demo capture',
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
    help: 'write every captured packet to a pcap file while running; SIGUSR1 reopens it (rotation)',
    apply: (o, v) => void (o.output = v),
  },
  {
    short: 'B',
    long: 'buffer',
    arg: true,
    argName: 'MB',
    help: 'kernel capture buffer for live capture, in MiB (default 2; at least 32 is used, since libpcap through cap stores each packet in a 64 KiB slot)',
    apply: (o, v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) return `-B needs a positive whole number of MiB, not '${v}'`;
      o.bufferMb = Number(v);
      return undefined;
    },
  },
  {
    short: 's',
    long: 'snaplen',
    arg: true,
    argName: 'BYTES',
    help: 'bytes captured per packet in live capture (default 262144)',
    apply: (o, v) => {
      if (!/^\d+$/.test(v) || Number(v) < 64) return `-s needs a snap length of at least 64 bytes, not '${v}'`;
      o.snaplen = Number(v);
      return undefined;
    },
  },
  {
    long: 'no-promisc',
    arg: false,
    help: 'capture without promiscuous mode (undone right after libpcap opens each device; needs the native helper npm install builds)',
    apply: (o) => void (o.promisc = false),
  },
  {
    short: 'H',
    long: 'hep-send',
    arg: true,
    argName: 'udp|tcp:HOST:PORT',
    help: 'send every SIP message as HEP to a collector such as HOMER (repeatable)',
    apply: (o, v) => void o.hepSend.push(v),
  },
  {
    short: 'L',
    long: 'hep-listen',
    arg: true,
    argName: 'udp|tcp:HOST:PORT',
    help: 'receive HEP v2/v3 from capture agents and show it as live traffic (repeatable)',
    apply: (o, v) => void o.hepListen.push(v),
  },
  {
    long: 'hep-version',
    arg: true,
    argName: '2|3',
    help: 'HEP version sent with -H (default 3)',
    apply: (o, v) => {
      if (v !== '2' && v !== '3') return `--hep-version takes 2 or 3, not '${v}'`;
      o.hepVersion = v === '2' ? 2 : 3;
      return undefined;
    },
  },
  {
    long: 'hep-id',
    arg: true,
    argName: 'N',
    help: 'HEP capture id sent with -H (default 2001)',
    apply: (o, v) => {
      if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) return `--hep-id needs a number from 0 to 4294967295, not '${v}'`;
      o.hepCaptureId = Number(v);
      return undefined;
    },
  },
  {
    long: 'hep-key',
    arg: true,
    argName: 'KEY',
    help: 'HEP authentication key: sent with -H, required from agents with -L',
    apply: (o, v) => void (o.hepAuthKey = v),
  },
  {
    long: 'tzsp',
    arg: true,
    argName: 'udp:HOST:PORT',
    help: 'receive packets streamed over TZSP (MikroTik sniffer; default port 37008) (repeatable)',
    apply: (o, v) => void o.tzspListen.push(v),
  },
  {
    long: 'filter',
    arg: true,
    argName: 'EXPR',
    help: 'show only dialogs matching a telephony filter, e.g. "srcnum 4151500 and status 4xx"',
    apply: (o, v) => void (o.filter = v),
  },
  {
    long: 'diagnose',
    arg: false,
    help: 'with -N: report the problem dialogs grouped by finding (with --json: as JSON)',
    apply: (o) => void (o.diagnose = true),
  },
  {
    long: 'findings',
    arg: false,
    help: "with -N: add each dialog's findings (label, severity, text) to the output: a findings array in --json records, a Findings column in the table (files, live capture and listeners alike)",
    apply: (o) => void (o.findings = true),
  },
  {
    short: 'T',
    long: 'text-output',
    arg: true,
    argName: 'FILE',
    help: 'write the dialogs as text (readable back with -I); implies -N',
    apply: (o, v) => {
      o.textOutput = v;
      o.noInterface = true;
      return undefined;
    },
  },
  {
    long: 'reassembly-mb',
    arg: true,
    argName: 'MB',
    help: 'memory for reassembly: TCP streams together, and IP fragments, each at most MB MiB (default 64; SCTP gets a quarter); beyond it the oldest is dropped and counted',
    apply: (o, v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) return `--reassembly-mb needs a positive whole number of MiB, not '${v}'`;
      o.reassemblyMb = Number(v);
      return undefined;
    },
  },
  {
    long: 'tcp-stream-kb',
    arg: true,
    argName: 'KB',
    help: 'out-of-order bytes held per TCP stream direction before a hole is given up (default 1024 KiB)',
    apply: (o, v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) return `--tcp-stream-kb needs a positive whole number of KiB, not '${v}'`;
      o.tcpStreamKb = Number(v);
      return undefined;
    },
  },
  {
    long: 'ascii',
    arg: false,
    help: 'draw lines and arrows with ASCII characters only',
    apply: (o) => void (o.ascii = true),
  },
  {
    short: 'f',
    long: 'config',
    arg: true,
    argName: 'FILE',
    help: 'read this config file instead of /etc/sipscoperc and ~/.sipscoperc (see "Config file")',
    apply: (o, v) => void (o.configFile = v),
  },
  {
    short: 'F',
    long: 'no-config',
    arg: false,
    help: 'read no config file',
    apply: (o) => void (o.noConfig = true),
  },
  {
    short: 'D',
    long: 'dump-config',
    arg: false,
    help: 'print the effective config (defaults with the config files applied) and exit',
    apply: (o) => void (o.dumpConfig = true),
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
    bufferMb: 2,
    snaplen: 262144,
    promisc: true,
    hepSend: [],
    hepListen: [],
    hepVersion: 3,
    hepCaptureId: 2001,
    hepAuthKey: undefined,
    tzspListen: [],
    ascii: false,
    reassemblyMb: undefined,
    tcpStreamKb: undefined,
    filter: undefined,
    diagnose: false,
    findings: false,
    textOutput: undefined,
    configFile: undefined,
    noConfig: false,
    dumpConfig: false,
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

/** Reassembly bounds from the options, for EngineOptions.reassembly (undefined: decoder defaults). */
export function reassemblyLimits(o: CliOptions):
  | { fragmentBytes?: number; tcpStreamBytes?: number; tcpTotalBytes?: number; sctpBytes?: number }
  | undefined {
  if (o.reassemblyMb === undefined && o.tcpStreamKb === undefined) return undefined;
  const mb = o.reassemblyMb;
  return {
    fragmentBytes: mb === undefined ? undefined : mb * 1024 * 1024,
    tcpTotalBytes: mb === undefined ? undefined : mb * 1024 * 1024,
    sctpBytes: mb === undefined ? undefined : Math.max(1, Math.floor((mb * 1024 * 1024) / 4)),
    tcpStreamBytes: o.tcpStreamKb === undefined ? undefined : o.tcpStreamKb * 1024,
  };
}

/** The README's option table, generated from FLAGS (a test keeps README in step). */
export function optionsMarkdown(): string {
  const rows = ['| option | meaning |', '| --- | --- |'];
  for (const f of FLAGS) {
    const arg = f.arg ? ` ${f.argName ?? 'ARG'}` : '';
    const names = (f.short !== undefined ? `\`-${f.short}${arg}\`, ` : '') + `\`--${f.long}${arg}\``;
    rows.push(`| ${names.replace(/\|/g, '\\|')} | ${f.help.replace(/\|/g, '\\|')} |`);
  }
  return rows.join('\n') + '\n';
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
