import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMwaaControlPlane } from './mwaa-client.js';

/** A local HTTP server answering in MWAA's REST-JSON protocol, recording what it was sent. */
async function fakeApi(
  answer: (req: IncomingMessage, n: number) => { status: number; body: unknown; type?: string },
) {
  const seen: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req);
    const a = answer(req, seen.length);
    res.writeHead(a.status, {
      'content-type': 'application/json',
      ...(a.type ? { 'x-amzn-errortype': a.type } : {}),
    });
    res.end(JSON.stringify(a.body));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  servers.push(server);
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const environment = {
  Environment: {
    Status: 'AVAILABLE',
    AirflowVersion: '2.10.3',
    SourceBucketArn: 'arn:aws:s3:::acme-dags',
    DagS3Path: 'dags/',
    WebserverUrl: 'abc.eu-west-1.airflow.amazonaws.com',
  },
};

describe('MWAA control plane (SigV4 over the S3 client’s stack)', () => {
  it('signs GetEnvironment for the airflow service in the region and reads the environment', async () => {
    const api = await fakeApi(() => ({ status: 200, body: environment }));
    const mwaa = createMwaaControlPlane({ region: 'eu-west-1', endpoint: api.endpoint, credentials });
    expect(await mwaa.resolveEnvironment('research-prod')).toEqual({
      name: 'research-prod',
      status: 'AVAILABLE',
      airflowVersion: '2.10.3',
      bucket: 'acme-dags',
      prefix: 'dags',
      webserverHostname: 'abc.eu-west-1.airflow.amazonaws.com',
      region: 'eu-west-1',
    });
    const req = api.seen[0] as IncomingMessage;
    expect([req.method, req.url]).toEqual(['GET', '/environments/research-prod']);
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/airflow\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(req.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('retries a 5xx answer, then creates the CLI token with a signed POST', async () => {
    const api = await fakeApi((_req, n) =>
      n === 1
        ? { status: 503, body: { message: 'busy' }, type: 'InternalServerException' }
        : { status: 200, body: { CliToken: 't0k3n', WebServerHostname: 'web.example' } },
    );
    const mwaa = createMwaaControlPlane({ region: 'eu-west-1', endpoint: api.endpoint, credentials });
    expect(await mwaa.createCliToken('research-prod')).toEqual({
      token: 't0k3n',
      webserverHostname: 'web.example',
    });
    expect(api.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /clitoken/research-prod',
      'POST /clitoken/research-prod',
    ]);
  });

  it('turns not-found and access-denied answers into errors that say what to do', async () => {
    const api = await fakeApi((req) =>
      req.method === 'GET'
        ? { status: 404, body: { message: 'Environment nope not found' }, type: 'ResourceNotFoundException' }
        : { status: 403, body: { Message: 'not authorized' }, type: 'AccessDeniedException' },
    );
    const mwaa = createMwaaControlPlane({ region: 'eu-west-1', endpoint: api.endpoint, credentials });
    await expect(mwaa.resolveEnvironment('nope')).rejects.toMatchObject({
      code: 'mwaa-not-found',
      message: "MWAA environment 'nope' not found in region eu-west-1",
    });
    await expect(mwaa.createCliToken('nope')).rejects.toMatchObject({
      code: 'mwaa-access-denied',
      hint: "grant the controller's IAM role airflow:CreateCliToken on arn:aws:airflow:eu-west-1:<account>:environment/nope",
    });
    expect(api.seen).toHaveLength(2); // neither is retried
  });
});
