/**
 * The json embedded format stores each key and value as its compact JSON text, which is what
 * `JSON.stringify(JSON.parse(text))` gives. Re-serializing every value was a quarter of the
 * bridge's main-thread work when producing 1 KiB values, yet most clients already send compact
 * JSON: then the bytes the request carries ARE those bytes. This scanner walks the request body
 * once and finds, for each record, the byte range of its `key` and `value` members when that
 * range is exactly what re-serializing would produce; the producer sends a view of the body
 * (node-rdkafka copies it) instead of a new string and buffer.
 *
 * A range is only offered when equality is certain; anything else (whitespace inside the value,
 * any escape in a string, a number not in its shortest form, a repeated or integer-like object
 * key, which JSON.parse would merge or reorder) leaves that member to the re-serializing path.
 * The body was already parsed by JSON.parse, so malformed input never reaches here as valid;
 * anything unexpected gives up on the whole body.
 */
import { isUtf8 } from 'node:buffer';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MAX_DEPTH = 64;

/** Thrown to give up on the body (unexpected shape, too deep). */
class GiveUp extends Error {}

const isSpace = (c: number | undefined): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

/** Where the key and value of each record lie in the body, when they can be sent verbatim. */
export class VerbatimRecords {
  constructor(
    private readonly body: Buffer,
    /** Per record: key start, key end, value start, value end; -1 when not verbatim. */
    private readonly ranges: readonly number[],
  ) {}

  get count(): number {
    return this.ranges.length / 4;
  }

  /** The record's key bytes, or undefined when they must be re-serialized. */
  key(index: number): Buffer | undefined {
    return this.slice(index * 4);
  }

  /** The record's value bytes, or undefined when they must be re-serialized. */
  value(index: number): Buffer | undefined {
    return this.slice(index * 4 + 2);
  }

  private slice(at: number): Buffer | undefined {
    const start = this.ranges[at];
    const end = this.ranges[at + 1];
    if (start === undefined || end === undefined || start < 0) return undefined;
    return this.body.subarray(start, end);
  }
}

/**
 * The key hashes of one object: a short list while it is small (most objects), a Set beyond,
 * so an object of a hundred thousand keys costs linear time, not quadratic.
 */
class KeyHashes {
  private list: number[] = [];
  private set: Set<number> | undefined;

  /** False when the hash was already there. */
  add(h: number): boolean {
    if (this.set) {
      if (this.set.has(h)) return false;
      this.set.add(h);
      return true;
    }
    if (this.list.includes(h)) return false;
    this.list.push(h);
    if (this.list.length > 16) this.set = new Set(this.list);
    return true;
  }
}

class Scanner {
  pos = 0;
  /** Index of the next backslash at or after `pos` (-1: none left), found once and reused. */
  private nextBackslash = -2;

  constructor(private readonly b: Buffer) {}

  /** Skips whitespace; true when there was some. */
  space(): boolean {
    const start = this.pos;
    while (isSpace(this.b[this.pos])) this.pos++;
    return this.pos !== start;
  }

  expect(c: number): void {
    if (this.b[this.pos] !== c) throw new GiveUp();
    this.pos++;
  }

  at(): number | undefined {
    return this.b[this.pos];
  }

  /**
   * Skips the string at `pos` (past its closing quote); true when it holds an escape. The closing
   * quote is found with Buffer.indexOf (memchr), so long strings cost little.
   */
  string(): boolean {
    const b = this.b;
    this.expect(QUOTE);
    const close = b.indexOf(QUOTE, this.pos);
    if (close < 0) throw new GiveUp();
    if (this.nextBackslash !== -1 && this.nextBackslash < this.pos)
      this.nextBackslash = b.indexOf(BACKSLASH, this.pos);
    if (this.nextBackslash === -1 || this.nextBackslash > close) {
      this.pos = close + 1;
      return false;
    }
    // Escapes: walk it byte by byte (an escaped quote does not end the string).
    let i = this.pos;
    for (;;) {
      const c = b[i];
      if (c === undefined) throw new GiveUp();
      if (c === BACKSLASH) i += 2;
      else if (c === QUOTE) break;
      else i++;
    }
    this.pos = i + 1;
    return true;
  }

