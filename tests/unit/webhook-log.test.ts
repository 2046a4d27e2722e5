import { Writable } from 'node:stream';
import { jest } from '@jest/globals';
import { createLogger } from '../../webhook/log.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n'))
        if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, stream };
}

describe('webhook log lines', () => {
  afterEach(() => jest.restoreAllMocks());

  it('are JSON with the level name, an ISO time that follows the clock, the component and the message', async () => {
    const { lines, stream } = capture();
    const logger = createLogger('info', stream);
    const now = jest.spyOn(Date, 'now');
    now.mockReturnValue(Date.parse('2026-01-02T03:04:05.006Z'));
    logger.info({ uid: 'a' }, 'admission');
    logger.info({ uid: 'b' }, 'admission');
    now.mockReturnValue(Date.parse('2026-01-02T03:04:05.007Z'));
    logger.warn({ uid: 'c' }, 'admission');
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.level, l.time, l.uid])).toEqual([
      ['info', '2026-01-02T03:04:05.006Z', 'a'],
      ['info', '2026-01-02T03:04:05.006Z', 'b'],
      ['warn', '2026-01-02T03:04:05.007Z', 'c'],
    ]);
    expect(lines[0]).toMatchObject({ component: 'bridge-injector', msg: 'admission' });
  });
});
