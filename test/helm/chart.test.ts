import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseControllerConfig } from '../../src/controller/load-controller-config.js';
import { chartDir, ensureHelm, helm, type K8sDoc, type Loose, renderNotes, template } from './helm.js';
import { validateManifests } from './k8s-validate.js';

const full = ['--values', `${chartDir}/../../test/helm/values-full.yaml`];
const find = (docs: K8sDoc[], kind: string) => docs.find((d) => d.kind === kind) as Loose;

beforeAll(() => {
  ensureHelm();
});

describe('helm chart', () => {
  it('passes helm lint with default and full values', () => {
    for (const args of [[], full]) {
      const r = helm(['lint', '--strict', chartDir, ...args]);
      expect(r.stderr + r.stdout).toContain('0 chart(s) failed');
      expect(r.status).toBe(0);
    }
  });

  it('renders default values into manifests valid against the Kubernetes schemas', async () => {
    const docs = template();
    expect(docs.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Service', 'ServiceAccount']);
    expect(await validateManifests(docs)).toEqual([]);
  });

  it('the schema validation catches a broken manifest', async () => {
    const docs = template();
    const deploy = find(docs, 'Deployment');
    deploy.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    delete deploy.spec.selector;
    const problems = await validateManifests(docs);
    expect(problems.map((p) => p.resource)).toEqual(['apps/v1 Deployment bt-backtest-gitops']);
    expect(problems[0]?.problem).toMatch(/selector|containerPort/);
  });

  it('renders full values (ingress, ServiceMonitor, App key, IRSA) into valid manifests', async () => {
    const docs = template(full);
    expect(docs.map((d) => d.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Ingress',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ]);
    expect(await validateManifests(docs)).toEqual([]);
    const sa = find(docs, 'ServiceAccount');
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(
      'arn:aws:iam::123456789012:role/backtest-gitops',
    );
    const ingress = find(docs, 'Ingress');
    expect(ingress.spec.rules[0].http.paths.map((p: { path: string }) => p.path)).toEqual(['/webhook']);
  });

  it('runs the controller locked down: non-root, read-only root, no capabilities, seccomp, probes, writable cache', () => {
    const deploy = find(template(full), 'Deployment');
    const pod = deploy.spec.template.spec;
    const [container] = pod.containers;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    const mounts = Object.fromEntries(
      container.volumeMounts.map((m: { name: string; mountPath: string }) => [m.name, m.mountPath]),
    );
    expect(mounts).toMatchObject({
      cache: '/var/cache/backtest-gitops',
      tmp: '/tmp',
      'github-app': '/etc/backtest-gitops/github-app',
    });
    const env = Object.fromEntries(container.env.map((e: { name: string }) => [e.name, e]));
    expect(env.BACKTEST_GITOPS_WEBHOOK_SECRET.valueFrom.secretKeyRef).toEqual({
      name: 'backtest-gitops-webhook',
      key: 'webhook-secret',
    });
    expect(env.GITHUB_TOKEN).toBeUndefined();
    expect(pod.terminationGracePeriodSeconds).toBe(60);
    expect(deploy.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('renders a controller config the controller accepts', () => {
    const cm = find(template(full), 'ConfigMap');
    const text = cm.data['controller.yaml'] as string;
    const config = parseControllerConfig(text, {
      file: '/etc/backtest-gitops/config/controller.yaml',
      env: { webhookSecret: 'a-webhook-secret-of-some-length' },
      readFile: () => '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n',
    });
    expect(config.targetKind).toEqual({ kind: 'mwaa', environment: 'backtests-prod' });
    expect(config.http).toEqual({ port: 8080, host: '0.0.0.0' });
    expect(config.cache_dir).toBe('/var/cache/backtest-gitops');
    expect(config.github?.auth.app?.appId).toBe('123456');
    expect(parse(text).github.app.private_key_path).toBe('/etc/backtest-gitops/github-app/private-key.pem');
  });

  it('NOTES.txt tells what is deployed where, or what is missing', () => {
    const full = renderNotes(['--values', `${chartDir}/../../test/helm/values-full.yaml`]);
    expect(full).toContain(
      'It deploys https://github.com/acme/backtests.git (main) to mwaa://backtests-prod',
    );
    expect(full).toContain('GitHub webhook URL: https://backtest-gitops.example.com/webhook');
    const defaults = renderNotes();
    expect(defaults).toContain('NOT CONFIGURED: set config.repo.url and config.target');
    expect(defaults).toContain('no eks.amazonaws.com/role-arn annotation');
  });

  it.each([
    [['--set', 'config.drift=fix'], 'drift'],
    [['--set', 'replicaCount=-1'], 'replicaCount'],
    [['--set', 'config.target=ftp://host/dags'], 'target'],
    [['--set', 'config.retires=3'], 'retires'],
    [['--set', 'config.prune.max_delete_share=2'], 'max_delete_share'],
    [['--set', 'podSecurityContext.runAsNonRoot=false'], 'runAsNonRoot'],
    [['--set', 'securityContext.allowPrivilegeEscalation=true'], 'allowPrivilegeEscalation'],
    [['--set', 'image.pullPolicy=Sometimes'], 'pullPolicy'],
    [['--set', 'config.github.repository=not-a-repo'], 'repository'],
    [['--set', 'ingress.enabled=true'], 'webhookSecret'],
  ])('rejects bad values %j', (args, mentioned) => {
    const r = helm(['template', 'bt', chartDir, ...args]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(mentioned);
  });
});
