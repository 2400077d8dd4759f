{{/* Chart name, truncated to the 63 characters Kubernetes names allow. */}}
{{- define "backtest-gitops.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart, unless the release name already contains the chart name. */}}
{{- define "backtest-gitops.fullname" -}}
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

{{- define "backtest-gitops.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "backtest-gitops.selectorLabels" -}}
app.kubernetes.io/name: {{ include "backtest-gitops.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "backtest-gitops.labels" -}}
helm.sh/chart: {{ include "backtest-gitops.chart" . }}
{{ include "backtest-gitops.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: controller
{{- end }}

{{- define "backtest-gitops.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "backtest-gitops.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Where the GitHub App key is mounted. */}}
{{- define "backtest-gitops.appKeyPath" -}}
/etc/backtest-gitops/github-app/{{ .Values.secrets.githubAppPrivateKey.key }}
{{- end }}

{{/* The controller config file: values.config plus what the chart owns (port, cache). */}}
{{- define "backtest-gitops.controllerConfig" -}}
{{- $config := deepCopy .Values.config }}
{{- $_ := set $config "http" (dict "port" (int .Values.service.port) "host" "0.0.0.0") }}
{{- $_ := set $config "cache_dir" "/var/cache/backtest-gitops" }}
{{- if and .Values.secrets.githubAppPrivateKey.existingSecret (hasKey $config "github") }}
{{- $github := deepCopy (get $config "github") }}
{{- $app := deepCopy (default (dict) (get $github "app")) }}
{{- $_ := set $app "private_key_path" (include "backtest-gitops.appKeyPath" .) }}
{{- $_ := set $github "app" $app }}
{{- $_ := set $config "github" $github }}
{{- end }}
{{- toYaml $config }}
{{- end }}
