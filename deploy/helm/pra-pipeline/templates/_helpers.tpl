{{/*
Names are truncated to 63 characters (the DNS label limit).
*/}}
{{- define "pra-pipeline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pra-pipeline.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "pra-pipeline.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Name of one stage's objects: <fullname>-<stage>. Call with (dict "root" $ "stage" "sink").
*/}}
{{- define "pra-pipeline.stageName" -}}
{{- printf "%s-%s" (include "pra-pipeline.fullname" .root | trunc 54 | trimSuffix "-") .stage }}
{{- end }}

{{/*
Labels on every object. Never used as a selector: helm.sh/chart and the version
change on upgrade, and Deployment selectors are immutable.
*/}}
{{- define "pra-pipeline.labels" -}}
helm.sh/chart: {{ include "pra-pipeline.chart" .root }}
{{ include "pra-pipeline.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: pra-pipeline
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Selector labels: stable for the life of a release.
*/}}
{{- define "pra-pipeline.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pra-pipeline.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .stage }}
{{- end }}

{{- define "pra-pipeline.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pra-pipeline.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "pra-pipeline.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- $repository := include "pra-pipeline.imageRepository" (dict "root" . "image" .Values.image) }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repository $tag }}
{{- end }}
{{- end }}

{{/*
An image's repository with its registry: global.imageRegistry, else the image's
own registry, else none (the container runtime's default).
Call with (dict "root" $ "image" .Values.image).
*/}}
{{- define "pra-pipeline.imageRepository" -}}
{{- $registry := default .image.registry (default dict .root.Values.global).imageRegistry }}
{{- if $registry }}
{{- printf "%s/%s" (trimSuffix "/" $registry) .image.repository }}
{{- else }}
{{- .image.repository }}
{{- end }}
{{- end }}

{{/*
Whether an optional API is served by the cluster (or passed to helm template
with --api-versions). Call with (dict "root" $ "api" "monitoring.coreos.com/v1/ServiceMonitor").
*/}}
{{- define "pra-pipeline.hasApi" -}}
{{- if .root.Capabilities.APIVersions.Has .api }}true{{ end }}
{{- end }}

{{/*
Whether a stage is scaled by a KEDA ScaledObject: keda.enabled and the KEDA API
present. Otherwise its HPA (autoscaling.enabled) applies. Call with (dict "root" $ "stage" "sink").
*/}}
{{- define "pra-pipeline.kedaActive" -}}
{{- $s := index .root.Values .stage }}
{{- if and $s.enabled $s.keda.enabled (include "pra-pipeline.hasApi" (dict "root" .root "api" "keda.sh/v1alpha1/ScaledObject")) }}true{{ end }}
{{- end }}

{{/*
The most replicas that can do work: a consumer group never gives a partition to
more than one member, so members beyond the partition count sit idle.
Call with (dict "root" $ "max" <int>).
*/}}
{{- define "pra-pipeline.cappedReplicas" -}}
{{- min (int .max) (int .root.Values.kafka.partitions) }}
{{- end }}

{{/*
Non-secret variables of one stage, as a map rendered into the stage's ConfigMap
(and hashed into the checksum/config annotation). The stage's `env` map comes
last and wins. Call with (dict "root" $ "stage" "sink").
*/}}
{{- define "pra-pipeline.stageConfig" -}}
{{- $v := .root.Values }}
{{- $s := index $v .stage }}
{{- $c := dict }}
{{- $_ := set $c "HTTP_HOST" "0.0.0.0" }}
{{- $_ := set $c "HTTP_PORT" (toString $v.metricsPort) }}
{{- $_ := set $c "LOG_LEVEL" (default $v.logLevel $s.logLevel) }}
{{- $_ := set $c "LOG_FORMAT" $v.logFormat }}
{{- $_ := set $c "SHUTDOWN_GRACE" (printf "%ds" (int (sub (int $v.terminationGracePeriodSeconds) 5))) }}
{{- $_ := set $c "KAFKA_BROKERS" (required "kafka.brokers is required" $v.kafka.brokers) }}
{{- $_ := set $c "KAFKA_CLIENT_ID" (include "pra-pipeline.stageName" .) }}
{{- $_ := set $c "KAFKA_DLQ_TOPIC" $v.kafka.topics.dlq }}
{{- $_ := set $c "KAFKA_CREATE_TOPICS" (toString $v.kafka.createTopics) }}
{{- $_ := set $c "KAFKA_TOPIC_PARTITIONS" (toString $v.kafka.partitions) }}
{{- $_ := set $c "KAFKA_REPLICATION_FACTOR" (toString $v.kafka.replicationFactor) }}
{{- $_ := set $c "KAFKA_TLS" (toString $v.kafka.tls.enabled) }}
{{- if $v.kafka.tls.existingSecret }}
{{- $_ := set $c "KAFKA_TLS_CA_FILE" (printf "/etc/pra-pipeline/kafka-tls/%s" $v.kafka.tls.caKey) }}
{{- if $v.kafka.tls.certKey }}
{{- $_ := set $c "KAFKA_TLS_CERT_FILE" (printf "/etc/pra-pipeline/kafka-tls/%s" $v.kafka.tls.certKey) }}
{{- $_ := set $c "KAFKA_TLS_KEY_FILE" (printf "/etc/pra-pipeline/kafka-tls/%s" $v.kafka.tls.keyKey) }}
{{- end }}
{{- end }}
{{- $_ := set $c "KAFKA_SASL_MECHANISM" $v.kafka.sasl.mechanism }}
{{- if ne .stage "poller" }}
{{- $_ := set $c "SCHEMA_REGISTRY_URL" (required "schemaRegistry.url is required" $v.schemaRegistry.url) }}
{{- end }}
{{- include (printf "pra-pipeline.%sConfig" .stage) (dict "root" .root "c" $c) }}
{{- range $name, $value := $s.env }}
{{- $_ := set $c $name (toString $value) }}
{{- end }}
{{- toYaml $c }}
{{- end }}

{{/*
Variables that come from existing Secrets, then the stage's extraEnv.
Call with (dict "root" $ "stage" "sink").
*/}}
{{- define "pra-pipeline.secretEnv" -}}
{{- $v := .root.Values }}
{{- $s := index $v .stage }}
{{- if ne $v.kafka.sasl.mechanism "none" }}
- name: KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ required "kafka.sasl.existingSecret is required when kafka.sasl.mechanism is not none" $v.kafka.sasl.existingSecret }}
      key: {{ $v.kafka.sasl.usernameKey }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.sasl.existingSecret }}
      key: {{ $v.kafka.sasl.passwordKey }}
{{- end }}
{{- if and (ne .stage "poller") $v.schemaRegistry.existingSecret }}
- name: SCHEMA_REGISTRY_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $v.schemaRegistry.existingSecret }}
      key: {{ $v.schemaRegistry.usernameKey }}
- name: SCHEMA_REGISTRY_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $v.schemaRegistry.existingSecret }}
      key: {{ $v.schemaRegistry.passwordKey }}
{{- end }}
{{- if and (ne .stage "poller") $v.signing.existingSecret }}
- name: PIPELINE_SIGNING_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $v.signing.existingSecret }}
      key: {{ $v.signing.key }}
{{- end }}
{{- include (printf "pra-pipeline.%sSecretEnv" .stage) .root }}
{{- with $s.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}
