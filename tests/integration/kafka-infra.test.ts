/**
 * The real broker the stack starts behaves like the Kafka users have: PLAINTEXT for setup, mutual TLS with the
 * certificate CN as principal, and ACLs that admit exactly the principals they name.
 */
import { randomBytes } from 'node:crypto';
import rdkafka, { type DeliveryReport, type LibrdKafkaError, type Message } from 'node-rdkafka';
import { addAcls, clientCertFor, createTopic, removeAcls, tlsClientConfig } from '../infra/kafka-admin.js';
import { requireKafka } from '../infra/state.js';

const kafka = requireKafka();
const { CODES } = rdkafka;
// Jest reads `testTimeout` only from the top-level config, not from a project's: say it per test.
const TEST_TIMEOUT_MS = 90_000;

function unique(prefix: string): string {
  return `${prefix}-${Date.now()}-${randomBytes(3).toString('hex')}`;
}

type Config = Record<string, string | number | boolean>;

/** Produces one record and resolves with its delivery report, or rejects with the delivery error. */
async function produceOne(
  config: Config,
  topic: string,
  key: string,
  value: string,
): Promise<DeliveryReport> {
  const producer = new rdkafka.Producer({ ...config, dr_cb: true }, { 'message.timeout.ms': 20_000 });
  try {
    await new Promise<void>((resolve, reject) =>
      producer.connect({ timeout: 20_000 }, (err) => (err ? reject(err) : resolve())),
    );
    producer.setPollInterval(20);
    return await new Promise<DeliveryReport>((resolve, reject) => {
      producer.once('delivery-report', (err, report) => (err ? reject(err) : resolve(report)));
      producer.produce(topic, null, Buffer.from(value), key);
    });
  } finally {
    await disconnect(producer);
  }
}

/** Reads records from the start of `topic` in a fresh group until one arrives (or 30 s pass). */
async function consumeOne(config: Config, topic: string, groupId: string): Promise<Message> {
  const consumer = new rdkafka.KafkaConsumer(
    { ...config, 'group.id': groupId, 'enable.auto.commit': false },
    { 'auto.offset.reset': 'earliest' },
  );
  try {
    await new Promise<void>((resolve, reject) =>
      consumer.connect({ timeout: 20_000 }, (err) => (err ? reject(err) : resolve())),
    );
    consumer.subscribe([topic]);
    consumer.setDefaultConsumeTimeout(500);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const batch = await new Promise<Message[]>((resolve, reject) =>
        consumer.consume(1, (err, messages) => (err ? reject(err) : resolve(messages))),
      );
      if (batch[0]) return batch[0];
    }
    throw new Error(`no record arrived on ${topic} within 30 s`);
  } finally {
    await disconnect(consumer);
  }
}

/** Connects a producer (which fetches metadata) and disconnects it; rejects with the connect error. */
async function connectOnly(config: Config, timeout: number): Promise<void> {
  const producer = new rdkafka.Producer(config);
  try {
    await new Promise<void>((resolve, reject) =>
      producer.connect({ timeout }, (err) => (err ? reject(err) : resolve())),
    );
  } finally {
    await disconnect(producer);
  }
}

/** A connected node-rdkafka client keeps the process alive for ~30 s: always disconnect, and wait for it. */
function disconnect(client: rdkafka.Producer | rdkafka.KafkaConsumer): Promise<void> {
  return new Promise((resolve) => {
    if (!client.isConnected()) {
      resolve();
      return;
    }
    client.disconnect(() => resolve());
  });
}

