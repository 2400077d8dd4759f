import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A Node `--import` hook that records the URL of every module a process loads and prints them
 * on stderr at exit as one line `LOADED [...]`: how the start-up tests see which modules a real
 * CLI process loaded. Written into `dir`; returns its path.
 */
export async function writeModuleRecorder(dir: string): Promise<string> {
  const hook = join(dir, 'record-modules.mjs');
  await writeFile(
    hook,
    `import { register } from 'node:module';
import { writeSync } from 'node:fs';
const { port1, port2 } = new MessageChannel();
const seen = [];
port1.on('message', (url) => seen.push(url));
port1.unref();
process.on('exit', () => writeSync(2, '\\nLOADED ' + JSON.stringify(seen) + '\\n'));
register('data:text/javascript,' + encodeURIComponent(\`
let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, next) { port.postMessage(url); return next(url, context); }
\`), { data: { port: port2 }, transferList: [port2] });
`,
  );
  return hook;
}

/** The module URLs a process run with `writeModuleRecorder`'s hook printed on stderr. */
export function loadedModules(stderr: string): string[] {
  const line = stderr.split('\n').find((l) => l.startsWith('LOADED ')) ?? 'LOADED []';
  return JSON.parse(line.slice('LOADED '.length)) as string[];
}
