#!/usr/bin/env bash
# Drive a running reranker server with native POST /rerank requests and print total requests,
# success rate, requests/s, documents/s and p50/p95/p99 latency.
#   scripts/performance_test.sh load N C        N requests, C in flight at once
#   scripts/performance_test.sh latency N       N requests one after another
#   scripts/performance_test.sh throughput N C  as load, with ~200-word documents
#   scripts/performance_test.sh stress N C      concurrency ramps 1, 2, 4, ... C; 503s counted apart
# Variables:
#   URL                 server base URL (default http://127.0.0.1:${PORT:-8000}); loopback only unless ALLOW_REMOTE=1
#   API_KEY             sent as "Authorization: Bearer <key>" (never printed)
#   DOCS                documents per request (default 20)
#   DOC_WORDS           words per document (default 40; throughput 200)
#   SEED                text generator seed (default 42); the server caches scores, so a repeated run
#                       with the same seed measures the cache: change SEED to measure inference
#   REQUEST_TIMEOUT_MS  per request (default 130000, above the server's WORKER_TIMEOUT)
#   MAX_SECONDS         no new requests after this many seconds (default 300)
# Exit status: 0 when every request succeeded (stress: every request succeeded or got 503), 1 otherwise,
# 2 for bad arguments.
set -euo pipefail

ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
  sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

case "${1:-}" in
  load | throughput | stress) (($# == 3)) || usage ;;
  latency) (($# == 2)) || usage ;;
  *) usage ;;
esac

# tsx resolves from the repository root, whatever the caller's working directory.
cd "$ROOT"
exec node --conditions=@reranker/source --import tsx scripts/perf/load.ts "$@"
