import { describe, expect, it } from 'vitest';
import { baseMarker, headMarker, reportedBase, withStickyMarker } from '../github/sticky-marker.js';
import type { Manifest, ManifestEntry } from '../plan/types.js';
import { baseKey, sameReport } from './pr-base.js';

const MAIN = '1'.repeat(40);
const entry = (key: string, sha256: string): ManifestEntry => ({
  key,
  sha256,
  size: 10,
  source: `backtests/${key}.yaml`,
  dag_id: key,
  runs: 1,
  commit: MAIN,
  etag: null,
});
const manifest = (entries: ManifestEntry[]): Manifest => ({
  version: 1,
  generator: 'test',
  commit: 'd'.repeat(40),
  entries,
});

const report = (head: string, base: string, verdict: string) =>
  `${headMarker(head)}\n### ${verdict}\n\nChecked \`${head.slice(0, 7)}\` merged onto \`${base.slice(0, 7)}\` against the deployed DAGs.\n`;

describe('PR base key', () => {
  it('changes when the default branch, the deployed commit or the deployed files change', () => {
    const a = manifest([entry('x', 'a'.repeat(64))]);
    expect(baseKey(MAIN, a)).toBe(baseKey(MAIN, manifest([entry('x', 'a'.repeat(64))])));
    expect(baseKey('2'.repeat(40), a)).not.toBe(baseKey(MAIN, a));
    expect(baseKey(MAIN, { ...a, commit: 'e'.repeat(40) })).not.toBe(baseKey(MAIN, a));
    // A partial apply or a drift repair: same commit, other content deployed.
    expect(baseKey(MAIN, manifest([entry('x', 'b'.repeat(64))]))).not.toBe(baseKey(MAIN, a));
    expect(baseKey(null, null)).toBe('none/none');
  });

  it('round-trips through the hidden marker; comments without one give null', () => {
    const key = baseKey(MAIN, manifest([entry('x', 'a'.repeat(64))]));
    const body = withStickyMarker(`${headMarker(MAIN)}\nreport\n${baseMarker(key)}\n`);
    expect(reportedBase(body)).toBe(key);
    expect(reportedBase(withStickyMarker(`${headMarker(MAIN)}\nreport\n`))).toBeNull();
  });
});

describe('sameReport', () => {
  const head = 'a'.repeat(40);
  it('ignores which base a report names and its base marker', () => {
    const old = withStickyMarker(report(head, MAIN, 'valid'));
    const now = `${report(head, '2'.repeat(40), 'valid')}${baseMarker(`${'2'.repeat(40)}/none`)}\n`;
    expect(sameReport(old, now)).toBe(true);
  });

  it('sees a different verdict or a different head', () => {
    expect(sameReport(report(head, MAIN, 'valid'), report(head, MAIN, '1 error'))).toBe(false);
    expect(sameReport(report(head, MAIN, 'valid'), report('b'.repeat(40), MAIN, 'valid'))).toBe(false);
  });
});
