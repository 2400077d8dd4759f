import { z } from 'zod';

/** A metric name: what a job may call a number in metrics.json (also a CSV column and a config key). */
export const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Largest returns series we read; longer series are refused rather than held in memory. */
export const MAX_RETURNS = 100_000;

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });

/**
 * metrics.json, the file each backtest run writes under its RESULTS_S3_URI. The zod schema
 * is the single source of truth: the controller and `backtestctl results` parse with it,
 * `backtestctl schema --metrics` prints the JSON Schema generated from it, and the Python
 * helper `write_metrics` writes what it accepts.
 */
export const MetricsFileSchema = z
  .object({
    schema_version: z.literal(1).optional().describe('Version of this format; 1.'),
    metrics: z
      .record(z.string().regex(METRIC_NAME), finite)
      .refine((m) => Object.keys(m).length > 0, { message: 'must name at least one metric' })
      .describe(
        'Named numbers the run produced, e.g. sharpe (annualised), total_return, max_drawdown, trades. ' +
          'The objective and the report columns are picked from these names.',
      ),
    n_observations: z
      .int()
      .min(2)
      .optional()
      .describe('Number of return observations the Sharpe ratio was computed from (T in the DSR).'),
    skew: finite.optional().describe('Skewness of the per-period returns.'),
    kurtosis: finite
      .refine((k) => k >= 1, { message: 'is Pearson kurtosis (3 for normal returns), never below 1' })
      .optional()
      .describe('Kurtosis of the per-period returns, Pearson (normal = 3, not excess).'),
    periods_per_year: finite
      .refine((p) => p > 0, { message: 'must be positive' })
      .optional()
      .describe('Periods per year the Sharpe ratio is annualised with (default 252, daily).'),
    returns: z
      .array(finite)
      .max(MAX_RETURNS)
      .optional()
      .describe(
        'Per-period returns; when given, n_observations, skew and kurtosis missing above are computed from it.',
      ),
    run: z
      .object({
        dag_id: z.string().optional(),
        dag_run_id: z.string().optional(),
        strategy: z.string().optional(),
        run_index: z.int().min(0).optional(),
        commit: z.string().optional(),
        batch_job_id: z.string().optional(),
        params: z.record(z.string(), z.json()).optional(),
      })
      .optional()
      .describe('Where the run came from, as its environment said (written by write_metrics).'),
  })
  .describe('metrics.json: what one backtest run writes under its RESULTS_S3_URI.');

export type MetricsFile = z.infer<typeof MetricsFileSchema>;

export type ParsedMetrics = { ok: true; file: MetricsFile } | { ok: false; problem: string };

/** Parses the bytes of one metrics.json; a problem is a sentence naming the first bad fields. */
export function parseMetricsFile(text: string): ParsedMetrics {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `not JSON (${(err as Error).message})` };
  }
  const parsed = MetricsFileSchema.safeParse(data);
  if (parsed.success) return { ok: true, file: parsed.data };
  const problems = parsed.error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join('.') || '(top level)';
    return `${path}: ${issue.message}`;
  });
  const more = parsed.error.issues.length > 3 ? ` (+${parsed.error.issues.length - 3} more)` : '';
  return { ok: false, problem: `${problems.join('; ')}${more}` };
}

/** JSON Schema of metrics.json, generated from the zod schema (as the config's is). */
export function metricsJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(MetricsFileSchema, { io: 'input', unrepresentable: 'any' });
  return { $schema, title: 'metrics.json', ...rest };
}
