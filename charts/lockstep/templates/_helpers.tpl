{{/* Names and labels. */}}
{{- define "lockstep.fullname" -}}
{{- printf "%s-lockstep" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "lockstep.labels" -}}
app.kubernetes.io/name: lockstep
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "lockstep.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* Reporting to the pod needs a ServiceAccount with the Role. */}}
{{- define "lockstep.reports" -}}
{{- if or (ne .Values.kubernetes.annotate "off") .Values.kubernetes.events -}}true{{- end -}}
{{- end -}}

{{- define "lockstep.serviceAccountName" -}}
{{- if .Values.serviceAccount.name -}}{{ .Values.serviceAccount.name }}{{- else -}}{{ include "lockstep.fullname" . }}{{- end -}}
{{- end -}}

{{/* The restricted Pod Security Standard, for the container. */}}
{{- define "lockstep.securityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "lockstep.env" -}}
- name: LOCKSTEP_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.urlKey }}
{{- if .Values.database.passwordKey }}
- name: LOCKSTEP_DATABASE_PASSWORD_FILE
  value: /var/run/lockstep/password/password
{{- end }}
- name: LOCKSTEP_MIGRATIONS
  value: /migrations
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: LOCKSTEP_KUBERNETES_ANNOTATE
  value: {{ .Values.kubernetes.annotate | quote }}
- name: LOCKSTEP_KUBERNETES_EVENTS
  value: {{ .Values.kubernetes.events | quote }}
- name: LOCKSTEP_KUBERNETES_ANNOTATION_PREFIX
  value: {{ .Values.kubernetes.annotationPrefix | quote }}
{{- range $key, $value := .Values.config }}
{{- if $value }}
- name: LOCKSTEP_{{ $key | snakecase | upper }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "lockstep.volumeMounts" -}}
{{- if eq .Values.migrations.source "configMap" }}
- name: lockstep-migrations
  mountPath: /migrations
  readOnly: true
{{- end }}
{{- if .Values.database.passwordKey }}
- name: lockstep-password
  mountPath: /var/run/lockstep/password
  readOnly: true
{{- end }}
{{- end -}}

{{/* Volumes the lockstep container needs; app charts that use the init
     container template add these to their pod too. */}}
{{- define "lockstep.volumes" -}}
{{- if eq .Values.migrations.source "configMap" }}
- name: lockstep-migrations
  configMap:
    name: {{ include "lockstep.fullname" . }}-migrations
{{- end }}
{{- if .Values.database.passwordKey }}
- name: lockstep-password
  secret:
    secretName: {{ .Values.database.existingSecret }}
    items:
      - key: {{ .Values.database.passwordKey }}
        path: password
{{- end }}
{{- end -}}

{{/* One lockstep container; pass (dict "root" $ "name" "..." "args" (list ...)). */}}
{{- define "lockstep.container" -}}
- name: {{ .name }}
  image: {{ include "lockstep.image" .root }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  args:
{{ toYaml .args | indent 4 }}
  env:
{{ include "lockstep.env" .root | indent 4 }}
  volumeMounts:
{{ include "lockstep.volumeMounts" .root | indent 4 }}
  securityContext:
{{ include "lockstep.securityContext" .root | indent 4 }}
  resources:
{{ toYaml .root.Values.resources | indent 4 }}
  terminationMessagePolicy: FallbackToLogsOnError
{{- end -}}

{{/*
The init container for an app's pods. In the app chart:

  initContainers:
    {{- include "lockstep.initContainer" . | nindent 4 }}
  volumes:
    {{- include "lockstep.volumes" . | nindent 4 }}

initContainer.mode "wait" blocks until the hook Job has migrated (never
migrates); "migrate" runs `upgrade heads` itself, safe with many replicas.
*/}}
{{- define "lockstep.initContainer" -}}
{{- if eq .Values.initContainer.mode "wait" -}}
{{ include "lockstep.container" (dict "root" . "name" "lockstep-wait" "args" (list "wait" "--timeout" .Values.initContainer.waitTimeout)) }}
{{- else -}}
{{ include "lockstep.container" (dict "root" . "name" "lockstep-migrate" "args" (list "upgrade" "heads")) }}
{{- end -}}
{{- end -}}

{{/* Fail the Job at once on exit codes that retrying cannot fix (2 bad input,
     5 migration failed, 6 validation failed); count 1, 3 and 4 (internal,
     database unreachable, lock timeout) against backoffLimit. */}}
{{- define "lockstep.podFailurePolicy" -}}
podFailurePolicy:
  rules:
    - action: FailJob
      onExitCodes:
        containerName: lockstep
        operator: In
        values: [2, 5, 6]
    - action: Count
      onExitCodes:
        containerName: lockstep
        operator: In
        values: [1, 3, 4]
    - action: Ignore
      onPodConditions:
        - type: DisruptionTarget
{{- end -}}
