/**
 * The Airflow CLI commands MWAA's `/aws_mwaa/cli` endpoint accepts (Airflow 2.x reference
 * in the MWAA user guide). Anything else is answered with HTTP 400, as MWAA does.
 */
const ALLOWED: Record<string, readonly string[] | true> = {
  'cheat-sheet': true,
  version: true,
  connections: ['add', 'delete', 'export', 'get', 'import', 'list'],
  dags: [
    'backfill',
    'delete',
    'details',
    'list',
    'list-import-errors',
    'list-jobs',
    'list-runs',
    'next-execution',
    'pause',
    'report',
    'reserialize',
    'show',
    'state',
    'test',
    'trigger',
    'unpause',
  ],
  db: ['check', 'clean'],
  providers: ['behaviours', 'get', 'hooks', 'links', 'list', 'widgets'],
  roles: ['create', 'list'],
  tasks: ['clear', 'countdown', 'failed-deps', 'list', 'render', 'state', 'states-for-dag-run', 'test'],
  variables: ['delete', 'export', 'get', 'import', 'list', 'set'],
};

export function isAllowListed(args: readonly string[]): boolean {
  const [group, sub] = args;
  if (!group) return false;
  const allowed = ALLOWED[group];
  if (allowed === true) return true;
  return allowed !== undefined && sub !== undefined && allowed.includes(sub);
}

/** POSIX-shell-style word splitting (single quotes, double quotes, backslash), as MWAA does. */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1] as string))
        word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error('unterminated quote');
  if (inWord) words.push(word);
  return words;
}
