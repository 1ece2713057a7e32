# Starts and stops a private PostgreSQL cluster on 127.0.0.1 for tests; sets TEST_DATABASE_URL.
# Sourced by .ci/run; also usable by hand: `source .ci/postgres.sh && start_test_postgres`.
TEST_POSTGRES_PORT="${TEST_POSTGRES_PORT:-55432}"

start_test_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  TEST_POSTGRES_DIR=$(mktemp -d /tmp/cors-pg.XXXXXX)
  chown postgres "$TEST_POSTGRES_DIR"
  # initdb refuses to run as root, so the cluster belongs to the postgres user.
  su postgres -s /bin/sh -c "$bin/initdb -D $TEST_POSTGRES_DIR/data -A trust -U postgres >/dev/null"
  su postgres -s /bin/sh -c "$bin/pg_ctl -D $TEST_POSTGRES_DIR/data -l $TEST_POSTGRES_DIR/log -w \
    -o '-p $TEST_POSTGRES_PORT -c listen_addresses=127.0.0.1 -k $TEST_POSTGRES_DIR' start >/dev/null"
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$TEST_POSTGRES_PORT/postgres"
  echo "PostgreSQL test server on $TEST_DATABASE_URL"
}

stop_test_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [ -n "${TEST_POSTGRES_DIR:-}" ] && su postgres -s /bin/sh -c "$bin/pg_ctl -D $TEST_POSTGRES_DIR/data -m fast stop >/dev/null" || true
}
