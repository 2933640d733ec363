# lib_csp.sh: shared by the tests of the shipped CSPs (test_csp_*.sh),
# sourced after `set -eu`. Gives each test a temporary system root, a bin
# directory of fake programs, and a configuration whose runner is
# `env PATH=<that bin>`: a CSP reaches only the fakes and the few real
# tools a test links in with use_real, so a real systemctl, apt-get or
# shutdown can never run.
#
#   fake NAME [BODY]    $BIN/NAME appends "NAME ARGS..." to $CALLS, then
#                       runs BODY (sh; its stdout and stderr are what the
#                       CSP sees; default: exit 0)
#   use_real PROG...    link real programs (ln, mv, ...) into $BIN
#   conf [LUA...]       write the configuration (extra lines appended)
#   get URI             print `luadm tree get URI`
#   expect URI VALUE    `tree get URI` prints exactly VALUE
#   ok ARGS...          `luadm tree ARGS` succeeds (its output in $OUT)
#   refuse STATUS TEXT ARGS...
#                       `luadm tree ARGS` fails with (STATUS) and a message
#                       holding TEXT (fixed string)
#   called TEXT         a fake was called with a line holding TEXT
#   not_called TEXT     no fake call line holds TEXT
#   pass / finish       count a check / print "N passed, 0 failed"
: "${LUADM:?set LUADM to the luadm binary}"
: "${LUADM_SRC:?set LUADM_SRC to the source tree}"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
ROOT=$T/root
BIN=$T/bin
CALLS=$T/calls
OUT=$T/out
ERR=$T/err
mkdir -p "$ROOT/etc" "$BIN" "$T/state" "$T/csp"
: > "$CALLS"
passed=0

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

pass() {
	passed=$((passed + 1))
}

finish() {
	echo "$passed passed, 0 failed"
}

fake() {
	{
		echo '#!/bin/sh'
		echo 'PATH=/usr/bin:/bin'
		echo "printf '%s\\n' \"$1 \$*\" >> '$CALLS'"
		printf '%s\n' "${2:-exit 0}"
	} > "$BIN/$1"
	chmod +x "$BIN/$1"
}

use_real() {
	for p in "$@"; do
		ln -sf "$(command -v "$p")" "$BIN/$p"
	done
}

conf() {
	{
		echo "state_dir = \"$T/state\""
		echo "csp_path = { \"$LUADM_SRC/csp-scripts\", \"$T/csp\" }"
		echo "sysroot = \"$ROOT\""
		echo "runner = { \"env\", \"PATH=$BIN\" }"
		for line in "$@"; do
			echo "$line"
		done
	} > "$T/c.conf"
}
conf

get() {
	"$LUADM" -q -c "$T/c.conf" tree get "$1"
}

expect() {
	if ! got=$("$LUADM" -q -c "$T/c.conf" tree get "$1" 2>"$ERR"); then
		fail "tree get $1: $(cat "$ERR")"
	fi
	[ "$got" = "$2" ] || fail "tree get $1: expected '$2', got '$got'"
	pass
}

ok() {
	"$LUADM" -q -c "$T/c.conf" tree "$@" >"$OUT" 2>"$ERR" ||
	    fail "tree $*: $(cat "$ERR")"
	pass
}

refuse() {
	status=$1
	text=$2
	shift 2
	if "$LUADM" -q -c "$T/c.conf" tree "$@" >"$OUT" 2>"$ERR"; then
		fail "tree $*: succeeded, expected $status"
	fi
	grep -qF "($status)" "$ERR" ||
	    fail "tree $*: expected status $status, got: $(cat "$ERR")"
	grep -qF -- "$text" "$ERR" ||
	    fail "tree $*: expected '$text' in: $(cat "$ERR")"
	pass
}

called() {
	grep -qF -- "$1" "$CALLS" ||
	    fail "expected a call with '$1'; calls: $(cat "$CALLS")"
	pass
}

not_called() {
	if grep -qF -- "$1" "$CALLS"; then
		fail "unexpected call with '$1'; calls: $(cat "$CALLS")"
	fi
	pass
}
