#!/usr/bin/env bash
# Builds kube-apiserver, etcd, kubectl and helm from the Go module proxy into the user's cache, once per version:
#   ${XDG_CACHE_HOME:-~/.cache}/strimzi-bridge-injector/kube-<k8s version>/bin/{kube-apiserver,etcd,kubectl}
#   ${XDG_CACHE_HOME:-~/.cache}/strimzi-bridge-injector/helm-<helm version>/bin/helm
# and writes kube-tools.json there (binary paths and versions), which tests/infra/kube.ts reads.
# Idempotent: a binary whose marker names the same recipe is reused, so a second run takes no time.
# Prints one line per binary. Versions can be overridden: K8S_VERSION, ETCD_VERSION, HELM_VERSION.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.36.3}
# etcd 3.6 is what Kubernetes 1.34+ ships with (kubespray, kops); envtest pairs 3.7 with 1.37.
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
HELM_VERSION=${HELM_VERSION:-v3.22.0}

# A cold build takes minutes: "<name>: building ..." is printed first and the same line is finished when done.
PENDING_LINE=0
fail() {
  ((PENDING_LINE)) && echo
  echo "build-kube: $*" >&2
  exit 1
}

building() {
  printf '%s: building %s from the Go module proxy ... ' "$1" "$2"
  PENDING_LINE=1
}

