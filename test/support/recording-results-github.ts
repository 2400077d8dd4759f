import type { ResultsGitHubPort } from '../../src/controller/results-follower.js';

/**
 * The results step's GitHub port in memory: one merged PR (`pr`), the comments the step
 * posts or edits by id, and its commit statuses as `context state description` lines.
 */
export class RecordingResultsGitHub implements ResultsGitHubPort {
  comments = new Map<number, string>();
  statuses: string[] = [];
  constructor(private readonly pr: { number: number; headRef: string; author: string }) {}

  async pullsForCommit() {
    const { number, headRef, author } = this.pr;
    return [
      {
        number,
        state: 'closed' as const,
        merged: true,
        headSha: 'h',
        headRef,
        baseRef: 'main',
        fromFork: false,
        title: headRef,
        htmlUrl: '',
        author,
      },
    ];
  }
  async upsertMarkedComment(_pr: number, _marker: string, body: string, knownId?: number | null) {
    const id = knownId ?? 1000 + this.comments.size;
    this.comments.set(id, body);
    return { outcome: knownId ? ('updated' as const) : ('created' as const), id };
  }
  async commentOnPull(_pr: number, body: string) {
    this.comments.set(2000 + this.comments.size, body);
  }
  async setStatus(_sha: string, context: string, state: string, description: string) {
    this.statuses.push(`${context} ${state} ${description}`);
    return true;
  }
}
