// tsc only emits .js: copy the non-TypeScript assets (the DAG template and the Python
// support module) next to the compiled code so dist/ is self-contained.
import { cpSync, existsSync } from 'node:fs';

const assets = ['render/templates'];
for (const dir of assets) {
  const from = new URL(`../src/${dir}`, import.meta.url);
  if (existsSync(from)) cpSync(from, new URL(`../dist/${dir}`, import.meta.url), { recursive: true });
}
