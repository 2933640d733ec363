#!/bin/sh
# Temporary files a crash leaves behind do not pile up in the state dir.
# A SIGKILL between the mkstemp and the rename of an atomic write (core/
# store.c) leaves one <file>.tmpXXXXXX; test_kill.sh shows how often that
# happens. A device that crashes or loses power now and then over years
# must not collect them forever: luadm must remove its own stale
# temporaries, at start or when it next writes that file.
#
# Here: stale temporaries (an hour old, as a crash would have left them)
# are planted beside the Store node file, the alert queue and the
# account; after luadm has written each of those files once more, they
# must be gone, while the state itself and files that are not luadm's
# temporaries stay. A fresh temporary (written a moment ago: maybe another
# luadm process's write in flight) is not checked either way.
# Needs LUADM_BIN and LUADM_SRC.
set -u

: "${LUADM_BIN:?set LUADM_BIN to the luadm binary}"
: "${LUADM_SRC:?set LUADM_SRC to the source tree}"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
S="$T/state"
FLEET=0x0000800cABF8CA7D87C0FA21BB21B896AE2C8468CA07710326415228ACF2392EA1327077

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

cat > "$T/c.conf" <<EOF
state_dir = "$S"
csp_path = { "$LUADM_SRC/csp-scripts", "$LUADM_SRC/tests/data/csp" }
EOF
L() { "$LUADM_BIN" -c "$T/c.conf" "$@"; }

# run CMD...: luadm CMD must exit 0.
run() {
	if ! L "$@" > "$T/out" 2> "$T/err"; then
		fail "luadm $*: $(cat "$T/err")"
	fi
}

run bootstrap "$LUADM_SRC/tests/data/bootstrap/fleet-like.xml"
run tree replace ./Vendor/Test/Store/a first
run alert --type com.example/Stale --data one Fleet

# what a crash leaves: the start of a map file, a torn write
plant() {
	printf 'LUADM-MAP 1\n3:v:a,4:to' > "$1"
	touch -d '1 hour ago' "$1"
}
plant "$S/nodes/TestStore.map.tmpA1b2C3"
plant "$S/nodes/TestStore.map.tmpZz9Yy8"
plant "$S/alerts/$FLEET.map.tmpQ7w8E9"
plant "$S/accounts/$FLEET.map.tmpK0l1M2"
# not luadm's temporaries: never touched
printf 'keep\n' > "$S/nodes/notes.txt"
printf 'keep\n' > "$S/nodes/TestStore.map.tmp"
touch -d '1 hour ago' "$S/nodes/notes.txt" "$S/nodes/TestStore.map.tmp"

# luadm runs and writes each file again
run tree get ./Vendor/Test/Store/a
[ "$(cat "$T/out")" = first ] || fail "Store/a is '$(cat "$T/out")'"
run tree replace ./Vendor/Test/Store/a second
run alert --type com.example/Stale --data two Fleet
run bootstrap "$LUADM_SRC/tests/data/bootstrap/fleet-like.xml"
run tree get ./Vendor/Test/Store/a
[ "$(cat "$T/out")" = second ] || fail "Store/a is '$(cat "$T/out")'"
run alert --list Fleet
[ "$(grep -c '^alert ' "$T/out")" = 2 ] ||
    fail "the queue: $(cat "$T/out")"

left=$(find "$S" -name '*.tmp??????' | sort)
if [ -n "$left" ]; then
	fail "stale temporary files were not removed (luadm leaves one per" \
	    "crash inside a write, forever):" $left
fi
for f in "$S/nodes/notes.txt" "$S/nodes/TestStore.map.tmp"; do
	[ -f "$f" ] || fail "$f, not a temporary file of luadm, was removed"
done

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)" >&2
	exit 1
fi
echo "ok"
