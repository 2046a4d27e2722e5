import { readFileSync } from 'node:fs';
import { RDKAFKA_PROPERTIES, TOPIC_LEVEL_PROPERTIES } from '../../bridge/config/librdkafka-properties.js';
import { canonicalName } from '../../bridge/config/translate.js';

// The documentation of the librdkafka node-rdkafka was built with.
const CONFIGURATION_MD = 'node_modules/node-rdkafka/deps/librdkafka/CONFIGURATION.md';

function documented(): Map<string, { scope: string; range: string; alias?: string }> {
  const out = new Map<string, { scope: string; range: string; alias?: string }>();
  for (const line of readFileSync(CONFIGURATION_MD, 'utf8').split('\n')) {
    const m = /^([a-z][a-z0-9._]+) +\|([^|]*)\|([^|]*)\|[^|]*\|[^|]*\|(.*)$/.exec(line);
    if (!m || out.has(m[1]!)) continue;
    const alias = /^\s*(?:\*\*DEPRECATED\*\* )?Alias for `([a-z0-9._]+)`/.exec(m[4]!)?.[1];
    out.set(m[1]!, { scope: m[2]!.trim(), range: m[3]!.trim(), ...(alias ? { alias } : {}) });
  }
  return out;
}

describe('the librdkafka property table', () => {
  it('lists exactly the properties of the installed librdkafka, with their scope', () => {
    const docs = documented();
    expect(docs.size).toBeGreaterThan(150);
    expect([...RDKAFKA_PROPERTIES.keys()].sort()).toEqual([...docs.keys()].sort());
    for (const [name, prop] of RDKAFKA_PROPERTIES)
      expect([name, prop.scope]).toEqual([name, docs.get(name)!.scope]);
  });

  it('has the documented numeric ranges and enum values', () => {
    const docs = documented();
    for (const [name, prop] of RDKAFKA_PROPERTIES) {
      const range = docs.get(name)!.range;
      if (prop.min !== undefined) expect([name, range]).toEqual([name, `${prop.min} .. ${prop.max}`]);
      if (prop.values) expect([name, prop.values.join(', ')]).toEqual([name, range]);
    }
  });

  it('folds every librdkafka alias pair onto one name', () => {
    for (const [name, { alias }] of documented()) {
      if (alias) expect([name, canonicalName(name)]).toEqual([name, canonicalName(alias)]);
    }
  });

  it('knows which properties exist only at topic level', () => {
    const text = readFileSync(CONFIGURATION_MD, 'utf8');
    const topicSection = text.slice(text.indexOf('## Topic configuration properties'));
    const globalSection = text.slice(0, text.indexOf('## Topic configuration properties'));
    const names = (section: string) =>
      new Set([...section.matchAll(/^([a-z][a-z0-9._]+) +\|/gm)].map((m) => m[1]!));
    const global = names(globalSection);
    const topicOnly = [...names(topicSection)].filter((n) => !global.has(n));
    expect([...TOPIC_LEVEL_PROPERTIES].sort()).toEqual(topicOnly.sort());
  });
});
