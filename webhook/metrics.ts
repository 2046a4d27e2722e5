import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Everything /metrics serves. One registry per server, so tests and benchmarks can run several. */
export interface WebhookMetrics {
  readonly registry: Registry;
  /** `outcome`: injected, not-requested, already-injected, excluded-namespace, denied, not-a-pod-create, invalid, error. */
  readonly admissions: Counter<'outcome'>;
  readonly duration: Histogram;
  readonly tlsReloads: Counter<'result'>;
}

export function createMetrics(): WebhookMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'bridge_injector_' });
  return {
    registry,
    admissions: new Counter({
      name: 'bridge_injector_admissions_total',
      help: 'AdmissionReviews answered, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'bridge_injector_admission_duration_seconds',
      help: 'Time from a complete AdmissionReview body to the response being handed to the socket',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    tlsReloads: new Counter({
      name: 'bridge_injector_tls_reloads_total',
      help: 'Serving certificate changes picked up (result: applied, or rejected when the new pair did not load)',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}
