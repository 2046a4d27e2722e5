/**
 * The images and the benchmarks start the bridge and the webhook the same way: the images' commands
 * are the main.js files themselves, whose shebangs carry the runtime settings, and the benchmarks
 * read those shebangs.
 * If either side changed alone, the published memory figures would describe a process nobody runs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launchOf, parseShebang } from '../../bench/launch.js';

const file = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

describe('how the images start the bridge and the webhook', () => {
  test("the image's kafka-bridge command is main.js itself, so main.js's shebang applies", () => {
    const dockerfile = readFileSync(file('Dockerfile.bridge'), 'utf8');
    expect(dockerfile).toContain('ln -s /app/dist/bridge/main.js /usr/local/bin/kafka-bridge');
    expect(dockerfile).toContain('chmod 0755 /app/dist/bridge/main.js');
    expect(dockerfile).not.toMatch(/node\s+\/app\/dist\/bridge\/main\.js/);
    expect(dockerfile).toContain('ENTRYPOINT ["kafka-bridge"]');
  });

  test('the benchmarks read the shebang the image runs (plain node today)', () => {
    expect(launchOf(file('bridge/main.ts'))).toEqual({ env: {}, nodeArgs: [] });
  });

  test("the webhook image's bridge-injector is main.js itself, whose shebang bounds the young generation", () => {
    const dockerfile = readFileSync(file('Dockerfile.webhook'), 'utf8');
    expect(dockerfile).toContain('ln -s /app/dist/webhook/main.js /usr/local/bin/bridge-injector');
    expect(dockerfile).not.toMatch(/node\s+\/app\/dist\/webhook\/main\.js/);
    expect(dockerfile).toContain('ENTRYPOINT ["bridge-injector"]');
    expect(launchOf(file('webhook/main.ts'))).toEqual({ env: {}, nodeArgs: ['--max-semi-space-size=2'] });
  });

  test('node flags and plain shebangs are read too', () => {
    expect(parseShebang('#!/usr/bin/env node')).toEqual({ env: {}, nodeArgs: [] });
    expect(parseShebang('#!/usr/bin/env -S A=1 node --max-semi-space-size=4')).toEqual({
      env: { A: '1' },
      nodeArgs: ['--max-semi-space-size=4'],
    });
  });

  test('a shebang the benchmarks cannot read stops them instead of being ignored', () => {
    expect(() => parseShebang('#!/bin/sh')).toThrow(/unexpected shebang/);
    expect(() => parseShebang('#!/usr/bin/env -S --foo node')).toThrow(/unexpected word '--foo'/);
  });
});
