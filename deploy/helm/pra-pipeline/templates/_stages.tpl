{{/*
Per-stage variables. Each *Config helper adds to the map .c; each *SecretEnv
helper emits EnvVar entries that reference existing Secrets.
*/}}

{{- define "pra-pipeline.pollerConfig" -}}
{{- $v := .root.Values }}
{{- $sites := list }}
{{- range $v.poller.sites }}
{{- $site := dict }}
{{- range $k, $val := (default dict .options) }}
{{- $_ := set $site $k $val }}
{{- end }}
{{- $_ := set $site "name" .name }}
{{- $_ := set $site "url" .url }}
{{- $_ := set $site "client_id" .clientId }}
{{- $_ := set $site "client_secret_file" (printf "/etc/pra-pipeline/sites/%s/%s" .name (default "client-secret" .clientSecret.key)) }}
{{- $sites = append $sites $site }}
{{- end }}
{{- if $sites }}
{{- $_ := set .c "PRA_SITES" (toJson $sites) }}
{{- end }}
{{- $_ := set .c "PRA_NAMESPACE" $v.poller.namespace }}
{{- $_ := set .c "POLLER_RAW_TOPIC" $v.kafka.topics.raw }}
{{- $_ := set .c "POLLER_STATE_TOPIC" $v.kafka.topics.state }}
{{- end }}

{{- define "pra-pipeline.pollerSecretEnv" -}}
{{- end }}

{{- define "pra-pipeline.enricherConfig" -}}
{{- $v := .root.Values }}
{{- $_ := set .c "ENRICHER_INPUT_TOPIC" $v.kafka.topics.raw }}
{{- $_ := set .c "ENRICHER_OUTPUT_TOPIC" $v.kafka.topics.enriched }}
{{- $_ := set .c "ENRICHER_GROUP_ID" $v.enricher.consumerGroup }}
{{- $_ := set .c "SCHEMA_COMPATIBILITY" $v.schemaRegistry.compatibility }}
{{- $_ := set .c "SCHEMA_AUTO_REGISTER" (toString $v.schemaRegistry.autoRegister) }}
{{- if ne $v.enricher.geoip.source "none" }}
{{- $_ := set .c "GEOIP_DIR" "/geoip" }}
{{- end }}
{{- end }}

{{- define "pra-pipeline.enricherSecretEnv" -}}
{{- end }}

{{- define "pra-pipeline.sinkConfig" -}}
{{- $v := .root.Values }}
{{- $_ := set .c "SINK_TOPIC" $v.kafka.topics.enriched }}
{{- $_ := set .c "SINK_GROUP_ID" $v.sink.consumerGroup }}
{{- $_ := set .c "ES_NODE" (required "elasticsearch.node is required" $v.elasticsearch.node) }}
{{- if $v.elasticsearch.tls.existingSecret }}
{{- $_ := set .c "ES_CA_FILE" (printf "/etc/pra-pipeline/es-tls/%s" $v.elasticsearch.tls.caKey) }}
{{- end }}
{{- $namespaces := dict }}
{{- range $site, $ns := $v.sink.siteNamespaces }}
{{- $_ := set $namespaces $site $ns }}
{{- end }}
{{- if and (not $v.sink.siteNamespaces) $v.poller.enabled }}
{{- range $v.poller.sites }}
{{- $_ := set $namespaces .name (default $v.poller.namespace (default dict .options).namespace) }}
{{- end }}
{{- end }}
{{- if $namespaces }}
{{- $pairs := list }}
{{- range $site, $ns := $namespaces }}
{{- $pairs = append $pairs (printf "%s=%s" $site $ns) }}
{{- end }}
{{- $_ := set .c "SINK_SITE_NAMESPACES" (join "," $pairs) }}
{{- end }}
{{- end }}

{{- define "pra-pipeline.sinkSecretEnv" -}}
{{- $v := .Values }}
{{- if $v.elasticsearch.apiKey.existingSecret }}
- name: ES_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $v.elasticsearch.apiKey.existingSecret }}
      key: {{ $v.elasticsearch.apiKey.key }}
{{- end }}
{{- end }}

{{/*
The consumer group and input topic of a consuming stage (KEDA's lag trigger).
*/}}
{{- define "pra-pipeline.inputTopic" -}}
{{- if eq .stage "enricher" }}{{ .root.Values.kafka.topics.raw }}{{ else }}{{ .root.Values.kafka.topics.enriched }}{{ end }}
{{- end }}
