/** What a site gets when its options say nothing: one definition for the poller's variables and the enricher's mapping. */

/** Tags added to every event (PRA_TAGS' default, and the enricher's when a record carries none). */
export const DEFAULT_TAGS: readonly string[] = Object.freeze(['forwarded', 'beyondtrust_pra-access_session']);
