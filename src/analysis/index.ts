export { analyseDialog, FINDING_KINDS, FINDING_LABELS, formatSeconds, type AnalysisOptions, type Finding, type FindingKind, type Severity } from './findings';
export type { MessageByteSource } from './dialog-messages';
