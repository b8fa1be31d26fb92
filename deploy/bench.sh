#!/usr/bin/env bash
# Pipeline throughput on this machine, with one generated Stack Exchange site, on the embedded
# single-node server (R1, the default) and on the 3-node cluster of deploy/nats (R3, TLS, users;
# three in-process servers, the pipeline a separate process). Prints both figures.
#   deploy/bench.sh [SIZE] [RUNS]      SIZE of Posts.xml (default 64MB), RUNS of each (default 1)
set -euo pipefail
cd "$(dirname "$0")"
size=${1:-64MB}
runs=${2:-1}
PREFSTREAM_BENCH_SIZE=$size go test -run '^$' -bench '^BenchmarkPipelineR1vsR3$' -benchtime "${runs}x" -timeout 60m . |
  awk '/R1-MB\/s/ {
         for (i = 1; i <= NF; i++) v[$(i+1)] = $i
         printf "R1 (embedded, 1 node): %6.1f MB/s  (%.1f s)\n", v["R1-MB/s"], v["R1-s"]
         printf "R3 (3-node cluster):   %6.1f MB/s  (%.1f s)\n", v["R3-MB/s"], v["R3-s"]
         next }
       /bench_test.go|FAIL|panic|Error/ { print }'
