import { type Command, Option } from 'commander';
import { configJsonSchema, settingsJsonSchema } from '../../config/index.js';
import { metricsJsonSchema } from '../../results/metrics-file.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { RegisterCommand } from './index.js';

/** The JSON Schema text, exactly as committed in schema/ (a test keeps them equal). */
export function schemaText(which: 'config' | 'settings' | 'metrics'): string {
  const schema =
    which === 'config'
      ? configJsonSchema()
      : which === 'settings'
        ? settingsJsonSchema()
        : metricsJsonSchema();
  return `${JSON.stringify(schema, null, 2)}\n`;
}

export const registerSchema: RegisterCommand = (program: Command, io: CliIo, state) => {
  program
    .command('schema')
    .description('Print the JSON Schema of a backtest config file (for editors and other tools).')
    .option('--settings', 'print the schema of backtest-gitops.yaml instead')
    .addOption(
      // One schema per run: both flags would print one and silently drop the other.
      new Option('--metrics', 'print the schema of metrics.json, what each backtest run writes').conflicts(
        'settings',
      ),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ backtestctl schema > backtest.schema.json
  $ backtestctl schema --settings
  $ backtestctl schema --metrics > metrics.schema.json

Editors with the YAML language server check configs against it through a first-line comment:
  # yaml-language-server: $schema=../schema/backtest.schema.json`,
    )
    .action((options: { settings?: boolean; metrics?: boolean }) => {
      io.stdout(schemaText(options.metrics ? 'metrics' : options.settings ? 'settings' : 'config'));
      state.exitCode = ExitCode.ok;
    });
};
