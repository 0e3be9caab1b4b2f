import * as path from 'node:path';

/** Repository root (tests run from dist/test/...). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');
/** Third-party captures: `../shared/captures` beside the checkout (CI puts it there). */
export const sharedCaptures = path.resolve(repoRoot, '..', 'shared', 'captures');
/** The project's own recorded captures. */
export const ownCaptures = path.join(repoRoot, 'captures');
/** The launcher. */
export const sipscopeBin = path.join(repoRoot, 'bin', 'sipscope');