[[ $K8S_VERSION =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || fail "K8S_VERSION must look like v1.36.3 (got '$K8S_VERSION')"
K8S_MINOR=${BASH_REMATCH[1]}
K8S_PATCH=${BASH_REMATCH[2]}
# Every staging module k8s.io/X is published as k8s.io/X v0.<minor>.<patch>.
STAGING_VERSION=v0.$K8S_MINOR.$K8S_PATCH
[[ $ETCD_VERSION =~ ^v3\.[0-9]+\.[0-9]+$ ]] || fail "ETCD_VERSION must look like v3.6.16 (got '$ETCD_VERSION')"
[[ $HELM_VERSION =~ ^v([34])\.[0-9]+\.[0-9]+$ ]] || fail "HELM_VERSION must look like v3.22.0 or v4.3.1 (got '$HELM_VERSION')"
HELM_MAJOR=${BASH_REMATCH[1]}

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/strimzi-bridge-injector
KUBE_DIR=$CACHE/kube-$K8S_VERSION
HELM_DIR=$CACHE/helm-$HELM_VERSION
mkdir -p "$KUBE_DIR/bin" "$KUBE_DIR/src" "$HELM_DIR/bin" "$HELM_DIR/src"

# Two clones building at once would fight over the same scratch modules.
exec 9>"$CACHE/.build-kube.lock"
flock 9

# --- helpers ---------------------------------------------------------------------------------------------------------

need_go() {
  command -v go >/dev/null \
    || fail "go 1.25+ is missing (it builds kube-apiserver, etcd, kubectl and helm from the Go module proxy): apt-get install golang or go.dev/dl"
}

# The scratch modules pin their own dependencies; GOFLAGS from the caller (e.g. -mod=vendor) must not leak in.
gocmd() {
  GOFLAGS=-buildvcs=false GOTOOLCHAIN=${GOTOOLCHAIN:-local} go "$@"
}

# `go mod download -json M@V` and print one field of its answer; a failure is the proxy not answering
# (or the version not existing), said in one line.
mod_download() {
  local mod=$1 field=$2 out
  if ! out=$(cd "$3" && gocmd mod download -json "$mod" 2>&1); then
    local err
    err=$(printf '%s' "$out" | sed -nE 's/^[[:space:]]*"Error": "(.*)",?$/\1/p' | head -1)
    fail "the Go module proxy did not answer for $mod: ${err:-$(printf '%s' "$out" | tail -1)}"
  fi
  printf '%s' "$out" | sed -nE "s/^[[:space:]]*\"$field\": \"(.*)\",?\$/\\1/p" | head -1
}

# A fresh scratch module in $1 named $2.
scratch_module() {
  rm -rf "$1"
  mkdir -p "$1"
  (cd "$1" && gocmd mod init "$2" >/dev/null 2>&1)
}

# `go mod tidy` with its output kept; on failure print the tail and stop.
tidy() {
  local dir=$1 log=$1/build.log
  if ! (cd "$dir" && gocmd mod tidy -e >>"$log" 2>&1); then
    tail -20 "$log" >&2
    fail "go mod tidy failed in $dir (log: $log)"
  fi
  # -e keeps going past packages it cannot load; a download failure is still the proxy's.
  local net='dial tcp|no such host|i/o timeout|connection refused|TLS handshake timeout|reading https?://'
  if grep -qE "$net" "$log"; then
    fail "the Go module proxy did not answer: $(grep -m1 -E "$net" "$log")"
  fi
}

# go build with wall time and peak RSS recorded (GNU time when present); writes the marker on success.
#   go_build <name> <scratch dir> <output> <recipe> <started epoch> <go build args...>
go_build() {
  local name=$1 dir=$2 out=$3 recipe=$4 started=$5
  shift 5
  local log=$dir/build.log stats=$dir/time.txt rss_kib=""
  local t0=$SECONDS
  local timer=()
  [[ -x /usr/bin/time ]] && timer=(/usr/bin/time -v -o "$stats")
  if ! (cd "$dir" && "${timer[@]}" env GOFLAGS=-buildvcs=false GOTOOLCHAIN="${GOTOOLCHAIN:-local}" \
    go build -o "$out.tmp" "$@" >>"$log" 2>&1); then
    tail -30 "$log" >&2
    fail "building $name failed (log: $log)"
  fi
  mv "$out.tmp" "$out"
  local build_s=$((SECONDS - t0)) total_s=$(($(date +%s) - started))
  [[ -f $stats ]] && rss_kib=$(sed -nE 's/.*Maximum resident set size \(kbytes\): ([0-9]+)/\1/p' "$stats")
  local rss_mib=$(((${rss_kib:-0} + 1023) / 1024))
  printf 'recipe=%s\ntotal_seconds=%s\ngo_build_seconds=%s\npeak_rss_mib=%s\nbuilt_at=%s\ngo=%s\n' \
    "$recipe" "$total_s" "$build_s" "$rss_mib" "$(date -u +%FT%TZ)" "$(go env GOVERSION)" >"$out.built"
  echo "built in ${total_s}s (go build ${build_s}s, peak RSS ${rss_mib} MiB) -> $out"
  PENDING_LINE=0
}

# True (and prints the cached line) when $1 exists and its marker names recipe $2.
cached() {
  local name=$1 out=$2 recipe=$3
  [[ -x $out && -f $out.built ]] || return 1
  [[ $(sed -n 's/^recipe=//p' "$out.built") == "$recipe" ]] || return 1
  local s rss
  s=$(sed -n 's/^total_seconds=//p' "$out.built")
  rss=$(sed -n 's/^peak_rss_mib=//p' "$out.built")
  echo "$name: cached (its build took ${s}s, peak RSS ${rss} MiB) -> $out"
}

K8S_LDFLAGS_VARS="gitVersion=$K8S_VERSION gitMajor=1 gitMinor=$K8S_MINOR gitTreeState=clean"
# -X flags for every version variable of `pkg` (a Go package path).
k8s_version_ldflags() {
  local pkg=$1 v flags=""
  for v in $K8S_LDFLAGS_VARS; do flags+=" -X $pkg.$v"; done
  printf '%s' "$flags"
}

# --- kube-apiserver --------------------------------------------------------------------------------------------------
# k8s.io/kubernetes requires its staging modules at v0.0.0 and maps them to ./staging with replace lines, which
# the go command ignores in a dependency. The scratch module adds its own replace line per staging module,
# taken from that release's go.mod, pointing at the published k8s.io/X v0.<minor>.<patch>.

build_apiserver() {
  local out=$KUBE_DIR/bin/kube-apiserver recipe="k8s.io/kubernetes@$K8S_VERSION staging@$STAGING_VERSION r1"
  cached kube-apiserver "$out" "$recipe" && return 0
  need_go
  local started dir=$KUBE_DIR/src/kube-apiserver gomod staging
  started=$(date +%s)
  building kube-apiserver "k8s.io/kubernetes@$K8S_VERSION"
  scratch_module "$dir" scratch/kube-apiserver
  gomod=$(mod_download "k8s.io/kubernetes@$K8S_VERSION" GoMod "$dir")
  [[ -f $gomod ]] || fail "the Go module proxy gave no go.mod for k8s.io/kubernetes@$K8S_VERSION"
  # Exactly `k8s.io/X v0.0.0`: k8s.io/utils and kube-openapi are real pseudo-versions and stay as they are.
  staging=$(sed -nE 's/^[[:space:]]+(k8s\.io\/[a-z0-9-]+) v0\.0\.0$/\1/p' "$gomod" | sort -u)
  [[ -n $staging ]] || fail "found no k8s.io/* v0.0.0 requirement in $gomod: the replace recipe no longer fits"
  local edits=() m
  for m in $staging; do edits+=("-replace=$m=$m@$STAGING_VERSION"); done
  (cd "$dir" && gocmd mod edit "${edits[@]}" "-require=k8s.io/kubernetes@$K8S_VERSION")
  printf '%s\n' "$staging" >"$dir/staging-modules.txt"
  cat >"$dir/tools.go" <<'EOF'
//go:build tools

// Keeps the command's packages in go.mod for `go mod tidy`.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
EOF
  tidy "$dir"
  go_build kube-apiserver "$dir" "$out" "$recipe" "$started" \
    -ldflags "$(k8s_version_ldflags k8s.io/component-base/version)" k8s.io/kubernetes/cmd/kube-apiserver
}

# --- etcd ------------------------------------------------------------------------------------------------------------
# server/go.mod keeps `replace ... => ../api` lines, so `go install` refuses it; required from a scratch module
# those lines are ignored and the matching go.etcd.io/etcd/*/v3 tags come from the proxy. server/main.go is main.

build_etcd() {
  local out=$KUBE_DIR/bin/etcd recipe="go.etcd.io/etcd/server/v3@$ETCD_VERSION r1"
  cached etcd "$out" "$recipe" && return 0
  need_go
  local started dir=$KUBE_DIR/src/etcd
  started=$(date +%s)
  building etcd "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  scratch_module "$dir" scratch/etcd
  mod_download "go.etcd.io/etcd/server/v3@$ETCD_VERSION" Version "$dir" >/dev/null
  (cd "$dir" && gocmd mod edit "-require=go.etcd.io/etcd/server/v3@$ETCD_VERSION")
  cat >"$dir/tools.go" <<'EOF'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
EOF
  tidy "$dir"
  go_build etcd "$dir" "$out" "$recipe" "$started" go.etcd.io/etcd/server/v3
}

# --- kubectl ---------------------------------------------------------------------------------------------------------
# The k8s.io/kubectl module has no main package; this is k8s.io/kubernetes/cmd/kubectl/kubectl.go (Apache-2.0)
# on top of the published k8s.io/kubectl at the API server's minor, so `kubectl version` shows no skew.

build_kubectl() {
  local out=$KUBE_DIR/bin/kubectl recipe="k8s.io/kubectl@$STAGING_VERSION as $K8S_VERSION r1"
  cached kubectl "$out" "$recipe" && return 0
  need_go
  local started dir=$KUBE_DIR/src/kubectl
  started=$(date +%s)
  building kubectl "k8s.io/kubectl@$STAGING_VERSION"
  scratch_module "$dir" scratch/kubectl
  mod_download "k8s.io/kubectl@$STAGING_VERSION" Version "$dir" >/dev/null
  (cd "$dir" && gocmd mod edit "-require=k8s.io/kubectl@$STAGING_VERSION")
  cat >"$dir/main.go" <<'EOF'
// Copied from k8s.io/kubernetes cmd/kubectl/kubectl.go, Copyright 2014 The Kubernetes Authors, Apache-2.0.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"

	// Import to initialize client auth plugins.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

func main() {
	logs.GlogSetter(cmd.GetLogVerbosity(os.Args)) // nolint:errcheck
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		util.CheckErr(err)
	}
}
EOF
  tidy "$dir"
  go_build kubectl "$dir" "$out" "$recipe" "$started" \
    -ldflags "$(k8s_version_ldflags k8s.io/component-base/version) $(k8s_version_ldflags k8s.io/client-go/pkg/version)" .
}

# --- helm ------------------------------------------------------------------------------------------------------------
# helm's go.mod has no replace lines. Its release Makefile stamps the Kubernetes version that `helm template` and
# `helm lint` assume (else 1.20); we stamp the API server's version the tests run against.

build_helm() {
  local out=$HELM_DIR/bin/helm recipe="helm.sh/helm/v$HELM_MAJOR@$HELM_VERSION k8s 1.$K8S_MINOR r1"
  cached helm "$out" "$recipe" && return 0
  need_go
  local started dir=$HELM_DIR/src mod=helm.sh/helm/v$HELM_MAJOR
  started=$(date +%s)
  building helm "$mod@$HELM_VERSION"
  scratch_module "$dir" scratch/helm
  mod_download "$mod@$HELM_VERSION" Version "$dir" >/dev/null
  (cd "$dir" && gocmd mod edit "-require=$mod@$HELM_VERSION")
  cat >"$dir/tools.go" <<EOF
//go:build tools

package tools

import _ "$mod/cmd/helm"
EOF
  tidy "$dir"
  local src ld="" p v
  src=$(cd "$dir" && gocmd list -m -f '{{.Dir}}' "$mod")
  # -X on a variable that does not exist is silently ignored: check each one, so a moved variable fails here.
  for p in internal/version:version=$HELM_VERSION internal/version:gitTreeState=clean \
    pkg/chartutil:k8sVersionMajor=1 pkg/chartutil:k8sVersionMinor=$K8S_MINOR \
    pkg/lint/rules:k8sVersionMajor=1 pkg/lint/rules:k8sVersionMinor=$K8S_MINOR; do
    v=${p#*:}
    grep -qE "^[[:space:]]*${v%%=*}[[:space:]]+(string[[:space:]]+)?=" "$src/${p%%:*}"/*.go \
      || fail "helm $HELM_VERSION has no variable ${p%%:*}.${v%%=*} to stamp: update build_helm in $0"
    ld+=" -X $mod/${p%%:*}.$v"
  done
  go_build helm "$dir" "$out" "$recipe" "$started" -ldflags "$ld" "$mod/cmd/helm"
}

# One at a time: each build alone already uses every core.
build_apiserver
build_etcd
build_kubectl
build_helm

cat >"$CACHE/kube-tools.json.tmp" <<EOF
{
  "kubernetesVersion": "$K8S_VERSION",
  "etcdVersion": "$ETCD_VERSION",
  "helmVersion": "$HELM_VERSION",
  "kubeApiserver": "$KUBE_DIR/bin/kube-apiserver",
  "etcd": "$KUBE_DIR/bin/etcd",
  "kubectl": "$KUBE_DIR/bin/kubectl",
  "helm": "$HELM_DIR/bin/helm"
}
EOF
mv "$CACHE/kube-tools.json.tmp" "$CACHE/kube-tools.json"
