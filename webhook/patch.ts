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

/**
 * The patch as the AdmissionResponse carries it: base64 of its JSON. Built from pieces, each padded with
 * JSON whitespace to a whole number of 3-byte groups, because such pieces' base64 texts concatenate into
 * the base64 of the whole. That lets the deep-frozen values (the sidecar container and volume, see
 * sidecar.ts), which are most of the bytes and the same for every pod with the same settings, be
 * serialized and encoded once; a pod costs only the encoding of its few op/path literals.
 */
export function encodePatch(ops: readonly Operation[]): string {
  const w = new PieceWriter();
  w.text('[');
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (i > 0) w.text(',');
    const keys = Object.keys(op);
    const value = (op as { value?: Json }).value;
    if (
      keys.length === 3 &&
      keys[0] === 'op' &&
      keys[1] === 'path' &&
      keys[2] === 'value' &&
      value !== undefined &&
      typeof value !== 'function' &&
      typeof value !== 'symbol'
    ) {
      w.text(`{"op":${JSON.stringify(op.op)},"path":${JSON.stringify(op.path)},"value":`);
      writeValue(w, value);
      w.text('}');
    } else w.text(JSON.stringify(op));
  }
  w.text(']');
  return w.done();
}

/** Base64 of `text` padded with spaces to a multiple of 3 bytes (valid wherever JSON allows whitespace). */
function base64Piece(text: string): string {
  const rest = Buffer.byteLength(text) % 3;
  return Buffer.from(rest === 0 ? text : rest === 1 ? `${text}  ` : `${text} `).toString('base64');
}

// Only values frozen as a whole tree are ever frozen in this code base, so a frozen value's JSON cannot change.
const frozenBase64 = new WeakMap<object, string>();

class PieceWriter {
  private literal = '';
  private out = '';
  text(s: string): void {
    this.literal += s;
  }
  frozen(v: object): void {
    let b64 = frozenBase64.get(v);
    if (b64 === undefined) {
      b64 = base64Piece(JSON.stringify(v));
      frozenBase64.set(v, b64);
    }
    this.flush();
    this.out += b64;
  }
  done(): string {
    this.flush();
    return this.out;
  }
  private flush(): void {
    if (this.literal !== '') {
      this.out += base64Piece(this.literal);
      this.literal = '';
    }
  }
}

function writeValue(w: PieceWriter, v: Json): void {
  if (typeof v !== 'object' || v === null) w.text(JSON.stringify(v) ?? 'null');
  else if (Object.isFrozen(v)) w.frozen(v);
  else if (Array.isArray(v)) {
    w.text('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) w.text(',');
      writeValue(w, v[i]);
    }
    w.text(']');
  } else w.text(JSON.stringify(v));
}
