/** What the CLI prints about a failure, scrubbed of every secret of the environment. */
import { scrubText } from '@pra-pipeline/shared';
import { environmentSecrets } from './environment-secrets.js';

export function printable(text: string, env: Record<string, string | undefined> = process.env): string {
  return scrubText(text, environmentSecrets(env));
}
