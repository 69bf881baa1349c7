#!/usr/bin/env bash
# PostgreSQL and Redis for the production path, the integration tests and the benchmark:
# installed from Debian's packages when missing, run from var/services/ (git-ignored), on
# loopback only, on free ports chosen at the first start and kept in var/services/.
#
#   scripts/services.sh start        install if needed, start both, wait until they answer
#   scripts/services.sh stop         stop both (unless a `run` below still uses them)
#   scripts/services.sh status       say what runs where; exit 1 when one is down
#   scripts/services.sh env          print the export lines (DATABASE_URL, TRACKER_STORE_URL,
#                                    LOCK_STORE_TYPE, REDIS_HOST, REDIS_PORT, REDIS_PASSWORD)
#   scripts/services.sh run CMD...   start, run CMD with that environment, then stop (also when
#                                    CMD fails; CMD's exit code is kept). Concurrent `run`s
#                                    share the services: the last one to finish stops them.
#
# PostgreSQL runs as the `postgres` user with password authentication over TCP (no Unix
# socket); the superuser `savbot` owns the databases `savbot` (orders) and
# `savbot_conversations` (Rasa's tracker store) and may create more (the integration tests
# create and drop their own). Redis keeps nothing on disk and requires a password.
# Passwords are generated at the first start and kept in var/services/ (mode 600).
# The lock store is components/lock_store.py's AtomicRedisLockStore: Rasa's own `redis` type
# hands one ticket to two processes under concurrent messages (see that module).
# Needs root (apt-get, runuser). SAVBOT_SERVICES_DIR moves the folder.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${SAVBOT_SERVICES_DIR:-$PWD/var/services}
PG_DIR=$DIR/postgres
REDIS_DIR=$DIR/redis
LEASES=$DIR/leases
START_TIMEOUT_S=60

log() { echo "services: $*" >&2; }
die() { log "$*"; exit 1; }

# ------------------------------------------------------------------ installation

pg_bin() {
    # The newest PostgreSQL server installed by Debian's packages.
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] && [ -x "$dir/postgres" ] && echo "$dir"
}

install_packages() {
    local missing=()
    pg_bin >/dev/null || missing+=(postgresql)
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null || missing+=(redis-server)
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "${missing[*]} missing; install them as root: apt-get install ${missing[*]}"
    log "installing ${missing[*]} from Debian's packages..."
    local started=$SECONDS
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    # The packages' own services (port 5432 / 6379) are not ours: stop them if they started.
    if command -v service >/dev/null; then
        service redis-server stop >/dev/null 2>&1 || true
        service postgresql stop >/dev/null 2>&1 || true
    fi
    log "installed in $((SECONDS - started)) s"
}

# ------------------------------------------------------------------ state

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_in_use() {
    python3 -c 'import socket, sys; s = socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$1"
}

