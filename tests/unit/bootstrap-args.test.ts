import { parseArgs } from 'node:util';
import { BOOTSTRAP_ARG_OPTIONS, bootstrapOptionsFromArgs } from '../../webhook/bootstrap-args.js';
import type { KubeRest } from '../../webhook/kube-rest.js';

// Parsing flags never calls the API server.
const kube: KubeRest = {
  server: 'https://kubernetes.invalid',
  call: () => Promise.reject(new Error('not called')),
};

function parse(args: string[]) {
  return parseArgs({ args, options: { ...BOOTSTRAP_ARG_OPTIONS, port: { type: 'string' } } }).values;
}

describe('certificate bootstrap flags', () => {
  it('takes the chart’s flags, sorting extra SANs into names and IP addresses', () => {
    const o = bootstrapOptionsFromArgs(
      parse([
        '--tls-secret',
        'inj-tls',
        '--webhook-config',
        'inj',
        '--service',
        'inj-svc',
        '--tls-san',
        '127.0.0.1',
        '--tls-san',
        'webhook.local',
        '--tls-san',
        '::1',
        '--cert-resync-seconds',
        '0.5',
      ]),
      { kube },
      { POD_NAMESPACE: 'injector' },
    );
    expect(o).toMatchObject({
      namespace: 'injector',
      secretName: 'inj-tls',
      webhookConfigName: 'inj',
      serviceName: 'inj-svc',
      extraDnsNames: ['webhook.local'],
      ipAddresses: ['127.0.0.1', '::1'],
      resyncIntervalMs: 500,
    });
  });

  it('defaults to the chart’s names and refuses to guess the namespace', () => {
    expect(bootstrapOptionsFromArgs(parse(['--namespace', 'ns']), { kube }, {})).toMatchObject({
      secretName: 'bridge-injector-tls',
      webhookConfigName: 'bridge-injector',
      serviceName: 'bridge-injector',
    });
    expect(() => bootstrapOptionsFromArgs(parse([]), { kube }, {})).toThrow(/--namespace is required/);
    expect(() =>
      bootstrapOptionsFromArgs(parse(['--namespace', 'n', '--cert-resync-seconds', 'soon']), { kube }, {}),
    ).toThrow('--cert-resync-seconds "soon": a positive number is required');
  });
});
