import { Argument } from 'commander';
import { bashCompletion, zshCompletion } from '../completion-script.js';
import { ExitCode } from '../exit-codes.js';
import type { RegisterCommand } from './index.js';

/** `backtestctl completion bash|zsh`: a shell completion script built from the commands themselves. */
export const registerCompletion: RegisterCommand = (program, io, state) => {
  program
    .command('completion')
    .description('Print a shell completion script for bash or zsh.')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']))
    .addHelpText(
      'after',
      `
Examples:
  $ source <(backtestctl completion bash)       # this shell only; add the line to ~/.bashrc to keep it
  $ backtestctl completion bash > ~/.local/share/bash-completion/completions/backtestctl
  $ source <(backtestctl completion zsh)        # in ~/.zshrc

Exit codes: 0 printed, 2 usage error.`,
    )
    .action((shell: 'bash' | 'zsh') => {
      io.stdout(shell === 'bash' ? bashCompletion(program) : zshCompletion(program));
      state.exitCode = ExitCode.ok;
    });
};
