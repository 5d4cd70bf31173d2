import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export const START = '2024-06-01T12:00:00Z';
export const START_SEC = Date.parse(START) / 1000;

/** testdata/ beside the repository (../shared/testdata), or PRA_TESTDATA_DIR. */
export function testdataDir(): string {
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  return process.env.PRA_TESTDATA_DIR ?? join(root, '..', 'shared', 'testdata');
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

export async function requestToken(baseUrl: string, id = 'demo', secret = 'demo-secret'): Promise<Response> {
  return fetch(`${baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: basic(id, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
}

export async function token(baseUrl: string, id = 'demo', secret = 'demo-secret'): Promise<string> {
  const res = await requestToken(baseUrl, id, secret);
  if (res.status !== 200) throw new Error(`Token request failed with ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function report(baseUrl: string, bearer: string, params: Record<string, string | number>): Promise<{ status: number; text: string }> {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await fetch(`${baseUrl}/api/reporting?${query}`, { headers: { authorization: `Bearer ${bearer}` } });
  return { status: res.status, text: await res.text() };
}

export function wellFormed(xml: string): boolean {
  return XMLValidator.validate(xml) === true;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  isArray: (name) => ['session', 'event', 'representative', 'customer', 'value', 'session_summary', 'file', 'category', 'row', 'field', 'custom_attribute', 'command_shell_recording'].includes(name),
  parseTagValue: false,
  parseAttributeValue: false,
});

export interface ParsedSession {
  '@lsid': string;
  end_time?: { '@timestamp': string };
  start_time: { '@timestamp': string };
  session_chat_view_url?: string;
  jumpoint?: unknown;
  session_details: { event: { '@timestamp': string; '@event_type': string; body?: string; encoded_body?: string }[] };
  [key: string]: unknown;
}

export function parse(xml: string): Record<string, unknown> {
  return parser.parse(xml) as Record<string, unknown>;
}

export function sessionsOf(xml: string): ParsedSession[] {
  const doc = parse(xml) as { session_list?: { session?: ParsedSession[] } };
  return doc.session_list?.session ?? [];
}

export function errorOf(xml: string): string | undefined {
  const doc = parse(xml) as { error?: string | { '#text': string } };
  if (doc.error === undefined) return undefined;
  return typeof doc.error === 'string' ? doc.error : doc.error['#text'];
}
