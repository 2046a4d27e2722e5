import { isDeepStrictEqual } from 'node:util';
import jsonpatch, { type Operation } from 'fast-json-patch';

const { compare, escapePathComponent } = jsonpatch;

type Json = unknown;

/**
 * Positions in `after` of the elements inserted into `before`, when `after` is `before` with elements
 * inserted (order kept); otherwise null. Greedy matching is exact for deciding subsequence.
 */
function insertions(before: readonly Json[], after: readonly Json[]): number[] | null {
  if (after.length < before.length) return null;
  const added: number[] = [];
  let j = 0;
  for (let i = 0; i < after.length; i++) {
    const b = before[j];
    if (j < before.length && (after[i] === b || isDeepStrictEqual(after[i], b))) j++;
    else added.push(i);
  }
  return j === before.length ? added : null;
}

const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function diff(before: Json, after: Json, path: string, ops: Operation[]): void {
  if (before === after) return;
  if (Array.isArray(before) && Array.isArray(after)) {
    // fast-json-patch compares arrays index by index, so an element put first would turn into a
    // replace of every element after it; an insertion is an `add` at its index, as RFC 6902 allows.
    const added = insertions(before, after);
    if (added !== null) {
      for (const i of added) ops.push({ op: 'add', path: `${path}/${i}`, value: after[i] });
      return;
    }
  } else if (isObject(before) && isObject(after)) {
    for (const key of Object.keys(before)) {
      const b = before[key];
      const a = after[key];
      // Structural sharing (mutate.ts) makes most subtrees the same object: no path to build for them.
      if (a === b) continue;
      const p = `${path}/${escapePathComponent(key)}`;
      if (!(key in after) || a === undefined) {
        if (b !== undefined) ops.push({ op: 'remove', path: p });
      } else diff(b, a, p, ops);
    }
    for (const key of Object.keys(after)) {
      if (after[key] !== undefined && (!(key in before) || before[key] === undefined)) {
        ops.push({ op: 'add', path: `${path}/${escapePathComponent(key)}`, value: after[key] });
      }
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    for (const op of compare(before, after)) ops.push({ ...op, path: `${path}${op.path}` });
    return;
  }
  if (!isDeepStrictEqual(before, after)) ops.push({ op: 'replace', path, value: after });
}

/**
 * The RFC 6902 patch that turns `original` into `mutated`, derived by diffing the two (as Istio's
 * injector does), so escaping (`~1`), absent parents and array positions are right by construction.
 * Whole absent objects/arrays are added in one `add`; insertions into arrays are `add` at an index;
 * anything else falls back to fast-json-patch's `compare`.
 */
export function createPatch(original: Json, mutated: Json): Operation[] {
  const ops: Operation[] = [];
  diff(original, mutated, '', ops);
  return ops;
}

// JSON of deep-frozen values (the sidecar container and volume, see sidecar.ts): they cannot change, so
// each is serialized once. Only values frozen as a whole tree are ever frozen in this code base.
const frozenJson = new WeakMap<object, string>();

function valueJson(v: Json): string {
  if (typeof v !== 'object' || v === null) return JSON.stringify(v) ?? 'null';
  if (Object.isFrozen(v)) {
    let text = frozenJson.get(v);
    if (text === undefined) {
      text = JSON.stringify(v);
      frozenJson.set(v, text);
    }
    return text;
  }
  if (Array.isArray(v)) return `[${v.map(valueJson).join(',')}]`;
  return JSON.stringify(v);
}

/** `JSON.stringify(ops)`, the same text, without serializing the shared sidecar again for every pod. */
export function serializePatch(ops: readonly Operation[]): string {
  const parts: string[] = [];
  for (const op of ops) {
    const keys = Object.keys(op);
    if (keys.length === 3 && keys[0] === 'op' && keys[1] === 'path' && keys[2] === 'value') {
      const value = (op as { value: Json }).value;
      if (value !== undefined && typeof value !== 'function' && typeof value !== 'symbol') {
        parts.push(
          `{"op":${JSON.stringify(op.op)},"path":${JSON.stringify(op.path)},"value":${valueJson(value)}}`,
        );
        continue;
      }
    }
    parts.push(JSON.stringify(op));
  }
  return `[${parts.join(',')}]`;
}
