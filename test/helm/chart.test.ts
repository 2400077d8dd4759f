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
    expect(docs.map((d) => d.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
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

  it('renders full values (ingress, ServiceMonitor, PrometheusRule, NetworkPolicy, PDB, App key, IRSA) into valid manifests', async () => {
    const docs = template(full);
    expect(docs.map((d) => d.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Ingress',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'PrometheusRule',
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

  it('a PodDisruptionBudget selects the controller pods: maxUnavailable 1 by default, minAvailable when set', () => {
    const pdb = find(template(), 'PodDisruptionBudget');
    const deploy = find(template(), 'Deployment');
    expect(pdb.spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: deploy.spec.selector.matchLabels },
    });
    // A chart upgrade changes helm.sh/chart labels, never the pod template: no restart.
    expect(JSON.stringify(deploy.spec.template)).not.toContain('helm.sh/chart');
    expect(find(template(full), 'PodDisruptionBudget').spec.minAvailable).toBe(1);
    expect(find(template(full), 'PodDisruptionBudget').spec.maxUnavailable).toBeUndefined();
    expect(template(['--set', 'podDisruptionBudget.enabled=false']).map((d) => d.kind)).not.toContain(
      'PodDisruptionBudget',
    );
  });

  it('the NetworkPolicy is opt-in: ingress only to the http port from the listed peers, egress DNS and HTTPS', () => {
    expect(template().map((d) => d.kind)).not.toContain('NetworkPolicy');
    const policy = find(template(full), 'NetworkPolicy');
    const deploy = find(template(full), 'Deployment');
    expect(policy.spec.podSelector.matchLabels).toEqual(deploy.spec.selector.matchLabels);
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const httpPort = deploy.spec.template.spec.containers[0].ports.find(
      (p: { name: string }) => p.name === 'http',
    );
    expect(httpPort).toBeDefined();
    expect(policy.spec.ingress).toEqual([
      {
        ports: [{ port: 'http', protocol: 'TCP' }],
        from: [
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
        ],
      },
    ]);
    expect(policy.spec.egress).toEqual([
      {
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
      },
      {
        ports: [{ port: 443, protocol: 'TCP' }],
        to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }],
      },
      { ports: [{ port: 3128, protocol: 'TCP' }] },
    ]);
  });

  it('the PrometheusRule is opt-in and alerts on the documented conditions, over metrics the controller exports', async () => {
    expect(template().map((d) => d.kind)).not.toContain('PrometheusRule');
    const rule = find(template(full), 'PrometheusRule');
    expect(rule.metadata.labels.release).toBe('kube-prometheus-stack');
    const rules = rule.spec.groups[0].rules as Array<{
      alert: string;
      expr: string;
      labels: { severity: string };
    }>;
    const job = '{job="bt-backtest-gitops"}';
    expect(rules.map((r) => [r.alert, r.expr, r.labels.severity])).toEqual([
      [
        'BacktestGitopsReconcileStale',
        `time() - backtest_gitops_last_successful_reconcile_timestamp_seconds${job} > 1200`,
        'page',
      ],
      ['BacktestGitopsImportErrors', `backtest_gitops_import_errors${job} > 0`, 'page'],
      [
        'BacktestGitopsDriftDetected',
        `increase(backtest_gitops_drift_detected_total${job}[1h]) > 0`,
        'ticket',
      ],
      [
        'BacktestGitopsGitHubRateLimitLow',
        `backtest_gitops_github_rate_limit_remaining${job} < 1000 >= 0`,
        'ticket',
      ],
    ]);
    // The job label is the Service's name, which the ServiceMonitor scrapes.
    expect(find(template(full), 'Service').metadata.name).toBe('bt-backtest-gitops');
    const { ControllerMetrics } = await import('../../src/controller/metrics.js');
    const exported = (await new ControllerMetrics().registry.getMetricsAsJSON()).map((m) => m.name);
    for (const r of rules) {
      for (const name of r.expr.match(/backtest_gitops_\w+/g) ?? [])
        expect(exported, r.alert).toContain(name);
    }
  });

  it.each([
    [['--set', 'securityContext.runAsNonRoot=false'], 'runAsNonRoot'],
    [['--set', 'podDisruptionBudget.maxUnavailable=lots'], 'maxUnavailable'],
    [['--set', 'networkPolicy.httpsEgressCIDRs[0]=github.com'], 'httpsEgressCIDRs'],
    [['--set', 'prometheusRule.staleAfterSeconds=5'], 'staleAfterSeconds'],
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