  /** Skips the JSON value at `pos`; true when its text is what JSON.stringify would write. */
  value(depth: number): boolean {
    if (depth > MAX_DEPTH) throw new GiveUp();
    const c = this.at();
    if (c === QUOTE) return !this.string();
    if (c === OPEN_BRACE) return this.object(depth);
    if (c === OPEN_BRACKET) return this.array(depth);
    if (c === 0x74) return this.literal('true');
    if (c === 0x66) return this.literal('false');
    if (c === 0x6e) return this.literal('null');
    if (c === 0x2d || isDigit(c)) return this.number();
    throw new GiveUp();
  }

  private literal(word: string): boolean {
    for (let i = 0; i < word.length; i++) if (this.b[this.pos + i] !== word.charCodeAt(i)) throw new GiveUp();
    this.pos += word.length;
    return true;
  }

  private number(): boolean {
    const b = this.b;
    const start = this.pos;
    let plainInteger = true;
    for (;;) {
      const c = b[this.pos];
      if (isDigit(c)) this.pos++;
      else if (c === 0x2b || c === 0x2d || c === 0x2e || c === 0x65 || c === 0x45) {
        // '+', '-', '.', 'e', 'E'
        if (!(c === 0x2d && this.pos === start)) plainInteger = false;
        this.pos++;
      } else break;
    }
    const digits = this.pos - start - (b[start] === 0x2d ? 1 : 0);
    const first = b[this.pos - digits];
    // An integer of up to 15 digits is its own shortest form unless it has a leading zero or is -0.
    if (
      plainInteger &&
      digits >= 1 &&
      digits <= 15 &&
      (first !== 0x30 || (digits === 1 && b[start] !== 0x2d))
    )
      return true;
    const text = b.toString('latin1', start, this.pos);
    // Shortest round-trip form only: 1.0, 1e2, -0 and out-of-range integers read back otherwise.
    return String(Number(text)) === text;
  }

  /**
   * A hash of the bytes [start, end): repeated keys are found by comparing hashes, so no string is
   * made per key. Two different keys with the same hash only cost that value its verbatim path.
   */
  private hash(start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ this.b[i]!, 0x01000193);
    return h;
  }

  private object(depth: number): boolean {
    this.expect(OPEN_BRACE);
    let compact = !this.space();
    if (this.at() === CLOSE_BRACE) {
      this.pos++;
      return compact;
    }
    const keys = new KeyHashes();
    for (;;) {
      const keyStart = this.pos;
      if (this.string()) compact = false;
      else if (compact) {
        // A repeated key collapses, an integer-like one moves first: not the text's order.
        if (isDigit(this.b[keyStart + 1]) || !keys.add(this.hash(keyStart + 1, this.pos - 1)))
          compact = false;
      }
      if (this.space()) compact = false;
      this.expect(COLON);
      if (this.space()) compact = false;
      if (!this.value(depth + 1)) compact = false;
      if (this.space()) compact = false;
      if (this.at() === CLOSE_BRACE) {
        this.pos++;
        return compact;
      }
      this.expect(COMMA);
      if (this.space()) compact = false;
    }
  }

  // object()'s loop again rather than one shared loop taking a callback per member: a closure per
  // object and array made this scan 30-80% slower on the benchmark's bodies, and it runs per request.
  private array(depth: number): boolean {
    this.expect(OPEN_BRACKET);
    let compact = !this.space();
    if (this.at() === CLOSE_BRACKET) {
      this.pos++;
      return compact;
    }
    for (;;) {
      if (!this.value(depth + 1)) compact = false;
      if (this.space()) compact = false;
      if (this.at() === CLOSE_BRACKET) {
        this.pos++;
        return compact;
      }
      this.expect(COMMA);
      if (this.space()) compact = false;
    }
  }

  /** The member name at `pos`: which of `names` it is (its index), -1 for another, undefined when it holds an escape (it might spell any name). */
  memberName(names: readonly Buffer[]): number | undefined {
    const start = this.pos + 1;
    if (this.string()) return undefined;
    const length = this.pos - 1 - start;
    for (let n = 0; n < names.length; n++) {
      const name = names[n]!;
      if (name.length !== length) continue;
      let i = 0;
      while (i < length && this.b[start + i] === name[i]) i++;
      if (i === length) return n;
    }
    return -1;
  }
}

