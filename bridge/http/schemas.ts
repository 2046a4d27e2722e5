/**
 * ajv over the OpenAPI contract (OpenAPI 3.1 = JSON Schema 2020-12): one instance holding the
 * contract's components, validators compiled from `$ref`s into them, and ajv's errors turned into
 * the lines of `validation_errors`. Loaded lazily by contract.ts; used directly by tests.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { OaSchemaRef, OpenApiDoc } from './contract.js';

/** One ajv instance over the whole contract; schemas are referenced as `contract#/components/...`. */
export function createAjv(doc: Pick<OpenApiDoc, 'components'>): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  // The contract's formats. int32/int64 bound the integers; byte is base64 (OpenAPI's definition).
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => n >= -2147483648 && n <= 2147483647 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  ajv.addSchema({ $id: 'contract', components: doc.components }, 'contract');
  return ajv;
}

function schemaRef(s: OaSchemaRef): OaSchemaRef {
  // Inline schemas (rare in this contract) may themselves hold refs into the components.
  return s.$ref?.startsWith('#/') ? { $ref: `contract${s.$ref}` } : s;
}

/** Compiles a schema of the contract (a `$ref` or inline schema) once. */
export function compileSchema(ajv: Ajv2020, schema: OaSchemaRef): ValidateFunction {
  const s = schemaRef(schema);
  if (s.$ref && Object.keys(s).length === 1) {
    const v = ajv.getSchema(s.$ref);
    if (!v) throw new Error(`contract schema ${s.$ref} not found`);
    return v;
  }
  return ajv.compile(rewriteRefs(s));
}

function rewriteRefs(v: unknown): never {
  if (Array.isArray(v)) return v.map(rewriteRefs) as never;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] = k === '$ref' && typeof x === 'string' && x.startsWith('#/') ? `contract${x}` : rewriteRefs(x);
    }
    return out as never;
  }
  return v as never;
}

/**
 * Ajv errors as the lines of `validation_errors`. A failed `oneOf` (e.g. a record value that is
 * a number) becomes one line listing what is allowed, instead of one line per alternative.
 */
export function formatAjvErrors(errs: readonly ErrorObject[] | null | undefined): string[] {
  if (!errs) return [];
  const oneOfPaths = new Set(errs.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  const out: string[] = [];
  for (const e of errs) {
    const where = e.instancePath === '' ? 'body' : e.instancePath;
    if (e.keyword === 'oneOf') {
      const alts = errs
        .filter(
          (x) =>
            x.instancePath === e.instancePath &&
            x.keyword === 'type' &&
            x.schemaPath.startsWith(e.schemaPath),
        )
        .map((x) => String(x.params.type));
      out.push(`${where}: must be one of ${alts.length > 0 ? alts.join(', ') : 'the allowed schemas'}`);
      continue;
    }
    if (e.keyword === 'type' && oneOfPaths.has(e.instancePath) && /\/oneOf\/\d+\//.test(e.schemaPath))
      continue;
    if (e.keyword === 'additionalProperties') {
      out.push(`${where}: property "${String(e.params.additionalProperty)}" is not allowed`);
    } else if (e.keyword === 'required') {
      out.push(`${where}: property "${String(e.params.missingProperty)}" is required`);
    } else {
      out.push(`${where}: ${e.message ?? e.keyword}`);
    }
  }
  return [...new Set(out)];
}
