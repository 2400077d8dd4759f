import { writeSync } from 'node:fs';

/**
 * The narration `npm run demo` prints while the user's-day e2e test runs: numbered steps
 * saying what happens and why, how long each took, bot comments as a reader sees them on
 * GitHub, and the rendered files summarised. Written straight to file descriptor 1 so it
 * reads as one story between the test runner's own lines; silent unless enabled.
 */
export class DemoNarrator {
  private readonly started = Date.now();
  private last = Date.now();
  private count = 0;

  constructor(
    private readonly enabled: boolean,
    private readonly write: (text: string) => void = (text) => writeSync(1, text),
  ) {}

  /** A new numbered step; prints the time the previous one took. */
  step(title: string, why: string): void {
    if (!this.enabled) return;
    this.elapsed();
    this.count += 1;
    this.write(`\n${this.count}. ${title}\n${wrap(why, 4)}\n`);
  }

  /** A short fact under the current step. */
  note(text: string): void {
    if (this.enabled) this.write(`${wrap(`→ ${text}`, 4)}\n`);
  }

  /** A bot comment, as the PR page shows it: no hidden markers, no HTML, long blocks shortened. */
  comment(title: string, markdown: string): void {
    if (!this.enabled) return;
    const body = readerView(markdown)
      .split('\n')
      .map((line) => `    │ ${line}`.trimEnd())
      .join('\n');
    this.write(`    ┌─ ${title}\n${body}\n    └─\n`);
  }

  /** Files as a table: name, size, what is in it. */
  files(title: string, rows: Array<{ name: string; bytes: number; about?: string }>): void {
    if (!this.enabled) return;
    const width = Math.max(...rows.map((r) => r.name.length), 4);
    this.write(`    ${title}\n`);
    for (const r of rows) {
      this.write(
        `      ${r.name.padEnd(width)}  ${formatBytes(r.bytes).padStart(8)}  ${r.about ?? ''}`.trimEnd(),
      );
      this.write('\n');
    }
  }

  finish(): void {
    if (!this.enabled) return;
    this.elapsed();
    this.write(`\nDone: ${this.count} steps in ${seconds(Date.now() - this.started)}.\n`);
  }

  private elapsed(): void {
    if (this.count > 0) this.write(`    (${seconds(Date.now() - this.last)})\n`);
    this.last = Date.now();
  }
}

/**
 * Markdown as a reader sees it rendered: HTML comments (the bot's hidden markers) gone,
 * `<details>` shown as a ▸ line, links as their text, tables and code kept, code blocks
 * longer than `maxCodeLines` shortened at a line break with a count of what was left out.
 */
export function readerView(markdown: string, maxCodeLines = 8): string {
  const text = markdown
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<summary>([\s\S]*?)<\/summary>/g, (_, s: string) => `▸ ${s.replace(/<[^>]+>/g, '').trim()}`)
    .replace(/<\/?(details|sub|sup|p|div|br\s*\/?)>/g, '')
    .replace(/\[([^\]]+)\]\([^)]+\)/g, '$1')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/^#{1,6}\s+/gm, '');
  const out: string[] = [];
  let inCode = false;
  let codeLines = 0;
  let hidden = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) {
      if (inCode && hidden > 0) out.push(`  … ${hidden} more line${hidden === 1 ? '' : 's'}`);
      inCode = !inCode;
      codeLines = 0;
      hidden = 0;
      continue;
    }
    if (inCode) {
      codeLines += 1;
      if (codeLines > maxCodeLines) hidden += 1;
      else out.push(`  ${line}`);
      continue;
    }
    out.push(line);
  }
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function wrap(text: string, indent: number, width = 92): string {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width - indent) {
      lines.push(pad + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(pad + line);
  return lines.join('\n');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}
