import { looksLikeSecretKey } from '../config/patterns.js';
import type { AirflowCommands } from './airflow-commands.js';

export interface VariableChange {
  key: string;
  action: 'create' | 'update' | 'unchanged';
  /** Values are withheld (null) when the key looks like a credential. */
  secret: boolean;
  from: string | null;
  to: string | null;
}

/**
 * Sets the Airflow Variables the rendered DAGs read at run time (`batch_job_queue`, ...)
 * to the values in backtest-gitops.yaml: reads each one first so only real changes are
 * written and reported. Keys are processed in sorted order for stable output.
 */
export async function syncVariables(
  airflow: Pick<AirflowCommands, 'getVariable' | 'setVariable'>,
  desired: Record<string, string>,
  options: { dryRun?: boolean } = {},
): Promise<VariableChange[]> {
  const changes: VariableChange[] = [];
  for (const key of Object.keys(desired).sort()) {
    const value = desired[key] as string;
    const current = await airflow.getVariable(key);
    const action = current === null ? 'create' : current === value ? 'unchanged' : 'update';
    if (action !== 'unchanged' && !options.dryRun) await airflow.setVariable(key, value);
    const secret = looksLikeSecretKey(key);
    changes.push({ key, action, secret, from: secret ? null : current, to: secret ? null : value });
  }
  return changes;
}

export function formatVariableChanges(
  changes: VariableChange[],
  environment: string,
  dryRun = false,
): string {
  if (changes.length === 0)
    return 'No Airflow Variables are configured in backtest-gitops.yaml (`variables:`).\n';
  const show = (c: VariableChange, v: string | null) => (c.secret ? '(hidden)' : JSON.stringify(v));
  const verb = dryRun ? 'would ' : '';
  const lines = changes.map((c) =>
    c.action === 'unchanged'
      ? `  unchanged ${c.key}`
      : c.action === 'create'
        ? `  ${verb}set ${c.key} = ${show(c, c.to)}`
        : `  ${verb}update ${c.key}: ${show(c, c.from)} -> ${show(c, c.to)}`,
  );
  const changed = changes.filter((c) => c.action !== 'unchanged').length;
  return `Airflow Variables on MWAA environment '${environment}': ${changed} ${dryRun ? 'to change' : 'changed'}, ${changes.length - changed} unchanged\n${lines.join('\n')}\n`;
}