# state NAME [generator]: the value kept in $DIR/NAME, generated once.
state() {
    local file=$DIR/$1
    if [ ! -s "$file" ]; then
        [ $# -ge 2 ] || die "not set up yet (no $file): run scripts/services.sh start"
        (umask 077; "$2" >"$file")
    fi
    cat "$file"
}

password() { python3 -c 'import secrets; print(secrets.token_hex(16))'; }

# ------------------------------------------------------------------ PostgreSQL

# The cluster's folder: $PG_DIR/data, unless the `postgres` user cannot reach the project
# (a checkout in a private folder); then one under its home, named after $DIR. Kept in
# $DIR/pg_data.
pg_data() {
    if [ ! -s "$DIR/pg_data" ]; then
        mkdir -p "$PG_DIR"
        chown postgres "$PG_DIR"
        if runuser -u postgres -- test -w "$PG_DIR"; then
            echo "$PG_DIR/data" >"$DIR/pg_data"
        else
            echo "$(getent passwd postgres | cut -d: -f6)/savbot-$(echo "$DIR" | cksum | cut -d' ' -f1)/data" \
                >"$DIR/pg_data"
        fi
    fi
    cat "$DIR/pg_data"
}

pg_ctl_() { runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$(pg_data)" "$@"; }

pg_running() { [ -d "$(pg_data)" ] && pg_ctl_ status >/dev/null 2>&1; }

pg_ready() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$(state pg_port)" -t 2; }

psql_() {
    PGPASSWORD=$(state pg_password) "$(pg_bin)/psql" -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
        -p "$(state pg_port)" -U savbot -d postgres "$@"
}

pg_start() {
    local bin
    bin=$(pg_bin)
    mkdir -p "$PG_DIR"
    state pg_password password >/dev/null
    local data
    data=$(pg_data)
    if [ ! -f "$data/PG_VERSION" ]; then
        log "creating the PostgreSQL cluster in $data"
        rm -rf "$data"
        install -d -o postgres -g postgres -m 700 "$(dirname "$data")" "$data"
        local pwfile
        pwfile=$(mktemp)
        state pg_password >"$pwfile"
        chown postgres "$pwfile"
        runuser -u postgres -- "$bin/initdb" -D "$data" -U savbot --pwfile="$pwfile" \
            --auth-host=scram-sha-256 --auth-local=peer -E UTF8 --locale=C.UTF-8 >/dev/null
        rm -f "$pwfile"
    fi
    if pg_running; then
        return 0
    fi
    if [ ! -s "$DIR/pg_port" ] || port_in_use "$(cat "$DIR/pg_port")"; then
        free_port >"$DIR/pg_port"
    fi
    pg_ctl_ start -w -t "$START_TIMEOUT_S" -l "$(dirname "$data")/postgres.log" \
        -o "-c listen_addresses=127.0.0.1 -c port=$(state pg_port) -c unix_socket_directories=''" \
        >/dev/null 9>&- || die "PostgreSQL did not start: $(tail -n 20 "$(dirname "$data")/postgres.log")"
}

pg_create_databases() {
    local db
    for db in savbot savbot_conversations; do
        if [ -z "$(psql_ -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
            psql_ -c "CREATE DATABASE $db"
        fi
    done
}

pg_stop() {
    pg_running || return 0
    pg_ctl_ stop -m fast -w -t "$START_TIMEOUT_S" >/dev/null
}

# ------------------------------------------------------------------ Redis

redis_pid() {
    local pid
    pid=$(cat "$REDIS_DIR/redis.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

redis_cli() {
    REDISCLI_AUTH=$(state redis_password) redis-cli -h 127.0.0.1 -p "$(state redis_port)" "$@"
}

redis_ready() { [ "$(redis_cli ping 2>/dev/null)" = PONG ]; }

redis_start() {
    mkdir -p "$REDIS_DIR"
    state redis_password password >/dev/null
    redis_pid >/dev/null && return 0
    if [ ! -s "$DIR/redis_port" ] || port_in_use "$(cat "$DIR/redis_port")"; then
        free_port >"$DIR/redis_port"
    fi
    # The password goes in a config file (mode 600), not on the command line.
    (umask 077; cat >"$REDIS_DIR/redis.conf" <<CONF
bind 127.0.0.1
port $(state redis_port)
protected-mode yes
requirepass $(state redis_password)
save ""
appendonly no
daemonize yes
dir $REDIS_DIR
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
CONF
    )
    # As the `redis` user (created by Debian's package) when there is one and it can reach
    # the folder, else as root.
    if id redis >/dev/null 2>&1 && chown -R redis "$REDIS_DIR" \
            && runuser -u redis -- test -w "$REDIS_DIR"; then
        runuser -u redis -- redis-server "$REDIS_DIR/redis.conf" 9>&-
    else
        redis-server "$REDIS_DIR/redis.conf" 9>&-
    fi || die "Redis did not start: $(tail -n 20 "$REDIS_DIR/redis.log")"
}

redis_stop() {
    local pid
    pid=$(redis_pid) || return 0
    redis_cli shutdown nosave >/dev/null 2>&1 || kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
}

# ------------------------------------------------------------------ commands

wait_ready() {
    local deadline=$((SECONDS + START_TIMEOUT_S))
    until pg_ready && redis_ready; do
        [ $SECONDS -lt $deadline ] || die "not ready after $START_TIMEOUT_S s"
        sleep 0.5
    done
}

locked() {
    # One start/stop at a time (make test and make bench may run together). The daemons
    # are started with fd 9 closed, or they would hold the lock for their lifetime.
    mkdir -p "$DIR"
    exec 9>"$DIR/.lock"
    flock -w 300 9 || die "another services.sh holds $DIR/.lock"
    "$@"
    exec 9>&-
}

do_start() {
    install_packages
    local started=$SECONDS
    pg_start
    redis_start
    wait_ready
    pg_create_databases
    log "PostgreSQL on 127.0.0.1:$(state pg_port), Redis on 127.0.0.1:$(state redis_port)" \
        "(ready in $((SECONDS - started)) s)"
}

live_leases() {
    local lease
    for lease in "$LEASES"/*; do
        [ -e "$lease" ] || continue
        if kill -0 "${lease##*/}" 2>/dev/null; then echo "${lease##*/}"; else rm -f "$lease"; fi
    done
}

do_stop() {
    local users
    users=$(live_leases | tr '\n' ' ')
    if [ -n "$users" ]; then
        log "still used by services.sh run (pid $users): not stopping"
        return 0
    fi
    pg_stop
    redis_stop
    log "stopped"
}

cmd_status() {
    local rc=0
    if pg_running && pg_ready; then
        echo "postgresql: running on 127.0.0.1:$(state pg_port) ($(pg_data))"
    else
        echo "postgresql: stopped"; rc=1
    fi
    if redis_pid >/dev/null && redis_ready; then
        echo "redis: running on 127.0.0.1:$(state redis_port)"
    else
        echo "redis: stopped"; rc=1
    fi
    return $rc
}

cmd_env() {
    local pg="postgresql://savbot:$(state pg_password)@127.0.0.1:$(state pg_port)"
    cat <<ENV
export DATABASE_URL=$pg/savbot
export TRACKER_STORE_URL=$pg/savbot_conversations
export LOCK_STORE_TYPE=components.lock_store.AtomicRedisLockStore
export REDIS_HOST=127.0.0.1
export REDIS_PORT=$(state redis_port)
export REDIS_PASSWORD=$(state redis_password)
ENV
}

cmd_run() {
    [ $# -gt 0 ] || die "usage: scripts/services.sh run COMMAND [ARGS...]"
    mkdir -p "$LEASES"
    touch "$LEASES/$$"
    release() {
        rm -f "$LEASES/$$"
        locked do_stop
    }
    trap release EXIT
    trap 'exit 130' INT TERM
    locked do_start
    eval "$(cmd_env)"
    local rc=0
    "$@" || rc=$?
    exit $rc
}

case "${1:-}" in
    start) locked do_start ;;
    stop) locked do_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    run) shift; cmd_run "$@" ;;
    *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
