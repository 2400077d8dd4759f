#!/usr/bin/env node
import { processIo } from './io.js';
import { runCli } from './program.js';

// The AWS SDK prints a multi-line NodeVersionSupportWarning on every run under Node < 22.
// backtestctl already declares Node 22 (package.json engines, the image); the SDK's
// documented switch turns the repeat notice off. Set it to anything but "true" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const code = await runCli(process.argv.slice(2), processIo());
process.exitCode = code;
