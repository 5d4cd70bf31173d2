/** The secrets an environment holds, for scrubbing what is printed outside a service's own logger. */
import { readFileSync } from 'node:fs';
import { envName } from '@pra-pipeline/shared';
import { CONFIG_SECTIONS } from './config-reference.js';

function readSecretFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch {
    return undefined;
  }
}

/**
 * Every secret the environment holds, as the services would read them: the secret variables of
 * every stage (or their _FILE), the client secrets inside PRA_SITES, and passwords written into URLs.
 */
export function environmentSecrets(env: Record<string, string | undefined>): string[] {
  const found: string[] = [];
  const names = new Set(CONFIG_SECTIONS.flatMap((section) => Object.entries(section.schema).filter(([, spec]) => spec.secret).map(([key]) => envName(key))));
  for (const name of names) {
    const value = env[name] ?? (env[`${name}_FILE`] ? readSecretFile(env[`${name}_FILE`] as string) : undefined);
    if (value) found.push(value);
  }
  const sites = env.PRA_SITES ?? (env.PRA_SITES_FILE ? readSecretFile(env.PRA_SITES_FILE) : undefined);
  try {
    for (const site of (sites ? JSON.parse(sites) : []) as { client_secret?: unknown; client_secret_file?: unknown }[]) {
      if (typeof site?.client_secret === 'string') found.push(site.client_secret);
      if (typeof site?.client_secret_file === 'string') found.push(readSecretFile(site.client_secret_file) ?? '');
    }
  } catch {
    // Not JSON: the poller says so; nothing to collect here.
  }
  for (const value of Object.values(env)) {
    for (const m of (value ?? '').matchAll(/:\/\/[^\s/:@]*:([^\s/@]+)@/g)) {
      const password = m[1] as string;
      found.push(password);
      try {
        found.push(decodeURIComponent(password));
      } catch {
        // Not valid percent-encoding: the raw form is enough.
      }
    }
  }
  return found.filter((s) => s.length >= 4);
}

