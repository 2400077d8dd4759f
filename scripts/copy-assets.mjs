// tsc only emits .js: copy the non-TypeScript assets (the DAG template and the Python
// support module) next to the compiled code so the output folder is self-contained.
// Usage: node scripts/copy-assets.mjs [OUT_DIR] (default dist/; the tests build into
// .cache/test-build/dist, test/support/cli-build.ts). A folder is replaced, not merged,
// so an asset deleted from src/ does not linger in the output.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = resolve(root, process.argv[2] ?? 'dist');
const assets = ['render/templates'];
for (const dir of assets) {
  const from = resolve(root, 'src', dir);
  const to = resolve(out, dir);
  rmSync(to, { recursive: true, force: true });
  if (existsSync(from)) cpSync(from, to, { recursive: true });
}
