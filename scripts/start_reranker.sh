#!/usr/bin/env bash
# Start, stop and inspect reranker server instances, one per PORT, so several run side by side:
#   PORT=8001 scripts/start_reranker.sh daemon
# Commands: daemon | fg | dev | stop | restart | status | logs [tail options] | scale N | upstream
#   scale N: instances on PORT, PORT+1, ... PORT+N-1 (starts missing ones; drains and stops the ones above),
#   regenerating the nginx upstream file and reloading nginx; upstream: only the regeneration and reload.
# Extra arguments after daemon/fg/dev/restart go to the server (e.g. --model DIR); set PORT and HOST in
# the environment instead of --port/--host, because the PID and log files are named after PORT.
# Variables (script's own; the server reads PORT, HOST, RERANKER_MODEL, API_KEYS, ... itself):
#   RERANKER_RUN_DIR        where run/ (PID files) and logs/ live (default: the repository root)
#   RERANKER_START_TIMEOUT  seconds daemon waits for /health to answer 200 (default 120)
#   RERANKER_STOP_TIMEOUT   seconds stop waits after SIGTERM before SIGKILL (default SHUTDOWN_TIMEOUT_SECONDS+10, or 40)
#   RERANKER_SERVER_ENTRY   server entry file (default packages/server/src/bin.ts; a built dist/bin.js runs without tsx)
#   RERANKER_NGINX_UPSTREAM upstream file scale/upstream write: `server` lines to include in nginx's upstream block
#                           (default run/upstream.conf)
#   RERANKER_NGINX_CONF, RERANKER_NGINX_PREFIX  nginx's -c and -p, for `nginx -s reload` (no reload when unset)
set -euo pipefail

SCRIPT_PATH="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)/$(basename -- "${BASH_SOURCE[0]}")"
ROOT="$(cd -- "$(dirname -- "$SCRIPT_PATH")/.." && pwd)"
PORT_GIVEN="${PORT:+yes}"
export PORT="${PORT:-8000}" HOST="${HOST:-127.0.0.1}"
RUN_BASE="${RERANKER_RUN_DIR:-$ROOT}"
PID_DIR="$RUN_BASE/run" LOG_DIR="$RUN_BASE/logs"
START_TIMEOUT="${RERANKER_START_TIMEOUT:-120}"
STOP_TIMEOUT="${RERANKER_STOP_TIMEOUT:-$((${SHUTDOWN_TIMEOUT_SECONDS:-30} + 10))}"
ENTRY="${RERANKER_SERVER_ENTRY:-$ROOT/packages/server/src/bin.ts}"
UPSTREAM_FILE="${RERANKER_NGINX_UPSTREAM:-$PID_DIR/upstream.conf}"

say() { printf '[start_reranker] %s\n' "$*"; }
die() { printf '[start_reranker] error: %s\n' "$*" >&2; exit 1; }
pid_file() { echo "$PID_DIR/reranker-$1.pid"; }
url_file() { echo "$PID_DIR/reranker-$1.url"; }
log_file() { echo "$LOG_DIR/reranker-$1.log"; }

# The server command; workspace sources need the source condition and tsx, a built entry needs neither.
# tsx is resolved from the repository, so the server keeps the caller's working directory (and
# relative model paths keep meaning what the caller meant).
server_cmd() {
  [[ -f "$ENTRY" ]] || die "server entry $ENTRY not found: run from a full checkout or set RERANKER_SERVER_ENTRY"
  SERVER=(node)
  if [[ "$ENTRY" == *.ts ]]; then
    local tsx
    tsx="$(cd "$ROOT" && node --input-type=module -e 'console.log(import.meta.resolve("tsx"))')" ||
      die "tsx not found: run pnpm install in $ROOT"
    SERVER+=(--conditions=@reranker/source --import "$tsx")
  fi
  SERVER+=("$ENTRY")
}

# Health is probed on loopback when the server listens on every interface.
health_url() {
  local host="$HOST"
  case "$host" in 0.0.0.0 | '' | '*') host=127.0.0.1 ;; :: | '[::]') host='[::1]' ;; *:*) host="[${host#[}" && host="${host%]}]" ;; esac
  echo "http://$host:$1/health"
}

