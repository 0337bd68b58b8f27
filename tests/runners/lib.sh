# shellcheck shell=bash
# Per-layout pieces of the runner proofs: the base migration in the layout's own form, and how
# its real runner migrates up and rolls back. Source after tests/pg/lib.sh; set RUNNER (the
# command install.sh printed), PGPORT and MKMIG_PG_TCP_HOST first.
#
#   layout_base LAYOUT REPO BASE_SQL    write the base migration into REPO
#   runner_up LAYOUT REPO DB            apply every pending migration with the real runner
#   runner_down LAYOUT REPO DB N        undo the newest N migrations (the runner's own rollback;
#                                       Flyway's open-source edition has none: the U files by hand
#                                       with psql, newest first)

layout_base() {
  local layout=$1 repo=$2 base=$3
  mkdir -p "$repo"
  case $layout in
    flyway) cp "$base" "$repo/V1__base.sql" ;;
    golang-migrate)
      cp "$base" "$repo/1_base.up.sql"
      echo 'DROP TABLE users;' >"$repo/1_base.down.sql" ;;
    goose) { echo '-- +goose Up'; cat "$base"; echo; echo '-- +goose Down'; echo 'DROP TABLE users;'; } >"$repo/00001_base.sql" ;;
    dbmate) { echo '-- migrate:up'; cat "$base"; echo; echo '-- migrate:down'; echo 'DROP TABLE users;'; } >"$repo/20260101000000_base.sql" ;;
    liquibase)
      mkdir -p "$repo/changes"
      printf 'databaseChangeLog:\n  - include:\n      file: changes/0001_base.sql\n      relativeToChangelogFile: true\n' \
        >"$repo/db.changelog-master.yaml"
      { echo '--liquibase formatted sql'; echo; echo '--changeset dana:base'; cat "$base"; echo '--rollback DROP TABLE users;'; } \
        >"$repo/changes/0001_base.sql" ;;
    sqitch)
      mkdir -p "$repo/deploy" "$repo/revert" "$repo/verify"
      printf '[core]\n\tengine = pg\n' >"$repo/sqitch.conf"
      printf '%%syntax-version=1.0.0\n%%project=shop\n\nbase 2026-01-01T00:00:00Z Dana Ops <dana@example.com> # the base schema\n' \
        >"$repo/sqitch.plan"
      cp "$base" "$repo/deploy/base.sql"
      echo 'DROP TABLE users;' >"$repo/revert/base.sql"
      echo 'SELECT id FROM users WHERE false;' >"$repo/verify/base.sql" ;;
    plain)
      mkdir -p "$repo/up" "$repo/down"
      cp "$base" "$repo/up/0001_base.sql"
      echo 'DROP TABLE users;' >"$repo/down/0001_base.sql" ;;
    *) echo "layout_base: unknown layout $layout" >&2; return 2 ;;
  esac
}

tcp_url() { printf 'postgres://postgres@%s:%s/%s?sslmode=disable' "$MKMIG_PG_TCP_HOST" "$PGPORT" "$1"; }

# The plain layout has no runner: psql runs the up scripts not run yet (recorded in REPO/.applied,
# the test's own bookkeeping).
plain_up() {
  local repo=$1 db=$2 f
  touch "$repo/.applied"
  for f in "$repo"/up/*.sql; do
    grep -qxF "$(basename "$f")" "$repo/.applied" && continue
    pg_psql -d "$db" -f "$f"
    basename "$f" >>"$repo/.applied"
  done
}

plain_down() {
  local repo=$1 db=$2 n=$3 name
  for name in $(tail -n "$n" "$repo/.applied" | tac); do
    pg_psql -d "$db" -f "$repo/down/$name"
    sed -i "/^${name}\$/d" "$repo/.applied"
  done
}

# Flyway undo by hand: U files newest first; one transaction unless its .conf says otherwise.
flyway_down() {
  local repo=$1 db=$2 n=$3 f
  for f in $(cd "$repo" && ls U*__*.sql | sort -t_ -k1.2 -V -r | head -n "$n"); do
    if grep -qx 'executeInTransaction=false' "$repo/$f.conf" 2>/dev/null; then
      pg_psql -d "$db" -f "$repo/$f"
    else
      pg_psql -1 -d "$db" -f "$repo/$f"
    fi
  done
}

liquibase_run() { # REPO DB COMMAND...
  local repo=$1 db=$2
  shift 2
  LIQUIBASE_ANALYTICS_ENABLED=false LIQUIBASE_SHOW_BANNER=false \
    $RUNNER --url="jdbc:postgresql://$MKMIG_PG_TCP_HOST:$PGPORT/$db" --username=postgres --password=unused \
    --search-path="$repo" --changelog-file=db.changelog-master.yaml "$@"
}

sqitch_run() { # REPO DB COMMAND [ARGS...]: sqitch in the project, against DB over TCP
  local repo=$1 db=$2 cmd=$3
  shift 3
  (cd "$repo" && SQITCH_FULLNAME='Dana Ops' SQITCH_EMAIL=dana@example.com \
     sqitch "$cmd" "$@" "db:pg://postgres@$MKMIG_PG_TCP_HOST:$PGPORT/$db")
}

runner_up() {
  local layout=$1 repo=$2 db=$3
  case $layout in
    sqitch) sqitch_run "$repo" "$db" deploy --verify ;;
    liquibase) liquibase_run "$repo" "$db" update ;;
    flyway) $RUNNER "jdbc:postgresql://$MKMIG_PG_TCP_HOST:$PGPORT/$db" postgres "$repo" "${FLYWAY_CONF:--}" migrate ;;
    golang-migrate) $RUNNER -path "$repo" -database "$(tcp_url "$db")" up ;;
    goose) $RUNNER -dir "$repo" postgres "host=$MKMIG_PG_TCP_HOST port=$PGPORT user=postgres dbname=$db sslmode=disable" up ;;
    dbmate) $RUNNER --url "$(tcp_url "$db")" --migrations-dir "$repo" --no-dump-schema up ;;
    plain) plain_up "$repo" "$db" ;;
  esac
}

runner_down() {
  local layout=$1 repo=$2 db=$3 n=$4 i
  case $layout in
    flyway) flyway_down "$repo" "$db" "$n" ;;
    liquibase) liquibase_run "$repo" "$db" rollback-count --count="$n" ;;
    sqitch) sqitch_run "$repo" "$db" revert -y --to base ;;
    golang-migrate) $RUNNER -path "$repo" -database "$(tcp_url "$db")" down "$n" ;;
    goose) for ((i = 0; i < n; i++)); do $RUNNER -dir "$repo" postgres "host=$MKMIG_PG_TCP_HOST port=$PGPORT user=postgres dbname=$db sslmode=disable" down; done ;;
    dbmate) for ((i = 0; i < n; i++)); do $RUNNER --url "$(tcp_url "$db")" --migrations-dir "$repo" --no-dump-schema rollback; done ;;
    plain) plain_down "$repo" "$db" "$n" ;;
  esac
}

# describe without the runners' own history tables
describe_app() {
  pg_describe "$1" --data |
    grep -v -E 'public\.(flyway_schema_history|schema_migrations|goose_db_version|databasechangelog|databasechangeloglock)([. ]|$)|(^| )sqitch\.|^schema sqitch$' || true
}
