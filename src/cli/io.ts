/**
 * What a command may touch of the process: streams, environment, working directory.
 * Commands receive it instead of reaching for `process` so tests can run them in-process.
 */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Whether each stream is a terminal (for colour); absent means no. */
  tty?: { stdout: boolean; stderr: boolean };
  /** Whether a person can answer a question on stdin (apply's confirmation); absent means no. */
  interactive?: boolean;
}

export function processIo(): CliIo {
  return {
    stdout: writerIgnoringClosedReader(process.stdout),
    stderr: writerIgnoringClosedReader(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    tty: { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
    interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
  };
}

/**
 * A reader that went away (`backtestctl expand x.yaml | head`) makes writes fail with EPIPE,
 * which Node raises as an uncaught 'error' event: the command would crash with a stack
 * trace, an apply possibly between its object writes and its manifest write. Output to a
 * closed reader is dropped instead and the command finishes; other errors stay fatal.
 */
function writerIgnoringClosedReader(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    closed = true;
  });
  return (text) => {
    if (!closed) stream.write(text);
  };
}
