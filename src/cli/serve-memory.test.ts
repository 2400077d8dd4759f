import { describe, expect, it } from 'vitest';
import { favourSmallHeap, SERVE_V8_FLAGS } from './serve-memory.js';

describe('favourSmallHeap', () => {
  it('sets V8 to favour a small heap (the flag bench/serve-resources.ts measures serve with)', () => {
    const set: string[] = [];
    favourSmallHeap((flags) => set.push(flags));
    expect(set).toEqual(['--optimize-for-size']);
    expect(SERVE_V8_FLAGS).toBe('--optimize-for-size');
  });
});
