#!/usr/bin/env bash
# bench/faults.sh: drives concurrent ingest while it breaks things, then checks that nothing acknowledged was
# lost and nothing was stored twice.
#
#   bench/faults.sh            the full run (about two minutes)
#   bench/faults.sh --short    a shorter run (about a minute), as CI runs it
#
# It starts a throwaway PostgreSQL (local binaries, 127.0.0.1 only) and the service (Release build), and N clients
# that post events with ids of their own, retrying each event (same id, same timestamp) until it gets a 2xx, as an
# at-least-once producer does. Meanwhile it, in turn:
#   1. kills the service with SIGKILL and starts it again;
#   2. restarts PostgreSQL with an immediate shutdown (no checkpoint: crash recovery);
#   3. freezes PostgreSQL with SIGSTOP for a while, then SIGCONT.
# After each fault, once the service is ready again, it checks that every event acknowledged so far is stored and
# none twice, and prints acknowledged, stored, duplicates, lost and the longest answer per fault; it exits non-zero
# unless lost = 0 and duplicates = 0 after every fault, no answer was a 500, the service is ready again, and every
# answer while PostgreSQL was frozen came within the service's bound: a credential lookup on a cache miss
# (Storage:ConnectTimeout, 3 s) + Ingestion:RequestTimeout (10 s) + Storage:WriteCommandTimeout (5 s) + twice the
# up to 2 s Npgsql waits for a cancelled statement (its Cancellation Timeout): 22 s. The freeze (25 s) outlasts it,
# so an answer that waits for PostgreSQL to come back is seen, and the clients wait up to 40 s. Loopback only; every
# loop is bounded in time.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHORT=0
[[ "${1:-}" == "--short" ]] && SHORT=1

CLIENTS=8
# The freeze is longer than the bound in both, so that the service's own timeouts are what answer.
CONNECT_TIMEOUT=3 REQUEST_TIMEOUT=10 WRITE_TIMEOUT=5 CANCEL_WAIT=2
ANSWER_BOUND=$((CONNECT_TIMEOUT + REQUEST_TIMEOUT + WRITE_TIMEOUT + 2 * CANCEL_WAIT))
if ((SHORT)); then PHASE=8; else PHASE=15; fi
FREEZE=$((ANSWER_BOUND + 3))
CLIENT_WAIT=40

WORK="$(mktemp -d /tmp/eventservice-faults-XXXXXX)"
PG_DATA="$WORK/pg"
PG_BIN=""
PG_PORT=""
APP_PORT=""
APP_PID=""
APP_DLL="$REPO/src/EventService.Api/bin/Release/net10.0/EventService.Api.dll"
ADMIN_KEY="esa_faults_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
CLIENT_PIDS=()
FAILED=0
ACKED_TOTAL=0

say() { printf 'faults: %s\n' "$*" >&2; }

as_pg() { if [[ $EUID -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 20000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
    done
}

find_pg_bin() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
        [[ -x "$dir/initdb" ]] && { echo "$dir"; return 0; }
    done
    return 1
}

pg_ctl() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" "$@"; }

postmaster_pid() { head -n 1 "$PG_DATA/postmaster.pid"; }

start_pg() { pg_ctl -l "$WORK/pg.log" -w -t 60 start >/dev/null; }

start_app() {
    ConnectionStrings__Events="Host=127.0.0.1;Port=$PG_PORT;Database=postgres;Username=postgres" \
    Admin__ApiKey="$ADMIN_KEY" Jwt__SigningKey="faults-only-signing-key-0123456789abcdef" \
    Serilog__MinimumLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production \
        dotnet "$APP_DLL" --contentRoot "$(dirname "$APP_DLL")" --urls "http://127.0.0.1:$APP_PORT" >>"$WORK/app.log" 2>&1 &
    APP_PID=$!
}

wait_ready() {
    local deadline=$((SECONDS + ${1:-60}))
    while ((SECONDS < deadline)); do
        [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$APP_PORT/health/ready" || true)" == 200 ]] && return 0
        sleep 0.5
    done
    return 1
}

