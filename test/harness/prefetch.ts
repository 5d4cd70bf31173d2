/**
 * Downloads (through Maven) and unpacks the test servers into .infra/, so the
 * first test run does not pay for it. `.ci/run` calls this; the harness does the
 * same on demand.
 */
import { apicurioHome, elasticsearchHome, kafkaLibs } from './artifacts.js';

const t0 = Date.now();
const [kafka, registry, es] = await Promise.all([kafkaLibs(), apicurioHome(), elasticsearchHome()]);
console.log(`Test servers ready in ${((Date.now() - t0) / 1000).toFixed(1)} s:\n  ${kafka}\n  ${registry}\n  ${es}`);
