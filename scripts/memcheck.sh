#!/bin/sh
# make memcheck: the unit tests and every test that runs luadm, under
# valgrind. Any invalid access or definite leak fails the run. BUILD (the
# argument) is a build configured with a large LUADM_TEST_TIMEOUT: the
# fault scenarios take minutes under valgrind (the Makefile does that).
set -eu
BUILD=${1:-build}
VG="valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --track-fds=no --child-silent-after-fork=yes"
failed=0
for t in "$BUILD"/tests/check_*; do
	[ -x "$t" ] || continue
	echo "memcheck: $(basename "$t")"
	# CK_FORK=no: run the tests in one process so valgrind sees them
	if ! CK_FORK=no CK_VERBOSITY=minimal $VG "$t"; then
		echo "memcheck: $(basename "$t") FAILED" >&2
		failed=$((failed + 1))
	fi
done
echo "memcheck: CLI and scenario tests with luadm under valgrind"
if ! LUADM_WRAP="$VG" ctest --test-dir "$BUILD" -j2 --output-on-failure \
    -E '^unit/'; then
	failed=$((failed + 1))
fi
if [ "$failed" -ne 0 ]; then
	echo "memcheck: $failed part(s) failed" >&2
	exit 1
fi
echo "memcheck: clean"
