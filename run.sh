#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup and its helpers run from traps, which shellcheck cannot see
# run.sh: build and run EventService locally with one command.
#
# Database: ConnectionStrings__Events when set; otherwise a private PostgreSQL 15+ cluster in .data/
# (created on the first run, reused afterwards, stopped on exit if this script started it).
# Role "eventservice" gets a password generated once and kept in .data/credentials.env.
#
# Environment (all optional):
#   ConnectionStrings__Events  use this database instead of the private cluster
#   EVENTSERVICE_PG_PORT       port of the private cluster (default 55432, 127.0.0.1 only)
#   Admin__ApiKey              admin key (default: a fresh random key per run)
#   ASPNETCORE_URLS            default http://127.0.0.1:5080
#   ASPNETCORE_ENVIRONMENT     default Development
#
# Ctrl-C or TERM stops the app, then the PostgreSQL this script started.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE_DIR="$REPO/.data"
CREDENTIALS="$STATE_DIR/credentials.env"
APP_DLL="$REPO/src/EventService.Api/bin/Release/net10.0/EventService.Api.dll"
EVENTS_PATH="/api/v1/event"

PG_PORT="${EVENTSERVICE_PG_PORT:-55432}"
PG_BIN=""
PG_DATA=""
PG_SOCKETS=""
PG_LOG=""
PG_STARTED_HERE=0
APP_PID=""
APP_URL=""
DEV_PRODUCER_ID=""
DEV_PRODUCER_TOKEN=""

say() { printf 'run.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# PostgreSQL refuses to run as root, so root runs its tools as the postgres OS user. From /, because
# initdb and pg_ctl fail when they cannot return to a working directory postgres may not enter.
as_pg() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

random_hex() {
    if command -v openssl >/dev/null; then
        openssl rand -hex "$1"
    else
        head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'
    fi
}

random_base64url() {
    head -c "$1" /dev/urandom | base64 | tr -d '=\n' | tr '+/' '-_'
}

# Prints the directory with initdb, pg_ctl and postgres of major version 15 or later.
find_pg_bin() {
    local candidates=() dir
    if command -v pg_config >/dev/null; then
        candidates+=("$(pg_config --bindir 2>/dev/null || true)")
    fi
    # Highest version first.
    mapfile -t -O "${#candidates[@]}" candidates < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5 -rn)
    if command -v initdb >/dev/null; then
        candidates+=("$(dirname "$(command -v initdb)")")
    fi
    for dir in "${candidates[@]}"; do
        [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]] || continue
        local major
        major="$("$dir/postgres" --version | sed -n 's/.*(PostgreSQL) \([0-9]*\).*/\1/p')"
        if [[ -n "$major" && "$major" -ge 15 ]]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

# Chooses where the cluster lives. The postgres user must be able to traverse every parent of
# the data directory; a clone under /root (mode 700) does not allow that, so fall back to /var/tmp.
choose_pg_dirs() {
    mkdir -p "$STATE_DIR"
    local base="$STATE_DIR"
    if [[ $EUID -eq 0 ]]; then
        chmod o+x "$STATE_DIR"
    fi
    if [[ $EUID -eq 0 ]] && ! as_pg test -x "$STATE_DIR"; then
        base="/var/tmp/eventservice-$(printf '%s' "$REPO" | sha256sum | cut -c1-8)"
        say "the postgres user cannot reach $STATE_DIR; keeping the cluster in $base instead"
        mkdir -p "$base"
        chown postgres: "$base"
        chmod 700 "$base"
    fi
    PG_DATA="$base/postgres"
    PG_SOCKETS="$base/sockets"
    PG_LOG="$base/postgres.log"
}

init_cluster() {
    say "creating a PostgreSQL cluster in $PG_DATA (first run)"
    mkdir -p "$PG_DATA" "$PG_SOCKETS"
    touch "$PG_LOG"
    if [[ $EUID -eq 0 ]]; then
        chown postgres: "$PG_DATA" "$PG_SOCKETS" "$PG_LOG"
    fi
    chmod 700 "$PG_DATA"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" --auth-local=peer --auth-host=scram-sha-256 \
        -E UTF8 --locale=C --no-instructions >/dev/null
    # Single quotes in a path would break this config line; none of the paths above contain any.
    as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null <<EOF

# Added by run.sh: local connections only.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_SOCKETS'
EOF
}

