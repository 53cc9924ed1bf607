{{/*
lockstep's named templates. Every template here takes a chart context (a
dict with "Values", "Release" and, optionally, "Chart"): this chart's own
root `.`, or, from an app chart that depends on lockstep, the subchart's
context `.Subcharts.lockstep`. They never read a parent chart's values.
*/}}

{{/* The release's base name (nameOverride, fullnameOverride), unbounded:
     resource names are cut by lockstep.resourceName. */}}
{{- define "lockstep.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trimSuffix "-" -}}
{{- else -}}
{{- $name := default "lockstep" .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A resource name: the base name plus a suffix, at most 63 characters
     (or "max": an Indexed Job's pods are named <job>-<index>-<random>, their
     hostname <job>-<index>, a DNS label of at most 63).
     A base name too long for its suffix is cut and gets 5 hex digits of its
     hash, so two long release names that share a prefix stay apart.
     Pass (dict "ctx" $ctx "suffix" "-migrate"). */}}
{{- define "lockstep.resourceName" -}}
{{- $full := include "lockstep.fullname" .ctx -}}
{{- $max := int (default 63 .max) -}}
{{- if le (add (len $full) (len .suffix)) $max -}}
{{- printf "%s%s" $full .suffix -}}
{{- else -}}
{{- $keep := int (sub $max (add (len .suffix) 6)) -}}
{{- printf "%s-%s%s" ($full | trunc $keep | trimSuffix "-") (sha256sum $full | trunc 5) .suffix -}}
{{- end -}}
{{- end -}}

{{/* Chart.yaml's version and appVersion; called with a plain dict (no .Chart),
     the same numbers written here (tests/deploy/chart_test.py compares them). */}}
{{- define "lockstep.chartVersion" -}}
{{- if and .Chart (eq .Chart.Name "lockstep") -}}{{ .Chart.Version }}{{- else -}}0.2.0{{- end -}}
{{- end -}}

{{- define "lockstep.appVersion" -}}
{{- if and .Chart (eq .Chart.Name "lockstep") -}}{{ .Chart.AppVersion }}{{- else -}}0.1.0{{- end -}}
{{- end -}}

{{/* Labels; pass (dict "ctx" $ctx "component" "migrate"). */}}
{{- define "lockstep.selectorLabels" -}}
app.kubernetes.io/name: {{ default "lockstep" .ctx.Values.nameOverride | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- end -}}

{{- define "lockstep.labels" -}}
{{ include "lockstep.selectorLabels" . }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/version: {{ include "lockstep.appVersion" .ctx | quote }}
app.kubernetes.io/part-of: lockstep
app.kubernetes.io/managed-by: {{ .ctx.Release.Service | default "Helm" }}
helm.sh/chart: {{ printf "lockstep-%s" (include "lockstep.chartVersion" .ctx) | replace "+" "_" }}
{{- end -}}

{{/* repository:tag, or repository@digest when image.digest is set. */}}
{{- define "lockstep.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default (include "lockstep.appVersion" .) }}
{{- end -}}
{{- end -}}

{{/* kubernetes.annotate, with YAML 1.1's unquoted `off` (read as false) taken as "off". */}}
{{- define "lockstep.annotateMode" -}}
{{- $mode := .Values.kubernetes.annotate -}}
{{- if kindIs "bool" $mode -}}
{{- if $mode -}}{{ fail "kubernetes.annotate: true is not a mode; use off, best-effort or required (an unquoted `on` or `yes` reads as true)" }}{{- end -}}
off
{{- else -}}
{{ $mode }}
{{- end -}}
{{- end -}}

{{/* "true" when lockstep talks to the Kubernetes API (annotations or Events). */}}
{{- define "lockstep.reports" -}}
{{- if or (ne (include "lockstep.annotateMode" .) "off") .Values.kubernetes.events -}}true{{- end -}}
{{- end -}}

{{/* The ServiceAccount the app's pods (init container path) run as. */}}
{{- define "lockstep.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "lockstep.fullname" .) .Values.serviceAccount.name | trunc 63 | trimSuffix "-" -}}
{{- else if .Values.serviceAccount.name -}}
{{- .Values.serviceAccount.name -}}
{{- else if include "lockstep.reports" . -}}
{{- fail "serviceAccount.name: reporting (kubernetes.annotate or kubernetes.events) needs a ServiceAccount to bind the Role to; with serviceAccount.create=false name an existing one" -}}
{{- else -}}
default
{{- end -}}
{{- end -}}

{{/* The ServiceAccount the hook Jobs run as: created with the hooks (they run
     before the release's own objects exist), unless an existing one is named. */}}
{{- define "lockstep.hookServiceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- include "lockstep.resourceName" (dict "ctx" . "suffix" "-hook") -}}
{{- else -}}
{{- include "lockstep.serviceAccountName" . -}}
{{- end -}}
{{- end -}}

{{/* A hash of the migrations the chart renders into a ConfigMap. */}}
{{- define "lockstep.migrationsHash" -}}
{{- if .Values.migrations.bundle -}}
{{- include "lockstep.bundleBase64" . | sha256sum | trunc 10 -}}
{{- else -}}
{{- toJson .Values.migrations.files | sha256sum | trunc 10 -}}
{{- end -}}
{{- end -}}

{{/* migrations.bundle without white space (base64 -w76 wraps lines). */}}
{{- define "lockstep.bundleBase64" -}}
{{- .Values.migrations.bundle | nospace -}}
{{- end -}}

{{/* The ConfigMap content: the files as data, or the bundle as one
     binaryData key, "bundle". */}}
{{- define "lockstep.migrationsData" -}}
{{- if .Values.migrations.bundle -}}
binaryData:
  bundle: {{ include "lockstep.bundleBase64" . }}
{{- else -}}
data:
  {{- toYaml .Values.migrations.files | nindent 2 }}
{{- end -}}
{{- end -}}

{{/* What LOCKSTEP_MIGRATIONS names: the folder at migrations.path, or the
     bundle key inside it. */}}
{{- define "lockstep.migrationsSetting" -}}
{{- if .Values.migrations.bundle -}}
{{- printf "%s/bundle" (trimSuffix "/" .Values.migrations.path) -}}
{{- else if and .Values.migrations.existingConfigMap .Values.migrations.bundleKey -}}
{{- printf "%s/%s" (trimSuffix "/" .Values.migrations.path) .Values.migrations.bundleKey -}}
{{- else -}}
{{- .Values.migrations.path -}}
{{- end -}}
{{- end -}}

{{/* The ConfigMap the pods mount: named after its content (old pods keep
     theirs), or migrations.existingConfigMap; empty for image-baked migrations. */}}
{{- define "lockstep.migrationsConfigMap" -}}
{{- if .Values.migrations.existingConfigMap -}}
{{- .Values.migrations.existingConfigMap -}}
{{- else if or .Values.migrations.files .Values.migrations.bundle -}}
{{- include "lockstep.resourceName" (dict "ctx" . "suffix" (printf "-migrations-%s" (include "lockstep.migrationsHash" .))) -}}
{{- end -}}
{{- end -}}

{{/* Refuses values that cannot work, before anything renders. */}}
{{- define "lockstep.validate" -}}
{{- $m := .Values.migrations -}}
{{- $sources := 0 -}}
{{- if $m.files }}{{ $sources = add1 $sources }}{{ end -}}
{{- if $m.bundle }}{{ $sources = add1 $sources }}{{ end -}}
{{- if $m.existingConfigMap }}{{ $sources = add1 $sources }}{{ end -}}
{{- if $m.fromImage }}{{ $sources = add1 $sources }}{{ end -}}
{{- if eq (int $sources) 0 -}}
{{- fail "lockstep: no migrations given. This chart ships none: set migrations.files (a values file, or --set-file 'migrations.files.0001_init\\.sql=migrations/0001_init.sql'), migrations.bundle (a base64-encoded 'lockstep bundle' file), migrations.existingConfigMap, or migrations.fromImage=true with an image that holds them at migrations.path. See README, 'Running in Kubernetes'." -}}
{{- end -}}
{{- if gt (int $sources) 1 -}}
{{- fail "lockstep: set exactly one of migrations.files, migrations.bundle, migrations.existingConfigMap and migrations.fromImage" -}}
{{- end -}}
{{- if $m.files -}}
{{- $size := 0 -}}
{{- range $name, $content := $m.files }}{{ $size = add $size (len $name) (len $content) }}{{ end -}}
{{- if gt (int $size) 921600 -}}
{{- fail (printf "lockstep: migrations.files holds %d bytes; a ConfigMap may hold at most 1 MiB. Bake the migrations into an image (migrations.fromImage) or create the ConfigMap yourself (migrations.existingConfigMap)" (int $size)) -}}
{{- end -}}
{{- end -}}
{{- if $m.bundle -}}
{{- $b64 := include "lockstep.bundleBase64" . -}}
{{- if not (regexMatch "^[A-Za-z0-9+/]*={0,2}$" $b64) -}}
{{- fail "lockstep: migrations.bundle is not base64: give the bundle base64-encoded (base64 -w0 app.bundle > app.bundle.b64; --set-file migrations.bundle=app.bundle.b64), as Helm keeps values as text" -}}
{{- end -}}
{{- if not (hasPrefix "LOCKSTEP-BUNDLE\n" (b64dec $b64)) -}}
{{- fail "lockstep: migrations.bundle is base64, but not of a bundle written by 'lockstep bundle'" -}}
{{- end -}}
{{- if gt (div (mul (len $b64) 3) 4) 921600 -}}
{{- fail (printf "lockstep: migrations.bundle holds about %d bytes; a ConfigMap may hold at most 1 MiB. Bake the bundle into an image (migrations.fromImage, migrations.path naming the file) or create the ConfigMap yourself (migrations.existingConfigMap with migrations.bundleKey)" (div (mul (len $b64) 3) 4)) -}}
{{- end -}}
{{- end -}}
{{- if and $m.bundleKey (not $m.existingConfigMap) -}}
{{- fail "lockstep: migrations.bundleKey names a key of migrations.existingConfigMap; set that too (or give the bundle itself as migrations.bundle)" -}}
{{- end -}}
{{- if and .Values.rollback.job.enabled .Values.migrate.enabled -}}
{{- fail "lockstep: rollback.job.enabled and migrate.enabled together would migrate and revert in one release; set migrate.enabled=false for the rollback (README: 'Rolling back')" -}}
{{- end -}}
{{- if and .Values.rollback.hook.enabled .Values.argocd.enabled -}}
{{- fail "lockstep: Argo CD runs no rollback hooks; with argocd.enabled use rollback.job (README: 'Rolling back')" -}}
{{- end -}}
{{- include "lockstep.validateFleet" . -}}
{{- $_ := include "lockstep.serviceAccountName" . -}}
{{- end -}}

{{/* Fleet mode (README, "Fleets on Kubernetes"): the migration hook is an
     Indexed Job over the fleet, and nothing of the chart may run lockstep on
     database_url alone, which in a fleet is no target (its default schema
     would get the tenants' tables). */}}
{{- define "lockstep.validateFleet" -}}
{{- $f := .Values.fleet -}}
{{- if $f.enabled -}}
{{- $sources := 0 -}}
{{- if $f.schemas }}{{ $sources = add1 $sources }}{{ end -}}
{{- if $f.query }}{{ $sources = add1 $sources }}{{ end -}}
{{- if or $f.file.existingSecret $f.file.existingConfigMap }}{{ $sources = add1 $sources }}{{ end -}}
{{- if ne (int $sources) 1 -}}
{{- fail "lockstep: fleet.enabled needs exactly one source of targets: fleet.schemas (a LIKE pattern of tenant schemas in database_url), fleet.query (SQL run on database_url) or fleet.file (existingSecret or existingConfigMap holding a file of database URLs)" -}}
{{- end -}}
{{- if and $f.file.existingSecret $f.file.existingConfigMap -}}
{{- fail "lockstep: fleet.file: set existingSecret or existingConfigMap, not both" -}}
{{- end -}}
{{- if and $f.passwords.existingSecret $f.schemas -}}
{{- fail "lockstep: fleet.passwords gives each database of a fleet its own password; tenant schemas (fleet.schemas) share database_url's connection (use database.passwordKey)" -}}
{{- end -}}
{{- if and (ne $f.maxFailedIndexes nil) (gt (int $f.maxFailedIndexes) (int $f.shards)) -}}
{{- fail (printf "lockstep: fleet.maxFailedIndexes (%d) is more than fleet.shards (%d); Kubernetes refuses such a Job" (int $f.maxFailedIndexes) (int $f.shards)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "true" when the cluster has backoffLimitPerIndex, maxFailedIndexes and
     the FailIndex action (beta and on by default from Kubernetes 1.29). */}}
{{- define "lockstep.perIndexLimits" -}}
{{- if semverCompare ">=1.29.0-0" .Capabilities.KubeVersion.Version -}}true{{- end -}}
{{- end -}}

{{/* Hook annotations; pass (dict "ctx" $ "events" (list ...) "weight" N).
     In Argo CD mode the same objects are PreSync hooks ordered by sync wave. */}}
{{- define "lockstep.hookAnnotations" -}}
{{- if .ctx.Values.argocd.enabled -}}
argocd.argoproj.io/hook: PreSync
argocd.argoproj.io/hook-delete-policy: BeforeHookCreation,HookSucceeded
argocd.argoproj.io/sync-wave: {{ .weight | quote }}
{{- else -}}
helm.sh/hook: {{ join "," .events }}
helm.sh/hook-weight: {{ .weight | quote }}
helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end -}}
{{- end -}}

{{/* The lowest weight of the hook Jobs: the hook-time ConfigMap goes 10 and
     the RBAC 20 below it, whatever the Jobs' weights. */}}
{{- define "lockstep.firstHookWeight" -}}
{{- min (int .Values.migrate.hookWeight) (int .Values.rollback.hook.hookWeight) -}}
{{- end -}}

{{/* The events a hook-time copy (ConfigMap, RBAC) is needed for. */}}
{{- define "lockstep.hookEvents" -}}
{{- $events := list -}}
{{- if .Values.migrate.enabled }}{{ $events = concat $events (list "pre-install" "pre-upgrade") }}{{ end -}}
{{- if .Values.rollback.hook.enabled }}{{ $events = append $events "pre-rollback" }}{{ end -}}
{{- toJson $events -}}
{{- end -}}

{{- define "lockstep.env" -}}
{{- $fleetFile := and .Values.fleet.enabled (or .Values.fleet.file.existingSecret .Values.fleet.file.existingConfigMap) -}}
{{- if not $fleetFile }}
- name: LOCKSTEP_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret }}
      key: {{ .Values.database.urlKey }}
{{- end }}
{{- if .Values.fleet.enabled }}
{{- include "lockstep.fleetEnv" . }}
{{- end }}
{{- if .Values.database.passwordKey }}
- name: LOCKSTEP_DATABASE_PASSWORD_FILE
  value: /var/run/lockstep/password/password
{{- end }}
- name: LOCKSTEP_MIGRATIONS
  value: {{ include "lockstep.migrationsSetting" . | quote }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: POD_UID
  valueFrom:
    fieldRef:
      fieldPath: metadata.uid
- name: LOCKSTEP_KUBERNETES_ANNOTATE
  value: {{ include "lockstep.annotateMode" . | quote }}
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
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "lockstep.volumeMounts" -}}
{{- if and .Values.fleet.enabled (or .Values.fleet.file.existingSecret .Values.fleet.file.existingConfigMap) }}
- name: lockstep-fleet
  mountPath: /var/run/lockstep/fleet
  readOnly: true
{{- end }}
{{- if and .Values.fleet.enabled .Values.fleet.passwords.existingSecret }}
- name: lockstep-fleet-passwords
  mountPath: /var/run/lockstep/fleet-passwords
  readOnly: true
{{- end }}
{{- if include "lockstep.migrationsConfigMap" . }}
- name: lockstep-migrations
  mountPath: {{ .Values.migrations.path }}
  readOnly: true
{{- end }}
{{- if .Values.database.passwordKey }}
- name: lockstep-password
  mountPath: /var/run/lockstep/password
  readOnly: true
{{- end }}
{{- if include "lockstep.reports" . }}
- name: lockstep-token
  mountPath: /var/run/secrets/kubernetes.io/serviceaccount
  readOnly: true
{{- end }}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The volumes lockstep's container needs. An app chart that uses
     lockstep.initContainer adds these to its pod. The migrations volume is
     the content-addressed ConfigMap (or migrations.existingConfigMap); the
     token is a projected ServiceAccount token mounted into lockstep's
     container alone (set automountServiceAccountToken: false on the pod). */}}
{{- define "lockstep.volumes" -}}
{{ include "lockstep.podVolumes" (dict "ctx" . "configMap" (include "lockstep.migrationsConfigMap" .)) | trim }}
{{- end -}}

{{/* The hook Jobs mount the hook-time copy of the migrations (the pods'
     content-addressed ConfigMap is an ordinary object: on install it does
     not exist yet when the pre-install hooks run). */}}
{{- define "lockstep.hookConfigMap" -}}
{{- if .Values.migrations.existingConfigMap -}}
{{- .Values.migrations.existingConfigMap -}}
{{- else if or .Values.migrations.files .Values.migrations.bundle -}}
{{- include "lockstep.resourceName" (dict "ctx" . "suffix" "-hook") -}}
{{- end -}}
{{- end -}}

{{/* Pass (dict "ctx" $ctx "configMap" name). */}}
{{- define "lockstep.podVolumes" -}}
{{- $cm := .configMap -}}
{{- with .ctx -}}
{{- if $cm }}
- name: lockstep-migrations
  configMap:
    name: {{ $cm }}
{{- end }}
{{- if .Values.fleet.enabled }}
{{- with .Values.fleet.passwords.existingSecret }}
- name: lockstep-fleet-passwords
  secret:
    secretName: {{ . }}
{{- end }}
{{- with .Values.fleet.file }}
{{- if .existingSecret }}
- name: lockstep-fleet
  secret:
    secretName: {{ .existingSecret }}
    items:
      - key: {{ .key }}
        path: {{ .key }}
{{- else if .existingConfigMap }}
- name: lockstep-fleet
  configMap:
    name: {{ .existingConfigMap }}
    items:
      - key: {{ .key }}
        path: {{ .key }}
{{- end }}
{{- end }}
{{- end }}
{{- if .Values.database.passwordKey }}
- name: lockstep-password
  secret:
    secretName: {{ .Values.database.existingSecret }}
    items:
      - key: {{ .Values.database.passwordKey }}
        path: password
{{- end }}
{{- if include "lockstep.reports" . }}
- name: lockstep-token
  projected:
    defaultMode: 292  # 0444: readable by the non-root user
    sources:
      - serviceAccountToken:
          path: token
          expirationSeconds: 3607
      - configMap:
          name: kube-root-ca.crt
          items:
            - key: ca.crt
              path: ca.crt
      - downwardAPI:
          items:
            - path: namespace
              fieldRef:
                fieldPath: metadata.namespace
{{- end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}
{{- end -}}

{{/* One lockstep container; pass (dict "ctx" $ctx "name" "..." "args" (list ...)). */}}
{{- define "lockstep.container" -}}
- name: {{ .name }}
  image: {{ include "lockstep.image" .ctx }}
  imagePullPolicy: {{ .ctx.Values.image.pullPolicy }}
  {{- with .ctx.Values.command }}
  command:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  args:
    {{- toYaml .args | nindent 4 }}
  env:
    {{- include "lockstep.env" .ctx | trim | nindent 4 }}
  {{- with include "lockstep.volumeMounts" .ctx }}
  volumeMounts:
    {{- . | trim | nindent 4 }}
  {{- end }}
  {{- with .ctx.Values.securityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .ctx.Values.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  terminationMessagePolicy: FallbackToLogsOnError
{{- end -}}

{{/*
The init container for an app's pods, from the app chart (see README,
"The init container from your own chart"):

  spec:
    serviceAccountName: {{ include "lockstep.serviceAccountName" .Subcharts.lockstep }}
    automountServiceAccountToken: false
    initContainers:
      {{- include "lockstep.initContainer" .Subcharts.lockstep | nindent 6 }}
    volumes:
      {{- include "lockstep.volumes" .Subcharts.lockstep | nindent 6 }}

initContainer.mode "wait" blocks until the database is at (or ahead of) the
pod's own heads and never migrates (the hook Job migrates); "migrate" runs
`upgrade heads` itself, safe with many replicas (one migrates, the others
wait on the lock).
*/}}
{{- define "lockstep.initContainer" -}}
{{- include "lockstep.validate" . -}}
{{- if .Values.fleet.enabled -}}
{{- fail "lockstep.initContainer: with fleet.enabled the init container would wait on (or migrate) database_url alone, which is no target of the fleet; the migration hook migrates the fleet before the pods roll, so leave the init container out (README: 'Fleets on Kubernetes')" -}}
{{- end -}}
{{- if eq .Values.initContainer.mode "wait" -}}
{{ include "lockstep.container" (dict "ctx" . "name" "lockstep-wait" "args" (list "wait" "--timeout" .Values.initContainer.waitTimeout)) }}
{{- else -}}
{{ include "lockstep.container" (dict "ctx" . "name" "lockstep-migrate" "args" (list "upgrade" "heads")) }}
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
          status: "True"
{{- end -}}

{{/* The fleet's settings (README, "Fleets"): its one source of targets, this
     index's share (JOB_COMPLETION_INDEX, from the annotation Kubernetes puts
     on every pod of an Indexed Job) of shard_count = the Job's completions,
     and what each pod does with its share. */}}
{{- define "lockstep.fleetEnv" -}}
{{- $f := .Values.fleet }}
{{- if or $f.file.existingSecret $f.file.existingConfigMap }}
- name: LOCKSTEP_FLEET_FILE
  value: {{ printf "/var/run/lockstep/fleet/%s" $f.file.key | quote }}
{{- else if $f.schemas }}
- name: LOCKSTEP_FLEET_SCHEMAS
  value: {{ $f.schemas | quote }}
{{- else }}
- name: LOCKSTEP_FLEET_QUERY
  value: {{ $f.query | quote }}
{{- end }}
- name: JOB_COMPLETION_INDEX
  valueFrom:
    fieldRef:
      fieldPath: metadata.annotations['batch.kubernetes.io/job-completion-index']
- name: LOCKSTEP_SHARD_COUNT
  value: {{ $f.shards | quote }}
- name: LOCKSTEP_PARALLEL
  value: {{ $f.parallel | quote }}
- name: LOCKSTEP_CANARY
  value: {{ $f.canary | quote }}
{{- if ne $f.maxFailures nil }}
- name: LOCKSTEP_MAX_FAILURES
  value: {{ $f.maxFailures | quote }}
{{- end }}
{{- if $f.passwords.existingSecret }}
- name: LOCKSTEP_FLEET_PASSWORD_DIR
  value: /var/run/lockstep/fleet-passwords
{{- end }}
{{- end -}}

{{/* A Job over the fleet is Indexed: one index per shard. From Kubernetes
     1.29 each index has its own retries (backoffLimitPerIndex) and
     maxFailedIndexes caps how many shards may fail before the Job stops;
     before 1.29 the retries are the Job's (its backoffLimit).
     Pass (dict "ctx" $ctx "job" .Values.migrate). */}}
{{- define "lockstep.fleetJobFields" -}}
{{- $f := .ctx.Values.fleet -}}
completionMode: Indexed
completions: {{ $f.shards }}
parallelism: {{ $f.parallelism }}
{{- if include "lockstep.perIndexLimits" .ctx }}
backoffLimitPerIndex: {{ $f.backoffLimitPerIndex }}
{{- if ne $f.maxFailedIndexes nil }}
maxFailedIndexes: {{ $f.maxFailedIndexes }}
{{- end }}
{{- else }}
backoffLimit: {{ .job.backoffLimit }}
{{- end }}
{{- end -}}

{{/* A fleet Job's exit codes (a pod exits with the worst across its
     targets, README "Fleets"): 2 is the same on every index (settings, a
     migration file, the graph), so it fails the Job; 5 and 6 need a person
     for the targets of this shard, so the index fails without retries while
     the others go on (FailIndex, 1.29+; before, the Job fails); 1, 3 and 4
     are retried, and a retried index redoes only its own share. */}}
{{- define "lockstep.fleetPodFailurePolicy" -}}
podFailurePolicy:
  rules:
    - action: FailJob
      onExitCodes:
        containerName: lockstep
        operator: In
        values: [2]
    - action: {{ if include "lockstep.perIndexLimits" . }}FailIndex{{ else }}FailJob{{ end }}
      onExitCodes:
        containerName: lockstep
        operator: In
        values: [5, 6]
    - action: Count
      onExitCodes:
        containerName: lockstep
        operator: In
        values: [1, 3, 4]
    - action: Ignore
      onPodConditions:
        - type: DisruptionTarget
          status: "True"
{{- end -}}

{{/* A Job running one lockstep command; pass (dict "ctx" $ "component" "migrate"
     "args" (list ...) "job" .Values.migrate "serviceAccount" "name"
     "configMap" "migrations ConfigMap"). In fleet mode it is an Indexed Job
     over the fleet. */}}
{{- define "lockstep.jobSpec" -}}
{{- $v := .ctx.Values -}}
{{- if $v.fleet.enabled }}
{{- include "lockstep.fleetJobFields" . }}
{{- else }}
backoffLimit: {{ .job.backoffLimit }}
{{- end }}
activeDeadlineSeconds: {{ .job.activeDeadlineSeconds }}
{{- if ne .job.ttlSecondsAfterFinished nil }}
ttlSecondsAfterFinished: {{ .job.ttlSecondsAfterFinished }}
{{- end }}
{{ if $v.fleet.enabled }}{{ include "lockstep.fleetPodFailurePolicy" .ctx }}{{ else }}{{ include "lockstep.podFailurePolicy" . }}{{ end }}
template:
  metadata:
    labels:
      {{- include "lockstep.labels" (dict "ctx" .ctx "component" .component) | nindent 6 }}
      {{- with $v.podLabels }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- with $v.podAnnotations }}
    annotations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  spec:
    restartPolicy: Never
    automountServiceAccountToken: false
    {{- if include "lockstep.reports" .ctx }}
    serviceAccountName: {{ .serviceAccount }}
    {{- end }}
    {{- with $v.podSecurityContext }}
    securityContext:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $v.imagePullSecrets }}
    imagePullSecrets:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $v.priorityClassName }}
    priorityClassName: {{ . }}
    {{- end }}
    containers:
      {{- include "lockstep.container" (dict "ctx" .ctx "name" "lockstep" "args" .args) | nindent 6 }}
    {{- with include "lockstep.podVolumes" (dict "ctx" .ctx "configMap" .configMap) }}
    volumes:
      {{- . | trim | nindent 6 }}
    {{- end }}
    {{- with $v.nodeSelector }}
    nodeSelector:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $v.affinity }}
    affinity:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $v.tolerations }}
    tolerations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
{{- end -}}
