/**
 * `sasl.mechanism` + `sasl.jaas.config` -> librdkafka's SASL settings. librdkafka has no JAAS: the login
 * module's options become sasl.username/sasl.password (PLAIN, SCRAM), OIDC client credentials (Strimzi's
 * OAuth options) or Kerberos keytab/principal.
 */
import { type ClientSetting, type Collector, invalid } from './client-settings.js';
import { parseJaasConfig } from './jaas.js';
import { ConfigError, type ConfigNotice } from './types.js';

const SASL_MECHANISMS = ['GSSAPI', 'PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

const JAAS_EXPECTED =
  'expected <LoginModule class> required username="..." password="..."; for PLAIN and SCRAM';

export function translateSasl(
  get: (k: string) => ClientSetting | undefined,
  out: Collector,
  notices: ConfigNotice[],
): void {
  const mechanismSetting = get('sasl.mechanism') ?? get('sasl.mechanisms');
  let mechanism: string | undefined;
  if (mechanismSetting) {
    mechanism = mechanismSetting.value.trim().toUpperCase();
    if (!SASL_MECHANISMS.includes(mechanism))
      invalid(mechanismSetting, SASL_MECHANISMS.join(', '), 'sasl.mechanisms');
    out.put('sasl.mechanisms', mechanism, mechanismSetting, true);
  }
  const jaasSetting = get('sasl.jaas.config');
  if (!jaasSetting) return;
  let jaas: ReturnType<typeof parseJaasConfig>;
  try {
    jaas = parseJaasConfig(jaasSetting.value);
  } catch (err) {
    throw new ConfigError(
      jaasSetting.source,
      `${jaasSetting.source}: malformed JAAS configuration: ${(err as Error).message}; ${JAAS_EXPECTED}`,
    );
  }
  const moduleName = jaas.loginModule.slice(jaas.loginModule.lastIndexOf('.') + 1);
  const option = (name: string): string => {
    const v = jaas.options.get(name);
    if (v === undefined) {
      throw new ConfigError(
        jaasSetting.source,
        `${jaasSetting.source}: ${moduleName} needs the option ${name}; ${JAAS_EXPECTED}`,
      );
    }
    return v;
  };
  const needMechanism = (allowed: string[], fallback: string | undefined): void => {
    if (mechanism === undefined && fallback !== undefined) {
      out.put('sasl.mechanisms', fallback, jaasSetting, false);
      return;
    }
    if (mechanism === undefined || !allowed.includes(mechanism)) {
      const key =
        mechanismSetting?.source ?? jaasSetting.source.replace(/sasl\.jaas\.config$/, 'sasl.mechanism');
      throw new ConfigError(
        key,
        `${key}: ${mechanism ?? 'unset'} does not match the ${moduleName} in ${jaasSetting.source}; allowed: ${allowed.join(', ')}`,
      );
    }
  };
  switch (moduleName) {
    case 'PlainLoginModule':
      needMechanism(['PLAIN'], 'PLAIN');
      out.put('sasl.username', option('username'), jaasSetting, false);
      out.put('sasl.password', option('password'), jaasSetting, false);
      break;
    case 'ScramLoginModule':
      needMechanism(['SCRAM-SHA-256', 'SCRAM-SHA-512'], undefined);
      out.put('sasl.username', option('username'), jaasSetting, false);
      out.put('sasl.password', option('password'), jaasSetting, false);
      break;
    case 'OAuthBearerLoginModule': {
      needMechanism(['OAUTHBEARER'], 'OAUTHBEARER');
      // Strimzi's OAuth client options, client-credentials grant: librdkafka's built-in OIDC does the same.
      const endpoint = jaas.options.get('oauth.token.endpoint.uri');
      if (endpoint === undefined) {
        throw new ConfigError(
          jaasSetting.source,
          `${jaasSetting.source}: OAuthBearerLoginModule needs oauth.token.endpoint.uri, oauth.client.id and oauth.client.secret (client-credentials, as librdkafka's OIDC supports); other OAuth flows are not supported`,
        );
      }
      out.put('sasl.oauthbearer.method', 'oidc', jaasSetting, false);
      out.put('sasl.oauthbearer.token.endpoint.url', endpoint, jaasSetting, false);
      out.put('sasl.oauthbearer.client.id', option('oauth.client.id'), jaasSetting, false);
      out.put('sasl.oauthbearer.client.secret', option('oauth.client.secret'), jaasSetting, false);
      const scope = jaas.options.get('oauth.scope');
      if (scope !== undefined) out.put('sasl.oauthbearer.scope', scope, jaasSetting, false);
      for (const name of jaas.options.keys()) {
        if (
          !['oauth.token.endpoint.uri', 'oauth.client.id', 'oauth.client.secret', 'oauth.scope'].includes(
            name,
          )
        ) {
          notices.push({ key: `${jaasSetting.source} option ${name}`, reason: 'no librdkafka equivalent' });
        }
      }
      break;
    }
    case 'Krb5LoginModule': {
      needMechanism(['GSSAPI'], 'GSSAPI');
      const keytab = jaas.options.get('keyTab');
      const principal = jaas.options.get('principal');
      if (keytab !== undefined) out.put('sasl.kerberos.keytab', keytab, jaasSetting, false);
      if (principal !== undefined) out.put('sasl.kerberos.principal', principal, jaasSetting, false);
      break;
    }
    default:
      throw new ConfigError(
        jaasSetting.source,
        `${jaasSetting.source}: login module ${jaas.loginModule} has no librdkafka equivalent; allowed: PlainLoginModule, ScramLoginModule, OAuthBearerLoginModule (client credentials), Krb5LoginModule`,
      );
  }
}
