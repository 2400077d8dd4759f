import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigRepo, MAX_CONFIG_FILE_BYTES } from '../config/index.js';
import { readConfigDir } from './read-config-dir.js';

describe('readConfigDir', () => {
  let dir: string;
  let outside: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'read-config-dir-'));
    await mkdir(join(dir, 'backtests/team'), { recursive: true });
    await mkdir(join(dir, '.git'), { recursive: true });
    await mkdir(join(dir, 'node_modules/pkg'), { recursive: true });
    await writeFile(join(dir, 'backtest-gitops.yaml'), 'max_runs_per_dag: 5\n');
    await writeFile(join(dir, 'backtests/a.yaml'), 'strategy_class: S\n');
    await writeFile(join(dir, 'backtests/team/b.yml'), '\uFEFFstrategy_class: S\n');
    await writeFile(join(dir, 'backtests/notes.md'), '# not yaml');
    await writeFile(join(dir, '.git/config.yaml'), 'x: 1');
    await writeFile(join(dir, 'node_modules/pkg/c.yaml'), 'x: 1');
    await writeFile(join(dir, 'backtests/latin1.yaml'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    await writeFile(join(dir, 'backtests/huge.yaml'), Buffer.alloc(2 * 1024 * 1024, 0x61));
    outside = await mkdtemp(join(tmpdir(), 'read-config-dir-outside-'));
    await writeFile(join(outside, 'secret.yaml'), 'token: x\n');
    await symlink(join(outside, 'secret.yaml'), join(dir, 'backtests/linked.yaml'));
    await symlink(outside, join(dir, 'backtests/linked-dir'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('reads every YAML file with repo-relative forward-slash paths, skipping .git, node_modules and symlinks', async () => {
    const files = await readConfigDir(dir);
    expect([...files.keys()]).toEqual([
      'backtest-gitops.yaml',
      'backtests/a.yaml',
      'backtests/huge.yaml',
      'backtests/latin1.yaml',
      'backtests/team/b.yml',
    ]);
    expect(files.get('backtests/a.yaml')).toBe('strategy_class: S\n');
    // The byte-order mark is kept so the text hashes to the file's bytes.
    expect(files.get('backtests/team/b.yml')?.startsWith('\uFEFF')).toBe(true);
  });

  it('never reads more than the size limit, and the loader reports oversized and non-UTF-8 files', async () => {
    const files = await readConfigDir(dir);
    expect(Buffer.byteLength(files.get('backtests/huge.yaml') ?? '')).toBe(MAX_CONFIG_FILE_BYTES + 1);
    const codes = loadConfigRepo(files).issues.map((i) => `${i.file} ${i.code}`);
    expect(codes).toContain('backtests/huge.yaml file-too-large');
    expect(codes).toContain('backtests/latin1.yaml invalid-encoding');
  });
});
