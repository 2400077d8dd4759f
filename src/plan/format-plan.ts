import type { PlannedFile, SyncPlan } from './types.js';

const SIGN: Record<PlannedFile['action'], string> = {
  create: '+',
  update: '~',
  delete: '-',
  repair: '!',
  keep: '=',
  conflict: '!',
  unchanged: ' ',
};

/** `plan --format json`: dag_ids by action (support files, which have no dag_id, are left out). */
export function planJson(plan: SyncPlan): string {
  const { create, update, delete: del, unchanged, keep, repair } = plan.summary;
  return `${JSON.stringify({ create, update, delete: del, unchanged, keep, repair }, null, 2)}\n`;
}

/** Human plan: one line per changed file with runs, diffs for updates, then totals. */
export function formatPlanText(plan: SyncPlan, target: string): string {
  const lines: string[] = [`Plan for ${target} (config commit ${plan.commit.slice(0, 12)}):`];
  const changed = plan.files.filter((f) => f.action !== 'unchanged');
  if (changed.length === 0) lines.push('  no changes: the target matches the configs.');
  for (const f of changed) {
    const name = f.dag_id ?? f.key;
    const runs =
      f.dag_id !== null && f.action !== 'delete' ? ` (${f.runs} ${f.runs === 1 ? 'run' : 'runs'})` : '';
    const reason = f.reason ? ` — ${f.reason}` : '';
    lines.push(`${SIGN[f.action]} ${f.action} ${name}${runs}${reason}`);
    if (f.diff)
      lines.push(
        ...f.diff
          .trimEnd()
          .split('\n')
          .map((l) => `    ${l}`),
      );
  }
  const count = (a: PlannedFile['action']) => plan.files.filter((f) => f.action === a).length;
  lines.push(
    `Plan: ${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ` +
      `${count('repair')} to repair, ${count('keep')} kept (invalid config), ${count('unchanged')} unchanged.`,
  );
  if (plan.massDelete) {
    const { deleted, owned, maxShare } = plan.deleteCounts;
    lines.push(
      `Refused without --allow-mass-delete: deletes ${deleted} of ${owned} owned DAGs (more than ${Math.round(maxShare * 100)}%).`,
    );
  }
  return `${lines.join('\n')}\n`;
}
