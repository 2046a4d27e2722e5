/**
 * Request validation from the OpenAPI contract, as the anchor does with its contract-built
 * router: every request that matches an operation of the contract has its path and query
 * parameters, content type and body checked before any handler runs. Bodies are checked by ajv
 * against the contract's own schemas (OpenAPI 3.1 = JSON Schema 2020-12); nothing is hand-written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { errors, HttpError } from './errors.js';

/** Finds `rel` in the package: from bridge/http (sources, jest) or dist/bridge/http (built). */
export function packageFile(rel: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, rel);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error(`${rel} not found above ${dirname(fileURLToPath(import.meta.url))}`);
    dir = up;
  }
}

export const CONTRACT_FILE = 'bridge/http/openapi.json';

let cachedText: string | undefined;

/** The contract exactly as shipped, served by GET /openapi and /openapi/v3. */
export function contractText(): string {
  cachedText ??= readFileSync(packageFile(CONTRACT_FILE), 'utf8');
  return cachedText;
}

export interface OaSchemaRef {
  $ref?: string;
  [k: string]: unknown;
}

interface OaParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: OaSchemaRef;
}

interface OaOperation {
  operationId: string;
  parameters?: OaParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: OaSchemaRef }> };
  responses: Record<string, { content?: Record<string, { schema?: OaSchemaRef }> }>;
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, OaOperation | OaParameter[]>>;
  components: { schemas: Record<string, unknown> };
}

const METHODS = ['get', 'post', 'put', 'delete', 'patch'] as const;

export interface Operation {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly segments: readonly string[];
  readonly parameters: readonly OaParameter[];
  readonly body?: {
    readonly required: boolean;
    /** content type (lower case) -> the contract's schema of the body */
    readonly schemas: ReadonlyMap<string, OaSchemaRef>;
  };
}

export interface MatchedOperation {
  readonly op: Operation;
  /** Path parameters, decoded and coerced to their schema type. */
  readonly params: Record<string, string | number>;
  /** A path parameter that does not fit its schema (answer 400 with it). */
  readonly error?: HttpError;
}

type Schemas = typeof import('./schemas.js');

export class Contract {
  readonly operations: readonly Operation[];
  // ajv and the compiled validators cost ~10 MB: loaded on the first body to validate, so an
  // idle sidecar does not carry them (idle RSS is a feature of a per-pod sidecar).
  private schemas: Promise<{ mod: Schemas; ajv: ReturnType<Schemas['createAjv']> }> | undefined;
  private readonly validators = new Map<OaSchemaRef, ValidateFunction>();
  // Only what validation needs is kept: descriptions, examples and responses of the ~40 KB
  // contract stay in the file (GET /openapi serves it from there).
  private readonly components: OpenApiDoc['components'];

  constructor(doc: OpenApiDoc) {
    this.components = doc.components;
    const ops: Operation[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      const shared = (item.parameters as OaParameter[] | undefined) ?? [];
      for (const m of METHODS) {
        const o = item[m] as OaOperation | undefined;
        if (!o) continue;
        const own = o.parameters ?? [];
        const parameters = [...shared.filter((s) => !own.some((x) => x.name === s.name)), ...own];
        let body: Operation['body'];
        if (o.requestBody) {
          const schemas = new Map<string, OaSchemaRef>();
          for (const [ct, media] of Object.entries(o.requestBody.content))
            schemas.set(ct.toLowerCase(), media.schema);
          body = { required: o.requestBody.required === true, schemas };
        }
        ops.push({
          operationId: o.operationId,
          method: m.toUpperCase(),
          path,
          segments: path.split('/').filter(Boolean),
          parameters,
          ...(body ? { body } : {}),
        });
      }
    }
    this.operations = ops;
  }

  static load(): Contract {
    // Not through contractText(): its cache would keep the text of an idle sidecar's contract.
    return new Contract(JSON.parse(readFileSync(packageFile(CONTRACT_FILE), 'utf8')) as OpenApiDoc);
  }

  operation(operationId: string): Operation {
    const op = this.operations.find((o) => o.operationId === operationId);
    if (!op) throw new Error(`no operation ${operationId} in the contract`);
    return op;
  }

  /**
   * The operation for a method and path, with its path parameters validated. Undefined when no
   * path of the contract matches (a 404 later); `error` is the 400 for a bad path parameter.
   */
  match(method: string, urlPath: string): MatchedOperation | undefined {
    const segs = urlPath.split('/').filter(Boolean);
    const m = method === 'HEAD' ? 'GET' : method;
    for (const op of this.operations) {
      if (op.method !== m || op.segments.length !== segs.length) continue;
      const raw: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length && ok; i++) {
        const tpl = op.segments[i]!;
        const seg = segs[i]!;
        if (tpl.startsWith('{') && tpl.endsWith('}')) raw[tpl.slice(1, -1)] = seg;
        else ok = tpl === seg;
      }
      if (!ok) continue;
      const params: Record<string, string | number> = {};
      try {
        for (const p of op.parameters.filter((x) => x.in === 'path')) {
          let v: string;
          try {
            v = decodeURIComponent(raw[p.name] ?? '');
          } catch {
            throw errors.parameter(p.name, 'not a valid URL-encoded value');
          }
          const c = coerceParam(p, v);
          params[p.name] = typeof c === 'boolean' ? String(c) : c;
        }
      } catch (err) {
        if (err instanceof HttpError) return { op, params, error: err };
        throw err;
      }
      return { op, params };
    }
    return undefined;
  }

  /** Query parameters of the operation, coerced and checked; unknown ones are ignored. */
  query(op: Operation, query: Record<string, unknown>): Record<string, string | number | boolean> {
    const out: Record<string, string | number | boolean> = {};
    for (const p of op.parameters.filter((x) => x.in === 'query')) {
      const v = query[p.name];
      if (v === undefined) {
        if (p.required) throw errors.parameter(p.name, 'missing required query parameter');
        continue;
      }
      if (typeof v !== 'string') throw errors.parameter(p.name, 'must be given once');
      out[p.name] = coerceParam(p, v);
    }
    return out;
  }

  /** Validates a parsed body against the operation's schema for `contentType`. */
  async validateBody(op: Operation, contentType: string, body: unknown): Promise<void> {
    const schema = op.body?.schemas.get(contentType);
    if (!schema) throw errors.unsupportedBodyFormat(contentType, [...(op.body?.schemas.keys() ?? [])]);
    this.schemas ??= import('./schemas.js').then((mod) => ({
      mod,
      ajv: mod.createAjv({ components: this.components }),
    }));
    const { mod, ajv } = await this.schemas;
    let v = this.validators.get(schema);
    if (!v) {
      v = mod.compileSchema(ajv, schema);
      this.validators.set(schema, v);
    }
    if (!v(body)) throw errors.schemaValidation(mod.formatAjvErrors(v.errors));
  }
}

function coerceParam(p: OaParameter, v: string): string | number | boolean {
  const type = p.schema.type;
  if (type === 'integer') {
    if (!/^-?\d+$/.test(v)) throw errors.parameter(p.name, `'${v}' is not an integer`);
    const n = Number(v);
    const min = p.schema.minimum;
    if (typeof min === 'number' && n < min) throw errors.parameter(p.name, `${n} is less than ${min}`);
    if (!Number.isSafeInteger(n)) throw errors.parameter(p.name, `${v} is out of range`);
    return n;
  }
  if (type === 'boolean') {
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw errors.parameter(p.name, `'${v}' is not a boolean (true or false)`);
  }
  return v;
}
