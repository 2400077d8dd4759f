import { SafetyError } from '../shared/errors.js';
import type { Clock } from './ports.js';

export interface RetryPolicy {
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * Runs `step`, retrying failures with exponential backoff (initial, 2x, 4x, ... capped).
 * No jitter: replicas are few and their schedules already differ. Aborts stop at once;
 * safety refusals are not retried (the same plan would be refused again).
 */
export async function withRetry<T>(
  step: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  clock: Clock,
  signal: AbortSignal,
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted();
    try {
      return await step(attempt);
    } catch (err) {
      if (signal.aborted || !isRetryable(err) || attempt >= policy.attempts) throw err;
      const delayMs = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
      onRetry?.(err, attempt, delayMs);
      await clock.sleep(delayMs, signal);
    }
  }
}

export function isRetryable(err: unknown): boolean {
  return !(err instanceof SafetyError);
}
