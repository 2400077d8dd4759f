import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shortCliArgs } from '../support/cli.js';
import { type MotoServer, startMoto } from '../support/moto.js';
import { projectRoot } from '../support/python.js';

/**
 * The CLI against a moto that checks IAM (INITIAL_NO_AUTH_ACTION_COUNT): real credential,
 * permission and bucket errors, seen through `backtestctl` run as a child process with a
 * controlled environment (the SDK's credential chain reads the process environment).
 */
const SETUP_ACTIONS = 4;
const BUCKET = 'locked-dags';
let moto: MotoServer;
let home: string;
let reader: { id: string; secret: string };

async function iam(action: string, params: Record<string, string>): Promise<string> {
  const res = await fetch(`${moto.endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // Unsigned set-up calls: moto skips auth for the first SETUP_ACTIONS requests.
      authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({ Action: action, Version: '2010-05-08', ...params }).toString(),
  });
  return res.text();
}

async function user(name: string, actions: string[]): Promise<{ id: string; secret: string }> {
  await iam('CreateUser', { UserName: name });
  const xml = await iam('CreateAccessKey', { UserName: name });
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] };
  await iam('PutUserPolicy', { UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify(policy) });
  const id = /<AccessKeyId>([^<]+)/.exec(xml)?.[1] ?? '';
  const secret = /<SecretAccessKey>([^<]+)/.exec(xml)?.[1] ?? '';
  return { id, secret };
}

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: home, // no ~/.aws here
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: moto.endpoint,
    AWS_MAX_ATTEMPTS: '2',
    ...env,
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      shortCliArgs(...args),
      { cwd: projectRoot, env: clean },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const creds = (c: { id: string; secret: string }) => ({
  AWS_ACCESS_KEY_ID: c.id,
  AWS_SECRET_ACCESS_KEY: c.secret,
});

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'btg-home-'));
  moto = await startMoto({ env: { INITIAL_NO_AUTH_ACTION_COUNT: String(SETUP_ACTIONS) } });
  // 1 unsigned CreateBucket + 3 IAM calls for a user who may read but not write.
  await fetch(`${moto.endpoint}/${BUCKET}`, {
    method: 'PUT',
    headers: {
      authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0',
    },
  });
  reader = await user('reader', ['s3:GetObject']);
}, 120_000);
afterAll(async () => {
  await moto?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('backtestctl plan/apply against S3: clear errors', () => {
  it('names the missing bucket', async () => {
    const r = await cli(
      ['plan', '--repo', 'examples', '--target', 's3://no-such-bucket/dags'],
      creds(reader),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the S3 bucket no-such-bucket does not exist');
  });

  it('names the IAM action and resource on access denied', async () => {
    const r = await cli(
      ['apply', '--repo', 'examples', '--target', `s3://${BUCKET}/dags`, '--yes'],
      creds(reader),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`access denied: s3:PutObject on s3://${BUCKET}/dags/`);
    expect(r.stderr).toContain(`grant s3:PutObject on arn:aws:s3:::${BUCKET}/dags/*`);
  });

  it('says the credentials were rejected, and which variables to check', async () => {
    const r = await cli(['plan', '--repo', 'examples', '--target', `s3://${BUCKET}/dags`], {
      AWS_ACCESS_KEY_ID: 'AKIANOTAREALKEY00000',
      AWS_SECRET_ACCESS_KEY: 'nope',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('AWS rejected the credentials (InvalidAccessKeyId)');
    expect(r.stderr).toContain('AWS_ACCESS_KEY_ID');
  });

  it('says no credentials were found and how to provide them', async () => {
    const r = await cli(['plan', '--repo', 'examples', '--target', `s3://${BUCKET}/dags`], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no AWS credentials found');
    expect(r.stderr).toContain('AWS_PROFILE');
  });
});