describe('the test Kafka broker', () => {
  it(
    'carries a record from a producer to a consumer over PLAINTEXT',
    async () => {
      const topic = unique('infra-plain');
      await createTopic(kafka, topic, 1);
      const plain = { 'bootstrap.servers': kafka.plaintext };

      const report = await produceOne(plain, topic, 'k1', 'hello over plaintext');
      expect(report).toMatchObject({ topic, partition: 0, offset: 0 });

      const msg = await consumeOne(plain, topic, unique('g-plain'));
      expect(msg.value?.toString()).toBe('hello over plaintext');
      expect(msg.key?.toString()).toBe('k1');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'carries a record over mutual TLS for a principal (certificate CN) that holds ACLs',
    async () => {
      const topic = unique('infra-tls');
      const group = unique('g-tls');
      const cn = unique('alice');
      await createTopic(kafka, topic, 1);
      const alice = await clientCertFor(kafka, cn);
      await addAcls(kafka, cn, [
        { resource: { topic }, operations: ['Write', 'Read', 'Describe'] },
        { resource: { group }, operations: ['Read'] },
      ]);
      const tls = tlsClientConfig(kafka, alice);

      const report = await produceOne(tls, topic, 'k2', 'hello over mTLS');
      expect(report).toMatchObject({ topic, partition: 0, offset: 0 });

      const msg = await consumeOne(tls, topic, group);
      expect(msg.value?.toString()).toBe('hello over mTLS');
      expect(msg.key?.toString()).toBe('k2');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'denies a TLS client whose principal has no ACL with an authorization error',
    async () => {
      const topic = unique('infra-denied');
      await createTopic(kafka, topic, 1);
      // The same topic is writable for a principal that was granted it: the denial is about the principal.
      const granted = await clientCertFor(kafka, unique('writer'));
      await addAcls(kafka, granted.cn, [{ resource: { topic }, operations: ['Write', 'Describe'] }]);
      await expect(produceOne(tlsClientConfig(kafka, granted), topic, 'k', 'allowed')).resolves.toMatchObject(
        {
          topic,
        },
      );

      const stranger = await clientCertFor(kafka, unique('mallory'));
      const denied = await produceOne(tlsClientConfig(kafka, stranger), topic, 'k', 'denied').then(
        () => undefined,
        (err: LibrdKafkaError) => err,
      );
      expect(denied).toBeDefined();
      // node-rdkafka 3.6.1 builds delivery-report errors from librdkafka's error string, so the code is -1 and
      // ERR_TOPIC_AUTHORIZATION_FAILED (29) shows only as the text: 'Broker: Topic authorization failed'.
      expect(denied).toMatchObject({ origin: 'broker', message: 'topic authorization failed' });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'takes access back when the ACLs are removed',
    async () => {
      const topic = unique('infra-revoke');
      await createTopic(kafka, topic, 1);
      const bob = await clientCertFor(kafka, unique('bob'));
      const acls = [{ resource: { topic }, operations: ['Write', 'Describe'] }];
      const tls = tlsClientConfig(kafka, bob);

      await addAcls(kafka, bob.cn, acls);
      await expect(produceOne(tls, topic, 'k', 'while granted')).resolves.toMatchObject({ topic });
      await removeAcls(kafka, bob.cn, acls);
      await expect(produceOne(tls, topic, 'k', 'after removal')).rejects.toMatchObject({
        origin: 'broker',
        message: 'topic authorization failed',
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses a TLS client that presents no certificate (ssl.client.auth=required)',
    async () => {
      const noCert = {
        'bootstrap.servers': kafka.ssl,
        'security.protocol': 'ssl',
        'ssl.ca.location': kafka.caCertFile,
      };
      // The broker ends every handshake; when the metadata wait runs out librdkafka reports that transport
      // failure, not a plain timeout.
      await expect(connectOnly(noCert, 2_000)).rejects.toMatchObject({ code: CODES.ERRORS.ERR__TRANSPORT });
      // The same settings plus a certificate from the cluster CA get in.
      await expect(
        connectOnly(
          {
            ...noCert,
            'ssl.certificate.location': kafka.adminCertFile,
            'ssl.key.location': kafka.adminKeyFile,
          },
          20_000,
        ),
      ).resolves.toBeUndefined();
    },
    TEST_TIMEOUT_MS,
  );
});
