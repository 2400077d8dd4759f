import { describe, expect, it } from 'vitest';
import { DemoNarrator, readerView } from '../support/demo-narrator.js';

describe('the demo narration', () => {
  it('shows a comment as a reader sees it: no hidden markers or HTML, long code cut at a line break', () => {
    const code = Array.from(
      { length: 12 },
      (_, i) => `line_${i} = "a fairly long line of rendered Python ${i}"`,
    );
    const markdown = [
      '<!-- backtest-gitops:head=abc123 -->',
      '### ✅ Valid: 1 to create',
      '| DAG | action | runs |',
      '| --- | --- | --- |',
      '| `momentum_grid` | create | 9 |',
      '<details><summary><b>Rendered diff</b></summary>',
      '',
      '```diff',
      ...code,
      '```',
      '</details>',
      'See [the docs](https://example.com/docs).',
    ].join('\n');
    const view = readerView(markdown);
    expect(view).not.toMatch(/<!--|-->|<details>|<summary>|<b>|backtest-gitops:head/);
    expect(view.split('\n')).toEqual([
      '✅ Valid: 1 to create',
      '| DAG | action | runs |',
      '| --- | --- | --- |',
      '| `momentum_grid` | create | 9 |',
      '▸ Rendered diff',
      '',
      ...code.slice(0, 8).map((l) => `  ${l}`),
      '  … 4 more lines',
      '',
      'See the docs.',
    ]);
  });

  it('numbers the steps, times them, and says nothing when disabled', () => {
    let out = '';
    const story = new DemoNarrator(true, (t) => {
      out += t;
    });
    story.step('First', 'Why the first step happens.');
    story.note('a fact');
    story.step('Second', 'Why the second.');
    story.files('files', [{ name: 'dags/a.py', bytes: 2048, about: 'DAG a, 9 runs' }]);
    story.finish();
    expect(out).toMatch(
      /^\n1\. First\n {4}Why the first step happens\.\n {4}→ a fact\n {4}\(\d+\.\d s\)\n\n2\. Second\n/,
    );
    expect(out).toContain('      dags/a.py   2.0 KiB  DAG a, 9 runs\n');
    expect(out).toMatch(/Done: 2 steps in \d+\.\d s\.\n$/);
    let silent = '';
    const quiet = new DemoNarrator(false, (t) => {
      silent += t;
    });
    quiet.step('x', 'y');
    quiet.finish();
    expect(silent).toBe('');
  });
});
