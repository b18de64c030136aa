#!/usr/bin/env bash
# The side-by-side benchmark: the same remote-write workload into Loupe, Prometheus and VictoriaMetrics, each started
# on loopback with a fresh data dir and stopped by its pid, then dashboard queries checked to answer the same, and one
# table with the ratios. Flags go to io.loupe.loadtests.SideBySide (--help lists them), e.g.
#   load-tests/side-by-side.sh --series 20000 --span 30m --duration 60s
set -euo pipefail
cd "$(dirname "$0")/.."   # the checkout's root: the default jar paths are relative to it

have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

help=false
for a in "$@"; do [ "$a" = "--help" ] && help=true; done

# 1. The reference systems, from Debian packages. Their system services are never started by us: we run our own
#    processes (a container without systemd does not start them either).
if ! $help && { ! have prometheus || ! have victoria-metrics; }; then
  echo "side-by-side: installing prometheus and victoria-metrics (Debian packages)..."
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y prometheus victoria-metrics; then
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y prometheus victoria-metrics
  fi
fi

# 2. The node and the benchmark, built when missing (or, for the benchmark, older than its sources).
loupe_jar=server/target/loupe.jar
for a in "$@"; do case "$a" in --loupe-jar=*) loupe_jar="${a#--loupe-jar=}";; esac; done
prev=""
for a in "$@"; do [ "$prev" = "--loupe-jar" ] && loupe_jar="$a"; prev="$a"; done
if ! $help && [ ! -f "$loupe_jar" ]; then
  echo "side-by-side: building $loupe_jar ..."
  ./mvnw -B -q -pl server -am package -DskipTests
fi
bench_jar=load-tests/target/loupe-load-tests.jar
if [ ! -f "$bench_jar" ] || [ -n "$(find load-tests/src/main -newer "$bench_jar" -type f -print -quit)" ]; then
  echo "side-by-side: building $bench_jar ..."
  ./mvnw -B -q -pl load-tests package -DskipTests
fi

# 3. Run. The JVM stops every process it started (by pid) and deletes their temp dirs, also on failure and Ctrl-C.
exec java -Xmx2g -cp "$bench_jar" io.loupe.loadtests.SideBySide "$@"
