import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runBacktestctl } from '../support/run-cli.js';

/**
 * The committed JSON Schema as editors use it: the real yaml-language-server (the engine of
 * VS Code's YAML extension, JetBrains' and Neovim's YAML support) is started over stdio, the
 * corpus files are opened with their `$schema` modelines, and the diagnostics it publishes
 * are read back: each mistake must be flagged on the line where it is. What only the whole
 * repository shows (a key the defaults in backtest-gitops.yaml provide) is left to
 * `backtestctl validate`, also checked here.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const corpus = join(root, 'test/cli/editor-corpus');

interface Diagnostic {
  message: string;
  range: { start: { line: number; character: number } };
}

/** A minimal LSP client: Content-Length framing, requests with ids, notifications collected. */
class LspClient {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private pending = new Map<number, (result: unknown) => void>();
  readonly diagnostics = new Map<string, Diagnostic[]>();
  private waiters: Array<() => void> = [];

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
  }

  private drain(): void {
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const length = Number(
        /Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString())?.[1],
      );
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = JSON.parse(this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString());
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.handle(body);
    }
  }

  private handle(message: { id?: number; method?: string; params?: unknown; result?: unknown }): void {
    if (message.method === 'textDocument/publishDiagnostics') {
      const params = message.params as { uri: string; diagnostics: Diagnostic[] };
      this.diagnostics.set(params.uri, params.diagnostics);
      for (const wake of this.waiters.splice(0)) wake();
    } else if (message.method && message.id !== undefined) {
      // A request from the server (workspace/configuration, client/registerCapability, ...).
      const result =
        message.method === 'workspace/configuration'
          ? ((message.params as { items: unknown[] }).items ?? []).map(() => settings.yaml)
          : null;
      this.send({ jsonrpc: '2.0', id: message.id, result });
    } else if (message.id !== undefined) {
      this.pending.get(message.id)?.(message.result);
    }
  }

  private send(message: object): void {
    const body = JSON.stringify(message);
    this.child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  request(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  async diagnosticsFor(uri: string, timeoutMs = 30_000): Promise<Diagnostic[]> {
    const deadline = Date.now() + timeoutMs;
    while (!this.diagnostics.has(uri)) {
      if (Date.now() > deadline) throw new Error(`no diagnostics for ${uri}`);
      await new Promise<void>((wake) => {
        this.waiters.push(wake);
        setTimeout(wake, 500);
      });
    }
    return this.diagnostics.get(uri) ?? [];
  }
}

const settings = { yaml: { validate: true, hover: true, completion: true, schemaStore: { enable: false } } };

let child: ChildProcessWithoutNullStreams;
let client: LspClient;
const found = new Map<string, Diagnostic[]>();

beforeAll(async () => {
  child = spawn(
    process.execPath,
    [join(root, 'node_modules/yaml-language-server/bin/yaml-language-server'), '--stdio'],
    { cwd: root, stdio: 'pipe' },
  );
  client = new LspClient(child);
  await client.request('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(root).href,
    capabilities: { workspace: { configuration: true } },
  });
  client.notify('initialized', {});
  client.notify('workspace/didChangeConfiguration', { settings });
  for (const name of readdirSync(corpus).sort()) {
    const uri = pathToFileURL(join(corpus, name)).href;
    client.notify('textDocument/didOpen', {
      textDocument: { uri, languageId: 'yaml', version: 1, text: readFileSync(join(corpus, name), 'utf8') },
    });
    found.set(name, await client.diagnosticsFor(uri));
  }
}, 120_000);

afterAll(() => {
  child?.kill();
});

/** `backtestctl validate` over a repository holding one corpus file (as backtests/NAME) and `extra` files. */
async function validateIn(name: string, extra: Record<string, string>): Promise<CliRun> {
  const repo = mkdtempSync(join(tmpdir(), 'btg-editor-corpus-'));
  try {
    mkdirSync(join(repo, 'backtests'));
    writeFileSync(join(repo, 'backtests', name), readFileSync(join(corpus, name)));
    for (const [path, text] of Object.entries(extra)) writeFileSync(join(repo, path), text);
    return await runBacktestctl(['validate', '--repo', repo], { cwd: repo, env: {} });
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

/** 1-based line of each diagnostic with its message, as an editor shows them. */
const lines = (name: string) =>
  (found.get(name) ?? []).map((d) => ({ line: d.range.start.line + 1, message: d.message }));

describe('the JSON Schema in yaml-language-server', () => {
  it('a correct config (leap day, cron schedule, a strategies list) gets no diagnostic', () => {
    expect(lines('valid.yaml')).toEqual([]);
  });

  it('a config relying on the repository defaults (no strategy_class, no dates) gets no diagnostic', async () => {
    expect(lines('relies_on_repo_defaults.yaml')).toEqual([]);
    // ...and it is valid where backtest-gitops.yaml's defaults provide them.
    const r = await validateIn('relies_on_repo_defaults.yaml', {
      'backtest-gitops.yaml':
        'defaults:\n  strategy_class: LongShortEquityStrategy\n  start_date: 2022-01-01\n  end_date: 2022-12-31\n',
    });
    expect(r.stdout).toContain('1 configs, 2 runs, 0 errors');
    expect(r.code).toBe(0);
  });

  it('a config truly missing strategy_class: no editor diagnostic, the validator reports it at file:line:column', async () => {
    // The editor sees one file, not the defaults that could complete it; it cannot know.
    expect(lines('missing_strategy_class.yaml')).toEqual([]);
    const r = await validateIn('missing_strategy_class.yaml', {});
    // On the first line of the mapping that lacks it (line 1 is the modeline), as an editor marks it.
    expect(r.stdout).toContain(
      'backtests/missing_strategy_class.yaml:2:1: error[missing-key]: `strategy_class` is required',
    );
    expect(r.code).toBe(1);
  });

  it('flags an unknown key on its line', () => {
    expect(lines('unknown_key.yaml')).toEqual([
      { line: 5, message: 'Property stop_los_pct is not allowed.' },
    ]);
  });

  it('flags a grid value that is not a list on its line', () => {
    expect(lines('grid_not_a_list.yaml')).toEqual([
      { line: 7, message: 'Incorrect type. Expected "array | null".' },
    ]);
  });

  it('flags an impossible date on its line', () => {
    expect(lines('impossible_date.yaml')).toEqual([
      { line: 3, message: 'Not a real calendar date written YYYY-MM-DD (e.g. 2022-01-31).' },
    ]);
  });
});
