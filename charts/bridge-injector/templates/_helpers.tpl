{{/* Chart name, truncated to 63 characters (a DNS label). */}}
{{- define "bridge-injector.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: the release name when it already contains the chart name, else
"<release>-<chart>". Truncated to 63 characters; the Secret and cert-manager names add suffixes, so
keep release names short.
*/}}
{{- define "bridge-injector.fullname" -}}
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

{{- define "bridge-injector.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable across upgrades (a Deployment's selector is immutable). */}}
{{- define "bridge-injector.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bridge-injector.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "bridge-injector.labels" -}}
helm.sh/chart: {{ include "bridge-injector.chart" . }}
{{ include "bridge-injector.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: admission-webhook
app.kubernetes.io/part-of: bridge-injector
{{- end }}

{{- define "bridge-injector.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "bridge-injector.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Where the serving certificate comes from:
  certManager - cert-manager issues it into <fullname>-tls and injects the CA into the webhook configuration;
  secret      - an existing Secret (tls.existingSecret) and its CA (tls.caBundle), e.g. from `bridge-injector certs`;
  bootstrap   - the webhook creates and rotates its own (default).
*/}}
{{- define "bridge-injector.tlsMode" -}}
{{- if .Values.certManager.enabled }}certManager{{ else if .Values.tls.existingSecret }}secret{{ else }}bootstrap{{ end }}
{{- end }}

{{/* The Secret the serving certificate is read from (or written to, in bootstrap mode). */}}
{{- define "bridge-injector.tlsSecretName" -}}
{{- if .Values.tls.existingSecret }}
{{- .Values.tls.existingSecret }}
{{- else }}
{{- printf "%s-tls" (include "bridge-injector.fullname" .) }}
{{- end }}
{{- end }}

{{- define "bridge-injector.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{- define "bridge-injector.sidecarImage" -}}
{{- $img := .Values.sidecar.image }}
{{- $tag := default .Chart.AppVersion $img.tag }}
{{- if $img.digest }}
{{- printf "%s@%s" $img.repository $img.digest }}
{{- else }}
{{- printf "%s:%s" $img.repository $tag }}
{{- end }}
{{- end }}

{{/* Namespaces the webhook is never called for, whatever their labels say. */}}
{{- define "bridge-injector.excludedNamespaces" -}}
{{- $ns := list "kube-system" "kube-public" "kube-node-lease" .Release.Namespace }}
{{- range .Values.webhook.excludedNamespaces }}{{ $ns = append $ns . }}{{ end }}
{{- toJson ($ns | uniq) }}
{{- end }}
