#!/usr/bin/env bash
# Installs one real migration runner into CACHE (the build tree) and prints the command to run it.
#
#   install.sh flyway|golang-migrate|goose|dbmate|liquibase CACHE
#
# Versions are pinned here and in flyway/pom.xml. A second call finds the cache and prints at once.
#   flyway          flyway-core + flyway-database-postgresql + the PostgreSQL JDBC driver from Maven
#                   Central (mvn), run with Java 17+ through flyway/FlywayRun.java
#   golang-migrate  built from the Go module proxy (go install, -tags postgres)
#   goose           built from the Go module proxy (go install)
#   dbmate          the npm package (it ships the dbmate binary)
#   liquibase       the npm package (it ships the Liquibase distribution and the JDBC driver), run
#                   with the machine's Java
# The Go runners need Go >= 1.26 (goose v3.30.0's go.mod says go 1.26.0; migrate's 1.25): $MKMIG_GO, `go` on PATH, or
# /usr/local/go/bin/go, the first new enough.
set -euo pipefail

GOLANG_MIGRATE_VERSION=v4.20.1
GOOSE_VERSION=v3.30.0
DBMATE_VERSION=2.36.0
LIQUIBASE_VERSION=4.28.1
GO_MIN_MINOR=26

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "install.sh: $*" >&2; exit 1; }
[[ $# -eq 2 ]] || die "usage: install.sh flyway|golang-migrate|goose|dbmate|liquibase CACHE"
kind=$1
mkdir -p "$2"
cache=$(cd "$2" && pwd)

find_go() {
  local g v minor
  for g in ${MKMIG_GO:-} "$(command -v go || true)" /usr/local/go/bin/go; do
    [[ -n $g && -x $g ]] || continue
    v=$("$g" env GOVERSION 2>/dev/null) || continue
    minor=$(sed -E 's/^go1\.([0-9]+).*/\1/' <<<"$v")
    if [[ $minor =~ ^[0-9]+$ && $minor -ge $GO_MIN_MINOR ]]; then
      echo "$g"
      return 0
    fi
    echo "install.sh: $g is $v; the Go runners need go1.$GO_MIN_MINOR or newer" >&2
  done
  die "no Go 1.$GO_MIN_MINOR+ found (set MKMIG_GO, put it on PATH, or install it at /usr/local/go)"
}

go_install() { # BINARY MODULE@VERSION [TAGS]
  local bin=$1 mod=$2 tags=${3:-} go
  local dir=$cache/go-$bin-${mod##*@}
  if [[ ! -x $dir/bin/$bin ]]; then
    go=$(find_go)
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp"
    echo "install.sh: building $mod with $($go env GOVERSION) into $dir" >&2
    (export GOPATH=$dir.tmp/gopath GOMODCACHE=$cache/go-modcache GOBIN=$dir.tmp/bin GOFLAGS=-modcacherw \
       GOTOOLCHAIN=local GOCACHE=$cache/go-buildcache CGO_ENABLED=0
     "$go" install ${tags:+-tags "$tags"} "$mod") >&2 || die "go install $mod failed"
    rm -rf "$dir"
    mkdir -p "$dir"
    mv "$dir.tmp/bin" "$dir/bin"
    rm -rf "$dir.tmp"
  fi
  echo "$dir/bin/$bin"
}

case $kind in
  flyway)
    command -v java >/dev/null || die "java not found (Debian: default-jre-headless)"
    lib=$cache/flyway-lib
    if [[ ! -f $lib/.done ]]; then
      command -v mvn >/dev/null || die "mvn not found (Debian: maven)"
      rm -rf "$lib"
      mvn -q -B -Dstyle.color=never -f "$here/flyway/pom.xml" -Dmaven.repo.local="$cache/m2" \
        dependency:copy-dependencies -DoutputDirectory="$lib" >&2 || die "mvn could not fetch Flyway"
      touch "$lib/.done"
    fi
    # a wrapper, so callers need not quote the class path's '*'
    printf '#!/bin/sh\nexec java -cp "%s/*" "%s" "$@"\n' "$lib" "$here/flyway/FlywayRun.java" >"$cache/flyway"
    chmod +x "$cache/flyway"
    echo "$cache/flyway"
    ;;
  golang-migrate)
    go_install migrate "github.com/golang-migrate/migrate/v4/cmd/migrate@$GOLANG_MIGRATE_VERSION" postgres
    ;;
  goose)
    go_install goose "github.com/pressly/goose/v3/cmd/goose@$GOOSE_VERSION" \
      "no_mysql no_sqlite3 no_mssql no_clickhouse no_vertica no_ydb no_libsql no_turso no_starrocks"
    ;;
  dbmate)
    command -v npm >/dev/null || die "npm not found (Debian: npm)"
    dir=$cache/npm-dbmate-$DBMATE_VERSION
    if [[ ! -x $dir/node_modules/.bin/dbmate ]]; then
      mkdir -p "$dir"
      (cd "$dir" && npm install --no-audit --no-fund --silent --prefix . "dbmate@$DBMATE_VERSION") >&2 ||
        die "npm install dbmate@$DBMATE_VERSION failed"
    fi
    echo "$dir/node_modules/.bin/dbmate"
    ;;
  liquibase)
    command -v npm >/dev/null || die "npm not found (Debian: npm)"
    command -v java >/dev/null || die "java not found (Debian: default-jre-headless)"
    dir=$cache/npm-liquibase-$LIQUIBASE_VERSION
    lb=$dir/node_modules/liquibase/dist/liquibase/liquibase
    if [[ ! -x $lb ]]; then
      mkdir -p "$dir"
      (cd "$dir" && npm install --no-audit --no-fund --silent --prefix . "liquibase@$LIQUIBASE_VERSION") >&2 ||
        die "npm install liquibase@$LIQUIBASE_VERSION failed"
      chmod +x "$lb"
    fi
    echo "$lb"
    ;;
  *) die "unknown runner $kind" ;;
esac
