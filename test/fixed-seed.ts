/**
 * Preloaded by `npm test` when CI is set: every property test draws from one
 * fixed seed, so a CI verdict can be reproduced. Elsewhere each run explores
 * new inputs (fast-check prints the seed of any failure to replay it).
 */
import fc from 'fast-check';

if (process.env.CI && !process.env.FUZZ_SEED) fc.configureGlobal({ seed: 20261125 });
