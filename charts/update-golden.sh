#!/usr/bin/env bash
# Renders the chart with `helm template` into charts/golden/<name>.golden.yaml, one file per values set:
#   default            the chart's own values
#   <name>             charts/golden/<name>.values.yaml on top of them
# Run it (`make golden`) after changing the chart, review the diff and commit it with the change;
# tests/integration/chart.test.ts renders the same way and fails while a golden file is stale.
# helm comes from $HELM, else from what tests/infra/build-kube.sh built (kube-tools.json in the cache).
set -euo pipefail
cd "$(dirname "$0")/.."

tools=${XDG_CACHE_HOME:-$HOME/.cache}/strimzi-bridge-injector/kube-tools.json
field() { node -e 'const t=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));process.stdout.write(t[process.argv[2]]??"")' "$tools" "$1"; }
if [ -z "${HELM:-}" ]; then
  [ -f "$tools" ] || { echo "update-golden.sh: helm not found: set \$HELM or run 'make infra' (tests/infra/build-kube.sh)" >&2; exit 1; }
  HELM=$(field helm)
fi
# The Kubernetes version `helm template` assumes must satisfy the chart's kubeVersion; fixed here so
# the golden files do not depend on how helm was built.
KUBE_VERSION=${KUBE_VERSION:-1.36.0}

render() { # name [values file]
  local args=(template bridge-injector charts/bridge-injector --namespace bridge-injector --kube-version "$KUBE_VERSION")
  [ $# -gt 1 ] && args+=(--values "$2")
  "$HELM" "${args[@]}" >"charts/golden/$1.golden.yaml.tmp"
  mv "charts/golden/$1.golden.yaml.tmp" "charts/golden/$1.golden.yaml"
  echo "charts/golden/$1.golden.yaml"
}

render default
for values in charts/golden/*.values.yaml; do
  name=$(basename "$values" .values.yaml)
  render "$name" "$values"
done
