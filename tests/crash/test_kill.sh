#!/bin/sh
# Crash safety of the state directory: luadm is killed with SIGKILL during
# its store writes, over and over, and after every kill the next luadm
# must find a valid store holding the old or the new content, never a
# broken file, and the generic-alert queue must have lost and duplicated
# nothing.
#
# The writes: `luadm tree replace` of a stored node (the Store test CSP,
# nodes/TestStore.map), `luadm alert --type` and `--remove` (the alert
# queue, alerts/<AccountID>.map), `luadm bootstrap` and `luadm tree
# replace` of the account's Name (accounts/<AccountID>.map).
#
# Two ways to kill:
#  - systematic: crash_shim.so (LD_PRELOAD) numbers the steps of an atomic
#    write (mkstemp, a torn write, write, fsync, close, before and after
#    the rename, the directory fsync) and kills the process at each step
#    of each kind of write in turn;
#  - random: crash_kill sends SIGKILL from outside after a random delay,
#    a third of them drawn over the whole run, the rest around its writes
#    (when they happen is measured first, then follows the runs that
#    complete); half of these runs have every write step slowed down by
#    the shim. The shim's event log tells where each kill landed.
#
# After every trial, for each file the command writes or that changed:
# `luadm tree get` of the node and of the account's Name gives the old or
# the new value (only the new one when the command exited 0 before the
# kill); `luadm alert --list` parses and holds every acknowledged alert
# exactly once, an interrupted `alert` at most once with an id never used
# before, an interrupted `--remove` all or none of its alerts; the map
# file passes its checksum, checked here with sha256sum independently of
# the core (a file byte for byte the same as at its last check is not
# read again). No file but maps, locks and temporary files is in the
# state dir, and no run that was not killed leaves a temporary file.
# README.md says more.
#
# Environment: LUADM_BIN (luadm), LUADM_SRC, CRASH_KILL (crash_kill),
# CRASH_SHIM (crash_shim.so); CRASH_TRIALS (default 200), CRASH_BUDGET
# (seconds after which no new random trial starts, default 40),
# CRASH_SEED (to replay a run; printed), CRASH_KEEP=1 (keep the temp dir).
set -u

: "${LUADM_BIN:?set LUADM_BIN to the luadm binary}"
: "${LUADM_SRC:?set LUADM_SRC to the source tree}"
: "${CRASH_KILL:?set CRASH_KILL to the crash_kill helper}"
: "${CRASH_SHIM:?set CRASH_SHIM to crash_shim.so}"
TRIALS=${CRASH_TRIALS:-200}
BUDGET=${CRASH_BUDGET:-40}
SEED=${CRASH_SEED:-$(($(date +%s) % 1000000 + $$))}

# A SIGKILL loses nothing a file system holds in memory (unlike a power
# cut), so tmpfs tests the same thing, without waiting for the disk at
# every fsync: /dev/shm when it is there.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	T=$(mktemp -d -p /dev/shm luadm-crash.XXXXXX)
else
	T=$(mktemp -d)
fi
if [ "${CRASH_KEEP:-}" = 1 ]; then
	echo "keeping $T"
else
	trap 'rm -rf "$T"' EXIT INT TERM
fi
S="$T/state"
STORE=./Vendor/Test/Store/a
FLEET=0x0000800cABF8CA7D87C0FA21BB21B896AE2C8468CA07710326415228ACF2392EA1327077
NAME="./SyncML/DMAcc/$FLEET/Name"
# Under AddressSanitizer the preloaded shim comes before its runtime.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

failures=0
fail() {
	echo "FAIL (trial $trial, $what): $*" >&2
	failures=$((failures + 1))
	if [ "$failures" -ge 20 ]; then
		echo "too many failures; seed $SEED" >&2
		exit 1
	fi
}

# Only the two CSPs the test needs: every luadm start loads what is in
# csp_path, and the trials start luadm some thousand times.
mkdir "$T/csp" "$T/seen"
cp "$LUADM_SRC/csp-scripts/DMAcc.lua" "$LUADM_SRC/tests/data/csp/Store.lua" \
    "$T/csp/"
cat > "$T/c.conf" <<EOF
state_dir = "$S"
csp_path = { "$T/csp" }
EOF
L() { "$LUADM_BIN" -c "$T/c.conf" "$@"; }

