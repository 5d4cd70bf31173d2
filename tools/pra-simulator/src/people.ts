/**
 * A site's cast: its representatives (API users who open sessions) and the
 * endpoints (Jump Items) they access, drawn once per site from the seed.
 */
import {
  CUSTOMERS,
  ENDPOINT_OSES,
  ENDPOINT_ROLES,
  FIRST_NAMES,
  GEO_ADDRESSES,
  LAST_NAMES,
  PRIVATE_IPS,
  REP_OSES,
} from './catalog.js';
import { Prng } from './prng.js';

export interface RepProfile {
  id: string;
  username: string;
  displayName: string;
  publicDisplayName: string;
  privateDisplayName: string;
  ip: string;
  privateIp: string;
  hostname: string;
  os: string;
}

export interface EndpointProfile {
  customer: string;
  hostname: string;
  username: string;
  ip: string;
  privateIp: string;
  os: string;
}

export interface Cast {
  reps: RepProfile[];
  endpoints: EndpointProfile[];
}

export function createCast(seed: number, site: string): Cast {
  const prng = Prng.at(seed, site, 'cast');
  const reps: RepProfile[] = [];
  const used = new Set<string>();
  while (reps.length < 12) {
    const first = prng.pick(FIRST_NAMES);
    const last = prng.pick(LAST_NAMES);
    const display = `${first} ${last}`;
    if (used.has(display)) continue;
    used.add(display);
    const username = `${first[0]}${last}`.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '');
    reps.push({
      id: String(prng.int(2, 999)),
      username,
      displayName: display,
      publicDisplayName: first,
      privateDisplayName: display,
      ip: prng.pick(GEO_ADDRESSES).ip,
      privateIp: prng.pick(PRIVATE_IPS),
      hostname: `ws-${username}`,
      os: prng.pick(REP_OSES),
    });
  }
  const endpoints: EndpointProfile[] = [];
  for (const customer of CUSTOMERS) {
    const count = prng.int(2, 5);
    for (let i = 1; i <= count; i++) {
      const role = prng.pick(ENDPOINT_ROLES);
      const os = prng.pick(ENDPOINT_OSES);
      endpoints.push({
        customer,
        hostname: `${customer}-${role}-${String(i).padStart(2, '0')}`,
        username: os.startsWith('Windows') ? 'Administrator' : prng.pick(['root', 'admin', 'ops']),
        ip: prng.pick(GEO_ADDRESSES).ip,
        privateIp: prng.pick(PRIVATE_IPS),
        os,
      });
    }
  }
  return { reps, endpoints };
}

/** "1.2.3.4:61606" or "[2001:db8::1]:56722", as appliances report public addresses. */
export function withPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
