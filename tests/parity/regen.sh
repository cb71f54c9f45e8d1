#!/bin/sh
# regen.sh - regenerate the parity golden files tests/parity/<name>.oracle
#
# SYNOPSIS
#	tests/parity/regen.sh [NAME...]
#
# DESCRIPTION
#	Runs popauth 3.0.1 (the oracle: the original Perl daemon under a
#	frozen fake clock, see the seed's NOTES.md section 6) on each
#	scenario tests/parity/<NAME>.log and stores what it prints, byte for
#	byte, as tests/parity/<NAME>.oracle.  Each scenario runs twice on
#	fresh roots; the two outputs must be identical (the oracle's output
#	is reproducible, or the golden file would be worthless).  Then the
#	SHA-256 of each regenerated scenario goes into oracle.sums (the other
#	lines stay), so test_parity.py can tell a scenario edited after its
#	golden file was made.  With no NAME, every scenario is regenerated.
#
#	The golden files are the contract: test_parity.py never runs the
#	oracle, so the test needs neither Perl nor faketime.  This script does.
#
# ENVIRONMENT
#	ORACLE	the oracle harness (default: the seed's run_oracle.sh,
#		/work/shared/seed/oracle/run_oracle.sh).  It needs Perl and
#		libfaketime (Debian: apt-get install faketime).
#
# SCENARIO RULES
#	The oracle's clock is frozen between "#@time" directives and its
#	periodic checks run only after a line arrives (NOTES.md section 3).
#	So every log line carries a syslog stamp equal to the fake clock
#	(a "#@time" before each line whose second differs; test_parity.py
#	checks this), and a harmless line (e.g. "postfix/smtpd[1]: connect
#	from localhost[127.0.0.1]") at the time the states are compared.
#	Comment lines ("# ...") are lines to the oracle too: put them at the
#	top only.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
oracle=${ORACLE:-/work/shared/seed/oracle/run_oracle.sh}
if [ ! -x "$oracle" ]; then
	echo "regen.sh: $oracle not found: set ORACLE to the seed's run_oracle.sh" >&2
	exit 2
fi
export TZ=UTC LC_ALL=C
unset ORACLE_START ORACLE_RAW ORACLE_SCRIPT || true

tmp=$(mktemp -d "${TMPDIR:-/tmp}/parity-regen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ $# -eq 0 ]; then
	for f in "$here"/*.log; do
		n=${f##*/}
		set -- "$@" "${n%.log}"
	done
fi
for name in "$@"; do
	name=${name%.log}
	log="$here/$name.log"
	[ -f "$log" ] || { echo "regen.sh: no $log" >&2; exit 2; }
	"$oracle" --fresh "$tmp/a" < "$log" > "$tmp/$name.1"
	"$oracle" --fresh "$tmp/b" < "$log" > "$tmp/$name.2"
	# the roots differ, but the output shows them as <ROOT>
	if ! cmp -s "$tmp/$name.1" "$tmp/$name.2"; then
		echo "regen.sh: $name: the oracle's output is not reproducible:" >&2
		diff "$tmp/$name.1" "$tmp/$name.2" >&2 || true
		exit 1
	fi
	mv "$tmp/$name.1" "$here/$name.oracle"
	echo "$name.oracle: $(sed -n 1p "$here/$name.oracle")"
	# this scenario's line in oracle.sums (the others stay as they were)
	{
		if [ -f "$here/oracle.sums" ]; then
			grep -v "  $name\.log\$" "$here/oracle.sums" || true
		fi
		(cd "$here" && sha256sum "$name.log")
	} | LC_ALL=C sort -k 2 > "$tmp/sums"
	mv "$tmp/sums" "$here/oracle.sums"
done
