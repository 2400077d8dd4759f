import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A throwaway PostgreSQL server on loopback (Debian's postgresql package), as MWAA's metadata DB. */
export interface PostgresServer {
  /** SQLAlchemy URL of database `airflow` (user `airflow`, trust auth on loopback). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The server programs of the newest installed Debian postgresql (scripts/setup-postgres.sh installs it). */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => existsSync(`${root}/${v}/bin/initdb`))
    : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) throw new Error('PostgreSQL is not installed: run scripts/setup-postgres.sh');
  return `${root}/${newest}/bin`;
}

/**
 * initdb refuses to run as root, so when the tests run as root the cluster belongs to the
 * `postgres` user the Debian package creates; otherwise to the current user.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const BIN = postgresBin();
  const dir = await mkdtemp(join(tmpdir(), 'pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const exec = async (exe: string, args: string[]) => {
    const [cmd, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', `${BIN}/${exe}`, ...args]]
      : [`${BIN}/${exe}`, args];
    return run(cmd, argv, { timeout: 120_000 });
  };
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
    await chmod(dir, 0o700);
  }
  const port = await freePort();
  await exec('initdb', ['-D', data, '-U', 'airflow', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  await exec('pg_ctl', [
    '-D',
    data,
    '-w',
    '-l',
    join(dir, 'server.log'),
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    'start',
  ]);
  await exec('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'airflow', 'airflow']);
  return {
    url: `postgresql+psycopg2://airflow@127.0.0.1:${port}/airflow`,
    port,
    stop: async () => {
      await exec('pg_ctl', ['-D', data, '-m', 'fast', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
