/**
 * ecs-mapping.md B.3: `destination` and `performed_by` to
 * `beyondtrust_pra.access_session.<name>.*` and the ECS endpoint fields.
 */
import { parseAddress, type Address } from './address.js';
import { describe, toInvited, toKeyword, toLong } from './convert.js';
import type { EcsAs, EcsGeo } from './geo-fields.js';

export interface EcsEndpoint {
  domain?: string;
  ip?: string;
  port?: number;
  nat?: { ip?: string; port?: number };
  user?: { id?: string; name?: string };
  geo?: EcsGeo;
  as?: EcsAs;
}

export interface ConvertedParticipant {
  /** The custom fields (without the ECS copies unless duplicates are kept). */
  bpa: Record<string, unknown>;
  ecs: EcsEndpoint;
}

const KEYWORDS = ['display_name', 'gsnumber', 'hostname', 'id', 'os', 'type', 'username'] as const;
/** Removed from the custom fields unless preserve_duplicate_custom_fields (B.11). */
export const DUPLICATED_PARTICIPANT_FIELDS: ReadonlySet<string> = new Set(['hostname', 'id', 'private_ip', 'public_ip', 'username']);

function address(value: unknown, field: string, errors: string[]): Address | undefined {
  const parsed = parseAddress(value);
  if (parsed === 'absent') return undefined;
  if (parsed === undefined) errors.push(`${field}: ${describe(value)} is not an IP address`);
  return parsed;
}

/** undefined when the value is not an object of participant fields. */
export function convertParticipant(
  value: unknown,
  name: 'destination' | 'performed_by',
  keepDuplicates: boolean,
  errors: string[],
): ConvertedParticipant | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const p = value as Record<string, unknown>;
  const prefix = `beyondtrust_pra.access_session.${name}`;
  const bpa: Record<string, unknown> = {};
  const ecs: EcsEndpoint = {};
  for (const key of KEYWORDS) {
    const raw = p[key];
    if (raw === undefined || raw === null) continue;
    const text = toKeyword(raw);
    if (text === undefined) {
      errors.push(`${prefix}.${key}: cannot convert ${describe(raw)} to keyword`);
      continue;
    }
    if (text === '') continue;
    if (keepDuplicates || !DUPLICATED_PARTICIPANT_FIELDS.has(key)) bpa[key] = text;
    if (key === 'hostname') ecs.domain = text;
    else if (key === 'id') ecs.user = { ...ecs.user, id: text };
    else if (key === 'username') ecs.user = { ...ecs.user, name: text };
  }
  // 1 and 0 only, as the reference's script: any other value is left out, without an error.
  const invited = toInvited(p.invited);
  if (invited !== undefined) bpa.invited = invited;
  const privateIp = address(p.private_ip, `${prefix}.private_ip`, errors);
  if (privateIp !== undefined) {
    if (keepDuplicates) bpa.private_ip = privateIp.ip;
    ecs.nat = privateIp.port === undefined ? { ip: privateIp.ip } : { ip: privateIp.ip, port: privateIp.port };
  }
  const publicIp = address(p.public_ip, `${prefix}.public_ip`, errors);
  if (publicIp !== undefined) {
    if (keepDuplicates) bpa.public_ip = publicIp.ip;
    ecs.ip = publicIp.ip;
    if (publicIp.port !== undefined) ecs.port = publicIp.port;
  }
  // An empty value is a failed conversion too, as in the reference (ecs-mapping.md stage A).
  if (p.seconds_involved !== undefined && p.seconds_involved !== null) {
    const seconds = toLong(p.seconds_involved);
    if (seconds === undefined) errors.push(`${prefix}.seconds_involved: cannot convert ${describe(p.seconds_involved)} to long`);
    else bpa.seconds_involved = seconds;
  }
  if (p.session_owner !== undefined && p.session_owner !== null) {
    const owner = toKeyword(p.session_owner);
    if (owner === undefined) errors.push(`${prefix}.session_owner: cannot convert ${describe(p.session_owner)} to keyword`);
    else if (owner !== '') bpa.session_owner = owner;
  }
  return { bpa, ecs };
}
