import { z } from 'zod';

/** The file the rendered DAG's Batch task callbacks write when a try fails, next to metrics.json. */
export const RUN_STATUS_FILE = 'run-status.json';

/** An AWS Batch job id (a UUID in practice): nothing markdown or a shell could misread. */
const BATCH_JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/**
 * run-status.json, written by `write_run_status` in the support package from the Batch
 * task's on_retry_callback / on_failure_callback: which Batch job ran the failed try and
 * where its task log is. Anyone who can write the results bucket can write it, so each
 * field is checked on its own and a bad one is dropped, never trusted or fatal.
 */
const RunStatusSchema = z.object({
  state: z.enum(['failed', 'up_for_retry']).optional().catch(undefined),
  batch_job_id: z.string().regex(BATCH_JOB_ID).optional().catch(undefined),
  try_number: z.int().min(0).optional().catch(undefined),
  log_url: z
    .string()
    .max(2_000)
    .regex(/^https?:\/\//i)
    .optional()
    .catch(undefined),
});

/** What the report takes from a run-status.json. */
export interface RunStatus {
  state?: 'failed' | 'up_for_retry';
  batchJobId?: string;
  tryNumber?: number;
  logUrl?: string;
}

/** Parses a run-status.json; anything that is not a JSON object gives null (the file is only a hint). */
export function parseRunStatusFile(text: string): RunStatus | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = RunStatusSchema.safeParse(data);
  if (!parsed.success) return null;
  const s = parsed.data;
  return {
    ...(s.state ? { state: s.state } : {}),
    ...(s.batch_job_id ? { batchJobId: s.batch_job_id } : {}),
    ...(s.try_number !== undefined ? { tryNumber: s.try_number } : {}),
    ...(s.log_url ? { logUrl: s.log_url } : {}),
  };
}
