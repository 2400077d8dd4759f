import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { projectRoot } from '../support/python.js';

export const chartDir = `${projectRoot}helm/backtest-gitops`;
const bin = `${projectRoot}.cache/bin`;

/** Installs the pinned helm (a no-op when present) and returns its path. */
export function ensureHelm(): string {
  execFileSync('bash', [`${projectRoot}scripts/tools/helm.sh`, bin], { stdio: 'inherit' });
  return `${bin}/helm`;
}

export function helm(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(`${bin}/helm`, args, {
    encoding: 'utf8',
    env: { ...process.env, HELM_CACHE_HOME: `${projectRoot}.cache/helm` },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Rendered manifests are walked freely in assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions over arbitrary Kubernetes objects
export type Loose = any;

export type K8sDoc = Record<string, unknown> & {
  kind: string;
  apiVersion: string;
  metadata: { name: string; annotations?: Record<string, string> };
};

/** `helm template` → the rendered documents; throws with helm's message on failure. */
export function template(args: string[] = []): K8sDoc[] {
  const r = helm(['template', 'bt', chartDir, '--namespace', 'research', ...args]);
  if (r.status !== 0) throw new Error(r.stderr);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sDoc | null)
    .filter((d): d is K8sDoc => d !== null);
}

/**
 * NOTES.txt as `helm install` would print it: helm template does not render NOTES, so a
 * copy of the chart wraps it in a template of its own.
 */
export function renderNotes(args: string[] = []): string {
  const copy = mkdtempSync(join(tmpdir(), 'btg-notes-'));
  try {
    cpSync(chartDir, copy, { recursive: true });
    const notes = readFileSync(join(copy, 'templates', 'NOTES.txt'), 'utf8');
    writeFileSync(join(copy, 'templates', '_notes.tpl'), `{{- define "notes.body" -}}\n${notes}{{- end }}\n`);
    writeFileSync(
      join(copy, 'templates', 'notes.yaml'),
      'notes: |\n  {{- include "notes.body" . | nindent 2 }}\n',
    );
    const r = helm([
      'template',
      'bt',
      copy,
      '--namespace',
      'research',
      '--show-only',
      'templates/notes.yaml',
      ...args,
    ]);
    if (r.status !== 0) throw new Error(r.stderr);
    const doc = parseAllDocuments(r.stdout)[0]?.toJS() as { notes?: string } | undefined;
    return doc?.notes ?? '';
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
