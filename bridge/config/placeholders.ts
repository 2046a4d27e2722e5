/**
 * Kafka config-provider placeholders, resolved by the bridge itself because librdkafka has no config
 * providers: `${env:NAME}`, `${file:/path/to/file.properties:key}`, `${dir:/path/to/dir:file}`, and the
 * operator's names for the same providers, `strimzienv`, `strimzifile`, `strimzidir`.
 *
 * The syntax is Kafka's ConfigTransformer pattern `${provider:[path:]key}`. Providers declared with
 * `config.providers=<alias>` + `config.providers.<alias>.class=<class>` add aliases, so a file written for
 * the Java bridge with its own provider names keeps working. `param.allowed.paths` (file/dir) and
 * `param.allowlist.pattern` (env) are honoured, as the Java providers do.
 *
 * Unlike Kafka, an unresolvable placeholder is an error naming the key and the placeholder: Kafka leaves
 * the text in place and the client later fails on a literal `${env:...}` with a misleading message.
 * Messages never contain resolved values.
 */
import { isAbsolute, join, normalize, relative } from 'node:path';
import { parseProperties } from './properties.js';
import { ConfigError } from './types.js';

export type ProviderKind = 'env' | 'file' | 'dir';

export interface ProviderSpec {
  readonly kind: ProviderKind;
  /** `param.allowed.paths` (file, dir): only files under these directories may be read. */
  readonly allowedPaths?: readonly string[];
  /** `param.allowlist.pattern` (env): only variables whose whole name matches may be read. */
  readonly allowlist?: RegExp;
}

/** `${provider:part:part}` built without a template-looking literal in the source. */
export function placeholder(provider: string, ...parts: string[]): string {
  return `$\{${[provider, ...parts].join(':')}}`;
}

/** Reads a whole file as UTF-8 text; throws a Node.js error (with `code`, e.g. ENOENT) when it cannot. */
export type ReadFile = (path: string) => string;

export interface PlaceholderContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: ReadFile;
  /** Aliases in use; `BUILT_IN_PROVIDERS` when none were declared. */
  readonly providers: ReadonlyMap<string, ProviderSpec>;
  /** Declared aliases whose Java class has no stand-in here (alias -> class). */
  readonly unsupported?: ReadonlyMap<string, string>;
}

export const BUILT_IN_PROVIDERS: ReadonlyMap<string, ProviderSpec> = new Map<string, ProviderSpec>([
  ['env', { kind: 'env' }],
  ['strimzienv', { kind: 'env' }],
  ['file', { kind: 'file' }],
  ['strimzifile', { kind: 'file' }],
  ['dir', { kind: 'dir' }],
  ['strimzidir', { kind: 'dir' }],
]);

/** Java provider classes the bridge can stand in for. */
const PROVIDER_CLASSES: ReadonlyMap<string, ProviderKind> = new Map<string, ProviderKind>([
  ['org.apache.kafka.common.config.provider.EnvVarConfigProvider', 'env'],
  ['io.strimzi.kafka.EnvVarConfigProvider', 'env'],
  ['org.apache.kafka.common.config.provider.FileConfigProvider', 'file'],
  ['org.apache.kafka.common.config.provider.DirectoryConfigProvider', 'dir'],
]);

// Kafka's ConfigTransformer.DEFAULT_PATTERN: provider up to the first ':', an optional path up to the next.
const PLACEHOLDER = /\$\{([^}]*?):(?:([^}]*?):)?([^}]*?)\}/g;

/** Error text for a failed read, from the Node.js error code, never from file contents. */
export function describeReadError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read (permission denied)';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return `cannot be read (${typeof code === 'string' ? code : 'unknown error'})`;
  }
}

function isUnder(path: string, dirs: readonly string[]): boolean {
  const target = normalize(path);
  return dirs.some((dir) => {
    const rel = relative(normalize(dir), target);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  });
}