# Prints the body, then the HTTP status on the last line (000 when nothing answered).
# The first API key (only needed with METRICS_REQUIRE_AUTH) travels on stdin or in the
# environment, never on a command line that ps would show.
http_get() {
  local key="${API_KEYS:-}" && key="${key%%,*}"
  if command -v curl >/dev/null 2>&1; then
    # curl prints 000 itself when nothing answers.
    printf '%s' "${key:+Authorization: Bearer $key}" |
      curl -sS --max-time 3 -H @- -w '\n%{http_code}\n' "$1" 2>/dev/null || true
  else
    # shellcheck disable=SC2016 # JavaScript, not shell
    PROBE_KEY="$key" node -e '
      const key = process.env.PROBE_KEY;
      fetch(process.argv[1], { headers: key ? { authorization: `Bearer ${key}` } : {}, signal: AbortSignal.timeout(3000) })
        .then(async (r) => console.log(`${await r.text()}\n${r.status}`), () => console.log("\n000"));' "$1"
  fi
}

# Is pid $1 still our supervisor or server? Guards against pids reused by other programs.
is_ours() {
  local args
  args="$(ps -p "$1" -o args= 2>/dev/null)" || return 1
  [[ "$args" == *"start_reranker.sh __supervise"* || "$args" == *"$ENTRY"* ]]
}

# Prints the running pid for port $1; removes a stale PID file and prints nothing.
running_pid() {
  local file pid
  file="$(pid_file "$1")"
  [[ -f "$file" ]] || return 0
  pid="$(tr -dc '0-9' <"$file")"
  if [[ -n "$pid" ]] && is_ours "$pid"; then
    echo "$pid"
  else
    say "port $1: removing stale PID file $file (pid ${pid:-?} is not running the server)" >&2
    rm -f "$file" "$(url_file "$1")"
  fi
}

refuse_if_running() {
  local pid
  pid="$(running_pid "$PORT")"
  [[ -z "$pid" ]] || die "an instance already runs on port $PORT (pid $pid): stop it first or pick another PORT"
  [[ "$(http_get "$(health_url "$PORT")" | tail -n 1)" == 000 ]] ||
    die "port $PORT already answers HTTP but has no PID file here: another process uses it"
  for arg in "$@"; do
    [[ "$arg" != --port* && "$arg" != --host* ]] || die "set PORT=/HOST= in the environment instead of $arg"
  done
  mkdir -p "$PID_DIR" "$LOG_DIR"
}

# Runs in the background as the PID file's process: forwards SIGTERM/SIGINT once to the server and
# logs its exit code, so stop can tell a graceful exit from a crash.
supervise() {
  server_cmd
  local child="" code=0 stopping=""
  # Trapped before the server starts, so a stop that arrives during the launch is not lost.
  trap 'stopping=1 && [[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null || true' TERM INT
  "${SERVER[@]}" "$@" &
  child=$!
  [[ -z "$stopping" ]] || kill -TERM "$child" 2>/dev/null || true
  while :; do
    wait "$child" && code=0 || code=$?
    kill -0 "$child" 2>/dev/null || break # a trapped signal interrupts wait: wait again
  done
  wait "$child" 2>/dev/null && code=0 || code=$?
  say "server on port $PORT exited with code $code at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  exit "$code"
}

daemon() {
  refuse_if_running "$@"
  server_cmd
  local pid_f log_f url pid started code elapsed=0
  pid_f="$(pid_file "$PORT")" log_f="$(log_file "$PORT")" url="$(health_url "$PORT")"
  say "starting on $HOST:$PORT (log: $log_f)"
  say "$(date -u +%Y-%m-%dT%H:%M:%SZ) starting on $HOST:$PORT" >>"$log_f"
  # setsid gives the supervisor its own session and process group (no terminal hangups, and
  # a SIGKILL fallback can reach the whole group); without setsid, job control does the latter.
  if command -v setsid >/dev/null 2>&1; then
    setsid nohup "$SCRIPT_PATH" __supervise "$@" >>"$log_f" 2>&1 </dev/null &
  else
    set -m
    nohup "$SCRIPT_PATH" __supervise "$@" >>"$log_f" 2>&1 </dev/null &
    set +m
  fi
  pid=$! && echo "$pid" >"$pid_f" && echo "$url" >"$(url_file "$PORT")"
  started=$SECONDS
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pid_f" "$(url_file "$PORT")"
      say "the server exited during startup; last log lines:" >&2
      tail -n 30 "$log_f" >&2
      exit 1
    fi
    code="$(http_get "$url" | tail -n 1)"
    if [[ "$code" == 200 ]]; then
      say "ready on port $PORT (pid $pid) after $((SECONDS - started)) s"
      return 0
    fi
    elapsed=$((SECONDS - started))
    if ((elapsed >= START_TIMEOUT)); then
      say "/health did not answer 200 within $START_TIMEOUT s (last status $code); last log lines:" >&2
      tail -n 30 "$log_f" >&2
      die "still running as pid $pid: raise RERANKER_START_TIMEOUT, or run: PORT=$PORT $0 stop"
    fi
    ((elapsed % 5 != 0)) || say "waiting for $url (${elapsed}s, status $code)"
    sleep 1
  done
}

