import { cp, mkdir, readdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../shared/errors.js';
import { statIfExists } from '../../shared/fs-errors.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { RegisterCommand } from './index.js';

/** The starter repository, shipped with the tool (from src/cli/commands and dist/cli/commands alike). */
export const STARTER_REPO = fileURLToPath(new URL('../../../templates/config-repo/', import.meta.url));
const SCHEMA_DIR = fileURLToPath(new URL('../../../schema/', import.meta.url));

/** The editor schemas, copied from the tool's own schema/ so they always match this version. */
const SCHEMA_FILES = ['backtest.schema.json', 'backtest-gitops.schema.json'].map((name) => ({
  from: join(SCHEMA_DIR, name),
  to: `.backtest-gitops/${name}`,
}));

/** `backtestctl init [DIR]`: a new config repository from templates/config-repo/. */
export const registerInit: RegisterCommand = (program, io, state) => {
  program
    .command('init')
    .description(
      'Create a config repository: example configs, settings, the editor schema and a GitHub workflow.',
    )
    .argument('[dir]', 'folder to create it in (created if missing)', '.')
    .option('--force', 'overwrite files that already exist')
    .addHelpText(
      'after',
      `
Examples:
  $ backtestctl init my-backtests && cd my-backtests && git init && backtestctl validate
  $ backtestctl init . --force

Exit codes: 0 created, 2 a file exists (nothing written; use --force) or I/O error.`,
    )
    .action(async (dir: string, opts: { force?: boolean }) => {
      state.exitCode = await runInit(io, dir, opts.force ?? false);
    });
};

async function runInit(io: CliIo, dir: string, force: boolean): Promise<ExitCode> {
  const target = resolve(io.cwd, dir);
  const copies = [
    ...(await listFiles(STARTER_REPO)).map((file) => ({ from: join(STARTER_REPO, file), to: file })),
    ...SCHEMA_FILES,
  ].sort((a, b) => (a.to < b.to ? -1 : 1));
  const files = copies.map((c) => c.to);
  if (!force) {
    const existing: string[] = [];
    for (const file of files) if (await exists(join(target, file), dir)) existing.push(file);
    if (existing.length > 0) {
      throw new UsageError(
        `${dir} already has ${existing.join(', ')}; nothing was written`,
        'choose an empty folder, or pass --force to overwrite them',
      );
    }
  }
  try {
    await mkdir(target, { recursive: true });
    for (const { from, to } of copies) await cp(from, join(target, to), { force: true });
  } catch (err) {
    throw new UsageError(`cannot write into ${dir}: ${(err as Error).message}`, undefined, { cause: err });
  }
  for (const file of files) io.stdout(`  created ${join(relative(io.cwd, target) || '.', file)}\n`);
  const isGit = await exists(join(target, '.git'), dir);
  io.stdout(
    [
      '',
      `A config repository with ${files.filter((f) => f.startsWith('backtests/')).length} example configs is ready in ${dir}. Next:`,
      ...(isGit ? [] : [`  cd ${dir} && git init`]),
      '  backtestctl validate                      # check every config',
      '  edit .github/workflows/backtest-gitops.yml # where your organisation keeps backtest-gitops',
      '',
    ].join('\n'),
  );
  return ExitCode.ok;
}

/** Whether something is at `path`; a failure to look (permissions, I/O) is a usage error about `dir`. */
async function exists(path: string, dir: string): Promise<boolean> {
  try {
    return (await statIfExists(path)) !== null;
  } catch (err) {
    throw new UsageError(`cannot read ${dir}: ${(err as Error).message}`, undefined, { cause: err });
  }
}

/** Every file of the template, as forward-slash paths relative to it, sorted. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, path)));
    else out.push(path);
  }
  return out.sort();
}