function resolveOne(
  key: string,
  text: string,
  spec: ProviderSpec,
  path: string | undefined,
  name: string,
  ctx: PlaceholderContext,
): string {
  const fail = (why: string): never => {
    throw new ConfigError(key, `${key}: cannot resolve ${text}: ${why}`);
  };
  switch (spec.kind) {
    case 'env': {
      if (path !== undefined && path !== '')
        fail(`env placeholders take no path (use ${placeholder('env', 'NAME')})`);
      if (spec.allowlist && !spec.allowlist.test(name)) {
        fail(`environment variable ${name} is not allowed by param.allowlist.pattern`);
      }
      const value = ctx.env[name];
      if (value === undefined) fail(`environment variable ${name} is not set`);
      return value as string;
    }
    case 'file': {
      if (path === undefined || path === '')
        fail(`needs a file path (use ${placeholder('file', '/path/to/file.properties', 'key')})`);
      const file = path as string;
      if (spec.allowedPaths && !isUnder(file, spec.allowedPaths)) {
        fail(`${file} is outside param.allowed.paths (${spec.allowedPaths.join(',')})`);
      }
      let text: string;
      try {
        text = ctx.readFile(file);
      } catch (err) {
        return fail(`file ${file} ${describeReadError(err)}`);
      }
      let props: Map<string, string>;
      try {
        props = parseProperties(text);
      } catch (err) {
        return fail(`file ${file} is not a valid properties file (${(err as Error).message})`);
      }
      const value = props.get(name);
      if (value === undefined) fail(`file ${file} has no key ${name}`);
      return value as string;
    }
    case 'dir': {
      if (path === undefined || path === '')
        fail(`needs a directory (use ${placeholder('dir', '/path/to/dir', 'file')})`);
      // DirectoryConfigProvider only reads regular files directly inside the directory.
      if (name === '' || name.includes('/') || name.includes('\\') || name === '.' || name === '..') {
        fail('the key must be the name of a file directly inside the directory');
      }
      const file = join(path as string, name);
      if (spec.allowedPaths && !isUnder(file, spec.allowedPaths)) {
        fail(`${file} is outside param.allowed.paths (${spec.allowedPaths.join(',')})`);
      }
      try {
        return ctx.readFile(file);
      } catch (err) {
        return fail(`file ${file} ${describeReadError(err)}`);
      }
    }
  }
}

/** Replaces every placeholder in `value`; `key` is the full configuration key, for error messages. */
export function resolvePlaceholders(key: string, value: string, ctx: PlaceholderContext): string {
  if (!value.includes('${')) return value;
  return value.replace(PLACEHOLDER, (text, provider: string, path: string | undefined, name: string) => {
    const spec = ctx.providers.get(provider);
    const unsupportedClass = ctx.unsupported?.get(provider);
    if (!spec && unsupportedClass !== undefined) {
      throw new ConfigError(
        key,
        `${key}: cannot resolve ${text}: config provider "${provider}" (${unsupportedClass}) is not supported; ` +
          'the bridge resolves the env, file and dir providers (EnvVarConfigProvider, FileConfigProvider, DirectoryConfigProvider)',
      );
    }
    if (!spec) {
      const known = [...ctx.providers.keys()].join(', ');
      throw new ConfigError(
        key,
        `${key}: cannot resolve ${text}: unknown config provider "${provider}" (allowed: ${known})`,
      );
    }
    return resolveOne(key, text, spec, path, name, ctx);
  });
}

/** True for the keys that declare config providers: `[kafka.[producer.|consumer.|admin.]]config.providers[.*]`. */
export function isProviderKey(key: string): boolean {
  return /^(?:kafka\.(?:(?:producer|consumer|admin)\.)?)?config\.providers(?:\..*)?$/.test(key);
}

/**
 * Builds the alias table from the `config.providers*` keys (of any prefix; aliases are shared). The built-in
 * names stay available unless redeclared. An alias whose class the bridge cannot stand in for is an error
 * only when a placeholder uses it, so declaring e.g. the Kubernetes secret provider for the Java bridge
 * does not stop start-up by itself.
 */
export function providersFrom(config: ReadonlyMap<string, string>): {
  providers: Map<string, ProviderSpec>;
  unsupported: Map<string, string>;
} {
  const providers = new Map(BUILT_IN_PROVIDERS);
  const unsupported = new Map<string, string>();
  for (const [key, value] of config) {
    const m = /^((?:kafka\.(?:(?:producer|consumer|admin)\.)?)?)config\.providers\.([^.]+)\.class$/.exec(key);
    if (!m) continue;
    const prefix = m[1]!;
    const alias = m[2]!;
    const kind = PROVIDER_CLASSES.get(value.trim());
    if (!kind) {
      unsupported.set(alias, value.trim());
      providers.delete(alias);
      continue;
    }
    const param = (name: string) => config.get(`${prefix}config.providers.${alias}.param.${name}`)?.trim();
    const allowedPaths = param('allowed.paths')
      ?.split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    const pattern = param('allowlist.pattern');
    let allowlist: RegExp | undefined;
    if (pattern !== undefined && pattern !== '') {
      try {
        allowlist = new RegExp(`^(?:${pattern})$`);
      } catch {
        const k = `${prefix}config.providers.${alias}.param.allowlist.pattern`;
        throw new ConfigError(k, `${k}: not a valid regular expression`);
      }
    }
    providers.set(alias, {
      kind,
      ...(allowedPaths && allowedPaths.length > 0 ? { allowedPaths } : {}),
      ...(allowlist ? { allowlist } : {}),
    });
  }
  return { providers, unsupported };
}
