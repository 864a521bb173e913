{{/*
Names, labels, images and the pod pieces every component shares.
*/}}

{{/* The prefix of every object: the release name (fullnameOverride replaces it). */}}
{{- define "mmm.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* The components in a fixed order, with their role: gateway, subgraph or worker. */}}
{{- define "mmm.componentRoles" -}}
gateway: gateway
ingestion: subgraph
modeling: subgraph
optimization: subgraph
attribution: subgraph
reporting: subgraph
modelingWorker: worker
{{- end -}}

{{- define "mmm.componentKeys" -}}
gateway ingestion modeling optimization attribution reporting modelingWorker
{{- end -}}

{{/* A component's object name: <fullname>-<component in kebab case>. Args: root, key. */}}
{{- define "mmm.componentName" -}}
{{- printf "%s-%s" (include "mmm.fullname" .root) (kebabcase .key) -}}
{{- end -}}

{{- define "mmm.selectorLabels" -}}
app.kubernetes.io/name: mmm-platform
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mmm.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "mmm.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mmm-platform
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* metadata.labels of an object that belongs to a component. Args: root, component. */}}
{{- define "mmm.componentLabels" -}}
{{ include "mmm.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "mmm.componentSelector" -}}
{{ include "mmm.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "mmm.annotations" -}}
{{- with .Values.commonAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* An image reference. Args: root, image ({ repository, tag?, digest? }). */}}
{{- define "mmm.image" -}}
{{- $registry := .root.Values.image.registry -}}
{{- $repository := .image.repository -}}
{{- if $registry }}{{ $repository = printf "%s/%s" (trimSuffix "/" $registry) $repository }}{{ end -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $repository .image.digest -}}
{{- else -}}
{{- $tag := .image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion | toString -}}
{{- if eq $tag "latest" }}{{ fail "image tags must be pinned: \"latest\" is refused" }}{{ end -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "mmm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mmm.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The pod security context of the restricted Pod Security Standard. */}}
{{- define "mmm.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "mmm.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Env entries from Secrets: a map NAME -> { secretName, key }. */}}
{{- define "mmm.secretEnv" -}}
{{- range $name, $ref := . }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.secretName }}
      key: {{ $ref.key }}
{{- end }}
{{- end -}}

{{/* Plain env entries: a map NAME -> value. */}}
{{- define "mmm.plainEnv" -}}
{{- range $name, $value := . }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* NATS: the bundled cluster's client URL, or the external one. */}}
{{- define "mmm.natsUrl" -}}
{{- if .Values.nats.bundled.enabled -}}
{{- printf "nats://%s-nats:4222" (include "mmm.fullname" .) -}}
{{- else -}}
{{- .Values.nats.external.url -}}
{{- end -}}
{{- end -}}

{{- define "mmm.natsReplicas" -}}
{{- if .Values.nats.bundled.enabled -}}
{{- .Values.nats.bundled.replicas -}}
{{- else -}}
{{- .Values.nats.external.replicas -}}
{{- end -}}
{{- end -}}

{{/* The env every platform container reads (beside envFrom of the env ConfigMap). Args: root, name. */}}
{{- define "mmm.platformEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- $attributes := list "service.namespace=mmm-platform" "k8s.namespace.name=$(POD_NAMESPACE)" "k8s.pod.name=$(POD_NAME)" (printf "k8s.deployment.name=%s" .name) -}}
{{- range $key, $value := .root.Values.telemetry.resourceAttributes }}
{{- $attributes = append $attributes (printf "%s=%s" $key (toString $value)) -}}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $attributes | quote }}
{{- with .root.Values.telemetry.headersSecret }}
- name: OTEL_EXPORTER_OTLP_HEADERS
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .key }}
{{- end }}
{{- if and (not .root.Values.nats.bundled.enabled) .root.Values.nats.external.urlSecret.secretName }}
- name: NATS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.nats.external.urlSecret.secretName }}
      key: {{ .root.Values.nats.external.urlSecret.key }}
{{- end }}
- name: GATEWAY_SIGNING_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.auth.signingSecret.secretName }}
      key: {{ .root.Values.auth.signingSecret.key }}
{{- include "mmm.secretEnv" .root.Values.platform.secretEnv }}
{{- end -}}

{{/* The gateway's door: how callers' tokens are verified, and its limits. */}}
{{- define "mmm.gatewayAuthEnv" -}}
{{- $a := .Values.auth -}}
{{- with $a.jwtSecret }}
{{- if .secretName }}
- name: AUTH_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- with $a.jwksUrl }}
- name: AUTH_JWKS_URL
  value: {{ . | quote }}
{{- end }}
{{- with $a.issuer }}
- name: AUTH_ISSUER
  value: {{ . | quote }}
{{- end }}
{{- with $a.audience }}
- name: AUTH_AUDIENCE
  value: {{ . | quote }}
{{- end }}
- name: AUTH_CLOCK_SKEW_S
  value: {{ $a.clockSkewSeconds | quote }}
- name: RATE_LIMIT_PER_MINUTE
  value: {{ $a.rateLimitPerMinute | quote }}
- name: REQUEST_TIMEOUT_MS
  value: {{ $a.requestTimeoutMs | quote }}
- name: PULL_TIMEOUT_MS
  value: {{ $a.pullTimeoutMs | quote }}
- name: INTROSPECTION
  value: {{ $a.introspection | quote }}
{{- end -}}

{{/* Scheduling shared by every pod: node selection and spread across nodes. Args: root, component. */}}
{{- define "mmm.scheduling" -}}
{{- with .root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .root.Values.topologySpread.enabled }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: {{ .root.Values.topologySpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "mmm.componentSelector" . | nindent 8 }}
    {{- if .rolling }}
    matchLabelKeys: [pod-template-hash]
    {{- end }}
  {{- if .root.Values.topologySpread.zones }}
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "mmm.componentSelector" . | nindent 8 }}
    {{- if .rolling }}
    matchLabelKeys: [pod-template-hash]
    {{- end }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* CPU quantity rounded up to whole cores ("2" -> 2, "1500m" -> 2, "250m" -> 1). */}}
{{- define "mmm.wholeCores" -}}
{{- $q := toString . -}}
{{- if hasSuffix "m" $q -}}
{{- $milli := trimSuffix "m" $q | int -}}
{{- max 1 (div (add $milli 999) 1000) -}}
{{- else -}}
{{- max 1 (ceil (float64 $q) | int) -}}
{{- end -}}
{{- end -}}
