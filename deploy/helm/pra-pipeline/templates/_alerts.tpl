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
      # Each consuming stage exports its own lag gauge.
      expr: |-
        sum by (namespace, job, topic) (pra_consumer_lag_records) > {{ $r.consumerLagThreshold }}
        and
        sum by (namespace, job, topic) (deriv(pra_consumer_lag_records[15m])) > 0
      for: 15m
      labels:
        severity: warning
      annotations:
        summary: Consumer lag is high and still growing.
        description: '{{`{{ $labels.job }}`}} is {{`{{ $value }}`}} records behind on {{`{{ $labels.topic }}`}} and falling further behind; add replicas (up to the partition count) or partitions.'
    - alert: PraDeadLetterRecords
      expr: sum by (namespace, job) (rate(pra_dead_letters_total[10m])) > {{ $r.dlqRatePerSecond }}
      for: 5m
      labels:
        severity: warning
      annotations:
        summary: Records are going to the dead letter topic.
        description: '{{`{{ $labels.job }}`}} dead-letters {{`{{ $value | humanize }}`}} records per second; read them with `pra-pipeline dlq`.'
    - alert: PraPollerSiteDown
      expr: min by (namespace, job, site) (pra_poller_site_up) == 0
      for: 10m
      labels:
        severity: critical
      annotations:
        summary: A PRA site does not answer or refuses the credentials.
        description: 'The poller has not reached site {{`{{ $labels.site }}`}} with accepted credentials for 10 minutes; check the site, the network path and the API account.'
    - alert: PraPollerWindowsFailing
      expr: |-
        sum by (namespace, job, site) (rate(pra_poller_windows_total{result="failed"}[15m])) > 0
        unless
        sum by (namespace, job, site) (rate(pra_poller_windows_total{result!="failed"}[15m])) > 0
      for: 15m
      labels:
        severity: critical
      annotations:
        summary: Every report request of a site fails.
        description: 'No report window of site {{`{{ $labels.site }}`}} has succeeded for 15 minutes; the poller logs say why.'
    - alert: PraPollerCursorNotAdvancing
      expr: |-
        max by (namespace, job, site) (pra_poller_window_lag_seconds) > {{ $r.pollerWindowLagSeconds }}
        and
        max by (namespace, job, site) (deriv(pra_poller_window_lag_seconds[10m])) >= 0
      for: 10m
      labels:
        severity: critical
      annotations:
        summary: A site's cursor is behind and not catching up.
        description: 'The cursor of site {{`{{ $labels.site }}`}} is {{`{{ $value | humanizeDuration }}`}} behind now and not moving forward.'
    - alert: PraBulkFailures
      expr: sum by (namespace, job) (rate(pra_sink_bulk_request_duration_seconds_count{outcome="failed"}[10m])) > 0
      for: 10m
      labels:
        severity: warning
      annotations:
        summary: Bulk requests to Elasticsearch are failing.
        description: 'The sink has had failed _bulk requests for 10 minutes ({{`{{ $value | humanize }}`}}/s); it retries them, and pauses reading meanwhile.'
    - alert: PraElasticsearchUnavailable
      expr: min by (namespace, job) (pra_sink_elasticsearch_up) == 0
      for: 5m
      labels:
        severity: critical
      annotations:
        summary: The sink cannot index into Elasticsearch.
        description: 'The sink has been waiting for Elasticsearch for 5 minutes; nothing is lost, lag grows until it comes back.'
    - alert: PraGeoipDatabaseTooOld
      expr: max by (namespace, job) (pra_geoip_database_age_seconds) > {{ mul $r.geoipMaxAgeDays 86400 }}
      for: 1h
      labels:
        severity: warning
      annotations:
        summary: A GeoIP database is older than {{ $r.geoipMaxAgeDays }} days.
        description: 'The oldest GeoIP database in use is {{`{{ $value | humanizeDuration }}`}} old; update it (MaxMind licences require it within 30 days).'
{{- end }}
