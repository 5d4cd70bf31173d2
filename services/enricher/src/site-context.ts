/** Per-site settings passed to stage B (ecs-mapping.md B.14, B.15). */

export { DEFAULT_TAGS } from '@pra-pipeline/shared';
export const DEFAULT_NAMESPACE = 'default';

export interface SiteContext {
  /** The site's name: part of every event.id. */
  site: string;
  /** The PRA site's host name: observer.hostname. */
  host?: string;
  /** data_stream.namespace; default "default". */
  namespace?: string;
  /** Appended to `tags`; default ["forwarded", "beyondtrust_pra-access_session"]. */
  tags?: readonly string[];
  /** Keep event.original (and tag it); default false. */
  preserveOriginalEvent?: boolean;
  /** Keep the custom copies of ECS fields (B.11, and tag it); default false. */
  preserveDuplicateCustomFields?: boolean;
  /**
   * When the poller fetched the report: event.created and the last-resort
   * @timestamp. A Date, epoch milliseconds or an ISO 8601 string.
   */
  fetchedAt: Date | number | string;
}
