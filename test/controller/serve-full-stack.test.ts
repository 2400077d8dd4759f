import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGitRemote,
  type GitHttpServer,
  type GitHubServer,
  type GitRemoteFixture,
  PullRequestFlow,
  startGitHttpServer,
  startGitHubServer,
} from '../support/github-server/index.js';
import { MOTO_ENV, type MotoServer, motoS3Client, startMoto } from '../support/moto.js';
import { type MwaaFake, startMwaaFake } from '../support/mwaa-fake/index.js';
import { parsePrometheus, type ServeProcess, startServe } from '../support/serve-process.js';
import { backtestConfig, sendWebhook } from './fixtures.js';

/**
 * `backtestctl serve` against every real part at once: moto S3, the MWAA fake running real
 * Airflow 2.11, the local GitHub API and a real git remote.
 */
const WEBHOOK_SECRET = 'whsec-full-stack-0123456789abcdef';
const bucket = 'research-mwaa';
let moto: MotoServer;
let mwaa: MwaaFake;
let github: GitHubServer;
let remote: GitRemoteFixture;
let gitHttp: GitHttpServer;
let flow: PullRequestFlow;
let serve: ServeProcess;
let dir: string;
let firstSha: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'btg-full-'));
  moto = await startMoto();
  await motoS3Client(moto.endpoint).send(new CreateBucketCommand({ Bucket: bucket }));
  mwaa = await startMwaaFake({ s3Endpoint: moto.endpoint, bucket, prefix: 'dags', name: 'research-prod' });
  github = await startGitHubServer();
  remote = createGitRemote();
  flow = new PullRequestFlow(github, remote);
  firstSha = remote.commit({ 'backtests/momentum.yaml': backtestConfig(1) });
  remote.push('main');
  // The config repo over HTTP, requiring the GitHub token (as x-access-token Basic auth).
  gitHttp = await startGitHttpServer(remote.bareDir, github.token);
  const config = join(dir, 'controller.yaml');
  writeFileSync(
    config,
    [
      `repo: { url: ${JSON.stringify(gitHttp.url)} }`,
      'target: mwaa://research-prod',
      'mwaa: { verify: true, wait_seconds: 180 }',
      `github: { repository: ${github.owner}/${github.repo}, base_url: ${JSON.stringify(github.baseUrl)}, space_writes: false }`,
      'schedule: "*/3 * * * * *"',
      'cache_dir: ./cache',
      'http: { port: 0, host: 127.0.0.1 }',
      'log: { level: debug }',
    ].join('\n'),
  );
  serve = await startServe(config, {
    ...MOTO_ENV,
    GITHUB_TOKEN: github.token,
    BACKTEST_GITOPS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    BACKTEST_GITOPS_MWAA_ENDPOINT: mwaa.endpoint,
    BACKTEST_GITOPS_S3_ENDPOINT: moto.endpoint,
  });
}, 600_000);

afterAll(async () => {
  await serve?.stop('SIGKILL');
  await mwaa?.stop();
  await gitHttp?.stop();
  await github?.stop();
  await moto?.stop();
  remote?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('serve against S3, MWAA and GitHub', () => {
  it('deploys the default branch to the MWAA bucket, checks the import, and sets the deploy status', async () => {
    await serve.waitFor((l) => l.msg === 'deploy reported on GitHub' && l.commit === firstSha, 300_000);
    const obj = await motoS3Client(moto.endpoint).send(
      new GetObjectCommand({ Bucket: bucket, Key: 'dags/momentum.py' }),
    );
    expect(await obj.Body?.transformToString()).toContain('momentum');
    const statuses = github.state.statusesFor(firstSha).filter((s) => s.context === 'backtest-gitops/deploy');
    // Real Airflow 2.11 imported (and serialized) the rendered DAG.
    const check = serve.lines().find((l) => typeof l.state === 'string' && typeof l.polls === 'number');
    expect(check?.state).toBe('confirmed');
    expect(statuses.map((s) => s.state)).toEqual(['success']);
    expect(mwaa.stats.cliCalls.length).toBeGreaterThan(0);
  });

  it('validates an open pull request with a sticky comment and a failing status', async () => {
    const pr = flow.openPr('typo', { 'backtests/typo.yaml': `${backtestConfig(2)}stop_los_pct: 0.1\n` });
    const res = await sendWebhook(serve.port, WEBHOOK_SECRET, 'pull_request', {
      action: 'opened',
      number: pr.number,
    });
    expect(res.status).toBe(202);
    await serve.waitFor((l) => l.msg === 'pull requests validated', 120_000);
    const comments = github.state.commentsOn(pr.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('stop_los_pct');
    const validate = github.state.statusesFor(pr.sha).filter((s) => s.context === 'backtest-gitops/validate');
    expect(validate.at(-1)?.state).toBe('failure');
  });

  it('deploys a merged pull request and reports on it', async () => {
    const pr = flow.openPr('gamma', { 'backtests/gamma.yaml': backtestConfig(3) });
    const merge = flow.mergePr(pr.number);
    await serve.waitFor((l) => l.msg === 'deploy reported on GitHub' && l.commit === merge, 300_000);
    expect(github.state.statusesFor(merge).map((s) => [s.context, s.state])).toContainEqual([
      'backtest-gitops/deploy',
      'success',
    ]);
    expect(github.state.commentsOn(pr.number).some((c) => c.body.includes(`deploy=${merge}`))).toBe(true);
  });

  it('reports GitHub quota and import errors in /metrics and keeps secrets out of the logs', async () => {
    const metrics = parsePrometheus(await (await fetch(`http://127.0.0.1:${serve.port}/metrics`)).text());
    expect(metrics.get('backtest_gitops_github_rate_limit_remaining')).toBeGreaterThan(0);
    expect(metrics.get('backtest_gitops_import_errors')).toBe(0);
    expect(metrics.get('backtest_gitops_dags_managed')).toBe(2);
    const out = serve.output();
    for (const secret of [github.token, WEBHOOK_SECRET]) expect(out).not.toContain(secret);
  });
});