cleanup() {
    local status=$?
    trap - EXIT
    for pid in "${CLIENT_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [[ -n "$APP_PID" ]] && kill -9 "$APP_PID" 2>/dev/null || true
    if [[ -f "$PG_DATA/postmaster.pid" ]]; then
        kill -CONT "$(postmaster_pid)" 2>/dev/null || true
        pkill -CONT -P "$(postmaster_pid)" 2>/dev/null || true
        pg_ctl -m immediate stop >/dev/null 2>&1 || true
    fi
    [[ $status -eq 0 ]] || say "kept $WORK for a look (app.log, pg.log, clients/)"
    [[ $status -ne 0 ]] || rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT

# One client: events id = base + n, each with its own fixed timestamp, posted until acknowledged, until told to stop.
client() {
    local k="$1" token="$2" stop_file="$3" acked="$WORK/clients/$k.acked" n=0 id ts code answer
    local base=$((k * 1000000000 + 1))
    while [[ ! -e "$stop_file" ]]; do
        id=$((base + n))
        ts="$(date -u +%Y-%m-%dT%H:%M:%S.000Z)"
        while :; do
            answer="$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time "$CLIENT_WAIT" -X POST "http://127.0.0.1:$APP_PORT/api/v1/event" \
                -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
                -d "{\"id\":$id,\"timestamp\":\"$ts\",\"event_type\":{\"id\":1},\"event_source\":{\"id\":0},\"event_severity\":{\"id\":0},\"organisation\":{\"id\":$((4700 + k)),\"name\":\"fault client $k\"},\"description\":\"fault test\"}" \
                || true)"
            code="${answer%% *}"
            # phase, status, seconds: the longest answer per fault is read from these
            echo "$(cat "$WORK/phase") $answer" >>"$WORK/clients/$k.times"
            if [[ "$code" == 201 || "$code" == 200 ]]; then
                echo "$id" >>"$acked"
                break
            fi
            echo "$code" >>"$WORK/clients/$k.errors"
            # An at-least-once producer: the same event again, until the service takes it (bounded by the stop file).
            [[ -e "$stop_file" ]] && break 2
            sleep 0.2
        done
        n=$((n + 1))
    done
}

