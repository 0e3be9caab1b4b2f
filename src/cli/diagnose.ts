import type { Engine } from '../engine/engine';
import type { InputReport } from '../capture/inputs';
import { ByteReader } from '../capture/byte-reader';
import type { Dialog } from '../store/dialog';
import type { DialogStore } from '../store/store';
import { compileFilter, type CompiledFilter } from '../filter/compile-filter';
import { analyseDialog, FINDING_KINDS, FINDING_LABELS, type Finding, type FindingKind, type MessageByteSource } from '../analysis';
import { isoTime, safeText } from '../view/dialog-report';
import { printHeadless } from './headless-output';

/*
 * --filter and --diagnose in headless mode (-N): the telephony filter compiled once and
 * applied to the dialogs, and the diagnosis report (problem dialogs grouped by finding).
 * Both read message bytes back, so they run while the inputs (or their spool copies) exist.
 */

/** The --filter expression compiled, or an error message pointing at the offending word. */
export function compileCliFilter(expr: string | undefined): { ok: true; filter: CompiledFilter | undefined } | { ok: false; error: string } {
  if (expr === undefined) return { ok: true, filter: undefined };
  const c = compileFilter(expr, { findingLabels: FINDING_LABELS });
  if (c.ok) return { ok: true, filter: c };
  const caret = ' '.repeat(Math.min(c.position, expr.length)) + '^';
  return { ok: false, error: `--filter: ${c.error}\n  ${expr}\n  ${caret}` };
}

/** Findings computed at most once per dialog (the filter's `finding` and the report share them). */
export function findingsCache(store: DialogStore, bytes: MessageByteSource | undefined): (d: Dialog) => Finding[] {
  const cache = new Map<Dialog, Finding[]>();
  return (d) => {
    let f = cache.get(d);
    if (f === undefined) {
      f = analyseDialog(store, d, bytes);
      cache.set(d, f);
    }
    return f;
  };
}

/** A finding label with the dialogs that have it. */
export interface FindingGroup {
  kind: FindingKind;
  entries: { dialog: Dialog; findings: Finding[] }[];
}