# A deterministic random number generator, so that CRASH_SEED replays a run.
rnd_state=$SEED
# rnd N: sets R to a number in 0..N-1.
rnd() {
	rnd_state=$(((rnd_state * 6364136223846793005 + 1442695040888963407) &
	    0x7fffffffffffffff))
	R=$(((rnd_state >> 17) % $1))
}

# ---- the model of what the store holds
store_val=old
name_val=
max_id=0
: > "$T/model"		# pending alerts, "id data" per line, id order

# alerts_now: the queue as `luadm alert --list` shows it, into $T/now.
alerts_now() {
	if ! L alert --list Fleet > "$T/list" 2> "$T/list.err"; then
		fail "alert --list failed: $(cat "$T/list.err")"
		return 1
	fi
	# "id data" per alert; fails on an alert without Data or listed twice
	if ! awk '/^alert [0-9]+$/ { if (id != "") bad = 1; id = $2 }
	    /^  Data:       / { if (id == "" || seen[id]++ || dat[$2]++)
	    bad = 1; print id, $2; id = "" }
	    END { if (id != "" || bad) exit 1 }' "$T/list" > "$T/now"; then
		fail "a broken or repeated alert in the list: $(cat "$T/list")"
		return 1
	fi
	return 0
}

# map_ok FILE: the map file format of core/store.h, checked here: magic
# line, END line with the entry count and the SHA-256 of all before it.
map_ok() {
	[ "$(head -n 1 "$1")" = "LUADM-MAP 1" ] || return 1
	last=$(tail -n 1 "$1")
	case "$last" in
	"END "*) ;;
	*) return 1 ;;
	esac
	[ "${last##* }" = "$(head -n -1 "$1" | sha256sum | cut -c1-64)" ]
}

# check_files: every file in the state dir is a map, a lock or a
# temporary file; a map that changed since the last check must pass
# map_ok (the ones that did not were checked before, byte for byte the
# same). Sets ntmp to how many temporary files there are and changed to
# the kinds of map that changed (store, alerts, account).
check_files() {
	ntmp=0
	changed=
	find "$S" -type f > "$T/files"
	while read -r f; do
		case "$f" in
		*.tmp??????)
			ntmp=$((ntmp + 1)) ;;
		*.map)
			b=${f##*/}
			d=${f%/*}
			d=${d##*/}
			if ! cmp -s "$f" "$T/seen/$d-$b"; then
				changed="$changed $d"
				map_ok "$f" || fail "$f is not a valid map file"
				cp "$f" "$T/seen/$d-$b"
			fi ;;
		*.lock) ;;
		*)
			fail "unexpected file $f" ;;
		esac
	done < "$T/files"
}

# changed KIND: the map of this kind (nodes, alerts, accounts) changed.
changed() {
	case " $changed " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# ---- one trial
# The operation is in op (replace, alert, remove, bootstrap, name); how
# to run it in mode: "count" (no kill, the shim logs), "slowcount" (the
# same with every write step slowed down), "at K" (the shim kills at
# event K), "delay US" (crash_kill kills after US microseconds), "slow US"
# (the same with every write step slowed down).
trial=0
what=setup
kills=0
completed=0
inside=0
before=0
after=0
ntmp_prev=0

# prepare: the arguments of op, with its new value.
prepare() {
	case $op in
	replace)
		new="v$trial"
		set_args tree replace "$STORE" "$new" ;;
	name)
		new="Name $trial"
		set_args tree replace "$NAME" "$new" ;;
	bootstrap)
		new="Fleet $trial"
		sed "s/Fleet Device Management/$new/" \
		    "$LUADM_SRC/tests/data/bootstrap/fleet-like.xml" \
		    > "$T/boot.xml"
		set_args bootstrap "$T/boot.xml" ;;
	alert)
		new="t$trial"
		set_args alert --type com.example/Crash --data "$new" Fleet ;;
	remove)
		# the two oldest pending alerts
		rm_ids=$(head -n 2 "$T/model" | cut -d' ' -f1 | tr '\n' ' ')
		# shellcheck disable=SC2086
		set -- $rm_ids
		if [ $# -eq 2 ]; then
			set_args alert --remove "$1" --remove "$2" Fleet
		else
			set_args alert --remove "$1" Fleet
		fi ;;
	esac
}

