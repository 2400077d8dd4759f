import { importCheckSettings, mergeImportCheck } from '../mwaa/apply-check.js';
import type { DeployReport } from '../mwaa/deploy-report.js';
import type { MwaaConnection } from '../mwaa/mwaa-connection.js';
import { verifyDeploy } from '../mwaa/verify-deploy.js';
import type { ImportCheckPort, StepContext } from './ports.js';

export interface MwaaImportCheckOptions {
  /** Control plane + Airflow CLI of the environment (connectMwaa). */
  connection: MwaaConnection;
  waitSeconds: number;
  unpauseNew: boolean;
  triggerNew: boolean;
}

/**
 * The import-check step on MWAA: after a deploy, poll the Airflow CLI until every changed
 * DAG is listed or shows an import error (or the wait is over), then unpause/trigger new
 * DAGs as configured. On shutdown the wait is abandoned: it writes nothing to the target.
 */
export function mwaaImportCheck(opts: MwaaImportCheckOptions): ImportCheckPort {
  const { controlPlane, airflow: cli } = opts.connection;
  return {
    async verify(report: DeployReport, ctx: StepContext): Promise<DeployReport> {
      if (report.dags.length === 0) return report;
      const environment = await controlPlane.resolveEnvironment(opts.connection.environment);
      const check = await abandonOnAbort(
        verifyDeploy({
          cli,
          changed: report.dags.map((d) => ({ dag_id: d.dag_id, source: d.source, action: d.action })),
          environment,
          ...importCheckSettings(opts),
        }),
        ctx.signal,
      );
      const broken = check.dags.filter((d) => d.imported === false);
      const fields = { state: check.state, polls: check.polls, otherImportErrors: check.otherImportErrors };
      if (broken.length > 0) {
        ctx.log.warn(
          { ...fields, broken: broken.map((d) => ({ dag: d.dag_id, error: d.import_error, note: d.note })) },
          check.message,
        );
      } else ctx.log.info(fields, check.message);
      return mergeImportCheck(report, check, environment);
    },
  };
}

/** Stops waiting for `work` when the signal fires (the work itself only reads). */
function abandonOnAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