export interface Diagnosis {
  /** Dialogs examined (after the match expression and --filter). */
  dialogs: number;
  /** Of them, those with at least one finding, in capture order. */
  problems: { dialog: Dialog; findings: Finding[] }[];
  /** One group per label found, errors first, then warnings, then information. */
  groups: FindingGroup[];
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

export function diagnose(dialogs: Iterable<Dialog>, findingsOf: (d: Dialog) => readonly Finding[]): Diagnosis {
  const problems: Diagnosis['problems'] = [];
  const byLabel = new Map<string, FindingGroup>();
  let count = 0;
  for (const d of dialogs) {
    count++;
    const f = findingsOf(d);
    if (f.length === 0) continue;
    problems.push({ dialog: d, findings: [...f] });
    for (const label of new Set(f.map((x) => x.label))) {
      let g = byLabel.get(label);
      if (g === undefined) {
        const kind = FINDING_KINDS.find((k) => k.label === label) ?? { label, severity: 'warning' as const, title: label };
        byLabel.set(label, (g = { kind, entries: [] }));
      }
      g.entries.push({ dialog: d, findings: f.filter((x) => x.label === label) });
    }
  }
  const order = (k: FindingKind): number => SEVERITY_ORDER[k.severity] * 1000 + FINDING_KINDS.findIndex((x) => x.label === k.label);
  const groups = [...byLabel.values()].sort((a, b) => order(a.kind) - order(b.kind));
  return { dialogs: count, problems, groups };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function startOf(store: DialogStore, d: Dialog): string {
  const first = d.msgs[0];
  return first === undefined ? '' : isoTime(store.msgSec(first), store.msgNsec(first));
}

/** The readable report: a heading per finding label with its count, then each dialog and what is wrong. */
export function formatDiagnosisText(store: DialogStore, diag: Diagnosis): string {
  const lines: string[] = [];
  lines.push(`${plural(diag.dialogs, 'dialog')}, ${diag.problems.length} with findings`);
  for (const g of diag.groups) {
    lines.push('');
    lines.push(`${g.kind.label} (${g.kind.severity}): ${plural(g.entries.length, 'dialog')}: ${g.kind.title}`);
    for (const e of g.entries) {
      const d = e.dialog;
      const who = `${d.from.user || d.from.uri} -> ${d.to.user || d.to.uri}`;
      const state = d.state !== '' ? ` ${d.state}` : '';
      lines.push(safeText(`  #${d.index} ${startOf(store, d).slice(0, 19).replace('T', ' ')} ${d.method} ${who}${state}  ${d.callId}`));
      for (const f of e.findings) lines.push(safeText(`      ${f.text}`));
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * The JSON report, one object per line:
 *   {"type":"finding","label","severity","title","dialogs":N,"indexes":[...]}   per label
 *   {"type":"dialog","index","callId","method","state","from","to","src","dst","start",
 *    "finalStatus","findings":[{"label","severity","text"}]}                       per problem dialog
 *   {"type":"summary","dialogs":N,"problemDialogs":M,"findings":{"label":count,...}}
 */
export function formatDiagnosisJson(store: DialogStore, diag: Diagnosis): string[] {
  const out: string[] = [];
  for (const g of diag.groups) {
    out.push(
      JSON.stringify({
        type: 'finding',
        label: g.kind.label,
        severity: g.kind.severity,
        title: g.kind.title,
        dialogs: g.entries.length,
        indexes: g.entries.map((e) => e.dialog.index),
      }),
    );
  }
  for (const p of diag.problems) {
    const d = p.dialog;
    out.push(
      JSON.stringify({
        type: 'dialog',
        index: d.index,
        callId: d.callId,
        method: d.method,
        state: d.isInvite ? d.state : null,
        from: d.from.user || d.from.uri,
        to: d.to.user || d.to.uri,
        src: d.src,
        dst: d.dst,
        start: startOf(store, d),
        finalStatus: d.finalStatus > 0 ? d.finalStatus : null,
        findings: p.findings.map((f) => ({ label: f.label, severity: f.severity, text: f.text })),
      }),
    );
  }
  const counts: Record<string, number> = {};
  for (const g of diag.groups) counts[g.kind.label] = g.entries.length;
  out.push(JSON.stringify({ type: 'summary', dialogs: diag.dialogs, problemDialogs: diag.problems.length, findings: counts }));
  return out;
}

export interface TelephonyOptions {
  filter: CompiledFilter | undefined;
  diagnose: boolean;
  /** --findings: compute every shown dialog's findings for the output. */
  findings?: boolean;
  json: boolean;
  quiet: boolean;
  invert: boolean;
}

/**
 * Runs --filter, --diagnose and --findings over a finished engine: returns the filter's
 * verdicts as a predicate for printHeadless, with --findings each shown dialog's findings
 * (computed now, while the bytes can be read back), and with --diagnose the report to print
 * instead of the table.
 */
export function runTelephony(
  engine: Engine,
  reports: InputReport[],
  o: TelephonyOptions,
): { filter?: (d: Dialog) => boolean; findings?: (d: Dialog) => readonly Finding[]; report?: string[] } {
  if (o.filter === undefined && !o.diagnose && o.findings !== true) return {};
  const store = engine.store;
  const bytes = new ByteReader(store);
  try {
    for (const r of reports) if (r.readBackPath !== undefined) bytes.setPath(r.sourceId, r.readBackPath);
    const findingsOf = findingsCache(store, bytes);
    const compiled = o.filter;
    const ctx = { store, bytes, findings: (d: Dialog) => findingsOf(d).map((f) => f.label) };
    const shown: Dialog[] = [];
    for (const d of store.dialogList()) {
      if ((o.invert ? d.matched : !d.matched) || (compiled !== undefined && !compiled.test(d, ctx))) continue;
      shown.push(d);
    }
    if (!o.diagnose) {
      const set = new Set(shown);
      const out: { filter?: (d: Dialog) => boolean; findings?: (d: Dialog) => readonly Finding[] } = {};
      if (compiled !== undefined) out.filter = (d) => set.has(d);
      if (o.findings === true) {
        const found = new Map(shown.map((d) => [d, findingsOf(d)]));
        out.findings = (d) => found.get(d) ?? [];
      }
      return out;
    }
    const diag = diagnose(shown, findingsOf);
    if (o.json) {
      const lines = formatDiagnosisJson(store, diag);
      const chunks: string[] = [];
      for (let i = 0; i < lines.length; i += 2000) chunks.push(lines.slice(i, i + 2000).join('\n') + '\n');
      return { report: chunks };
    }
    return { report: o.quiet ? [] : [formatDiagnosisText(store, diag)] };
  } finally {
    bytes.close();
  }
}

/** How a headless run ends, whatever its sources: what to show and how. */
export interface ResultOptions extends TelephonyOptions {
  /** Counters the mode adds to the summary (live, listeners, -O). */
  extra?: Record<string, unknown>;
}

/**
 * Prints a finished run: the --diagnose report, or the dialogs (narrowed by --filter) and the
 * summary. Files, live capture and listeners all end here, so the telephony filter and the
 * diagnosis work the same whichever way the messages came in.
 */
export async function printResults(
  write: (s: string) => void | Promise<void>,
  engine: Engine,
  reports: InputReport[],
  o: ResultOptions,
): Promise<void> {
  const telephony = runTelephony(engine, reports, o);
  if (telephony.report !== undefined) {
    for (const chunk of telephony.report) await write(chunk);
    return;
  }
  await printHeadless(write, engine, reports, { json: o.json, quiet: o.quiet, invert: o.invert, filter: telephony.filter, findings: telephony.findings, extra: o.extra });
}