main() {
    PG_BIN="$(find_pg_bin)" || { say "no PostgreSQL server binaries: apt-get install postgresql"; exit 1; }
    PG_PORT="$(free_port)"
    APP_PORT="$(free_port)"
    mkdir -p "$WORK/clients"
    echo 0 >"$WORK/phase"
    [[ $EUID -eq 0 ]] && chown -R postgres: "$WORK"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U postgres -E UTF8 --locale=C >/dev/null
    printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\n" "$PG_PORT" "$WORK" >>"$PG_DATA/postgresql.conf"
    start_pg

    say "building the service (Release)"
    dotnet build "$REPO/src/EventService.Api" -c Release -nologo -v q >/dev/null
    start_app
    wait_ready 90 || { say "the service did not get ready"; exit 1; }
    local token
    token="$(curl -s -X POST "http://127.0.0.1:$APP_PORT/api/v1/admin/producers" -H "Authorization: Bearer $ADMIN_KEY" \
        -H 'Content-Type: application/json' -d '{"name":"faults","sources":[0],"organisation_id":null}' \
        | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')"
    [[ -n "$token" ]] || { say "could not create a producer"; exit 1; }

    local stop_file="$WORK/stop" k
    for ((k = 1; k <= CLIENTS; k++)); do
        client "$k" "$token" "$stop_file" &
        CLIENT_PIDS+=($!)
    done
    say "$CLIENTS clients posting; phases of ${PHASE}s"

    sleep "$PHASE"
    say "1. SIGKILL the service, start it again"
    echo 1 >"$WORK/phase"
    kill -9 "$APP_PID"; wait "$APP_PID" 2>/dev/null || true
    start_app
    sleep "$PHASE"
    check 1 "1. service killed (SIGKILL) and started again"

    say "2. restart PostgreSQL with an immediate shutdown"
    echo 2 >"$WORK/phase"
    pg_ctl -m immediate stop >/dev/null
    sleep 1
    start_pg
    sleep "$PHASE"
    check 2 "2. PostgreSQL restarted after an immediate shutdown"

    say "3. freeze PostgreSQL (SIGSTOP) for ${FREEZE}s"
    local pm
    pm="$(postmaster_pid)"
    echo 3 >"$WORK/phase"
    kill -STOP "$pm"; pkill -STOP -P "$pm" || true
    sleep "$FREEZE"
    kill -CONT "$pm"; pkill -CONT -P "$pm" || true
    sleep "$PHASE"
    check 3 "3. PostgreSQL frozen (SIGSTOP) for ${FREEZE} s"
    local frozen_longest
    frozen_longest="$(longest 3)"
    if awk -v t="$frozen_longest" -v b="$ANSWER_BOUND" 'BEGIN { exit !(t > b) }'; then
        say "FAILED: while PostgreSQL was frozen an answer took ${frozen_longest} s, beyond the bound of ${ANSWER_BOUND} s"
        FAILED=1
    fi
    echo 4 >"$WORK/phase"

    touch "$stop_file"
    say "stopping the clients"
    for pid in "${CLIENT_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    CLIENT_PIDS=()
    check 4 "end: clients stopped"

    printf '\n| after | acknowledged | stored | duplicates | lost | ready again | longest answer |\n|---|---|---|---|---|---|---|\n%s\n\n' "$(cat "$WORK/table.md")"
    say "longest answer while PostgreSQL was frozen: $(longest 3) s (bound ${ANSWER_BOUND} s)"
    say "answers other than 2xx during the faults (000: no connection, or no answer within ${CLIENT_WAIT} s):"
    cat "$WORK"/clients/*.errors 2>/dev/null | sort | uniq -c | sed 's/^/    /' >&2 || true
    say "(stored may exceed acknowledged: an event committed while its client had given up waiting is stored once and acknowledged on the retry, or never, when the run ended first)"
    ((FAILED == 0)) || { say "FAILED: an acknowledged event was lost, an event was stored twice, or the service was not ready again"; exit 1; }
    if grep -qx 500 "$WORK"/clients/*.errors 2>/dev/null; then say "FAILED: the service answered 500 during a fault"; exit 1; fi
    ((ACKED_TOTAL > 0)) || { say "FAILED: nothing was acknowledged"; exit 1; }
    say "passed"
}

# The longest answer (seconds) to a post sent during phase $1 and until the next.
longest() {
    cat "$WORK"/clients/*.times 2>/dev/null | awk -v p="$1" '$1 == p && $3 > max { max = $3 } END { printf "%.1f", max + 0 }'
}

# After a fault: once the service is ready again, every event acknowledged so far must be stored, and none twice.
check() {
    local phase="$1" name="$2" ready=no
    wait_ready 60 && ready=yes
    cat "$WORK"/clients/*.acked 2>/dev/null | sort -n >"$WORK/acked.txt" || true
    chmod 644 "$WORK/acked.txt"
    local psql=("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -Atq -v ON_ERROR_STOP=1)
    local result acknowledged stored duplicates lost
    result="$("${psql[@]}" <<SQL
CREATE TEMP TABLE acked (id bigint);
\copy acked FROM '$WORK/acked.txt'
SELECT (SELECT count(*) FROM acked) || ' ' ||
       (SELECT count(*) FROM events) || ' ' ||
       (SELECT count(*) FROM (SELECT id FROM events GROUP BY id HAVING count(*) > 1) d) || ' ' ||
       (SELECT count(*) FROM acked a WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = a.id));
SQL
)"
    read -r acknowledged stored duplicates lost <<<"$(tail -n 1 <<<"$result")"
    printf '| %s | %s | %s | %s | %s | %s | %s s |\n' "$name" "$acknowledged" "$stored" "$duplicates" "$lost" "$ready" "$(longest "$phase")" >>"$WORK/table.md"
    say "$name: acknowledged $acknowledged, stored $stored, duplicates $duplicates, lost $lost, ready $ready, longest answer $(longest "$phase") s"
    ACKED_TOTAL="$acknowledged"
    [[ "$lost" == 0 && "$duplicates" == 0 && "$ready" == yes ]] || FAILED=1
}

main "$@"
