{{/*
The alert rules, shared by the PrometheusRule and (rendered with the default
values) deploy/prometheus/alerts.yml.
*/}}
{{- define "pra-pipeline.alertGroups" -}}
{{- $r := .Values.metrics.prometheusRule -}}
- name: pra-pipeline
  rules:
    - alert: PraStageDown
      expr: up{job=~"poller|enricher|sink"} == 0
      for: 5m
      labels:
        severity: critical
      annotations:
        summary: A pra-pipeline stage is not answering scrapes.
        description: '{{`{{ $labels.job }}`}} at {{`{{ $labels.instance }}`}} has been down for 5 minutes.'
    - alert: PraConsumerLagGrowing
      expr: |-
        sum by (namespace, job, topic) (pra_consumer_lag) > {{ $r.consumerLagThreshold }}
        and
        sum by (namespace, job, topic) (deriv(pra_consumer_lag[15m])) > 0
      for: 15m
      labels:
        severity: warning
      annotations:
        summary: Consumer lag is high and still growing.
        description: '{{`{{ $labels.job }}`}} is {{`{{ $value }}`}} records behind on {{`{{ $labels.topic }}`}} and falling further behind; add replicas (up to the partition count) or partitions.'
    - alert: PraDeadLetterRecords
      expr: sum by (namespace, job) (rate(pra_dlq_records_total[10m])) > {{ $r.dlqRatePerSecond }}
      for: 5m
      labels:
        severity: warning
      annotations:
        summary: Records are going to the dead letter topic.
        description: '{{`{{ $labels.job }}`}} dead-letters {{`{{ $value | humanize }}`}} records per second; read them with `pra-pipeline dlq`.'
    - alert: PraPollerFailing
      expr: sum by (namespace, job) (rate(pra_errors_total{job="poller"}[15m])) > 0 and sum by (namespace, job) (rate(pra_events_received_total{job="poller"}[15m])) == 0
      for: 15m
      labels:
        severity: critical
      annotations:
        summary: The poller fails and receives nothing.
        description: 'The poller has reported errors and received no events for 15 minutes; check its logs and the PRA sites.'
    - alert: PraPollerCursorNotAdvancing
      expr: max by (namespace, job, site) (pra_poller_window_lag_seconds) > {{ $r.pollerWindowLagSeconds }}
      for: 10m
      labels:
        severity: critical
      annotations:
        summary: A site's cursor is not advancing.
        description: 'The cursor of site {{`{{ $labels.site }}`}} is {{`{{ $value | humanizeDuration }}`}} behind now.'
    - alert: PraBulkFailures
      expr: sum by (namespace, job) (rate(pra_errors_total{job="sink", stage="sending"}[10m])) > 0
      for: 10m
      labels:
        severity: warning
      annotations:
        summary: Bulk requests to Elasticsearch are failing.
        description: 'The sink has reported failed bulk requests or items for 10 minutes ({{`{{ $value | humanize }}`}}/s).'
    - alert: PraGeoipDatabaseTooOld
      expr: max by (namespace, job, database) (pra_geoip_database_age_seconds) > {{ mul $r.geoipMaxAgeDays 86400 }}
      for: 1h
      labels:
        severity: warning
      annotations:
        summary: A GeoIP database is older than {{ $r.geoipMaxAgeDays }} days.
        description: 'The {{`{{ $labels.database }}`}} database is {{`{{ $value | humanizeDuration }}`}} old; update it (MaxMind licences require it within 30 days).'
{{- end }}
