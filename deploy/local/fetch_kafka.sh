#!/usr/bin/env bash
# Fetches the pinned Apache Kafka broker (org.apache.kafka:kafka_2.13 and its runtime
# dependencies) from Maven Central into .cache/kafka/libs. Idempotent: a completed
# fetch leaves a stamp naming the pom's hash, and is skipped next time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dest="${SALESOPS_KAFKA_HOME:-$root/.cache/kafka}"
pom="$here/kafka-pom.xml"
stamp="$dest/.fetched-$(sha256sum "$pom" | cut -c1-16)"
[ -f "$stamp" ] && exit 0
echo "setup: fetching the Kafka broker from Maven Central into $dest"
rm -rf "$dest/libs"
mkdir -p "$dest/libs"
mvn -q -B -f "$pom" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$dest/libs" \
  -Dmaven.repo.local="${SALESOPS_M2:-${HOME:-/root}/.m2/repository}"
ls "$dest/libs"/kafka_2.13-*.jar >/dev/null
touch "$stamp"