set_args() {
	args_file="$T/args"
	: > "$args_file"
	for a in "$@"; do
		printf '%s\n' "$a" >> "$args_file"
	done
}

# run_op: runs luadm with the arguments in $T/args under the mode; sets rc.
run_op() {
	rm -f "$T/ev"
	# the arguments, one a line, back into "$@" (values have no newline)
	set --
	while IFS= read -r a; do
		set -- "$@" "$a"
	done < "$args_file"
	kopt=
	case $mode in
	count)
		CRASH_AT=0 CRASH_SLOW_US=0 ;;
	slowcount)
		CRASH_AT=0 CRASH_SLOW_US=$SLOW_US ;;
	at*)
		CRASH_AT=${mode#at } CRASH_SLOW_US=0 ;;
	delay*)
		CRASH_AT=0 CRASH_SLOW_US=0 kopt="-k ${mode#delay }" ;;
	slow*)
		CRASH_AT=0 CRASH_SLOW_US=$SLOW_US kopt="-k ${mode#slow }" ;;
	esac
	# shellcheck disable=SC2086
	# the shim goes into luadm only (env execs it, keeping the pid)
	CRASH_AT=$CRASH_AT CRASH_SLOW_US=$CRASH_SLOW_US CRASH_LOG="$T/ev" \
	    "$CRASH_KILL" $kopt -l 60 -t "$T/time" -- \
	    env LD_PRELOAD="$CRASH_SHIM" "$LUADM_BIN" -c "$T/c.conf" "$@" \
	    > "$T/out" 2> "$T/err"
	rc=$?
	nev=0
	[ -f "$T/ev" ] && nev=$(wc -l < "$T/ev")
}

# verify: the state after the trial against the model; updates the model.
verify() {
	case $rc in
	0)
		completed=$((completed + 1)) ;;
	137)
		kills=$((kills + 1)) ;;
	*)
		fail "luadm $(tr '\n' ' ' < "$args_file")exited $rc:" \
		    "$(cat "$T/err")"
		return ;;
	esac
	if grep -qE "Sanitizer|runtime error:" "$T/err"; then
		fail "sanitizer report: $(cat "$T/err")"
	fi

	check_files
	if [ "$ntmp" -gt "$ntmp_prev" ]; then
		if [ "$rc" -eq 0 ]; then
			fail "a run that was not killed left a temporary file"
		elif [ $((ntmp - ntmp_prev)) -gt 1 ]; then
			fail "one kill left $((ntmp - ntmp_prev)) temporary files"
		fi
	fi
	ntmp_prev=$ntmp

	# luadm reads each file the operation wrote or that changed
	if [ "$op" = replace ] || changed nodes; then
		verify_store
	fi
	if [ "$op" = bootstrap ] || [ "$op" = name ] || changed accounts; then
		verify_account
	fi
	if [ "$op" = alert ] || [ "$op" = remove ] || changed alerts; then
		alerts_now && verify_alerts
	fi
}

# verify_store: Store/a is the old or (replace) the new value.
verify_store() {
	if ! got=$(L tree get "$STORE" 2> "$T/err2"); then
		fail "tree get $STORE failed: $(cat "$T/err2")"
	elif [ "$op" = replace ] && [ "$got" = "$new" ]; then
		store_val=$new
	elif [ "$got" != "$store_val" ]; then
		fail "$STORE is '$got', not '$store_val'" \
		    "$([ "$op" = replace ] && echo "or '$new'")"
	elif [ "$op" = replace ] && [ "$rc" -eq 0 ]; then
		fail "tree replace exited 0 but $STORE is still '$got'"
	fi
}

# verify_account: the account loads; its Name is the old or the new one.
verify_account() {
	if ! got=$(L tree get "$NAME" 2> "$T/err2"); then
		fail "the account does not load: $(cat "$T/err2")"
	elif { [ "$op" = bootstrap ] || [ "$op" = name ]; } &&
	    [ "$got" = "$new" ]; then
		name_val=$new
	elif [ "$got" != "$name_val" ]; then
		fail "the account's Name is '$got', not '$name_val'"
	elif { [ "$op" = bootstrap ] || [ "$op" = name ]; } &&
	    [ "$rc" -eq 0 ]; then
		fail "$op exited 0 but the Name is still '$got'"
	fi
}

