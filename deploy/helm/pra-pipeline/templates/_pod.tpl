{{/*
The pod template of one stage. Call with (dict "root" $ "stage" "sink").
*/}}
{{- define "pra-pipeline.podTemplate" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
{{- $s := index $v .stage }}
{{- $name := include "pra-pipeline.stageName" . -}}
metadata:
  labels:
    {{- include "pra-pipeline.selectorLabels" . | nindent 4 }}
    {{- with $s.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include "pra-pipeline.stageConfig" . | sha256sum }}
    {{- with $s.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "pra-pipeline.serviceAccountName" $root }}
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
  {{- with $v.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $s.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml $v.podSecurityContext | nindent 4 }}
  {{- if and (eq .stage "enricher") (eq $v.enricher.geoip.source "updater") }}
  initContainers:
    - name: geoipupdate-init
      {{- include "pra-pipeline.geoipupdateContainer" (dict "root" $root "sidecar" false) | nindent 6 }}
  {{- end }}
  containers:
    - name: {{ .stage }}
      image: {{ include "pra-pipeline.image" $root }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      args: [{{ .stage | quote }}]
      ports:
        - name: http-metrics
          containerPort: {{ $v.metricsPort }}
          protocol: TCP
      envFrom:
        - configMapRef:
            name: {{ $name }}
        {{- with $s.envFrom }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- $secretEnv := include "pra-pipeline.secretEnv" . | trim }}
      {{- if $secretEnv }}
      env:
        {{- $secretEnv | nindent 8 }}
      {{- end }}
      livenessProbe:
        httpGet:
          path: /livez
          port: http-metrics
        {{- toYaml $v.probes.liveness | nindent 8 }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: http-metrics
        {{- toYaml $v.probes.readiness | nindent 8 }}
      {{- if $v.probes.startup.enabled }}
      # Liveness and readiness wait until /livez answers once (Kafka or the
      # registry may be slow to accept the first connection).
      startupProbe:
        httpGet:
          path: /livez
          port: http-metrics
        {{- toYaml (omit $v.probes.startup "enabled") | nindent 8 }}
      {{- end }}
      {{- with $s.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $v.securityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- if $v.kafka.tls.existingSecret }}
        - name: kafka-tls
          mountPath: /etc/pra-pipeline/kafka-tls
          readOnly: true
        {{- end }}
        {{- if and (eq .stage "sink") $v.elasticsearch.tls.existingSecret }}
        - name: es-tls
          mountPath: /etc/pra-pipeline/es-tls
          readOnly: true
        {{- end }}
        {{- if eq .stage "poller" }}
        {{- range $v.poller.sites }}
        - name: site-{{ .name }}
          mountPath: /etc/pra-pipeline/sites/{{ .name }}
          readOnly: true
        {{- end }}
        {{- end }}
        {{- if and (eq .stage "enricher") (ne $v.enricher.geoip.source "none") }}
        - name: geoip
          mountPath: /geoip
          readOnly: true
        {{- end }}
        {{- with $s.extraVolumeMounts }}
        {{- tpl (toYaml .) $root | nindent 8 }}
        {{- end }}
    {{- if and (eq .stage "enricher") (eq $v.enricher.geoip.source "updater") }}
    - name: geoipupdate
      {{- include "pra-pipeline.geoipupdateContainer" (dict "root" $root "sidecar" true) | nindent 6 }}
    {{- end }}
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    {{- if $v.kafka.tls.existingSecret }}
    - name: kafka-tls
      secret:
        secretName: {{ $v.kafka.tls.existingSecret }}
    {{- end }}
    {{- if and (eq .stage "sink") $v.elasticsearch.tls.existingSecret }}
    - name: es-tls
      secret:
        secretName: {{ $v.elasticsearch.tls.existingSecret }}
    {{- end }}
    {{- if eq .stage "poller" }}
    {{- range $v.poller.sites }}
    - name: site-{{ .name }}
      secret:
        secretName: {{ required (printf "poller.sites[%s].clientSecret.existingSecret is required" .name) .clientSecret.existingSecret }}
        items:
          - key: {{ default "client-secret" .clientSecret.key }}
            path: {{ default "client-secret" .clientSecret.key }}
    {{- end }}
    {{- end }}
    {{- if eq .stage "enricher" }}
    {{- if eq $v.enricher.geoip.source "volume" }}
    - name: geoip
      persistentVolumeClaim:
        claimName: {{ include "pra-pipeline.geoipClaimName" $root }}
        readOnly: true
    {{- else if eq $v.enricher.geoip.source "updater" }}
    - name: geoip
      emptyDir:
        sizeLimit: 512Mi
    - name: geoip-license
      secret:
        secretName: {{ $v.enricher.geoip.updater.existingSecret }}
        items:
          - key: {{ $v.enricher.geoip.updater.licenseKeyKey }}
            path: {{ $v.enricher.geoip.updater.licenseKeyKey }}
    {{- end }}
    {{- end }}
    {{- with $s.extraVolumes }}
    {{- tpl (toYaml .) $root | nindent 4 }}
    {{- end }}
  {{- with $s.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $s.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $s.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $s.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- $selector := dict "matchLabels" (include "pra-pipeline.selectorLabels" $ | fromYaml) }}
    {{- range . }}
    {{- /* Without a labelSelector a constraint counts this stage's pods. */}}
    {{- $c := deepCopy . }}
    {{- if not (hasKey $c "labelSelector") }}
    {{- $_ := set $c "labelSelector" $selector }}
    {{- end }}
    - {{ toYaml $c | indent 6 | trim }}
    {{- end }}
  {{- end }}
{{- end }}

{{- define "pra-pipeline.geoipClaimName" -}}
{{- if .Values.enricher.geoip.existingClaim }}
{{- .Values.enricher.geoip.existingClaim }}
{{- else if .Values.enricher.geoip.createClaim.enabled }}
{{- printf "%s-geoip" (include "pra-pipeline.fullname" .) }}
{{- else }}
{{- fail "enricher.geoip.source is volume: set enricher.geoip.existingClaim, or createClaim.enabled, or use source updater or none" }}
{{- end }}
{{- end }}

{{/*
geoipupdate (MaxMind's official image) writing into the shared emptyDir. Without
GEOIPUPDATE_FREQUENCY it runs once and exits (the init container); the sidecar
sets it and keeps the files fresh. The enricher reloads changed files itself.
*/}}
{{- define "pra-pipeline.geoipupdateContainer" -}}
{{- $u := .root.Values.enricher.geoip.updater -}}
image: {{ printf "%s:%s" (include "pra-pipeline.imageRepository" (dict "root" .root "image" $u.image)) $u.image.tag }}
imagePullPolicy: {{ $u.image.pullPolicy }}
env:
  - name: GEOIPUPDATE_ACCOUNT_ID
    valueFrom:
      secretKeyRef:
        name: {{ required "enricher.geoip.updater.existingSecret is required when enricher.geoip.source is updater" $u.existingSecret }}
        key: {{ $u.accountIdKey }}
  - name: GEOIPUPDATE_LICENSE_KEY_FILE
    value: /etc/geoipupdate/{{ $u.licenseKeyKey }}
  - name: GEOIPUPDATE_EDITION_IDS
    value: {{ $u.editionIds | quote }}
  - name: GEOIPUPDATE_DB_DIR
    value: /usr/share/GeoIP
{{- if .sidecar }}
  - name: GEOIPUPDATE_FREQUENCY
    value: {{ $u.frequencyHours | quote }}
{{- end }}
resources:
  {{- toYaml $u.resources | nindent 2 }}
securityContext:
  {{- toYaml .root.Values.securityContext | nindent 2 }}
volumeMounts:
  - name: geoip
    mountPath: /usr/share/GeoIP
  - name: geoip-license
    mountPath: /etc/geoipupdate
    readOnly: true
  - name: tmp
    mountPath: /tmp
{{- end }}
