/**
 * The one catalogue of every error the bridge answers, with its HTTP status and message.
 *
 * Status codes and message texts follow the Strimzi Kafka Bridge wherever it has one (see
 * strimzi-bridge-behaviour.md §1.3, §4.9); where we deliberately do better (403 naming the
 * operation and resource, 503 naming the bootstrap address, 413) the entry says so.
 * Routes never build an error body by hand: they throw (or return) one of these.
 */

/** The error body of the Strimzi bridge: `validation_errors` only when non-empty. */
export interface ErrorBody {
  error_code: number;
  message: string;
  validation_errors?: string[];
}

/** The content type of every bridge JSON response and of every error. */
export const KAFKA_JSON = 'application/vnd.kafka.v2+json';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly validationErrors: readonly string[] = [],
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { error_code: this.status, message: this.message };
    if (this.validationErrors.length > 0) body.validation_errors = [...this.validationErrors];
    return body;
  }
}

/** A Kafka resource type as the broker's ACLs name it. */
export type AclResourceType = 'topic' | 'group' | 'cluster' | 'transactional id';

/** Kafka ACL operations the bridge can be denied. */
export type AclOperation =
  | 'Read'
  | 'Write'
  | 'Create'
  | 'Describe'
  | 'DescribeConfigs'
  | 'Alter'
  | 'AlterConfigs'
  | 'Delete'
  | 'IdempotentWrite';

export const errors = {
  // ---- router level (400 / 404 / 413), texts as the anchor's Vert.x router answers them ----
  routeNotFound: () => new HttpError(404, 'Not Found'),
  methodNotAllowed: (method: string, path: string) =>
    new HttpError(405, `Method ${method} is not allowed on ${path}`),
  schemaValidation: (problems: readonly string[]) =>
    new HttpError(400, 'Validation error on: Schema validation error', problems),
  parameter: (name: string, problem: string) =>
    new HttpError(400, `Parameter error on: ${name} - ${problem}`),
  unsupportedBodyFormat: (contentType: string | undefined, allowed: readonly string[]) =>
    new HttpError(
      400,
      `Validation error on: The format of the request body is not supported: Content-Type ${
        contentType ? `'${contentType}'` : 'missing'
      }; allowed: ${allowed.join(', ')}`,
    ),
  bodyNotJson: (detail: string) =>
    new HttpError(400, `Validation error on: The request body is not valid JSON: ${detail}`),
  bodyRequired: () => new HttpError(400, 'Validation error on: The request body is required'),
  /** Ours: the anchor has no body limit. */
  bodyTooLarge: (limitBytes: number) =>
    new HttpError(413, `Request body larger than the limit of ${limitBytes} bytes (http.maxBodyBytes)`),

  // ---- producer ----
  producerDisabled: () =>
    new HttpError(
      503,
      'Producer is disabled in config. To enable producer update http.producer.enabled to true',
    ),
  /** 422: a key/value that the embedded format cannot carry (e.g. a number in text format). */
  recordConversion: (message: string) => new HttpError(422, message),
  partitionInBodyAndPath: () => new HttpError(422, 'Partition specified in body and in request path'),
  /** The producer's local queue is full (librdkafka `queue.buffering.max.*`): retry later. */
  producerOverloaded: () => new HttpError(503, 'Bridge is overloaded, please retry later'),

  // ---- topics / partitions / admin ----
  topicNotFound: (topic: string) => new HttpError(404, `The specified topic was not found: ${topic}`),
  partitionNotFound: (topic: string, partition: number) =>
    new HttpError(404, `Specified partition does not exist: topic ${topic} has no partition ${partition}`),
  emptyNewTopic: () => new HttpError(422, 'The topic specification is empty'),
  topicAlreadyExists: (topic: string) => new HttpError(500, `Topic '${topic}' already exists.`),

  // ---- Kafka (better than the anchor: names what was denied / unreachable) ----
  notAuthorized: (operation: AclOperation, resourceType: AclResourceType, resource: string) =>
    new HttpError(403, `Not authorized to ${operation} on ${resourceType} ${resource}`),
  kafkaUnreachable: (bootstrapServers: string, detail?: string) =>
    new HttpError(503, `Kafka is not reachable at ${bootstrapServers}${detail ? `: ${detail}` : ''}`),
  kafkaTimeout: (what: string, timeoutMs: number) =>
    new HttpError(504, `Kafka did not answer ${what} within ${timeoutMs} ms`),
  kafka: (message: string) => new HttpError(500, message),
  internal: (message = 'Internal server error') => new HttpError(500, message),
  shuttingDown: () => new HttpError(503, 'The bridge is shutting down'),

  // ---- consumers (issue 4), texts as the anchor's ----
  consumerDisabled: () =>
    new HttpError(
      503,
      'Consumer is disabled in config. To enable consumer update http.consumer.enabled to true',
    ),
  consumerNotFound: () => new HttpError(404, 'The specified consumer instance was not found.'),
  consumerAlreadyExists: () =>
    new HttpError(409, 'A consumer instance with the specified name already exists in the Kafka Bridge.'),
  invalidFormat: () => new HttpError(422, 'Invalid format type.'),
  consumerConfig: (message: string) => new HttpError(422, message),
  subscriptionConflict: () =>
    new HttpError(409, 'Subscriptions to topics, partitions, and patterns are mutually exclusive.'),
  subscriptionMissing: () =>
    new HttpError(422, 'A list (of Topics type) or a topic_pattern must be specified.'),
  notSubscribed: () =>
    new HttpError(500, 'Consumer is not subscribed to any topics or assigned any partitions'),
  acceptMismatch: () =>
    new HttpError(406, 'Consumer format does not match the embedded format requested by the Accept header.'),
  decodeFailed: (detail: string) => new HttpError(406, `Failed to decode: ${detail}`),
  responseTooLarge: () =>
    new HttpError(422, 'Response exceeds the maximum number of bytes the consumer can receive'),
  partitionNotAssigned: (topic: string, partition: number) =>
    new HttpError(404, `No current assignment for partition ${topic}-${partition}`),
  invalidBaseUriScheme: (scheme: string) => new HttpError(500, `${scheme} is not a valid schema/proto.`),
} as const;

export type ErrorCatalogue = typeof errors;

/** Anything thrown becomes an HttpError; unknown errors are a 500 with their message. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof Error) return errors.internal(err.message);
  return errors.internal(String(err));
}

/** Minimal response surface, so this module does not depend on express. */
export interface ErrorSink {
  headersSent: boolean;
  status(code: number): ErrorSink;
  setHeader(field: string, value: string): unknown;
  end(body?: string): unknown;
  /** express's res.locals: the message is kept there for the request log of a 5xx answer. */
  locals?: Record<string, unknown>;
}

/** Writes the error exactly as the anchor does: vnd.kafka.v2+json with an explicit Content-Length. */
export function sendError(res: ErrorSink, err: unknown): void {
  const e = toHttpError(err);
  if (res.headersSent) return;
  if (res.locals) res.locals.errorMessage = e.message;
  const body = JSON.stringify(e.toBody());
  res.status(e.status);
  res.setHeader('Content-Type', KAFKA_JSON);
  res.setHeader('Content-Length', String(Buffer.byteLength(body)));
  res.end(body);
}
