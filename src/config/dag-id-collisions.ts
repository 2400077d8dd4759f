import { configError } from './issues.js';
import type { ConfigIssue, SourceLocation } from './types.js';

export interface ClaimedDagId {
  file: string;
  dagId: string;
  at: SourceLocation;
}

/**
 * DAG ids claimed by more than one file. Ids that differ only in case collide too: the
 * rendered `<dag_id>.py` files would overwrite each other on case-insensitive file systems.
 * So do ids that give the same AWS Batch job names (`a.b` and `a_b`: job names allow only
 * letters, digits, _ and -, and are cut to fit 128 characters), which would make the jobs of
 * two DAGs indistinguishable. Every file of a collision gets an issue naming the others.
 */
export function findDagIdCollisions(claims: readonly ClaimedDagId[]): ConfigIssue[] {
  const byId = new Map<string, ClaimedDagId[]>();
  for (const claim of claims) {
    const key = jobNameKey(claim.dagId);
    byId.set(key, [...(byId.get(key) ?? []), claim]);
  }
  const issues: ConfigIssue[] = [];
  for (const group of byId.values()) {
    if (group.length < 2) continue;
    for (const claim of group) {
      const others = group.filter((c) => c !== claim);
      const same = others.every((c) => c.dagId.toLowerCase() === claim.dagId.toLowerCase());
      const names = others.map((c) => `${c.file} (\`${c.dagId}\`)`).join(', ');
      issues.push(
        configError(
          claim.at,
          'dag-id-collision',
          same
            ? `dag_id \`${claim.dagId}\` is also used by ${names}`
            : `dag_id \`${claim.dagId}\` gives the same AWS Batch job names as ${names}`,
          'every config must have its own DAG id: set a different `dag_id:` or rename the file',
        ),
      );
    }
  }
  return issues;
}

/** The part of a run's Batch job name a DAG id decides (as render/job-name.ts builds it), case-folded. */
function jobNameKey(dagId: string): string {
  let name = dagId.replace(/[^A-Za-z0-9_-]/g, '_');
  if (!/^[A-Za-z0-9]/.test(name)) name = `b${name}`;
  return name.slice(0, MAX_JOB_NAME_PREFIX).toLowerCase();
}

/** 128 characters minus `-run-NNNNN` (runs per DAG stay below 100,000). */
const MAX_JOB_NAME_PREFIX = 128 - '-run-'.length - 5;
