import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runBacktestctl } from '../support/run-cli.js';

/**
 * Golden tests of the diagnostics as a person and a CI log read them. The corpus under
 * diagnostics/repo/ has one file per kind of problem; the expected output is committed next
 * to it. A normal run only compares; after an intended change of wording, regenerate with
 *   UPDATE_GOLDEN=1 npx vitest run test/cli/diagnostics.test.ts
 * and review the diff of the .golden files like any other change.
 */
const here = fileURLToPath(new URL('./diagnostics/', import.meta.url));
const repo = `${here}repo`;
const update = process.env.UPDATE_GOLDEN === '1';

/** The environment of a plain terminal-less run: no colour, not in GitHub Actions. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', ...extra };
}

async function expectGolden(name: string, actual: string): Promise<void> {
  const path = `${here}${name}`;
  if (update) await writeFile(path, actual);
  expect(actual).toBe(await readFile(path, 'utf8'));
}

describe('validate diagnostics (golden)', () => {
  it('text: file:line:col: error[code]: message, the source line, a caret under the node, the hint', async () => {
    const r = await runBacktestctl(['validate'], { cwd: repo, env: cleanEnv() });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('\u001b[');
    expect(r.stdout).not.toContain('::error');
    await expectGolden('validate.golden', r.stdout);
  });

  it("the README's example is this output, verbatim", async () => {
    const readme = await readFile(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const example = /\n```text\n(backtests\/typo\.yaml:[\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(example).toContain('error[unknown-key]');
    expect(await readFile(`${here}validate.golden`, 'utf8')).toContain(example);
  });

  it('colour only when asked: FORCE_COLOR=1 on a pipe; NO_COLOR wins over a terminal', async () => {
    const r = await runBacktestctl(['validate'], { cwd: repo, env: cleanEnv({ FORCE_COLOR: '1' }) });
    expect(r.stdout).toContain('\u001b[1;31merror[unknown-key]\u001b[0m');
    await expectGolden('validate.color.golden', r.stdout);
    // Stripped of its escapes, the coloured output is the plain one, character for character.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
    const stripped = r.stdout.replace(/\u001b\[[0-9;]*m/g, '');
    expect(stripped).toBe(await readFile(`${here}validate.golden`, 'utf8'));
  });

  it('GITHUB_ACTIONS=true adds ::error annotations with the workspace-relative path and the span', async () => {
    const workspace = fileURLToPath(new URL('../../', import.meta.url));
    const r = await runBacktestctl(['validate'], {
      cwd: repo,
      env: cleanEnv({ GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: workspace }),
    });
    const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(annotations).toContain(
      '::error file=test/cli/diagnostics/repo/backtests/typo.yaml,line=5,col=1,endLine=5,endColumn=13,' +
        'title=backtest-gitops unknown-key::unknown key `stop_los_pct`%0Adid you mean `stop_loss_pct`?',
    );
    await expectGolden('validate.github.golden', annotations.join('\n'));
  });

  it('JSON: severity and end positions (end_column just past the node)', async () => {
    const r = await runBacktestctl(['validate', '--format', 'json'], { cwd: repo, env: cleanEnv() });
    const errors = JSON.parse(r.stdout).errors as Array<Record<string, unknown>>;
    expect(errors.find((e) => e.code === 'duplicate-key')).toEqual({
      file: 'backtests/duplicate.yaml',
      line: 5,
      column: 1,
      end_line: 5,
      end_column: 15,
      severity: 'error',
      code: 'duplicate-key',
      message: 'duplicate key `strategy_class`: it already appears on line 1',
      hint: 'remove one of them, or merge their values',
    });
    await expectGolden('validate.json.golden', r.stdout);
  });
});
