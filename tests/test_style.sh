#!/bin/sh
# test_style - every C file is formatted with the checked-in .clang-format.
set -u
: "${SRCDIR:?}"
cd "$SRCDIR" || exit 1
if ! command -v clang-format >/dev/null; then
	echo "clang-format is not installed (scripts/deps test installs it)" >&2
	exit 1
fi
clang-format --dry-run --Werror src/*/*.c src/*/*.h tests/*.c tests/*.h
