import { parseEnv } from '../../src/shared/env.js';

/** What the git adapter inherits in tests, read once, as `serve` and the CLI read it. */
export const childEnv = parseEnv().childEnv;
