/** GET /topics, /topics/{t}, /topics/{t}/partitions[/{p}[/offsets]]: metadata in, JSON out. */
import type { Request, Response, Router } from 'express';
import type { KafkaAdmin } from '../kafka/admin.js';
import { sendJson } from './respond.js';
import { route, validated } from './route.js';

export interface TopicRouteDeps {
  readonly admin: KafkaAdmin;
}

/**
 * The field of GET /topics/{t} that says why `configs` is absent (e.g. "Not authorized to
 * DescribeConfigs on topic my-topic"). An addition to the contract's TopicMetadata, present only
 * when configs are missing: where the anchor answered 500 for the whole topic, we answer the rest.
 */
export const CONFIGS_UNAVAILABLE_FIELD = 'configs_unavailable';

export function registerTopicRoutes(router: Router, deps: TopicRouteDeps): void {
  const { admin } = deps;

  router.get(
    '/topics',
    route(async (_req: Request, res: Response) => {
      sendJson(res, 200, await admin.listTopics());
    }),
  );

  router.get(
    '/topics/:topicname',
    route(async (_req: Request, res: Response) => {
      const { params } = validated(res);
      const t = await admin.describeTopicWithConfigs(String(params.topicname));
      // Configs are never invented: when they could not be read, the field says why.
      if ('configs' in t) {
        // As the anchor: the key is left out when the topic has no config entries at all.
        const configs = Object.keys(t.configs).length > 0 ? { configs: t.configs } : {};
        sendJson(res, 200, { name: t.name, ...configs, partitions: t.partitions });
      } else {
        sendJson(res, 200, {
          name: t.name,
          partitions: t.partitions,
          [CONFIGS_UNAVAILABLE_FIELD]: t.configsUnavailable,
        });
      }
    }),
  );

  router.get(
    '/topics/:topicname/partitions',
    route(async (_req: Request, res: Response) => {
      const { params } = validated(res);
      const t = await admin.describeTopic(String(params.topicname));
      sendJson(res, 200, t.partitions);
    }),
  );

  router.get(
    '/topics/:topicname/partitions/:partitionid',
    route(async (_req: Request, res: Response) => {
      const { params } = validated(res);
      sendJson(res, 200, await admin.describePartition(String(params.topicname), Number(params.partitionid)));
    }),
  );

  router.get(
    '/topics/:topicname/partitions/:partitionid/offsets',
    route(async (_req: Request, res: Response) => {
      const { params } = validated(res);
      sendJson(res, 200, await admin.offsets(String(params.topicname), Number(params.partitionid)));
    }),
  );
}
