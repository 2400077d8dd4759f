#!/usr/bin/env node
import nodeModule from 'node:module';
import { VERSION } from '../shared/version.js';

// The AWS SDK prints a multi-line NodeVersionSupportWarning on every run under Node < 22.
// backtestctl already declares Node 22 (package.json engines, the image); the SDK's
// documented switch turns the repeat notice off. Set it to anything but "true" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // Scripts ask for the version often; answer before loading the commands (as commander would).
  process.stdout.write(`${VERSION}\n`);
} else {
  // Node >= 22.1 keeps compiled code of the modules below on disk (in the temp folder), so
  // every later run starts faster; older Node has no such switch and skips it.
  (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  const [{ processIo }, { runCli }] = await Promise.all([import('./io.js'), import('./program.js')]);
  process.exitCode = await runCli(args, processIo());
}
