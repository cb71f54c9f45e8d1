#!/bin/sh
# test_docs - the documentation says what the code does: every
# configuration key is in popauth.conf(5) and in the example config, every
# recogniser is in popauth(8), every command is in the usage text and
# popauth(8), and the man pages are well-formed.
set -u
: "${POPAUTH:?}" "${SRCDIR:?}"
fail=0
err() { echo "FAIL: $*" >&2; fail=1; }

keys=$("$POPAUTH" -o postconf_path=/nonexistent check-config -c /dev/null |
    sed -n 's/^\([a-z_]*\) =.*/\1/p')
[ -n "$keys" ] || err "check-config printed no keys"
for k in $keys; do
	grep -q "^\.B $k\$" "$SRCDIR/doc/popauth.conf.5" ||
	    err "$k is not described in doc/popauth.conf.5"
	grep -q "^#*$k =" "$SRCDIR/examples/popauth.conf" ||
	    err "$k is not in examples/popauth.conf"
done
# and nothing documented that does not exist
for k in $(sed -n '/^\.SH PARAMETERS/,/^\.SH/s/^\.TP$//p;/^\.SH PARAMETERS/,/^\.SH/{/^\.TP$/{n;s/^\.B \([a-z_]*\)$/\1/p}}' \
    "$SRCDIR/doc/popauth.conf.5"); do
	echo "$keys" | grep -qx "$k" || err "popauth.conf(5) documents unknown key $k"
done
for r in $("$POPAUTH" list recognisers | sed 's/:.*//'); do
	grep -q "^\.B $(echo "$r" | sed 's/-/\\\\-/g')\$" "$SRCDIR/doc/popauth.8" ||
	    err "recogniser $r is not in doc/popauth.8"
done
for c in run replay test "list relays" "list recognisers" "list blacklist" "list bans" show status forget ban unban import-v3 export-v3 check-config; do
	"$POPAUTH" --help | grep -q "^  $c" || err "usage text lacks $c"
	grep -q "$(echo "$c" | sed 's/-/\\\\-/g')" "$SRCDIR/doc/popauth.8" ||
	    err "popauth(8) lacks $c"
done
for m in popauth.8 popauth.conf.5; do
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$SRCDIR/doc/$m" 2>&1 >/dev/null)
	[ -z "$out" ] || err "$m: $out"
done
exit $fail
