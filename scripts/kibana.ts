/**
 * `npm run kibana`: writes the Kibana saved objects generated from
 * src/kibana/content.ts to deploy/kibana/pra-pipeline.ndjson, and the picture
 * of the dashboard's layout drawn from that file to docs/kibana-dashboard.svg.
 * test/unit/kibana-content.test.ts fails when either is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { savedObjectsNdjson } from '../src/kibana/content.js';
import { dashboardLayoutSvg } from '../src/kibana/layout-svg.js';

export const NDJSON_PATH = fileURLToPath(new URL('../deploy/kibana/pra-pipeline.ndjson', import.meta.url));
export const SVG_PATH = fileURLToPath(new URL('../docs/kibana-dashboard.svg', import.meta.url));

writeFileSync(NDJSON_PATH, savedObjectsNdjson());
writeFileSync(SVG_PATH, dashboardLayoutSvg(readFileSync(NDJSON_PATH, 'utf8')));
console.log('Wrote deploy/kibana/pra-pipeline.ndjson and docs/kibana-dashboard.svg.');