const RECORDS = [Buffer.from('records')];
const KEY = 0;
const VALUE = 1;
const KEY_VALUE = [Buffer.from('key'), Buffer.from('value')];

/**
 * The records of a produce body (`{"records":[{"key":..,"value":..},..]}`) whose key or value
 * can be sent as the body's own bytes; undefined when the body is not of that shape, not UTF-8
 * (JSON.parse saw replacement characters where the bytes differ), or nests deeper than 64.
 */
export function verbatimRecords(body: Buffer): VerbatimRecords | undefined {
  if (!isUtf8(body)) return undefined;
  const s = new Scanner(body);
  const ranges: number[] = [];
  try {
    s.space();
    s.expect(OPEN_BRACE);
    s.space();
    let seenRecords = false;
    if (s.at() !== CLOSE_BRACE) {
      for (;;) {
        const name = s.memberName(RECORDS);
        // An escaped name could spell "records" too: we could not tell which one JSON.parse kept.
        if (name === undefined || (name === 0 && seenRecords)) return undefined;
        s.space();
        s.expect(COLON);
        s.space();
        if (name === 0) {
          seenRecords = true;
          records(s, ranges);
        } else s.value(1);
        s.space();
        if (s.at() === CLOSE_BRACE) break;
        s.expect(COMMA);
        s.space();
      }
    }
    s.pos++;
    s.space();
    if (s.pos !== body.length) return undefined;
  } catch (err) {
    if (err instanceof GiveUp) return undefined;
    throw err;
  }
  return new VerbatimRecords(body, ranges);
}

function records(s: Scanner, ranges: number[]): void {
  s.expect(OPEN_BRACKET);
  s.space();
  if (s.at() === CLOSE_BRACKET) {
    s.pos++;
    return;
  }
  for (;;) {
    const at = ranges.length;
    ranges.push(-1, -1, -1, -1);
    if (s.at() === OPEN_BRACE) record(s, ranges, at);
    else s.value(2);
    s.space();
    if (s.at() === CLOSE_BRACKET) {
      s.pos++;
      return;
    }
    s.expect(COMMA);
    s.space();
  }
}

/** One record object: the ranges of its `key` and `value` members, written at ranges[at..at+3]. */
function record(s: Scanner, ranges: number[], at: number): void {
  s.expect(OPEN_BRACE);
  s.space();
  if (s.at() === CLOSE_BRACE) {
    s.pos++;
    return;
  }
  let seenKey = false;
  let seenValue = false;
  let trusted = true;
  for (;;) {
    const name = s.memberName(KEY_VALUE);
    // An escaped member name might spell "key" or "value": trust neither range of this record.
    if (name === undefined) trusted = false;
    s.space();
    s.expect(COLON);
    s.space();
    const start = s.pos;
    const compact = s.value(3);
    if (name === KEY || name === VALUE) {
      const seen = name === KEY ? seenKey : seenValue;
      const slot = name === KEY ? at : at + 2;
      // Repeated: JSON.parse kept the last one, which we could take, but this keeps it simple.
      if (compact && !seen) {
        ranges[slot] = start;
        ranges[slot + 1] = s.pos;
      } else {
        ranges[slot] = -1;
        ranges[slot + 1] = -1;
      }
      if (name === KEY) seenKey = true;
      else seenValue = true;
    }
    s.space();
    if (s.at() === CLOSE_BRACE) {
      s.pos++;
      break;
    }
    s.expect(COMMA);
    s.space();
  }
  if (!trusted) ranges.fill(-1, at, at + 4);
}
