import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname } from 'node:path';

/**
 * Serves one bare repository over smart HTTP through the real `git http-backend`, and
 * demands `Authorization: Basic base64(x-access-token:<token>)` like GitHub does.
 */
export interface GitHttpServer {
  /** Clone URL, e.g. http://127.0.0.1:PORT/owner/repo.git (no credentials). */
  url: string;
  /** Authorization headers seen, for assertions. */
  authHeaders: string[];
  stop(): Promise<void>;
}

export async function startGitHttpServer(bareDir: string, token: string): Promise<GitHttpServer> {
  const authHeaders: string[] = [];
  const expected = `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  const repoName = basename(bareDir);
  const server: Server = createServer((req, res) => {
    const auth = req.headers.authorization;
    if (auth) authHeaders.push(auth);
    if (auth !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"' }).end('bad credentials');
      return;
    }
    serveBackend(req, res, dirname(bareDir), repoName);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/owner/${repoName}`,
    authHeaders,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function serveBackend(
  req: IncomingMessage,
  res: ServerResponse,
  projectRoot: string,
  repoName: string,
): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const pathInfo = url.pathname.replace(/^\/owner\//, '/');
  if (!pathInfo.startsWith(`/${repoName}`)) {
    res.writeHead(404).end();
    return;
  }
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH ?? '',
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: pathInfo,
      REQUEST_METHOD: req.method ?? 'GET',
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
      GIT_HTTP_MAX_REQUEST_BUFFER: '100M',
      REMOTE_USER: 'x-access-token',
      REMOTE_ADDR: '127.0.0.1',
    },
  });
  req.pipe(child.stdin);
  let buffered = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of buffered.subarray(0, end).toString().split('\r\n')) {
      const [name = '', ...rest] = line.split(':');
      const value = rest.join(':').trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.statusCode = status;
    res.write(buffered.subarray(end + 4));
  });
  child.on('close', () => res.end());
}
