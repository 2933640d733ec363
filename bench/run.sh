#!/bin/sh
# bench/run.sh BUILD: `make bench`. Builds what the benchmarks need in the
# CMake build directory BUILD (default: build), runs every benchmark and
# prints one table of figures at the end: the engine in-process, the
# WBXML codec, a whole session over HTTPS, large objects, the start-up
# time to the first byte sent and the idle RSS of `luadm run` (one
# function each below).
#
# Benchmarks print figures; nothing here judges a timing. A benchmark whose
# answers are wrong (its binary exits non-zero, saying WRONG) or that does
# not build gets a FAILED row, and the script then exits 1.
#
# Adding a benchmark: write a function bench_<name> that builds its target
# (build_target) and runs it through `run <name> <command...>`; each line
# the command prints on stdout becomes a row of the table. Then add <name>
# to BENCHMARKS.
#
# Knobs (environment): JOBS (build parallelism, 2), BENCH_REPS (repetitions
# of each measurement, the best is kept; 5), BENCH_ENGINE_N (commands per
# message of the engine benchmark; 10000), BENCH_WBXML_N (commands per
# message of the WBXML benchmark; 10000), BENCH_LO_MIB (size of the large
# object; 100), BENCH_IDLE (seconds `luadm run` idles before its RSS and
# CPU ticks are read; 2).
set -u

BENCHMARKS="engine wbxml"
BENCHMARKS="$BENCHMARKS session lo"
BENCHMARKS="$BENCHMARKS start idle"

BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
JOBS=${JOBS:-2}
REPS=${BENCH_REPS:-5}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/luadm-bench.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
ROWS=$TMP/rows
: >"$ROWS"
FAILED=0

# row TEXT: one line of the final table.
row() {
	printf '%s\n' "$*" >>"$ROWS"
}

# build_target NAME TARGET: builds one CMake target, quietly unless it fails.
build_target() {
	echo "bench: building $2" >&2
	if ! cmake --build "$BUILD" --target "$2" -j"$JOBS" \
	    >"$TMP/build.log" 2>&1; then
		cat "$TMP/build.log" >&2
		row "$1  FAILED: target $2 does not build"
		FAILED=1
		return 1
	fi
}

# run NAME COMMAND...: runs one benchmark; its stdout lines become rows,
# its stderr goes straight to the terminal.
run() {
	_name=$1
	shift
	echo "bench: running $_name" >&2
	_t0=$(date +%s)
	if "$@" >"$TMP/out"; then
		cat "$TMP/out" >>"$ROWS"
	else
		_rc=$?
		cat "$TMP/out" >>"$ROWS"
		row "$_name  FAILED (exit $_rc): see WRONG above"
		FAILED=1
	fi
	echo "bench: $_name took $(($(date +%s) - _t0)) s" >&2
}

# The engine in-process: N Replace into a Lua CSP, then N Get of the same
# nodes, against libxml2 alone on the same bytes (bench/bench_engine.c).
bench_engine() {
	build_target engine bench_engine || return 0
	mkdir "$TMP/engine-state"
	run engine "$BUILD/bench/bench_engine" -n "${BENCH_ENGINE_N:-10000}" \
	    -r "$REPS" -c "$SRC/bench/csp" -s "$TMP/engine-state"
}

# The WBXML codec: encode/decode of N Status and N Replace, against
# libwbxml2 when it is installed (bench/bench_wbxml.c, docs/wbxml.md).
bench_wbxml() {
	build_target wbxml bench_wbxml || return 0
	run wbxml "$BUILD/bench/bench_wbxml" -n "${BENCH_WBXML_N:-10000}" \
	    -r "$REPS"
}

# A whole DM session over loopback HTTPS (bench/bench_session.lua, run by
# the scenario harness dmtest): `luadm session`, package 1 then 50
# commands in 5 server messages, its wall time and TLS handshakes; then
# curl POSTing the same bodies to the same server on one connection.
bench_session() {
	build_target session luadm || return 0
	build_target session dmtest || return 0
	run session session_rows
}

# session_rows: runs the session scenario; prints its rows, or dmtest's
# report on stderr when a check failed.
session_rows() {
	: >"$TMP/session-rows"
	if BENCH_ROWS="$TMP/session-rows" BENCH_REPS="$REPS" TMPDIR="$TMP" \
	    "$BUILD/tests/harness/dmtest" --luadm "$BUILD/luadm" \
	    --src "$SRC" --shared "$SRC/../shared" \
	    "$SRC/bench/bench_session.lua" >"$TMP/session.log" 2>&1; then
		cat "$TMP/session-rows"
	else
		tail -n 80 "$TMP/session.log" >&2
		echo "bench_session: WRONG: a check of the scenario failed" >&2
		return 1
	fi
}

# Large objects through `luadm replay` (bench/bench_lo.c): a
# BENCH_LO_MIB (100) MiB object in 1 MiB chunks from the server, and a Get
# of one that size with a 1 MiB MaxMsgSize (run BENCH_LO_OUT_REPS times,
# 1: it takes seconds); throughput and peak RSS of the luadm process.
bench_lo() {
	build_target lo bench_lo || return 0
	run lo "$BUILD/bench/bench_lo" -l "$BUILD/luadm" -s "$SRC" -t "$TMP" \
	    -m "${BENCH_LO_MIB:-100}" -r "$REPS" -R "${BENCH_LO_OUT_REPS:-1}"
}

# Start-up time to the first byte sent (bench/bench_start.c): `luadm
# session`, `luadm run` and `curl -sk` (the floor; skipped without curl),
# each from exec to its TLS ClientHello on a plain TCP socket that never
# answers; best and median of BENCH_REPS.
bench_start() {
	build_target start bench_start || return 0
	run start "$BUILD/bench/bench_start" -l "$BUILD/luadm" -s "$SRC" \
	    -t "$TMP" -r "$REPS"
}

# Idle `luadm run` after a real session over loopback HTTPS
# (bench/bench_idle.lua, run by dmtest, with bench/idle.sh wrapping
# luadm): its RSS, peak RSS and the CPU ticks of BENCH_IDLE (2) seconds
# waiting for the next session.
bench_idle() {
	build_target idle luadm || return 0
	build_target idle dmtest || return 0
	run idle idle_rows
}

# idle_rows: runs the idle scenario; prints its row, or dmtest's report
# on stderr when a check failed.
idle_rows() {
	: >"$TMP/idle-rows"
	if BENCH_ROWS="$TMP/idle-rows" TMPDIR="$TMP" \
	    "$BUILD/tests/harness/dmtest" --luadm "$BUILD/luadm" \
	    --src "$SRC" --shared "$SRC/../shared" \
	    "$SRC/bench/bench_idle.lua" >"$TMP/idle.log" 2>&1; then
		cat "$TMP/idle-rows"
	else
		tail -n 80 "$TMP/idle.log" >&2
		echo "bench_idle: WRONG: a check of the scenario failed" >&2
		return 1
	fi
}

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	echo "bench: $BUILD is not a configured CMake build directory" >&2
	exit 1
fi
for b in $BENCHMARKS; do
	"bench_$b"
done

echo
echo "luadm benchmarks: best of $REPS, $(nproc 2>/dev/null || echo '?') CPUs," \
    "$(uname -m), build $BUILD"
echo "-------------------------------------------------------------------------------"
cat "$ROWS"
exit "$FAILED"
