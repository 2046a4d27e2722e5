import { mkdirSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROJECT = 'strimzi-bridge-injector';

/** `$XDG_CACHE_HOME/<project>` (default `~/.cache/<project>`): downloads and builds, kept across clones. */
export function cacheDir(...sub: string[]): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const dir = join(base, PROJECT, ...sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A fresh directory for one run's data, logs and certificates; never reused. */
export function newRunDir(prefix = 'stack'): string {
  return mkdtempSync(join(tmpdir(), `${PROJECT}-${prefix}-`));
}
