#!/bin/sh
# Runs the luadm under test, under $LUADM_WRAP when set (make memcheck sets
# it to valgrind). The CLI tests call this as $LUADM.
# shellcheck disable=SC2086
exec ${LUADM_WRAP:-} "$LUADM_BIN" "$@"
