#!/bin/sh
# fuzz/run.sh: builds the libFuzzer targets with clang (ASan+UBSan) and runs
# each one for a while, then prints one table: executions, corpus size and
# findings (crash, leak, timeout and out-of-memory files) per target.
#
#   sh fuzz/run.sh [-s SECONDS] [-b BUILD_DIR] [-c CLANG] [-j JOBS] [-q]
#                  [TARGET...]
#
#   -s  seconds per target (default $FUZZ_SECONDS, else 60)
#   -b  build directory (default build-fuzz in the source tree)
#   -c  the C compiler (default clang)
#   -j  build jobs (default 2)
#   -q  quiet: the build's output only when it fails
#   TARGET  syncml engine wbxml notify bootstrap uri auth store (default:
#           all)
#
# Before fuzzing, each target replays its regression inputs
# (tests/data/fuzz-regress/<target>/*: inputs that once found a bug). The
# corpus grows in BUILD_DIR/fuzz-work/<target>/corpus (seeded from
# fuzz/corpus/<target>/); findings land in BUILD_DIR/fuzz-work/<target>/
# findings/, and the log of the last run in BUILD_DIR/fuzz-work/<target>/log.
# Exit status: 0 when nothing was found, 1 otherwise (or when a target
# could not be built or run).
set -u

src=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-60}
build=$src/build-fuzz
cc=clang
jobs=2
quiet=0
all="syncml engine wbxml notify bootstrap uri auth store"

usage() {
	sed -n '5,12p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while getopts s:b:c:j:q opt; do
	case $opt in
	s) seconds=$OPTARG ;;
	b) build=$OPTARG ;;
	c) cc=$OPTARG ;;
	j) jobs=$OPTARG ;;
	q) quiet=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
targets=${*:-$all}
case $seconds in
''|*[!0-9]*) echo "fuzz: -s wants a number of seconds" >&2; exit 2 ;;
esac
for t in $targets; do
	case " $all " in
	*" $t "*) ;;
	*) echo "fuzz: unknown target $t (one of: $all)" >&2; exit 2 ;;
	esac
done

# ---- build ----
mkdir -p "$build" || exit 1
blog=$build/fuzz-build.log
bins=""
for t in $targets; do
	bins="$bins fuzz_$t"
done
build_all() {
	cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER="$cc" \
	    -DLUADM_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo || return 1
	for b in $bins; do
		cmake --build "$build" -j"$jobs" --target "$b" || return 1
	done
}
if ! build_all >"$blog" 2>&1; then
	cat "$blog" >&2
	echo "fuzz: the clang build failed (log: $blog)" >&2
	exit 1
fi
[ "$quiet" = 1 ] || tail -n 3 "$blog"

# ---- run ----
# the targets' scratch directories (fuzz/common.h) go in here, on tmpfs
# when there is one; removed at the end
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	scratch=/dev/shm/luadm-fuzz-$$
else
	scratch=${TMPDIR:-/tmp}/luadm-fuzz-$$
fi
mkdir -p "$scratch" || exit 1
trap 'rm -rf "$scratch"' EXIT INT TERM
export LUADM_FUZZ_TMPDIR="$scratch"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

fail=0
table=$build/fuzz-work/summary
mkdir -p "$build/fuzz-work" || exit 1
: >"$table"
for t in $targets; do
	bin=$build/fuzz/fuzz_$t
	work=$build/fuzz-work/$t
	mkdir -p "$work/corpus" "$work/findings" || exit 1
	log=$work/log
	: >"$log"
	# inputs that found bugs before: each must run clean
	regress=$src/tests/data/fuzz-regress/$t
	rfail=0
	nreg=0
	if [ -d "$regress" ]; then
		for f in "$regress"/*; do
			[ -f "$f" ] || continue
			nreg=$((nreg + 1))
			if ! "$bin" -runs=1 "$f" >>"$log" 2>&1; then
				echo "fuzz: $t: regression input $f fails" >&2
				rfail=$((rfail + 1))
			fi
		done
	fi
	mark=$work/.started
	: >"$mark"
	case $t in
	syncml|engine) dict="-dict=$src/fuzz/syncml.dict" ;;
	bootstrap) dict="-dict=$src/fuzz/bootstrap.dict" ;;
	*) dict="" ;;
	esac
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 \
	    -print_final_stats=1 -artifact_prefix="$work/findings/" $dict \
	    "$work/corpus" "$src/fuzz/corpus/$t" >>"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	ncorp=$(find "$work/corpus" -type f | wc -l)
	found=$(find "$work/findings" -type f -newer "$mark" | wc -l)
	found=$((found + rfail))
	status=ok
	if [ "$found" -gt 0 ]; then
		status=FOUND
	elif [ "$rc" -ne 0 ] || [ -z "$execs" ]; then
		status="ERROR (exit $rc)"
		found=1
	fi
	[ "$found" -gt 0 ] && fail=1
	printf '%-10s %8s %12s %8s %8s %9s  %s\n' "$t" "$seconds" \
	    "${execs:-?}" "$ncorp" "$nreg" "$found" "$status" >>"$table"
	if [ "$status" != ok ]; then
		echo "fuzz: $t: $status; log: $log" >&2
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*property failed|.*runtime error)' \
		    "$log" | head -n 5 >&2
		find "$work/findings" -type f -newer "$mark" | sed 's/^/  /' >&2
	fi
done

printf '%-10s %8s %12s %8s %8s %9s  %s\n' target seconds executions corpus \
    regress findings status
cat "$table"
exit $fail
