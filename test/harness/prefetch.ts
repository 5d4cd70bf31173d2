/**
 * Downloads (through Maven) and unpacks the test servers into .infra/, so the
 * first test run does not pay for it. `.ci/run` calls this; the harness does the
 * same on demand.
 */
import { apicurioHome, elasticsearchHome, kafkaLibs } from './artifacts.js';
import { ELASTICSEARCH_9_VERSION, ELASTICSEARCH_VERSION } from './versions.js';

const t0 = Date.now();
// Both Elasticsearch lines: npm test runs the sink's integration tests against each.
const dirs = await Promise.all([kafkaLibs(), apicurioHome(), elasticsearchHome(ELASTICSEARCH_VERSION), elasticsearchHome(ELASTICSEARCH_9_VERSION)]);
console.log(`Test servers ready in ${((Date.now() - t0) / 1000).toFixed(1)} s:\n  ${dirs.join('\n  ')}`);
