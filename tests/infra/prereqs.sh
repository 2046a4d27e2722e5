#!/usr/bin/env bash
# Checks the toolchains `make test` needs and stops with one line naming what is missing and how to get it.
# `prereqs.sh node` checks only what `npm ci` needs.
set -u
fail() { echo "missing prerequisite: $*" >&2; exit 1; }

need_node() {
  command -v node >/dev/null || fail "node (Node.js 20): apt-get install nodejs, or install Node.js 20 from nodejs.org"
  major=$(node -p 'process.versions.node.split(".")[0]')
  minor=$(node -p 'process.versions.node.split(".")[1]')
  { [ "$major" -gt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -ge 19 ]; }; } \
    || fail "Node.js >= 20.19 (found $(node --version)): the ESM-only @kubernetes/client-node needs it"
  command -v npm >/dev/null || fail "npm: apt-get install npm"
  # node-rdkafka compiles librdkafka on install.
  command -v make >/dev/null && command -v g++ >/dev/null && command -v python3 >/dev/null \
    || fail "a C/C++ toolchain for node-rdkafka (make, g++, python3): apt-get install build-essential python3"
}

need_node
[ "${1:-all}" = node ] && exit 0

command -v java >/dev/null || fail "java 17+ (for the Kafka broker): apt-get install openjdk-17-jre-headless"
jv=$(java -version 2>&1 | sed -nE 's/.*version "([0-9]+).*/\1/p' | head -1)
[ "${jv:-0}" -ge 17 ] || fail "java 17+ (found ${jv:-none}): apt-get install openjdk-17-jre-headless"
command -v mvn >/dev/null || fail "mvn (resolves the Kafka jars from Maven Central): apt-get install maven"
command -v go >/dev/null || fail "go 1.25+ (builds kube-apiserver, etcd, kubectl and helm from the Go module proxy): apt-get install golang or go.dev/dl"
command -v curl >/dev/null || fail "curl (the end-to-end scenario runs the real curl): apt-get install curl"
exit 0
