#!/usr/bin/env bash
# Runs the ChatBuilder benchmark suite from a fresh clone and prints the results table; the results
# also go to bench/target/results.json. Arguments go to BenchMain (e.g. --smoke, --scenarios B1,B7,
# --stores memory,git, --sizes 1000,10000); see bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

# The peers run as real programs: git (shadow repository) and ripgrep (search). Install them from
# Debian when missing.
missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "bench: please install ${missing[*]} (no apt-get here)" >&2
    exit 1
  fi
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Builds bench and the modules it uses (tests skipped: this is a benchmark run, not a test run); the
# build writes bench/target/classpath.txt.
./mvnw -q -B -pl bench -am package -DskipTests

# Runs from a private copy of the jars: a module rebuilt while the suite runs (minutes) must not swap
# classes under the running JVM.
lib=bench/target/bench-lib
rm -rf "$lib" && mkdir -p "$lib"
IFS=: read -r -a jars < bench/target/classpath.txt || true  # the file has no final newline
cp "${jars[@]}" "$lib/"
cp -r bench/target/classes "$lib/classes"
exec java -Xms1g -Xmx4g -cp "$lib/classes:$lib/*" io.chatbuilder.bench.BenchMain "$@"
