/**
 * What the image's dependency stage holds: `npm ci --omit=dev` from the lock file in a clean
 * folder (as the Dockerfile's `deps` stage runs it), then its size, the largest packages,
 * and how many copies of the AWS SDK's smithy stack it carries (several copies mean two
 * SDK versions side by side).
 *
 *   npx tsx bench/image-deps.ts
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'btg-image-deps-'));

function size(path: string): number {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  return readdirSync(path).reduce((sum, name) => sum + size(join(path, name)), 0);
}

/** Every installed package folder (nested ones too), as [name, path]. */
function packages(modules: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const name of readdirSync(modules)) {
    if (name.startsWith('.')) continue;
    const path = join(modules, name);
    const names = name.startsWith('@') ? readdirSync(path).map((n) => `${name}/${n}`) : [name];
    for (const pkg of names) {
      const pkgPath = join(modules, pkg);
      out.push([pkg, pkgPath]);
      const nested = join(pkgPath, 'node_modules');
      if (statSync(nested, { throwIfNoEntry: false })?.isDirectory()) out.push(...packages(nested));
    }
  }
  return out;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

try {
  copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
  copyFileSync(join(root, 'package-lock.json'), join(dir, 'package-lock.json'));
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const modules = join(dir, 'node_modules');
  const all = packages(modules);
  const total = size(modules);
  console.log(
    `production node_modules (the image's dependencies): ${mb(total)} in ${all.length} package folders`,
  );
  const byTop = new Map<string, number>();
  for (const name of readdirSync(modules)) {
    if (name.startsWith('.')) continue;
    const path = join(modules, name);
    byTop.set(name, size(path));
  }
  console.log('largest top-level entries:');
  for (const [name, bytes] of [...byTop].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
    console.log(`  ${name.padEnd(28)} ${mb(bytes).padStart(9)}`);
  }
  const copies = (pkg: string) => all.filter(([name]) => name === pkg).length;
  for (const pkg of ['@smithy/types', '@smithy/smithy-client', '@aws-sdk/core']) {
    console.log(`copies of ${pkg}: ${copies(pkg)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
