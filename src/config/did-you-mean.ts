import { distance } from 'fastest-levenshtein';

/**
 * The candidate a mistyped name most likely meant (`stop_los_pct` → `stop_loss_pct`,
 * `stop_loss` → `stop_loss_pct`), or undefined when nothing is close.
 */
export function didYouMean(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const score = distance(lower, candidate.toLowerCase());
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  if (best === undefined) return undefined;
  if (bestScore <= Math.max(2, Math.floor(name.length / 3))) return best;
  const prefix = candidates.find((c) => lower.length >= 4 && (c.startsWith(lower) || lower.startsWith(c)));
  return prefix;
}

export function didYouMeanHint(name: string, candidates: readonly string[]): string | undefined {
  const suggestion = didYouMean(name, candidates);
  return suggestion === undefined ? undefined : `did you mean \`${suggestion}\`?`;
}