verify_alerts() {
	case $op in
	alert)
		# the model plus the new alert, or (killed) the model as it was
		grep -v " $new\$" "$T/now" > "$T/rest"
		if ! cmp -s "$T/rest" "$T/model"; then
			fail "pending alerts changed:" \
			    "$(diff "$T/model" "$T/rest" | tr '\n' ' ')"
		fi
		id=$(awk -v d="$new" '$2 == d { print $1 }' "$T/now")
		if [ -n "$id" ]; then
			if [ "$id" -le "$max_id" ]; then
				fail "alert '$new' got id $id, already used"
			fi
			if [ "$rc" -eq 0 ] &&
			    [ "$(cat "$T/out")" != "$id" ]; then
				fail "luadm alert printed $(cat "$T/out"), " \
				    "listed as $id"
			fi
			max_id=$id
		elif [ "$rc" -eq 0 ]; then
			fail "alert '$new' was acknowledged (id" \
			    "$(cat "$T/out")) but is not queued"
		fi ;;
	remove)
		grep -v -E "^($(echo "$rm_ids" | sed 's/ *$//; s/ /|/g')) " \
		    "$T/model" > "$T/removed"
		if cmp -s "$T/now" "$T/removed"; then
			:
		elif [ "$rc" -ne 0 ] && cmp -s "$T/now" "$T/model"; then
			:
		else
			fail "after alert --remove $rm_ids: got" \
			    "$(tr '\n' ' ' < "$T/now"), expected" \
			    "$(tr '\n' ' ' < "$T/removed")" \
			    "$([ "$rc" -ne 0 ] && echo "or all of" \
			    "$(tr '\n' ' ' < "$T/model")")"
		fi ;;
	*)
		if ! cmp -s "$T/now" "$T/model"; then
			fail "pending alerts changed:" \
			    "$(diff "$T/model" "$T/now" | tr '\n' ' ')"
		fi ;;
	esac
	cp "$T/now" "$T/model"
}

# where: classifies a kill by the shim's event log against the events of
# the whole operation.
where() {
	case $mode in
	delay*|slow*) ;;
	*) return 0 ;;
	esac
	[ "$rc" -eq 137 ] || return 0
	full=$(eval echo "\$events_$op")
	if [ "$nev" -eq 0 ]; then
		before=$((before + 1))
	elif [ "$nev" -lt "$full" ]; then
		inside=$((inside + 1))
	else
		after=$((after + 1))
	fi
}

one() {
	trial=$((trial + 1))
	what="$op, $mode"
	prepare
	run_op
	verify
	where
	learn
}

# learn: a run that completed tells when its writes happened; the window
# of the random kills follows the average (run times drift with the load).
learn() {
	[ "$rc" -eq 0 ] || return 0
	case $mode in
	*count) return 0 ;;
	delay*) pfx= ;;
	slow*) pfx=s ;;
	*) return 0 ;;
	esac
	f=$(awk 'NR == 1 { print $4 }' "$T/ev")
	l=$(awk 'END { print $4 }' "$T/ev")
	eval "${pfx}first_$op=\$(((\$${pfx}first_$op + $f) / 2))"
	eval "${pfx}last_$op=\$(((\$${pfx}last_$op + $l) / 2))"
	eval "${pfx}time_$op=\$(((\$${pfx}time_$op + $(cat "$T/time")) / 2))"
}

# ---- setup: enrol, then each operation once in count mode (how many
# write events it makes, how long it takes, plain and slowed down)
SLOW_US=3000
if ! L bootstrap "$LUADM_SRC/tests/data/bootstrap/fleet-like.xml" \
    > "$T/out" 2>&1; then
	echo "FAIL: bootstrap: $(cat "$T/out")" >&2
	exit 1
fi
name_val="Fleet Device Management"
if [ "$(L tree get "$STORE")" != old ]; then
	echo "FAIL: the Store CSP is not there: $(L tree get "$STORE" 2>&1)" >&2
	exit 1
fi
L alert --type com.example/Crash --data t0 Fleet > /dev/null
L alert --type com.example/Crash --data t00 Fleet > /dev/null
alerts_now && cp "$T/now" "$T/model"
max_id=2

