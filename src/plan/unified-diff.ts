import { createTwoFilesPatch } from 'diff';

/** Unified diff (3 lines of context) between the owned content of `key` and the new content. */
export function unifiedDiff(key: string, oldContent: string, newContent: string): string {
  const patch = createTwoFilesPatch(`a/${key}`, `b/${key}`, oldContent, newContent, undefined, undefined, {
    context: 3,
  });
  // The first line is a row of '=' that `git diff` and GitHub's ```diff fences do not expect.
  return patch.replace(/^=+\n/, '');
}
