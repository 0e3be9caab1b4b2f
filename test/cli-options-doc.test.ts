import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { optionsMarkdown, helpText, FLAGS } from '../src/cli/args';
import { repoRoot } from './helpers/paths';

test("README's option table is the one generated from the option table", (t) => {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  t.true(readme.includes(optionsMarkdown()), 'regenerate with optionsMarkdown() from src/cli/args.ts');
});

test('--help lists every option', (t) => {
  const help = helpText();
  for (const f of FLAGS) t.true(help.includes(`--${f.long}`), f.long);
});
