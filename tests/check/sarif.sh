#!/bin/bash
# `mkmig check --format sarif` validates against the SARIF 2.1.0 JSON schema (issue 10). The schema
# (sarif-2.1.0-rtm.5.json, from @microsoft/jest-sarif) and the validator (ajv-draft-04) are
# installed from npm into the build tree once, at pinned versions.
# Usage: sarif.sh MKMIG_BIN SOURCE_DIR BUILD_DIR
set -eu
bin=$(realpath "$1"); src=$2; npmdir=$3/check-npm
if [ ! -f "$npmdir/node_modules/ajv-draft-04/package.json" ] ||
   [ ! -f "$npmdir/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json" ]; then
	mkdir -p "$npmdir"
	npm install --no-save --no-audit --no-fund --prefix "$npmdir" \
		@microsoft/jest-sarif@1.0.0-beta.0 ajv@8.17.1 ajv-draft-04@1.0.0 >/dev/null
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
logs=()
for dir in "$src"/fixtures/check/*/; do
	case=$(basename "$dir")
	grep -q -- '--explain' "$dir/args" 2>/dev/null && continue # no findings to render
	args=()
	[ -f "$dir/schema.sql" ] && args+=(--schema schema.sql)
	if [ -f "$dir/args" ]; then
		while IFS= read -r line; do
			case "$line" in ''|'#'*|--format|json|github|gitlab|human|sarif) ;; *) args+=("$line") ;; esac
		done <"$dir/args"
	fi
	rc=0
	(cd "$dir" && "$bin" check --format sarif "${args[@]}" input.sql >"$tmp/$case.sarif" 2>/dev/null) || rc=$?
	# A fixture with a bad input file still renders the other files' findings (exit 2).
	[ $rc -le 1 ] || [ "$rc" = "$(cat "$dir/expected/check.status" 2>/dev/null)" ] || { echo "FAIL $case: mkmig check exited $rc" >&2; exit 1; }
	logs+=("$tmp/$case.sarif")
done
node "$src/tests/check/sarif_validate.js" "$npmdir/node_modules" "${logs[@]}"
