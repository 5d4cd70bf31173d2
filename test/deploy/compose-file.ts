/**
 * docker-compose.yml as the tests see it: parsed with YAML merge keys (the
 * `<<: *pipeline` anchors), and `${VAR:-default}` interpolated with defaults
 * only, as `docker compose up` does without a .env.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from './tools.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Compose = { services: Record<string, any>; volumes?: Record<string, unknown>; [key: string]: unknown };

export const composeText = (): string => readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');

/** The raw file (variables not interpolated). */
export function composeRaw(): Compose {
  return parse(composeText(), { merge: true }) as Compose;
}

const VARIABLE = /\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g;

/** Every ${VAR} the file uses, with its default. */
export function composeVariables(): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const [, name, fallback] of composeText().matchAll(VARIABLE)) out.set(name as string, fallback);
  return out;
}

/** The file with every ${VAR:-default} replaced by its default (or by env[VAR]). */
export function composeInterpolated(env: Record<string, string> = {}): Compose {
  const text = composeText().replace(VARIABLE, (_m, name: string, fallback: string | undefined) => env[name] ?? fallback ?? '');
  return parse(text, { merge: true }) as Compose;
}

/** A service's environment as a name -> string map (list or map form). */
export function serviceEnv(service: { environment?: Record<string, unknown> | string[] }): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((e) => {
      const i = e.indexOf('=');
      return [e.slice(0, i), e.slice(i + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}
