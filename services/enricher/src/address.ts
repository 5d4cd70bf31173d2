import { isIP } from 'node:net';

/** An address as PRA reports it: bare, `a.b.c.d:port` or `[v6]:port`. */
export interface Address {
  ip: string;
  port?: number;
}

const V4_WITH_PORT = /^([^:]+):(\d{1,5})$/;
const BRACKETED = /^\[([^\]]+)\](?::(\d{1,5}))?$/;

function port(text: string | undefined): number | undefined | null {
  if (text === undefined) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

/**
 * 'absent' for an empty value or `Unknown` (any case); undefined when the
 * value is no address; otherwise the address and the port if one was given.
 */
export function parseAddress(value: unknown): Address | 'absent' | undefined {
  if (value === undefined || value === null) return 'absent';
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '' || text.toLowerCase() === 'unknown') return 'absent';
  if (isIP(text) !== 0) return { ip: text };
  const bracketed = BRACKETED.exec(text);
  if (bracketed !== null) {
    const p = port(bracketed[2]);
    if (isIP(bracketed[1] ?? '') !== 6 || p === null) return undefined;
    return p === undefined ? { ip: bracketed[1] as string } : { ip: bracketed[1] as string, port: p };
  }
  const v4 = V4_WITH_PORT.exec(text);
  if (v4 !== null) {
    const p = port(v4[2]);
    if (isIP(v4[1] ?? '') !== 4 || p === null || p === undefined) return undefined;
    return { ip: v4[1] as string, port: p };
  }
  return undefined;
}