foreground() {
  refuse_if_running "$@"
  server_cmd
  echo "$$" >"$(pid_file "$PORT")"
  health_url "$PORT" >"$(url_file "$PORT")"
  if [[ "${1:-}" == --pretty ]]; then
    shift
    local pretty=""
    command -v pino-pretty >/dev/null 2>&1 && pretty=pino-pretty
    [[ -x "$ROOT/node_modules/.bin/pino-pretty" ]] && pretty="$ROOT/node_modules/.bin/pino-pretty"
    [[ -z "$pretty" ]] || exec "${SERVER[@]}" "$@" > >("$pretty")
  fi
  exec "${SERVER[@]}" "$@"
}

stop() {
  local pid waited=0
  pid="$(running_pid "$PORT")"
  [[ -n "$pid" ]] || { say "port $PORT: not running" && return 0; }
  say "port $PORT: sending SIGTERM to pid $pid, waiting up to $STOP_TIMEOUT s for a graceful exit"
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= STOP_TIMEOUT * 5)); then
      say "port $PORT: still running after $STOP_TIMEOUT s; sending SIGKILL" | tee -a "$(log_file "$PORT")" >&2
      # The supervisor leads its process group: kill the server with it.
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
    waited=$((waited + 1))
    ((waited % 25 != 0)) || say "port $PORT: waiting for pid $pid to exit ($((waited / 5)) s)"
  done
  rm -f "$(pid_file "$PORT")" "$(url_file "$PORT")"
  say "port $PORT: stopped"
}

