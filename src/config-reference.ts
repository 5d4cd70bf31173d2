/**
 * The configuration reference (docs/configuration.md), generated from the
 * services' schemas so the two cannot drift: a test regenerates it and compares.
 */
import { describeSchema, TRACING_VARIABLES, type Schema } from '@pra-pipeline/shared';
import { enricherSchema } from '@pra-pipeline/enricher';
import { pollerVars } from '@pra-pipeline/poller';
import { sinkSchema } from '@pra-pipeline/sink';
import { startSchema } from './all-in-one/config.js';

export const CONFIG_SECTIONS: readonly { title: string; command: string; schema: Schema; intro: string }[] = [
  {
    title: 'Poller',
    command: 'pra-pipeline poller',
    schema: pollerVars,
    intro: 'Collects AccessSession reports from one or more PRA sites into the raw topic. Per-site settings in PRA_SITES override the PRA_* defaults below.',
  },
  {
    title: 'Enricher',
    command: 'pra-pipeline enricher',
    schema: enricherSchema,
    intro: 'Turns raw session XML into ECS documents with GeoIP on the registered enriched topic.',
  },
  {
    title: 'Sink',
    command: 'pra-pipeline sink',
    schema: sinkSchema,
    intro: 'Indexes the enriched topic into Elasticsearch data streams.',
  },
  {
    title: 'All-in-one',
    command: 'pra-pipeline start',
    schema: startSchema,
    intro: 'The three stages in one process. Besides these, it reads the variables of each stage it runs against a real dependency (KAFKA_*, PRA_*, ES_*).',
  },
];

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function configurationMarkdown(): string {
  const out: string[] = [
    '# Configuration reference',
    '',
    'Every service reads its configuration from environment variables, validated once at start:',
    'an invalid or missing variable stops the process (exit code 2) with a message naming it.',
    'Every variable can also be read from a file by appending `_FILE` to its name',
    '(`KAFKA_SASL_PASSWORD_FILE=/run/secrets/kafka-password`), which is how Kubernetes and',
    'Docker hand over secrets. Durations are written with a unit: `500ms`, `30s`, `5m`, `1h30m`, `7d`.',
    'Lists are comma-separated. Variables marked secret are never logged.',
    '',
    'This file is generated from the schemas (`npm run docs`); a test fails when it is out of date.',
    '',
  ];
  for (const section of CONFIG_SECTIONS) {
    out.push(`## ${section.title} (\`${section.command}\`)`, '', section.intro, '');
    out.push('| Variable | Type | Default | Values or unit | Description |', '|---|---|---|---|---|');
    for (const row of describeSchema(section.schema)) {
      const type = `${row.kind}${row.secret ? ', secret' : ''}`;
      const def = row.required ? '**required**' : row.default === '' ? '—' : `\`${cell(row.default)}\``;
      out.push(`| \`${row.name}\` | ${type} | ${def} | ${cell(row.unit)} | ${cell(row.doc)} |`);
    }
    out.push('');
  }
  out.push(
    '## Tracing (every service)',
    '',
    'OpenTelemetry\'s own variables, read by its SDK: spans of the poller\'s requests, the enricher\'s mapping and the sink\'s bulk requests, joined through the `traceparent` header of each record ([deploy.md](deploy.md#monitoring)). The SDK\'s other variables (OTEL_BSP_*, OTEL_EXPORTER_OTLP_TIMEOUT ...) apply as documented by OpenTelemetry.',
    '',
    '| Variable | Description |',
    '|---|---|',
    ...TRACING_VARIABLES.map((v) => `| \`${v.name}\` | ${cell(v.doc)} |`),
    '',
  );
  return out.join('\n');
}
