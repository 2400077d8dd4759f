import { MwaaError } from '../shared/errors.js';

/**
 * Builds the command line MWAA's `/aws_mwaa/cli` endpoint runs as `airflow <line>`. MWAA
 * splits the line shell-style, so every argument is quoted unless it is plainly safe;
 * single quotes cannot be escaped inside single quotes, hence the `'\''` dance.
 */
const SAFE_ARG = /^[A-Za-z0-9_./:=@%+,-]+$/;

export function quoteArg(arg: string): string {
  if (arg !== '' && SAFE_ARG.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(args: readonly string[]): string {
  return args.map(quoteArg).join(' ');
}

/** dag ids Airflow accepts (and our config validation enforces). */
const DAG_ID = /^[A-Za-z0-9_.-]+$/;

export function assertDagId(dagId: string): string {
  if (!DAG_ID.test(dagId)) {
    throw new MwaaError(`not a valid DAG id: ${JSON.stringify(dagId)}`, {
      code: 'invalid-dag-id',
      hint: 'a DAG id is letters, digits, _ . and -; check the dag_id you passed',
    });
  }
  return dagId;
}

/** A regex matching exactly the given DAG ids, for `dags unpause --treat-dag-id-as-regex`. */
export function exactDagIdRegex(dagIds: readonly string[]): string {
  const escaped = dagIds.map((id) => assertDagId(id).replace(/[.]/g, '\\.'));
  return `^(${escaped.join('|')})$`;
}
