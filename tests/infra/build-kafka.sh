#!/usr/bin/env bash
# Resolves Apache Kafka (broker, storage tool, CLI tools) from Maven Central into
# ${XDG_CACHE_HOME:-~/.cache}/strimzi-bridge-injector/kafka-<version>/libs, for tests/infra/kafka.ts.
# Idempotent: a marker holding the recipe's hash makes a second run instant; a changed recipe rebuilds.
# Prints one line on what it did; on failure one line naming what is missing (details in the log file).
set -euo pipefail

KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
SCALA_VERSION=2.13
# Pinned (Maven 3.8 would pick 2.8) and fully qualified, so an unreachable Maven Central shows up as a
# failed download rather than as "no plugin found for prefix".
COPY=org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies
# Bump to rebuild every cache entry when the recipe below changes in a way the hash cannot see.
RECIPE=1

fail() {
  echo "build-kafka: $*" >&2
  exit 1
}

command -v java >/dev/null || fail "java 17+ is missing (runs the broker): apt-get install openjdk-17-jre-headless"
command -v mvn >/dev/null || fail "mvn is missing (resolves the Kafka jars from Maven Central): apt-get install maven"

cache=${XDG_CACHE_HOME:-$HOME/.cache}/strimzi-bridge-injector
dest=$cache/kafka-$KAFKA_VERSION
marker=$dest/.complete
stamp="recipe=$RECIPE $COPY kafka=$KAFKA_VERSION scala=$SCALA_VERSION"

if [ -f "$marker" ] && [ "$(cat "$marker")" = "$stamp" ] && [ -d "$dest/libs" ]; then
  echo "kafka $KAFKA_VERSION: cached in $dest/libs"
  exit 0
fi

start=$(date +%s)
mkdir -p "$cache"
# Build beside the destination and swap it in at the end, so an interrupted run never leaves a half cache.
work=$(mktemp -d "$cache/.kafka-$KAFKA_VERSION.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$cache/build-kafka-$KAFKA_VERSION.log
: >"$log"

dep() { printf '    <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version>%s</dependency>\n' "$@"; }

pom() { # $1 = file, rest = <dependency> lines
  local file=$1
  shift
  cat >"$file" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.strimzi-bridge-injector</groupId>
  <artifactId>$(basename "$file" .xml)</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
$(printf '%s\n' "$@")
  </dependencies>
</project>
EOF
}

resolve() { # $1 = pom, $2 = extra flags; output goes to the log
  if ! mvn -B -q -f "$1" "$COPY" -DoutputDirectory="$work/libs" -DincludeScope=runtime \
    ${2:-} >>"$log" 2>&1; then
    if grep -qiE 'UnknownHost|Connect(ion)? (refused|timed out)|Could not transfer|No route to host|Network is unreachable' "$log"; then
      fail "Maven Central did not answer (mvn could not download; check the network or ~/.m2/settings.xml mirrors). Log: $log"
    fi
    fail "mvn could not resolve Kafka $KAFKA_VERSION (try another KAFKA_VERSION). Log: $log"
  fi
}

# 1. The broker (kafka_2.13 brings server, storage, raft, metadata, coordinators, clients) and the CLI
#    tools (AclCommand for the tests' ACLs).
pom "$work/kafka.xml" \
  "$(dep org.apache.kafka "kafka_$SCALA_VERSION" "$KAFKA_VERSION" '')" \
  "$(dep org.apache.kafka kafka-tools "$KAFKA_VERSION" '')"
resolve "$work/kafka.xml"

# 2. The published POMs leave out the SLF4J -> log4j2 binding (Kafka's tarball adds it from a release-only
#    configuration), so without it the broker logs nothing. Pick the binding that matches the resolved
#    slf4j-api, at the version of the resolved log4j-api, and nothing transitive.
slf4j=$(find "$work/libs" -name 'slf4j-api-*.jar' -printf '%f\n' | sed -E 's/^slf4j-api-([0-9.]+)\.jar$/\1/' | head -1)
log4j=$(find "$work/libs" -name 'log4j-api-*.jar' -printf '%f\n' | sed -E 's/^log4j-api-([0-9.]+)\.jar$/\1/' | head -1)
[ -n "$slf4j" ] || fail "no slf4j-api jar among Kafka $KAFKA_VERSION's dependencies: the recipe needs updating. Log: $log"
[ -n "$log4j" ] || fail "no log4j-api jar among Kafka $KAFKA_VERSION's dependencies: the recipe needs updating. Log: $log"
case $slf4j in
1.*) binding=log4j-slf4j-impl ;;
*) binding=log4j-slf4j2-impl ;;
esac
pom "$work/binding.xml" "$(dep org.apache.logging.log4j "$binding" "$log4j" '')"
resolve "$work/binding.xml" -DexcludeTransitive=true

rm -rf "$dest"
mkdir -p "$dest"
mv "$work/libs" "$dest/libs"
echo "$stamp" >"$marker"
n=$(find "$dest/libs" -name '*.jar' | wc -l)
echo "kafka $KAFKA_VERSION: resolved $n jars (slf4j $slf4j + $binding $log4j) into $dest/libs in $(($(date +%s) - start)) s"
