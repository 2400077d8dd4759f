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
 * Colour when the stream is a terminal, unless forced on or off (`EnvOptions.color`, from
 * FORCE_COLOR and NO_COLOR as parseEnv reads them).
 */
export function paintFor(isTty: boolean, color?: boolean): Paint {
  if (!(color ?? isTty)) {
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
