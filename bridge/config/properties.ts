/**
 * Java `.properties` syntax, as `java.util.Properties.load(Reader)` reads it, because the bridge must read
 * the same `bridge.properties` files as the Strimzi bridge (ConfigMaps written for it, operator output).
 *
 * - Natural lines end in \n, \r or \r\n. A line whose first non-blank character is `#` or `!` is a comment.
 * - A line ending in an odd number of backslashes continues on the next line; the next line's leading
 *   blanks are dropped (this is how PEM blocks and long lists are folded).
 * - The key ends at the first unescaped `=`, `:` or blank; blanks around one `=`/`:` separator are dropped.
 * - Escapes in keys and values: \t \n \r \f, \uXXXX, and `\` before any other character means that character.
 *
 * One difference on purpose: the text is UTF-8 (Java's InputStream variant assumes ISO-8859-1, which
 * garbles any non-ASCII value written by a modern editor).
 */

/** A malformed line; `line` is 1-based (the first line of the logical line). */
export class PropertiesSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'PropertiesSyntaxError';
  }
}

interface LogicalLine {
  readonly text: string;
  readonly line: number;
}

const BLANK = new Set([' ', '\t', '\f']);

function stripLeadingBlanks(s: string): string {
  let i = 0;
  while (i < s.length && BLANK.has(s[i]!)) i++;
  return s.slice(i);
}

function trailingBackslashes(s: string): number {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n;
}

function* logicalLines(text: string): Generator<LogicalLine> {
  const natural = text.split(/\r\n|\r|\n/);
  let current: string | undefined;
  let start = 0;
  for (let i = 0; i < natural.length; i++) {
    const stripped = stripLeadingBlanks(natural[i]!);
    if (current === undefined) {
      // Comments are whole natural lines: a trailing backslash in a comment does not continue it.
      if (stripped === '' || stripped[0] === '#' || stripped[0] === '!') continue;
      current = stripped;
      start = i + 1;
    } else {
      current += stripped;
    }
    // Only the backslashes of this natural line count: the continuation marker was already removed.
    if (trailingBackslashes(stripped) % 2 === 1) {
      current = current.slice(0, -1);
      continue;
    }
    yield { text: current, line: start };
    current = undefined;
  }
  // A backslash on the very last line continues into nothing; Java keeps what came before it.
  if (current !== undefined) yield { text: current, line: start };
}

function decodeEscapes(raw: string, line: number): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = raw[++i];
    if (next === undefined) break;
    switch (next) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        const hex = raw.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw new PropertiesSyntaxError(line, 'malformed \\uXXXX escape (needs four hex digits)');
        }
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 4;
        break;
      }
      default:
        out += next;
    }
  }
  return out;
}

function splitKeyValue(text: string): { rawKey: string; rawValue: string } {
  let keyEnd = text.length;
  let valueStart = text.length;
  let hasSeparator = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      i++; // an escaped character is part of the key, separators included
      continue;
    }
    if (c === '=' || c === ':') {
      keyEnd = i;
      valueStart = i + 1;
      hasSeparator = true;
      break;
    }
    if (BLANK.has(c)) {
      keyEnd = i;
      valueStart = i + 1;
      break;
    }
  }
  while (valueStart < text.length && BLANK.has(text[valueStart]!)) valueStart++;
  // `key = value`: a blank ended the key, then one `=` or `:` may still follow.
  if (!hasSeparator && (text[valueStart] === '=' || text[valueStart] === ':')) {
    valueStart++;
    while (valueStart < text.length && BLANK.has(text[valueStart]!)) valueStart++;
  }
  return { rawKey: text.slice(0, keyEnd), rawValue: text.slice(valueStart) };
}

/**
 * Parses properties text into a Map in first-appearance order; a repeated key keeps its first position
 * and takes the last value (Java's Properties is a Hashtable: last put wins).
 */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (const { text: logical, line } of logicalLines(body)) {
    const { rawKey, rawValue } = splitKeyValue(logical);
    out.set(decodeEscapes(rawKey, line), decodeEscapes(rawValue, line));
  }
  return out;
}
