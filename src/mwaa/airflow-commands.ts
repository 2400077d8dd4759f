import { z } from 'zod';
import { MwaaError } from '../shared/errors.js';
import type { AirflowCliRunner } from './airflow-cli.js';
import { assertDagId, exactDagIdRegex } from './cli-command.js';

/** Airflow prints DB booleans as "True"/"False" and DAGs the scheduler has not stored yet as null. */
const AirflowBool = z
  .union([z.boolean(), z.string(), z.null()])
  .optional()
  .transform((v) => (v === true || v === 'True' ? true : v === false || v === 'False' ? false : null));

/**
 * One DAG as `airflow dags list -o json` prints it. The list is parsed from the DAG folder;
 * is_paused and has_import_errors come from the metadata DB, where the scheduler records
 * problems the CLI's own parse does not see (a DAG that parses but fails to serialize).
 */
export const ListedDag = z.object({
  dag_id: z.string(),
  fileloc: z.string().nullish(),
  is_paused: AirflowBool,
  has_import_errors: AirflowBool,
});
export type ListedDag = z.infer<typeof ListedDag>;

const LIST_COLUMNS = 'dag_id,fileloc,is_paused,has_import_errors';

export const ImportError = z.object({ filepath: z.string(), error: z.string() });
export type ImportError = z.infer<typeof ImportError>;

/** The Airflow questions the deploy check and `mwaa status` ask, over any CLI runner. */
export interface AirflowCommands {
  listDags(): Promise<ListedDag[]>;
  listImportErrors(): Promise<ImportError[]>;
  /** Unpauses the given DAGs in one call. */
  unpause(dagIds: readonly string[]): Promise<void>;
  trigger(dagId: string): Promise<void>;
  getVariable(key: string): Promise<string | null>;
  setVariable(key: string, value: string): Promise<void>;
  version(): Promise<string>;
}

export function airflowCommands(cli: AirflowCliRunner): AirflowCommands {
  return {
    async listDags() {
      const out = await cli.run(['dags', 'list', '-o', 'json', '--columns', LIST_COLUMNS]);
      return parseJsonList(out.stdout, ListedDag, 'dags list', out.stderr);
    },
    async listImportErrors() {
      const out = await cli.run(['dags', 'list-import-errors', '-o', 'json']);
      return parseJsonList(out.stdout, ImportError, 'dags list-import-errors', out.stderr);
    },
    async unpause(dagIds) {
      if (dagIds.length === 0) return;
      const args =
        dagIds.length === 1
          ? ['dags', 'unpause', assertDagId(dagIds[0] as string)]
          : ['dags', 'unpause', '--treat-dag-id-as-regex', '-y', exactDagIdRegex(dagIds)];
      const out = await cli.run(args);
      failOnTraceback(out, `dags unpause ${dagIds.join(' ')}`);
    },
    async trigger(dagId) {
      const out = await cli.run(['dags', 'trigger', assertDagId(dagId)]);
      failOnTraceback(out, `dags trigger ${dagId}`);
    },
    async getVariable(key) {
      const out = await cli.run(['variables', 'get', key]);
      if (/does not exist/i.test(out.stderr) && out.stdout.trim() === '') return null;
      failOnTraceback(out, `variables get ${key}`);
      return out.stdout.replace(/\r?\n$/, '');
    },
    async setVariable(key, value) {
      const out = await cli.run(['variables', 'set', key, value]);
      failOnTraceback(out, `variables set ${key}`);
    },
    async version() {
      const out = await cli.run(['version']);
      return out.stdout.trim();
    },
  };
}

/** `-o json` prints a JSON array, or `No data found` when empty; warnings go to stderr. */
export function parseJsonList<T>(
  stdout: string,
  schema: z.ZodType<T, unknown>,
  command: string,
  stderr = '',
): T[] {
  const text = stdout.trim();
  if (text === '' || /^No data found$/m.test(text)) {
    if (text === '' && /Traceback|Error:/.test(stderr) && !/Failed to load all files/.test(stderr)) {
      throw cliFailure(command, stderr);
    }
    return [];
  }
  const start = text.indexOf('[');
  let data: unknown;
  try {
    data = JSON.parse(start > 0 ? text.slice(start) : text);
  } catch (err) {
    throw new MwaaError(`\`airflow ${command}\` did not print JSON: ${text.slice(0, 200)}`, { cause: err });
  }
  const parsed = z.array(schema).safeParse(data);
  if (!parsed.success) {
    throw new MwaaError(
      `\`airflow ${command}\` printed JSON of an unexpected shape: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

function failOnTraceback(out: { stdout: string; stderr: string }, command: string): void {
  if (/Traceback \(most recent call last\)/.test(out.stderr)) throw cliFailure(command, out.stderr);
}

function cliFailure(command: string, stderr: string): MwaaError {
  const lastLine = stderr.trim().split('\n').pop() ?? '';
  return new MwaaError(`\`airflow ${command}\` failed on MWAA: ${lastLine}`, { code: 'mwaa-cli-failed' });
}
