import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Project root (two levels above test/support). */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export type VenvName = 'airflow2' | 'airflow3' | 'tools';

/** Path of an executable inside one of the project's pinned virtualenvs (built by scripts/setup-python.sh). */
export function venvBin(venv: VenvName, exe: string): string {
  const path = `${projectRoot}.cache/venvs/${venv}/bin/${exe}`;
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run scripts/setup-python.sh ${venv}`);
  }
  return path;
}

/** Airflow versions the rendered DAGs must import in, with their venvs. */
export const AIRFLOW_VENVS: { venv: VenvName; label: string }[] = [
  { venv: 'airflow2', label: 'Airflow 2.11' },
  { venv: 'airflow3', label: 'Airflow 3.0' },
];
