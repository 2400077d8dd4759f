import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseControllerConfig } from '../../src/controller/load-controller-config.js';
import { projectRoot } from '../support/python.js';
import type { Loose } from './helm.js';
import { validateManifests } from './k8s-validate.js';

const dir = `${projectRoot}deploy/kubernetes`;
const docs = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(`${dir}/${f}`, 'utf8')).map((d) => d.toJS() as Loose));

describe('deploy/', () => {
  it('plain manifests are valid against the Kubernetes schemas', async () => {
    expect(docs.map((d) => d.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Namespace',
      'Service',
      'ServiceAccount',
    ]);
    expect(await validateManifests(docs)).toEqual([]);
  });

  it('the plain ConfigMap holds a controller config the controller accepts', () => {
    const cm = docs.find((d) => d.kind === 'ConfigMap');
    const config = parseControllerConfig(cm?.data['controller.yaml'], {
      file: '/etc/backtest-gitops/config/controller.yaml',
      env: {},
      readFile: () => '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n',
    });
    expect(config.targetKind.kind).toBe('mwaa');
  });

  it('the IAM policy is least privilege: object actions on the DAG prefix and the run results only, MWAA on one environment', () => {
    const policy = parse(readFileSync(`${projectRoot}deploy/iam-policy.json`, 'utf8')) as {
      Statement: { Effect: string; Action: string[]; Resource: string }[];
    };
    const grants = policy.Statement.flatMap((s) => s.Action.map((a) => [a, s.Resource]));
    expect(grants.sort()).toEqual(
      [
        ['airflow:CreateCliToken', 'arn:aws:airflow:REGION:ACCOUNT_ID:environment/MWAA_ENVIRONMENT'],
        ['airflow:GetEnvironment', 'arn:aws:airflow:REGION:ACCOUNT_ID:environment/MWAA_ENVIRONMENT'],
        ['s3:DeleteObject', 'arn:aws:s3:::MWAA_BUCKET/dags/*'],
        ['s3:GetObject', 'arn:aws:s3:::MWAA_BUCKET/dags/*'],
        ['s3:ListBucket', 'arn:aws:s3:::MWAA_BUCKET'],
        ['s3:PutObject', 'arn:aws:s3:::MWAA_BUCKET/dags/*'],
        // The results follower: metrics.json and run-status.json read, results.csv written;
        // without ListBucket a missing metrics.json would answer 403, not 404.
        ['s3:GetObject', 'arn:aws:s3:::RESULTS_BUCKET/backtests/*'],
        ['s3:PutObject', 'arn:aws:s3:::RESULTS_BUCKET/backtests/*/results.csv'],
        ['s3:ListBucket', 'arn:aws:s3:::RESULTS_BUCKET'],
      ].sort(),
    );
    expect(policy.Statement.every((s) => s.Effect === 'Allow' && !s.Resource.includes('*:'))).toBe(true);
  });
});
