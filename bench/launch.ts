/**
 * How the images start the bridge and the webhook, so the benchmarks measure those very processes:
 * the `kafka-bridge` and `bridge-injector` commands are dist/bridge/main.js and dist/webhook/main.js
 * themselves (npm bin links, and symlinks in Dockerfile.bridge and Dockerfile.webhook), so a shebang
 * line is the one place a process's runtime settings live (environment, node/V8 flags).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export interface Launch {
  /** Environment assignments the shebang makes before node starts (e.g. MALLOC_ARENA_MAX). */
  readonly env: Readonly<Record<string, string>>;
  /** Flags given to node before the script. */
  readonly nodeArgs: readonly string[];
}

/**
 * Parses `#!/usr/bin/env node` or `#!/usr/bin/env -S [NAME=value ...] node [flags ...]`. Any other
 * form throws: a benchmark that silently ran a process differently from the image would measure
 * something nobody deploys.
 */
export function parseShebang(firstLine: string): Launch {
  if (firstLine === '#!/usr/bin/env node') return { env: {}, nodeArgs: [] };
  const m = /^#!\/usr\/bin\/env -S (.+)$/.exec(firstLine);
  const words = m ? m[1]!.split(' ').filter(Boolean) : [];
  const node = words.indexOf('node');
  if (node === -1) throw new Error(`unexpected shebang: ${firstLine}`);
  const env: Record<string, string> = {};
  for (const w of words.slice(0, node)) {
    const a = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(w);
    if (!a) throw new Error(`unexpected word '${w}' before node in the shebang: ${firstLine}`);
    env[a[1]!] = a[2]!;
  }
  return { env, nodeArgs: words.slice(node + 1) };
}

/** The launch settings of a built main.js (or of bridge/main.ts: tsc keeps the line as it is). */
export function launchOf(mainFile: string): Launch {
  return parseShebang(readFileSync(mainFile, 'utf8').split('\n', 1)[0] ?? '');
}

/**
 * True when the module at `moduleUrl` is the script node was started with (not imported by bench/run.ts).
 * Real paths, since argv[1] may be a symlink.
 */
export function isEntryPoint(moduleUrl: string): boolean {
  try {
    return process.argv[1] !== undefined && moduleUrl === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}