start_cluster() {
    if as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
        # Someone else (an earlier run still going, or the user) owns this server: use it, leave it running.
        PG_PORT="$(sed -n 4p "$PG_DATA/postmaster.pid")"
        say "reusing the PostgreSQL already running on port $PG_PORT"
        return
    fi
    say "starting PostgreSQL on 127.0.0.1:$PG_PORT (log: $PG_LOG)"
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -o "-p $PG_PORT" -w -t 60 start >/dev/null; then
        tail -n 20 "$PG_LOG" >&2 || true
        die "PostgreSQL did not start (is port $PG_PORT taken? set EVENTSERVICE_PG_PORT)"
    fi
    PG_STARTED_HERE=1
}

stop_cluster() {
    if [[ $PG_STARTED_HERE -eq 1 ]]; then
        say "stopping PostgreSQL"
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null || say "could not stop PostgreSQL in $PG_DATA"
        PG_STARTED_HERE=0
    fi
}

load_or_create_password() {
    if [[ -f "$CREDENTIALS" ]]; then
        # shellcheck source=/dev/null
        source "$CREDENTIALS"
    fi
    if [[ -z "${EVENTSERVICE_DB_PASSWORD:-}" ]]; then
        EVENTSERVICE_DB_PASSWORD="$(random_hex 24)"
        (umask 077 && printf 'EVENTSERVICE_DB_PASSWORD=%s\n' "$EVENTSERVICE_DB_PASSWORD" >"$CREDENTIALS")
    fi
    chmod 600 "$CREDENTIALS"
}

# Idempotent: creates the role and database when missing and keeps the role's password equal to
# the one in credentials.env. The password travels on stdin, not on a command line.
ensure_role_and_database() {
    as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKETS" -p "$PG_PORT" -d postgres >/dev/null <<EOF
\set pw '$EVENTSERVICE_DB_PASSWORD'
SELECT 'CREATE ROLE eventservice LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eventservice') \gexec
SELECT format('ALTER ROLE eventservice PASSWORD %L', :'pw') \gexec
SELECT 'CREATE DATABASE eventservice OWNER eventservice'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'eventservice') \gexec
EOF
}

setup_database() {
    if [[ -n "${ConnectionStrings__Events:-}" ]]; then
        say "using the database from ConnectionStrings__Events"
        return
    fi
    PG_BIN="$(find_pg_bin)" || die "no PostgreSQL 15+ server binaries found. Install them (Debian/Ubuntu: sudo apt-get install postgresql) or set ConnectionStrings__Events."
    choose_pg_dirs
    [[ -f "$PG_DATA/PG_VERSION" ]] || init_cluster
    start_cluster
    load_or_create_password
    ensure_role_and_database
    export ConnectionStrings__Events="Host=127.0.0.1;Port=$PG_PORT;Database=eventservice;Username=eventservice;Password=$EVENTSERVICE_DB_PASSWORD"
}

# On any exit: stop the app if it still runs, then the PostgreSQL this script started.
cleanup() {
    local status=$?
    # A second Ctrl-C must not cut the cleanup short and leave PostgreSQL running.
    trap '' INT TERM
    trap - EXIT
    if [[ -n "$APP_PID" ]] && kill -0 "$APP_PID" 2>/dev/null; then
        revoke_dev_producer
        say "stopping EventService"
        kill -TERM "$APP_PID" 2>/dev/null || true
        wait "$APP_PID" 2>/dev/null || true
    fi
    stop_cluster
    exit "$status"
}

# A requested stop is a clean exit; cleanup does the work.
on_signal() {
    exit 0
}

# The address to call the app on: the first URL, with a wildcard host made concrete.
local_url() {
    local url="${ASPNETCORE_URLS%%;*}"
    url="${url/\/\/0.0.0.0/\/\/127.0.0.1}"
    url="${url/\/\/\*/\/\/127.0.0.1}"
    url="${url/\/\/+/\/\/127.0.0.1}"
    echo "${url%/}"
}

