/** GET /topics, /topics/{t}, /topics/{t}/partitions[/{p}[/offsets]]: metadata in, JSON out. */
import type { Request, Response, Router } from 'express';
import type { KafkaAdmin } from '../kafka/admin.js';
import { sendJson } from './respond.js';
import { route, validated } from './route.js';

export interface TopicRouteDeps {
  readonly admin: KafkaAdmin;
}

/**
 * The field of GET /topics/{t} that says why `configs` is absent. An addition to the contract's
 * TopicMetadata (which lists no such field): the one place we answer more than the anchor, because
 * a missing `configs` without a reason is what sent the scenario's user hunting.
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
      const t = await admin.describeTopic(String(params.topicname));
      // `configs` is left out, not faked: this client cannot run DescribeConfigs. The field says so.
      sendJson(res, 200, {
        name: t.name,
        partitions: t.partitions,
        [CONFIGS_UNAVAILABLE_FIELD]: t.configsUnavailable,
      });
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
