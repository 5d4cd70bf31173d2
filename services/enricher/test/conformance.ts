/** Comparing our documents with the reference's: what is ours alone is set aside. */
import type { EcsDocument } from '../src/stage-b.js';

type Doc = Record<string, Record<string, unknown>>;

/** Removes what is ours alone (ecs-mapping.md B.1, B.14, B.15) and returns it. */
export function withoutOurs(doc: EcsDocument, referenceTags: readonly string[]): { rest: EcsDocument; ours: Record<string, unknown> } {
  const copy = structuredClone(doc) as Doc;
  const ours = {
    data_stream: copy.data_stream,
    dataset: copy.event?.dataset,
    module: copy.event?.module,
    id: copy.event?.id,
    created: copy.event?.created,
    hostname: copy.observer?.hostname,
    extraTags: (copy.tags as unknown as string[]).filter((t) => !referenceTags.includes(t)),
  };
  delete copy.data_stream;
  for (const key of ['dataset', 'module', 'id', 'created']) delete copy.event?.[key];
  delete copy.observer?.hostname;
  (copy as Record<string, unknown>).tags = (copy.tags as unknown as string[]).filter((t) => referenceTags.includes(t));
  return { rest: copy, ours };
}