# measure: the current op in count mode, plain and slowed down (how many
# write events, when the first and the last happen, how long it runs);
# sets events_<op>, and <var>_<op> for time, first, last (plain) and
# stime, sfirst, slast (slowed down), in microseconds.
measure() {
	for m in count slowcount; do
		mode=$m
		one
		if [ "$nev" -lt 8 ]; then
			fail "crash_shim saw $nev write events of '$op'" \
			    "(expected at least the 8 of one atomic write:" \
			    "is store.c still using mkstemp and rename?)"
			nev=8
		fi
		pfx=
		[ "$m" = slowcount ] && pfx=s
		eval "events_$op=$nev"
		eval "${pfx}time_$op=$(cat "$T/time")"
		eval "${pfx}first_$op=$(awk 'NR == 1 { print $4 }' "$T/ev")"
		eval "${pfx}last_$op=$(awk 'END { print $4 }' "$T/ev")"
		# keep two alerts pending for the removals
		L alert --type com.example/Crash --data "s$trial" Fleet \
		    > /dev/null
		alerts_now && cp "$T/now" "$T/model"
		max_id=$(($(tail -n 1 "$T/model" | cut -d' ' -f1)))
	done
}

start=$(date +%s)
for op in replace alert remove bootstrap name; do
	measure
done

# ---- systematic: each kind of write killed at each of its steps
sweep=0
for op in replace alert remove bootstrap name; do
	full=$(eval echo "\$events_$op")
	k=1
	while [ "$k" -le "$full" ]; do
		if [ "$op" = remove ] && [ ! -s "$T/model" ]; then
			L alert --type com.example/Crash --data "r$trial" \
			    Fleet > /dev/null
			alerts_now && cp "$T/now" "$T/model"
			max_id=$(($(tail -n 1 "$T/model" | cut -d' ' -f1)))
		fi
		mode="at $k"
		one
		sweep=$((sweep + 1))
		if [ "$rc" -ne 137 ]; then
			fail "the shim did not kill luadm at event $k"
		fi
		k=$((k + 1))
	done
done

# ---- random: SIGKILL from outside at a random moment of the run
random=0
while [ "$trial" -lt "$TRIALS" ]; do
	if [ $(($(date +%s) - start)) -ge "$BUDGET" ]; then
		break
	fi
	npend=$(wc -l < "$T/model")
	rnd 10
	if [ "$npend" -gt 30 ] || { [ "$R" -lt 2 ] && [ "$npend" -gt 0 ]; }
	then
		op=remove
	else
		rnd 4
		case $R in
		0) op=replace ;;
		1) op=alert ;;
		2) op=bootstrap ;;
		3) op=name ;;
		esac
	fi
	rnd 2
	if [ "$R" -eq 0 ]; then
		kind=delay pfx=
	else
		kind=slow pfx=s
	fi
	eval "span=\$${pfx}time_$op first=\$${pfx}first_$op" \
	    "last=\$${pfx}last_$op"
	rnd 3
	if [ "$R" -eq 0 ]; then
		# anywhere in 0 .. 1.3 x the run time
		rnd $((span * 13 / 10 + 1))
	else
		# around the writes: from 1 ms before the first write step
		# to 1 ms after the last (as measured; runs vary)
		lo=$((first > 1000 ? first - 1000 : 0))
		rnd $((last + 1000 - lo + 1))
		R=$((R + lo))
	fi
	mode="$kind $R"
	one
	random=$((random + 1))
done

# ---- the end: the state still works for a last write of each kind
mode=count
for op in replace alert remove bootstrap name; do
	if [ "$op" = remove ] && [ ! -s "$T/model" ]; then
		continue
	fi
	one
	[ "$rc" -eq 0 ] || fail "the final '$op' did not complete"
done

elapsed=$(($(date +%s) - start))
echo "seed $SEED: $trial trials in ${elapsed}s ($sweep at each write step," \
    "$random at random moments); $kills killed, $completed completed"
echo "random kills: $before before the first write step, $inside inside" \
    "a write, $after after the last"
echo "temporary files left by the kills: $ntmp"
if [ "$random" -ge 20 ] && [ "$inside" -eq 0 ]; then
	fail "no random kill landed inside a write: the delays miss the window"
fi
if [ "$sweep" -lt 40 ]; then
	fail "only $sweep systematic trials"
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s); replay with CRASH_SEED=$SEED" >&2
	exit 1
fi
echo "ok"
