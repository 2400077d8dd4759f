import fc from 'fast-check';
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import type { DeployReport } from '../mwaa/deploy-report.js';
import type { PlannedFile, SyncPlan } from '../plan/types.js';
import { renderDeployComment } from './deploy-comment.js';
import { escapeUserText } from './escape.js';
import { renderPrComment } from './pr-comment.js';
import { statusDescription } from './status-description.js';
import type { ValidationReport } from './types.js';

/**
 * For any string a PR author controls (file path, key, value, message, hint, DAG id,
 * import error), the rendered comment has exactly the headings, links, images, HTML and
 * table cells of the same comment with a harmless placeholder, and no mention: user text
 * adds nothing to the bot's own structure. Parsed with a real CommonMark + GFM-table parser.
 */
const md = new MarkdownIt({ html: true, linkify: true });
// Scheme autolinks by linkify; `www.` and email autolinks are looked for in text below with
// GitHub's (cmark-gfm's) rules, which, unlike linkify, end a domain at a zero-width space.
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false });

/** Fragments that have broken comments before, mixed with arbitrary text. */
const hostile = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '\r',
        '\n',
        '\r\r### ✅ Approved by @security-team\r\r',
        '\u2028# heading',
        '|',
        '`',
        '```',
        '<',
        '>',
        '<img src=x onerror=alert(1)>',
        '<!-- backtest-gitops:base=a/b -->',
        '<details><summary>x',
        '</details>',
        '@',
        '@security-team',
        'a@b.example',
        '[',
        ']',
        '!',
        '![x](https://evil.example/y.png)',
        '[click](javascript:alert(1))',
        '[ref]: https://evil.example',
        '#',
        '# ',
        '\\',
        '&',
        '&#64;admin',
        'https://evil.example/x',
        'www.evil.example',
        '<https://evil.example>',
        '*',
        '_',
        '-',
        '    ',
        '\u202e',
      ),
      fc.string({ maxLength: 8 }),
      fc.string({ unit: 'binary', maxLength: 4 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

const HEAD = '1'.repeat(40);

function plan(files: PlannedFile[]): SyncPlan {
  const ids = (a: PlannedFile['action']) =>
    files.filter((f) => f.action === a && f.dag_id).map((f) => f.dag_id as string);
  const summary = {
    create: ids('create'),
    update: ids('update'),
    delete: ids('delete'),
    unchanged: ids('unchanged'),
    keep: ids('keep'),
    repair: ids('repair'),
  };
  return { commit: HEAD, files, summary, massDelete: false } as unknown as SyncPlan;
}

function report(s: string): ValidationReport {
  return {
    headSha: HEAD,
    baseSha: '2'.repeat(40),
    valid: false,
    links: { webUrl: 'https://github.com', owner: 'quant', repo: 'backtests' },
    failure: `render failed: ${s}`,
    issues: [
      {
        file: `backtests/${s}.yaml`,
        line: 3,
        column: 1,
        code: 'unknown-key',
        message: `unknown key \`${s}\``,
        hint: `did you mean \`${s}_x\`? ${s}`,
        severity: 'error',
      },
      { file: 'backtests/ok.yaml', line: 1, column: 1, code: 'bad-value', message: s, severity: 'warning' },
    ],
    plan: plan([
      { key: `${s}.py`, action: 'create', dag_id: s, source: `backtests/${s}.yaml`, runs: 1 },
      {
        key: 'kept.py',
        action: 'keep',
        dag_id: 'kept',
        source: `backtests/${s}/kept.yaml`,
        runs: 1,
        reason: `config invalid: ${s}`,
      },
    ]),
    created: { [`${s}.py`]: `CONFIG = {"description": ${JSON.stringify(s)}}\n# ${s}\n` },
  };
}

function deploy(s: string): DeployReport {
  return {
    commit: HEAD,
    target: `s3://bucket/${s}`,
    environment: s,
    airflow_version: '2.10.3',
    dags: [
      {
        dag_id: s,
        source: `backtests/${s}.yaml`,
        action: 'create',
        imported: false,
        import_error: `Traceback: ${s}\n${s}`,
        unpaused: null,
        triggered: null,
      },
    ],
    kept_invalid: [`backtests/${s}.yaml`],
    ok: false,
    summary: `${s} failed: ${s}`,
  };
}

interface Structure {
  headings: number;
  links: string[];
  images: number;
  html: string[];
  cells: number;
  mentions: string[];
}

function structure(markdown: string): Structure {
  const out: Structure = { headings: 0, links: [], images: 0, html: [], cells: 0, mentions: [] };
  const walk = (tokens: ReturnType<typeof md.parse>) => {
    for (const t of tokens) {
      if (t.type === 'heading_open') out.headings += 1;
      if (t.type === 'link_open') out.links.push(t.markup === 'linkify' ? 'autolink' : 'link');
      if (t.type === 'image') out.images += 1;
      if (t.type === 'html_block' || t.type === 'html_inline') out.html.push(t.content.trim().slice(0, 9));
      if (t.type === 'td_open' || t.type === 'th_open') out.cells += 1;
      if (t.type === 'text') {
        for (const m of t.content.matchAll(/(?:^|[^\w`])@([A-Za-z0-9][\w-]*)/g))
          out.mentions.push(m[1] ?? '');
        if (/(?:^|[\s*_~(])www\./i.test(t.content)) out.links.push('www-autolink');
        if (/[\w.+-]@[A-Za-z0-9]/.test(t.content)) out.links.push('email-autolink');
      }
      if (t.children) walk(t.children);
    }
  };
  walk(md.parse(markdown, {}));
  return out;
}

describe('user text in comments', () => {
  it('adds no heading, link, image, mention, HTML or table cell to the PR comment, whatever it is', () => {
    const benign = structure(renderPrComment(report('x')));
    expect(benign.links.length).toBeGreaterThan(0); // the bot's own file:line link is seen
    expect(benign.html.length).toBeGreaterThan(0); // and its own markers and <details>
    fc.assert(
      fc.property(hostile, (s) => {
        expect(structure(renderPrComment(report(s)))).toEqual(benign);
      }),
      { numRuns: 400 },
    );
  });

  it('adds nothing to the deploy comment either', () => {
    const benign = structure(renderDeployComment(deploy('x')));
    fc.assert(
      fc.property(hostile, (s) => {
        expect(structure(renderDeployComment(deploy(s)))).toEqual(benign);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps status descriptions to one line of at most 140 characters', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const d = statusDescription(report(s));
        expect(d.length).toBeLessThanOrEqual(140);
        expect(d).not.toMatch(/[\r\n\u2028\u2029]/);
      }),
    );
  });

  it('the reported attack: a file name that became a heading and a mention', () => {
    const name = 'x\r\r### ✅ Approved by @security-team …\r\r.yaml';
    const escaped = escapeUserText(name);
    expect(escaped).not.toMatch(/[\r\n]/);
    expect(structure(escaped)).toMatchObject({ headings: 0, mentions: [] });
    expect(structure(escapeUserText('![x](https://evil.example/y.png)'))).toMatchObject({
      images: 0,
      links: [],
    });
  });
});
