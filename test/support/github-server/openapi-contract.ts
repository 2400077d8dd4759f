import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { projectRoot } from '../python.js';
import type { RecordedExchange } from './server.js';

type Json = Record<string, unknown>;

/**
 * Validates the server's recorded responses against GitHub's OpenAPI description
 * (@octokit/openapi), so the fake cannot drift from the real API.
 */
export class OpenApiContract {
  private readonly doc: Json;
  private readonly ajv: Ajv;

  constructor() {
    const file = `${projectRoot}node_modules/@octokit/openapi/generated/api.github.com.json`;
    this.doc = JSON.parse(readFileSync(file, 'utf8')) as Json;
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    (addFormats as unknown as (a: Ajv) => void)(this.ajv);
    this.ajv.addSchema(this.doc, 'gh');
  }

  /** Problems with one exchange's body, or [] when it matches the documented response. */
  check(ex: RecordedExchange): string[] {
    if (ex.route === null) return [`${ex.method} ${ex.path}: no documented route`];
    if (ex.status === 304 || ex.status === 204) return [];
    const pointer = this.schemaPointer(ex.route, ex.method.toLowerCase(), String(ex.status));
    if (!pointer) return [`${ex.method} ${ex.route} ${ex.status}: status not documented`];
    const validate = this.ajv.getSchema(`gh#${pointer}`);
    if (!validate) return [`${ex.method} ${ex.route}: schema ${pointer} not found`];
    if (validate(ex.body)) return [];
    return (validate.errors ?? [])
      .slice(0, 10)
      .map((e) => `${ex.method} ${ex.route} ${ex.status}: ${e.instancePath} ${e.message}`);
  }

  /** JSON pointer to the response schema, following a `$ref` to components/responses. */
  private schemaPointer(route: string, method: string, status: string): string | null {
    const paths = this.doc.paths as Record<string, Record<string, { responses?: Record<string, Json> }>>;
    const op = paths[route]?.[method];
    let response = op?.responses?.[status];
    if (!response) return null;
    let base = `/paths/${esc(route)}/${method}/responses/${status}`;
    const ref = response.$ref;
    if (typeof ref === 'string') {
      base = ref.slice(1);
      const name = ref.split('/').pop() ?? '';
      response = ((this.doc.components as Json).responses as Record<string, Json>)[name] as Json;
    }
    const content = response.content as Record<string, unknown> | undefined;
    if (!content?.['application/json']) return null;
    return `${base}/content/${esc('application/json')}/schema`;
  }
}

function esc(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
