#!/bin/sh
# make demo: one complete DM session between luadm and the harness's
# scripted DM server (tests/harness/demo.lua) over HTTPS on 127.0.0.1, with
# MD5 authentication both ways: enrolment from a provisioning document,
# package 1, the server reading DevInfo/DevDetail, replacing a node of a
# demo CSP and running an Exec. Prints each message (who, commands,
# statuses, results) and ends with one success line.
#
# usage: scripts/demo.sh [BUILD_DIR]    (run from the repository root)
set -eu
BUILD=${1:-build}
LUADM="$BUILD/luadm"
DMTEST="$BUILD/tests/harness/dmtest"

for f in "$LUADM" "$DMTEST"; do
	if [ ! -x "$f" ]; then
		echo "demo: $f is missing; run make build first" >&2
		exit 1
	fi
done
if ! command -v openssl >/dev/null 2>&1; then
	echo "demo: the openssl command is needed for the test certificates" >&2
	exit 1
fi

echo "== luadm $("$LUADM" --version | cut -d' ' -f2): a DM session against" \
    "the scripted test server =="
if "$DMTEST" --luadm "$LUADM" --src . tests/harness/demo.lua; then
	echo
	echo "luadm demo: SUCCESS - a complete OMA DM session over HTTPS" \
	    "with MD5 authentication both ways."
else
	echo
	echo "luadm demo: FAILED (see above)" >&2
	exit 1
fi