status() {
  local ports=() port pid url out code log rc=0
  if [[ -n "$PORT_GIVEN" ]]; then
    ports=("$PORT")
  else
    for f in "$PID_DIR"/reranker-*.pid; do
      [[ -e "$f" ]] || continue
      port="${f##*/reranker-}" && ports+=("${port%.pid}")
    done
  fi
  ((${#ports[@]} > 0)) || { say "no instances (no PID files in $PID_DIR)" && return 3; }
  for port in "${ports[@]}"; do
    pid="$(running_pid "$port")"
    if [[ -z "$pid" ]]; then
      say "port $port: not running"
      rc=3
      continue
    fi
    url="$(cat "$(url_file "$port")" 2>/dev/null || health_url "$port")"
    out="$(http_get "$url")"
    code="$(tail -n 1 <<<"$out")"
    [[ -f "$(log_file "$port")" ]] && log=", log $(log_file "$port")" || log=""
    say "port $port: running (pid $pid)$log"
    say "port $port: $url -> $code $(sed '$d' <<<"$out")"
  done
  return "$rc"
}

# Ports of the live instances: the registry's servers (GET /cluster of any live instance) in
# distributed mode, else every instance with a PID file that answers /readyz with 200.
live_ports() {
  local f port ports=() body
  for f in "$PID_DIR"/reranker-*.pid; do
    [[ -e "$f" ]] || continue
    port="${f##*/reranker-}" && port="${port%.pid}"
    [[ -n "$(running_pid "$port" 2>/dev/null)" ]] || continue
    [[ "$(http_get "$(health_url "$port" | sed 's#/health$#/readyz#')" | tail -n 1)" == 200 ]] && ports+=("$port")
  done
  if [[ "${ENABLE_DISTRIBUTED:-}" =~ ^(true|1|yes)$ ]] && ((${#ports[@]} > 0)); then
    body="$(http_get "$(health_url "${ports[0]}" | sed 's#/health$#/cluster#')")"
    if [[ "$(tail -n 1 <<<"$body")" == 200 ]]; then
      # shellcheck disable=SC2016 # JavaScript, not shell
      sed '$d' <<<"$body" | node -e '
        let text = ""; process.stdin.on("data", (c) => (text += c)).on("end", () => {
          for (const s of JSON.parse(text).servers) console.log(s.port);
        });' | sort -n | uniq
      return 0
    fi
    say "GET /cluster failed: using the live instances of this host" >&2
  fi
  ((${#ports[@]} == 0)) || printf '%s\n' "${ports[@]}" | sort -n
}

# Writes the upstream file from the live instances, leaving out the ports given, and reloads nginx.
regenerate_upstream() {
  local exclude=" $* " port lines="" tmp
  for port in $(live_ports); do
    [[ "$exclude" == *" $port "* ]] || lines+="server 127.0.0.1:$port max_fails=3 fail_timeout=30s;"$'\n'
  done
  [[ -n "$lines" ]] || die "no live instance to put in the nginx upstream"
  mkdir -p "$(dirname "$UPSTREAM_FILE")"
  tmp="$UPSTREAM_FILE.tmp.$$" && printf '# written by start_reranker.sh scale/upstream\n%s' "$lines" >"$tmp"
  mv "$tmp" "$UPSTREAM_FILE"
  say "nginx upstream: $(grep -c '^server' "$UPSTREAM_FILE") server(s) in $UPSTREAM_FILE"
  if [[ -n "${RERANKER_NGINX_CONF:-}" ]]; then
    local nginx_bin
    nginx_bin="$(PATH="$PATH:/usr/sbin:/usr/local/sbin:/sbin" command -v nginx)" || die "nginx not found"
    "$nginx_bin" -c "$RERANKER_NGINX_CONF" ${RERANKER_NGINX_PREFIX:+-p "$RERANKER_NGINX_PREFIX"} -e stderr -s reload ||
      die "nginx reload failed"
    say "nginx reloaded"
  fi
}

# Instances on PORT..PORT+N-1: missing ones start (each its own pid and log); then nginx stops sending
# to the ones above (new upstream, reload) before they drain and stop (SIGTERM, as stop).
scale() {
  local count="${1:-}" base="$PORT" port f drop=()
  [[ "$count" =~ ^[0-9]+$ ]] && ((count >= 1)) || die "scale needs a number of instances of 1 or more, got '${count}'"
  for ((port = base; port < base + count; port++)); do
    [[ -n "$(running_pid "$port")" ]] || (PORT=$port daemon) || die "port $port did not start"
  done
  for f in "$PID_DIR"/reranker-*.pid; do
    [[ -e "$f" ]] || continue
    port="${f##*/reranker-}" && port="${port%.pid}"
    ((port >= base && port < base + count)) || drop+=("$port")
  done
  regenerate_upstream "${drop[@]}"
  # nginx's old workers finish their requests; the dropped servers drain what they still hold.
  for port in "${drop[@]}"; do (PORT=$port stop); done
  say "scaled to $count instance(s) from port $base"
}

cmd="${1:-}"
[[ $# -eq 0 ]] || shift
case "$cmd" in
  daemon) daemon "$@" ;;
  fg) foreground "$@" ;;
  dev) export LOG_LEVEL=debug && foreground --pretty "$@" ;;
  stop) stop ;;
  restart) stop && daemon "$@" ;;
  status) status ;;
  scale) scale "$@" ;;
  upstream) regenerate_upstream ;;
  logs)
    [[ -f "$(log_file "$PORT")" ]] || die "no log for port $PORT at $(log_file "$PORT")"
    if (($# > 0)); then tail "$@" "$(log_file "$PORT")"; else tail -n 100 -F "$(log_file "$PORT")"; fi
    ;;
  __supervise) supervise "$@" ;;
  *)
    echo "usage: [PORT=8000] $0 daemon|fg|dev|stop|restart|status|logs [args] | scale N | upstream" >&2
    exit 2
    ;;
esac
