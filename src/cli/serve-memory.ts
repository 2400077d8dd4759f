import { setFlagsFromString } from 'node:v8';

/**
 * The V8 setting `serve` runs with: favour a small heap over allocation speed. A reconcile
 * reads, validates and renders every config (at 5,000 configs a first deploy needs ~120 MB of
 * heap for a few seconds); with V8's defaults the heap it grew to stays committed while the
 * controller idles, so idle RSS was ~240 MiB at 5,000 configs. With this flag V8 shrinks the
 * heap again once the reconcile's garbage is collected: ~90 MiB idle at 5,000 (bench/serve-resources.ts).
 *
 * Set at start-up, before the controller allocates anything, so it holds wherever `serve`
 * runs (the image, the chart, `npx backtestctl serve`) without a node flag on the command line.
 */
export const SERVE_V8_FLAGS = '--optimize-for-size';

export function favourSmallHeap(setFlags: (flags: string) => void = setFlagsFromString): void {
  setFlags(SERVE_V8_FLAGS);
}
