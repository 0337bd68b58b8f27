#!/usr/bin/env bash
# The README's Quick start and .ci/run must run the same two commands: CI proves what the README
# promises. Fails when a command line of .ci/run does not appear verbatim in README.md.
set -euo pipefail
src=${1:?source dir}
n=0
while IFS= read -r line; do
	case "$line" in "apt-get "*|"cmake "*)
		n=$((n + 1))
		grep -qxF -- "$line" "$src/README.md" || { echo "README.md lacks the .ci/run command: $line" >&2; exit 1; } ;;
	esac
done < "$src/.ci/run"
[ "$n" -eq 2 ] || { echo ".ci/run should hold exactly 2 commands, found $n" >&2; exit 1; }
echo "quick start: 2 commands match"
