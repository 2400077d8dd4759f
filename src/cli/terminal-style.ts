/** ANSI styles for diagnostics; every function is the identity when colour is off. */
export interface Paint {
  bold: (text: string) => string;
  error: (text: string) => string;
  warning: (text: string) => string;
  caret: (text: string) => string;
  gutter: (text: string) => string;
  hint: (text: string) => string;
}

const sgr = (open: string) => (text: string) => `\u001b[${open}m${text}\u001b[0m`;
const plain = (text: string) => text;

/**
 * Colour when the stream is a terminal, unless NO_COLOR is set (no-color.org); FORCE_COLOR
 * turns it on for a pipe (CI logs) and, as in Node itself, wins over NO_COLOR; FORCE_COLOR=0
 * turns it off.
 */
export function wantsColor(isTty: boolean, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.toLowerCase());
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTty;
}

export function paintFor(isTty: boolean, env: NodeJS.ProcessEnv = {}): Paint {
  if (!wantsColor(isTty, env)) {
    return { bold: plain, error: plain, warning: plain, caret: plain, gutter: plain, hint: plain };
  }
  return {
    bold: sgr('1'),
    error: sgr('1;31'),
    warning: sgr('1;33'),
    caret: sgr('1;31'),
    gutter: sgr('1;34'),
    hint: sgr('1;36'),
  };
}
