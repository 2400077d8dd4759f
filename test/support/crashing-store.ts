import type { DagStore } from '../../src/targets/dag-store.js';

/**
 * Wraps a store so that the process "dies" at operation k: that call and every later one
 * fails. With `after`, the k-th operation takes effect before the crash (the client never
 * hears back), as when a process is killed while S3 is answering.
 */
export function crashAt(inner: DagStore, k: number, after: boolean): DagStore {
  let n = 0;
  const gate = async <T>(op: () => Promise<T>): Promise<T> => {
    n++;
    if (n > k || (n === k && !after)) throw new Error('crash');
    const r = await op();
    if (n === k) throw new Error('crash');
    return r;
  };
  return {
    location: inner.location,
    readManifest: () => gate(() => inner.readManifest()),
    writeManifest: (m, v) => gate(() => inner.writeManifest(m, v)),
    put: (key, c, m, cond) => gate(() => inner.put(key, c, m, cond)),
    delete: (key) => gate(() => inner.delete(key)),
    get: (key) => gate(() => inner.get(key)),
    stat: (keys) => gate(() => inner.stat(keys)),
  };
}
