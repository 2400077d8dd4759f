import type { Model } from '@kubernetes-models/base';

/**
 * Validates rendered manifests against the Kubernetes API schemas offline, with the
 * validators the pinned `kubernetes-models` packages compile from the Kubernetes OpenAPI
 * spec (and the prometheus-operator CRDs for ServiceMonitor).
 */
type ModelClass = new (data: Record<string, unknown>) => Model<unknown>;

// Only the groups the chart and deploy/kubernetes use; add one line per new group.
const GROUPS: Record<string, () => Promise<Record<string, unknown>>> = {
  v1: () => import('kubernetes-models/v1'),
  'apps/v1': () => import('kubernetes-models/apps/v1'),
  'policy/v1': () => import('kubernetes-models/policy/v1'),
  'networking.k8s.io/v1': () => import('kubernetes-models/networking.k8s.io/v1'),
  'monitoring.coreos.com/v1': () => import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'),
};

async function modelFor(apiVersion: string, kind: string): Promise<ModelClass | null> {
  const load = GROUPS[apiVersion];
  if (!load) return null;
  return ((await load())[kind] as ModelClass | undefined) ?? null;
}

export interface ManifestProblem {
  resource: string;
  problem: string;
}

export async function validateManifests(docs: Record<string, unknown>[]): Promise<ManifestProblem[]> {
  const problems: ManifestProblem[] = [];
  for (const doc of docs) {
    const apiVersion = String(doc.apiVersion);
    const kind = String(doc.kind);
    const name = String((doc.metadata as { name?: string } | undefined)?.name);
    const resource = `${apiVersion} ${kind} ${name}`;
    const Model = await modelFor(apiVersion, kind);
    if (!Model) {
      problems.push({ resource, problem: 'no schema for this apiVersion/kind' });
      continue;
    }
    try {
      new Model(doc).validate();
    } catch (err) {
      problems.push({ resource, problem: (err as Error).message });
    }
  }
  return problems;
}
