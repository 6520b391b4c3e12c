#!/usr/bin/env bash
# Every benchmark on the native server (release build), then one table of them all: throughput,
# p50/p99 latency and the server's peak RSS, with the machine it ran on. Run it before and after
# a change on the same machine to compare. Each benchmark also prints its own detailed table.
#
#   bash benches/all.sh [SECONDS]     # seconds per timed scenario, 10 by default
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
# 20,000 sockets, or what this process's descriptor limit leaves room for (the server needs a
# few dozen of its own).
limit=$(ulimit -Hn)
connections=20000
if [ "$limit" != unlimited ] && [ "$limit" -lt 20120 ]; then
  connections=$((limit - 120))
fi

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
export ZUDUI_BENCH_SUMMARY="$summary"

cargo bench --bench load -- all --seconds "$seconds"
cargo bench --bench files
cargo bench --bench chat -- fanout rooms --seconds "$seconds"
cargo bench --bench chat -- connections --connections "$connections" --hold 20
cargo bench --bench isolation -- --seconds "$seconds"

echo
echo "## All benchmarks ($(date -u +%Y-%m-%d), $(git rev-parse --short HEAD))"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, \
$(uname -sm), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')."
echo
echo "| benchmark | scenario | throughput | p50 ms | p99 ms | server peak RSS MiB |"
echo "|---|---|---|---|---|---|"
cat "$summary"
