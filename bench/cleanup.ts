/** Removes what a benchmark created on the shared servers: topics, registry subjects, data streams. */
import type { Kafka } from '@pra-pipeline/shared';

export async function deleteTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 });
  } catch {
    // Best effort: unique names never collide with the next run.
  } finally {
    await admin.disconnect();
  }
}

export async function deleteSubject(registryUrl: string, subject: string): Promise<void> {
  const url = `${registryUrl}/subjects/${encodeURIComponent(subject)}`;
  await fetch(url, { method: 'DELETE', signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  await fetch(`${url}?permanent=true`, { method: 'DELETE', signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
}

export async function deleteDataStream(esNode: string, name: string): Promise<void> {
  await fetch(`${esNode}/_data_stream/${encodeURIComponent(name)}`, { method: 'DELETE', signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
}

/** Documents Elasticsearch can search in the data stream now (no refresh forced). */
export async function searchableCount(esNode: string, name: string): Promise<number> {
  const res = await fetch(`${esNode}/${encodeURIComponent(name)}/_count`, { signal: AbortSignal.timeout(10_000) });
  if (res.status === 404) return 0;
  if (!res.ok) throw new Error(`_count of ${name} failed: HTTP ${res.status}`);
  return ((await res.json()) as { count: number }).count;
}
