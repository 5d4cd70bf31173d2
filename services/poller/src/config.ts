/** The poller's configuration: its variables, checked, with the sites resolved. */
import { checkKafkaVars, checkSigningKey, loadConfig, type LoadOptions } from '@pra-pipeline/shared';
import { resolveSites, type SiteConfig } from './sites.js';
import { pollerVars, type PollerEnvConfig } from './variables.js';

export { pollerVars, type PollerEnvConfig };

export interface PollerConfig {
  readonly env: PollerEnvConfig;
  readonly sites: readonly SiteConfig[];
  readonly secrets: readonly string[];
}

/** Loads and checks everything, or throws one ConfigError naming each variable (and site). */
export function loadPollerConfig(options: LoadOptions = {}): PollerConfig {
  let sites: SiteConfig[] = [];
  const siteSecrets: string[] = [];
  const loaded = loadConfig('poller', pollerVars, options, (config) => {
    const resolved = resolveSites(config, options.readFile);
    sites = resolved.sites;
    siteSecrets.push(...resolved.secrets);
    return [...checkKafkaVars(config), ...checkSigningKey(config.pipelineSigningKey), ...resolved.problems];
  });
  return Object.freeze({ env: loaded.config, sites: Object.freeze(sites), secrets: Object.freeze([...loaded.secrets, ...siteSecrets]) });
}