# Returns 0 when /health/ready answers 200, 1 when the app gave up or never got ready.
wait_until_ready() {
    local url="$1" code deadline=$((SECONDS + 60))
    while ((SECONDS < deadline)); do
        kill -0 "$APP_PID" 2>/dev/null || { say "EventService exited during startup"; return 1; }
        code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/health/ready" || true)"
        case "$code" in
            200) return 0 ;;
            # The app answers but has no readiness endpoint: waiting longer will not change that.
            404) say "the app is up but $url/health/ready answers 404"; return 1 ;;
        esac
        sleep 1
    done
    say "EventService was not ready within 60 s"
    return 1
}

# Creates this run's development producer; sets DEV_PRODUCER_ID and DEV_PRODUCER_TOKEN (empty on failure).
create_dev_producer() {
    local url="$1" response
    response="$(curl -s --max-time 10 -X POST "$url/api/v1/admin/producers" \
        -H "Authorization: Bearer $Admin__ApiKey" -H 'Content-Type: application/json' \
        -d '{"name":"dev-all-sources (run.sh)","sources":[0,1,2],"organisation_id":null}' || true)"
    DEV_PRODUCER_TOKEN="$(printf '%s' "$response" | sed -n 's/.*"token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')"
    DEV_PRODUCER_ID="$(printf '%s' "$response" | sed -n 's/.*"id"[[:space:]]*:[[:space:]]*\([0-9]*\).*/\1/p')"
}

# The development producer lives as long as this run: revoke it before the app stops.
revoke_dev_producer() {
    [[ -n "$DEV_PRODUCER_ID" && -n "$APP_URL" ]] || return 0
    curl -s -o /dev/null --max-time 5 -X DELETE "$APP_URL/api/v1/admin/producers/$DEV_PRODUCER_ID" \
        -H "Authorization: Bearer $Admin__ApiKey" || true
    DEV_PRODUCER_ID=""
}

print_banner() {
    local url="$1" token="$2" now
    now="$(date -u +%Y-%m-%dT%H:%M:%S.000Z)"
    cat <<EOF

  EventService is running at $url
    Swagger UI:  $url/swagger
    Admin key:   $Admin__ApiKey
EOF
    if [[ -n "$token" ]]; then
        cat <<EOF
    Producer:    $token   (dev-all-sources, revoked when run.sh stops)

  Post an event:
    curl -s -X POST $url$EVENTS_PATH -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"timestamp":"$now","alert":false,"description":"hello from run.sh","event_type":{"id":1},"event_source":{"id":0},"event_severity":{"id":0},"organisation":{"id":1,"name":"Dev"}}'
EOF
    else
        cat <<EOF
    Producer:    (could not create one; create it yourself with the admin key:)
    curl -s -X POST $url/api/v1/admin/producers -H "Authorization: Bearer $Admin__ApiKey" -H 'Content-Type: application/json' -d '{"name":"dev-all-sources","sources":[0,1,2],"organisation_id":null}'
EOF
    fi
    printf '\n  Ctrl-C stops it.\n\n'
}

main() {
    cd "$REPO"
    trap cleanup EXIT
    trap on_signal INT TERM

    export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://127.0.0.1:5080}"
    export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
    export Admin__ApiKey="${Admin__ApiKey:-esa_$(random_base64url 32)}"
    # Signs the organisations' auth tokens; per run, so tokens from an earlier run stop working (clients re-authenticate).
    export Jwt__SigningKey="${Jwt__SigningKey:-$(random_base64url 48)}"

    setup_database

    say "building"
    dotnet build src/EventService.Api -c Release -nologo -v q

    # Started directly rather than via `dotnet run` so that our TERM reaches the app itself.
    # The content root is the build output, where appsettings.json is.
    dotnet "$APP_DLL" --contentRoot "$(dirname "$APP_DLL")" &
    APP_PID=$!

    local url
    url="$(local_url)"
    wait_until_ready "$url" || true
    # Without the app there is nothing to announce: fall through to wait for its exit status.
    if kill -0 "$APP_PID" 2>/dev/null; then
        APP_URL="$url"
        create_dev_producer "$url"
        print_banner "$url" "$DEV_PRODUCER_TOKEN"
    fi

    local status=0
    wait "$APP_PID" || status=$?
    APP_PID=""
APP_URL=""
DEV_PRODUCER_ID=""
DEV_PRODUCER_TOKEN=""
    exit "$status"
}

main "$@"
