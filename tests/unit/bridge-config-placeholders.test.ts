// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Kafka ${provider:...} placeholders are the subject of these tests
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BUILT_IN_PROVIDERS,
  isProviderKey,
  type PlaceholderContext,
  providersFrom,
  resolvePlaceholders,
} from '../../bridge/config/placeholders.js';
import { ConfigError } from '../../bridge/config/types.js';

let dir: string;
const readFile = (path: string) => readFileSync(path, 'utf8');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bridge-placeholders-'));
  writeFileSync(join(dir, 'client.properties'), '# creds\nusername = alice\npassword=pa\\u0073s\\\n  word\n');
  mkdirSync(join(dir, 'secret'));
  writeFileSync(
    join(dir, 'secret', 'ca.crt'),
    '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
  );
  writeFileSync(join(dir, 'secret', 'rack.id'), 'zone-b');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ctx(env: Record<string, string> = {}, providers = BUILT_IN_PROVIDERS): PlaceholderContext {
  return { env, readFile, providers };
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('resolvePlaceholders', () => {
  it.each(['env', 'strimzienv'])('${%s:NAME} reads the environment, even an empty variable', (provider) => {
    expect(resolvePlaceholders('k', `\${${provider}:HOST}:9093`, ctx({ HOST: 'kafka' }))).toBe('kafka:9093');
    expect(resolvePlaceholders('k', `[\${${provider}:EMPTY}]`, ctx({ EMPTY: '' }))).toBe('[]');
  });

  it.each(['file', 'strimzifile'])('${%s:/path:key} reads a key of a properties file', (provider) => {
    const file = join(dir, 'client.properties');
    expect(resolvePlaceholders('k', `\${${provider}:${file}:username}`, ctx())).toBe('alice');
    expect(resolvePlaceholders('k', `\${${provider}:${file}:password}`, ctx())).toBe('password');
  });

  it.each(['dir', 'strimzidir'])('${%s:/dir:file} is the whole content of the file', (provider) => {
    expect(resolvePlaceholders('k', `\${${provider}:${join(dir, 'secret')}:ca.crt}`, ctx())).toBe(
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    );
  });

  it('resolves several placeholders in one value and leaves other ${...} text alone', () => {
    expect(
      resolvePlaceholders(
        'k',
        `\${env:A},\${dir:${join(dir, 'secret')}:rack.id} \${notaplaceholder} $x`,
        ctx({ A: '1' }),
      ),
    ).toBe('1,zone-b ${notaplaceholder} $x');
  });

  it.each([
    ['${env:MISSING}', 'kafka.x: cannot resolve ${env:MISSING}: environment variable MISSING is not set'],
    [
      '${env:/p:NAME}',
      'kafka.x: cannot resolve ${env:/p:NAME}: env placeholders take no path (use ${env:NAME})',
    ],
    [
      '${file:username}',
      'kafka.x: cannot resolve ${file:username}: needs a file path (use ${file:/path/to/file.properties:key})',
    ],
    [
      '${vault:secret/kafka:pw}',
      'kafka.x: cannot resolve ${vault:secret/kafka:pw}: unknown config provider "vault" (allowed: env, strimzienv, file, strimzifile, dir, strimzidir)',
    ],
  ])('%s fails naming the key and the placeholder', (value, message) => {
    const err = errorOf(() => resolvePlaceholders('kafka.x', value, ctx()));
    expect(err.key).toBe('kafka.x');
    expect(err.message).toBe(message);
  });

  it('names missing files and keys without printing file contents', () => {
    const file = join(dir, 'client.properties');
    expect(() => resolvePlaceholders('kafka.x', `\${file:${file}:nokey}`, ctx())).toThrow(
      `kafka.x: cannot resolve \${file:${file}:nokey}: file ${file} has no key nokey`,
    );
    expect(() => resolvePlaceholders('kafka.x', `\${file:${dir}/absent.properties:k}`, ctx())).toThrow(
      `file ${dir}/absent.properties does not exist`,
    );
    expect(() => resolvePlaceholders('kafka.x', `\${dir:${dir}:secret}`, ctx())).toThrow(
      `file ${dir}/secret is a directory, not a file`,
    );
    const err = errorOf(() => resolvePlaceholders('kafka.x', `\${dir:${dir}:../etc/passwd}`, ctx()));
    expect(err.message).toContain('the key must be the name of a file directly inside the directory');
  });

  it('reports an unreadable file by its error code', () => {
    const denied: PlaceholderContext = {
      ...ctx(),
      readFile: () => {
        throw Object.assign(new Error('EACCES: secret detail'), { code: 'EACCES' });
      },
    };
    expect(() => resolvePlaceholders('k', '${dir:/opt/strimzi:locked}', denied)).toThrow(
      'k: cannot resolve ${dir:/opt/strimzi:locked}: file /opt/strimzi/locked cannot be read (permission denied)',
    );
  });
});

describe('providersFrom (config.providers declarations)', () => {
  it('adds aliases by class and honours allowed.paths and allowlist.pattern', () => {
    const { providers } = providersFrom(
      new Map([
        ['kafka.config.providers', 'secrets,vars'],
        [
          'kafka.config.providers.secrets.class',
          'org.apache.kafka.common.config.provider.DirectoryConfigProvider',
        ],
        ['kafka.config.providers.secrets.param.allowed.paths', join(dir, 'secret')],
        [
          'kafka.consumer.config.providers.vars.class',
          'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
        ],
        ['kafka.consumer.config.providers.vars.param.allowlist.pattern', 'KAFKA_.*'],
      ]),
    );
    const c = ctx({ KAFKA_HOST: 'h', HOME: '/root' }, providers);
    expect(resolvePlaceholders('k', `\${secrets:${join(dir, 'secret')}:rack.id}`, c)).toBe('zone-b');
    expect(resolvePlaceholders('k', '${vars:KAFKA_HOST}', c)).toBe('h');
    expect(() => resolvePlaceholders('k', '${vars:HOME}', c)).toThrow(
      'k: cannot resolve ${vars:HOME}: environment variable HOME is not allowed by param.allowlist.pattern',
    );
    expect(() => resolvePlaceholders('k', `\${secrets:${dir}:client.properties}`, c)).toThrow(
      `is outside param.allowed.paths (${join(dir, 'secret')})`,
    );
    // The built-in names stay.
    expect(resolvePlaceholders('k', '${env:HOME}', c)).toBe('/root');
  });

  it('an invalid allowlist pattern is a ConfigError naming its key', () => {
    const err = errorOf(() =>
      providersFrom(
        new Map([
          ['config.providers.e.class', 'org.apache.kafka.common.config.provider.EnvVarConfigProvider'],
          ['config.providers.e.param.allowlist.pattern', '(['],
        ]),
      ),
    );
    expect(err.key).toBe('config.providers.e.param.allowlist.pattern');
  });

  it('recognises provider keys under every prefix and nothing else', () => {
    for (const key of [
      'config.providers',
      'kafka.config.providers',
      'kafka.config.providers.env.class',
      'kafka.admin.config.providers.strimzidir.param.allowed.paths',
    ]) {
      expect(isProviderKey(key)).toBe(true);
    }
    for (const key of ['kafka.config.providersx', 'kafka.other.config.providers', 'http.config.providers']) {
      expect(isProviderKey(key)).toBe(false);
    }
  });
});
