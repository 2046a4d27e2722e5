/**
 * Parses a Kafka client's `sasl.jaas.config` value: exactly one login module,
 * `<class> <flag> name=value ... ;` with values bare or in double quotes (backslash escapes inside quotes).
 * Kafka's own parser (JaasConfig, on java.io.StreamTokenizer) accepts the same shape and also insists on
 * one module for a client.
 *
 * The value holds credentials, so errors describe the problem by position and option name only, never
 * by quoting the text.
 */

export interface JaasModule {
  /** Fully-qualified login module class, e.g. org.apache.kafka.common.security.plain.PlainLoginModule. */
  readonly loginModule: string;
  readonly flag: 'required' | 'requisite' | 'sufficient' | 'optional';
  readonly options: ReadonlyMap<string, string>;
}

export class JaasSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JaasSyntaxError';
  }
}

type Token = { kind: 'word' | 'quoted'; text: string } | { kind: '=' | ';' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '=' || c === ';') {
      tokens.push({ kind: c });
      i++;
    } else if (c === '"') {
      let out = '';
      i++;
      let closed = false;
      while (i < text.length) {
        const d = text[i]!;
        if (d === '\\' && i + 1 < text.length) {
          out += text[i + 1];
          i += 2;
        } else if (d === '"') {
          closed = true;
          i++;
          break;
        } else {
          out += d;
          i++;
        }
      }
      if (!closed) throw new JaasSyntaxError('a quoted value is not closed (missing ")');
      tokens.push({ kind: 'quoted', text: out });
    } else {
      let j = i;
      while (j < text.length && !/[\s=;"]/.test(text[j]!)) j++;
      tokens.push({ kind: 'word', text: text.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

const FLAGS = new Set(['required', 'requisite', 'sufficient', 'optional']);

export function parseJaasConfig(text: string): JaasModule {
  const tokens = tokenize(text);
  let pos = 0;
  const next = () => tokens[pos++];
  const module = next();
  if (module?.kind !== 'word') throw new JaasSyntaxError('it must start with a login module class name');
  const flag = next();
  if (flag?.kind !== 'word' || !FLAGS.has(flag.text.toLowerCase())) {
    throw new JaasSyntaxError(
      `the login module class must be followed by a control flag (required, requisite, sufficient or optional)`,
    );
  }
  const options = new Map<string, string>();
  for (;;) {
    const t = next();
    if (!t) throw new JaasSyntaxError('it must end with ";"');
    if (t.kind === ';') break;
    if (t.kind !== 'word') throw new JaasSyntaxError(`option ${options.size + 1} has no name`);
    const eq = next();
    if (eq?.kind !== '=') throw new JaasSyntaxError(`option "${t.text}" must be written ${t.text}="value"`);
    const value = next();
    if (!value || (value.kind !== 'word' && value.kind !== 'quoted')) {
      throw new JaasSyntaxError(`option "${t.text}" has no value`);
    }
    options.set(t.text, value.text);
  }
  if (pos < tokens.length) {
    throw new JaasSyntaxError('it holds more than one login module; a Kafka client takes exactly one');
  }
  return {
    loginModule: module.text,
    flag: flag.text.toLowerCase() as JaasModule['flag'],
    options,
  };
}
