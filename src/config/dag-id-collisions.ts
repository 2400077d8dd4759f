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
 * Every file of a collision gets an issue naming the others.
 */
export function findDagIdCollisions(claims: readonly ClaimedDagId[]): ConfigIssue[] {
  const byId = new Map<string, ClaimedDagId[]>();
  for (const claim of claims) {
    const key = claim.dagId.toLowerCase();
    byId.set(key, [...(byId.get(key) ?? []), claim]);
  }
  const issues: ConfigIssue[] = [];
  for (const group of byId.values()) {
    if (group.length < 2) continue;
    for (const claim of group) {
      const others = group.filter((c) => c !== claim).map((c) => `${c.file} (\`${c.dagId}\`)`);
      issues.push(
        configError(
          claim.at,
          'dag-id-collision',
          `dag_id \`${claim.dagId}\` is also used by ${others.join(', ')}`,
          'every config must have its own DAG id: set a different `dag_id:` or rename the file',
        ),
      );
    }
  }
  return issues;
}
