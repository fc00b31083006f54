#!/usr/bin/env bash
# Runs COMMAND... with a throwaway PostgreSQL server, and ORM_TEST_POSTGRES_URL pointing at it.
#
#   scripts/with-postgres.sh cargo test --features postgres
#
# Installs Debian's `postgresql` package with apt-get when no server is found (as root, or
# through sudo), creates a cluster with initdb in a temporary folder as an unprivileged user
# (initdb refuses root), listens on 127.0.0.1 on a free port and a socket in that folder,
# runs the command, then stops the server and removes the folder, also when the command
# fails or is interrupted. The command's exit status is the script's.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

find_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
        echo "$dir"
    elif command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    fi
}

bin=$(find_bin)
if [ -z "$bin" ]; then
    echo "with-postgres: installing PostgreSQL (apt-get install postgresql)" >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(find_bin)
fi
if [ -z "$bin" ]; then
    echo "with-postgres: no PostgreSQL server found after installing" >&2
    exit 1
fi

# The server runs as this user: ourselves, or (as root) an unprivileged account.
if [ "$(id -u)" -eq 0 ]; then
    user=postgres
    if ! id "$user" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    fi
    run_as() { runuser -u "$user" -- "$@"; }
else
    user=$(id -un)
    run_as() { "$@"; }
fi

dir=$(mktemp -d /tmp/orm-postgres.XXXXXX)
cleanup() {
    run_as "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chown "$user" "$dir"
chmod 700 "$dir"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

run_as "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
# A throwaway server: durability off, enough connections for tests running in parallel.
run_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
    "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }

export ORM_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at $ORM_TEST_POSTGRES_URL" >&2
# The command runs in the background so that an INT or TERM reaches it at once (bash runs a
# trap only after the foreground command ends); the server goes when it does.
set +e
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' INT TERM
wait "$child"
status=$?
# A signal interrupted the wait: wait for the command itself to finish.
while kill -0 "$child" 2>/dev/null; do
    wait "$child"
    status=$?
done
set -e
exit "$status"
