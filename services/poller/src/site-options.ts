/** Each site's options as PRA_* variables: the defaults of every site (sites.ts). */
import { DEFAULT_TAGS, v } from '@pra-pipeline/shared';

export { DEFAULT_TAGS };

/** Each site's options, as PRA_* variables (the defaults of every site). */
export const siteDefaultVars = {
  praInitialInterval: v.duration({ default: 86_400_000, min: 1000, doc: 'How far back a site with no cursor starts.' }),
  praInterval: v.duration({ default: 300_000, min: 1000, doc: 'Time between polls of a site.' }),
  praHttpTimeout: v.duration({ default: 30_000, min: 100, doc: 'HTTP timeout: for the response headers, and between two chunks of the body. Must be shorter than the interval.' }),
  praRequestDeadline: v.duration({ default: 600_000, min: 1000, doc: 'Overall deadline of one request, from sending it to the end of its body, beside the HTTP timeout (which applies between chunks): a site that trickles a body ends with a timeout error and a retry. Must be longer than the HTTP timeout.' }),
  praAllowInsecureHttp: v.boolean({ default: false, doc: 'Allow an http:// site URL. Off, an http:// URL is refused at start, since the client credentials and tokens would travel in clear; on, it is logged as a warning.' }),
  praProxyUrl: v.url({ optional: true, doc: 'HTTP(S) proxy for the site.' }),
  praTlsCaFile: v.string({ optional: true, doc: 'PEM CA bundle for the site (default: system CAs).' }),
  praTlsCertFile: v.string({ optional: true, doc: 'PEM client certificate for the site.' }),
  praTlsKeyFile: v.string({ optional: true, doc: 'PEM client key for the site.' }),
  praTlsVerify: v.boolean({ default: true, doc: 'Verify the site\'s certificate (off is logged as a warning).' }),
  praPreserveOriginalEvent: v.boolean({ default: false, doc: 'Keep event.original (passed to the enricher in a header).' }),
  praPreserveDuplicateCustomFields: v.boolean({ default: false, doc: 'Keep beyondtrust_pra.* copies of ECS fields (passed to the enricher).' }),
  praTags: v.list({ default: DEFAULT_TAGS, doc: 'Tags added to every event (passed to the enricher).' }),
  praNamespace: v.string({ default: 'default', doc: 'Data stream namespace (passed to the enricher).' }),
  praMaxWindow: v.duration({ default: 3_600_000, min: 1000, doc: 'Longest time window of one report request.' }),
  praSafetyLag: v.duration({ default: 30_000, min: 0, doc: 'Windows end this long before now, so late-registered sessions are not skipped.' }),
  praClosedOverlap: v.duration({ default: 60_000, min: 0, doc: 'The closed-session listing re-reads this much before its cursor (sessions that appear late, clock skew).' }),
  praOpenSessionMaxAge: v.duration({ default: 604_800_000, min: 60_000, doc: 'A running session is re-fetched until it ends or is this old (then dropped, with a warning; the listing still catches its end).' }),
  praRateLimit: v.number({ default: 20, min: 0.01, doc: 'Requests per second to the site (token bucket).' }),
  praMaxResponseBytes: v.integer({ default: 4 * 1024 ** 3, min: 1024, doc: 'Largest response body accepted.' }),
  praLsidsBatch: v.integer({ default: 50, min: 1, max: 500, doc: 'Sessions per AccessSession&lsids= request.' }),
};
