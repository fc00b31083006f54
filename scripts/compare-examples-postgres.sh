#!/usr/bin/env bash
# Runs each example on SQLite and on PostgreSQL and compares what they print (stdout; the
# echoed SQL goes to stderr and differs by dialect). Run it under scripts/with-postgres.sh,
# which sets ORM_TEST_POSTGRES_URL; each example gets a fresh schema there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
: "${ORM_TEST_POSTGRES_URL:?run this under scripts/with-postgres.sh}"
examples=(one_to_many_ids create_and_update_relationships many_to_many
          many_to_many_update_remove link_model_extra_fields queries social)
cargo build -q --manifest-path "$root/Cargo.toml" --features postgres --examples
status=0
for ex in "${examples[@]}"; do
    dir=$(mktemp -d)
    (cd "$dir" && cargo run -q --manifest-path "$root/Cargo.toml" --features postgres \
        --example "$ex" >sqlite.out 2>sqlite.err) || { echo "$ex: failed on SQLite" >&2; cat "$dir/sqlite.err" >&2; status=1; }
    schema="example_$ex"
    psql -q "$ORM_TEST_POSTGRES_URL" -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
    (cd "$dir" && DATABASE_URL="$ORM_TEST_POSTGRES_URL?options=-csearch_path%3D$schema" \
        cargo run -q --manifest-path "$root/Cargo.toml" --features postgres \
        --example "$ex" >postgres.out 2>postgres.err) || { echo "$ex: failed on PostgreSQL" >&2; tail -n 20 "$dir/postgres.err" >&2; status=1; }
    # The same data: every line equal, or (a collection loaded without ORDER BY, whose rows
    # each database returns in its own order) made of the same characters.
    if python3 - "$dir/sqlite.out" "$dir/postgres.out" "$ex" <<'PY'
import sys
a, b, ex = open(sys.argv[1]).read().splitlines(), open(sys.argv[2]).read().splitlines(), sys.argv[3]
if len(a) != len(b):
    print(f"{ex}: {len(a)} lines on SQLite, {len(b)} on PostgreSQL")
    sys.exit(1)
reordered = 0
for x, y in zip(a, b):
    if x == y:
        continue
    if sorted(x) != sorted(y):
        print(f"{ex}: differs\n  SQLite:     {x}\n  PostgreSQL: {y}")
        sys.exit(1)
    reordered += 1
note = f", {reordered} in another order (no ORDER BY)" if reordered else ""
print(f"{ex}: PostgreSQL prints what SQLite prints ({len(a)} lines{note})")
PY
    then :; else status=1; fi
    rm -rf "$dir"
done
exit "$status"
