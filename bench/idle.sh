#!/bin/sh
# bench/idle.sh LUADM-ARGV...: the wrapper of the idle benchmark
# (bench/bench_idle.lua, run by dmtest with run_session's `wrap`). Starts
# `luadm ... run` (its arguments) in the background, its stderr to a file,
# and waits for its log line "next session in" (core/cmd_run.c: the first
# session succeeded). Then lets it idle BENCH_IDLE seconds (2), and reads
# from /proc/PID/status its VmRSS (resident now), VmHWM (the peak: the
# session) and RssAnon (its own memory; the rest of VmRSS is the pages of
# shared libraries) and from /proc/PID/stat the CPU ticks (utime + stime, in
# CLK_TCK) it used while idle. Then SIGTERM, wait, luadm's log to stderr,
# one row to the file $BENCH_ROWS (stdout when unset), and the exit code
# is luadm's.
#
# No "next session in" within 60 s (luadm gone before it, or "session
# failed" logged): WRONG on stderr, no row, exit 1 (or luadm's own
# non-zero code).
set -u

IDLE=${BENCH_IDLE:-2}
LOG=$(mktemp "${TMPDIR:-/tmp}/luadm-idle.XXXXXX") || exit 1
trap 'rm -f "$LOG"' EXIT

"$@" 2>"$LOG" &
pid=$!

# stop: SIGTERM, then luadm's exit code in rc and its log on stderr.
stop() {
	kill -TERM "$pid" 2>/dev/null
	rc=0
	wait "$pid" || rc=$?
	cat "$LOG" >&2
}

# ticks: the CPU ticks luadm used so far (fields 14 and 15 of
# /proc/PID/stat; the command name, field 2, may hold spaces).
ticks() {
	sed 's/.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }'
}

# alive: whether luadm still runs (kill -0 also succeeds on a zombie).
alive() {
	_st=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$_st" ] && [ "$_st" != Z ]
}

# kib NAME: a "NAME: N kB" line of /proc/PID/status.
kib() {
	awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"
}

i=0
while ! grep -q "next session in" "$LOG"; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! alive || grep -q "session failed" "$LOG"; then
		stop
		echo "idle.sh: WRONG: luadm did not log \"next session in\"" \
		    "(its first session did not succeed)" >&2
		[ "$rc" -ne 0 ] && exit "$rc"
		exit 1
	fi
	sleep 0.1
done

t0=$(ticks)
sleep "$IDLE"
t1=$(ticks)
rss=$(kib VmRSS)
hwm=$(kib VmHWM)
anon=$(kib RssAnon)
stop
if [ -z "$t0" ] || [ -z "$t1" ] || [ -z "$rss" ] || [ -z "$hwm" ] ||
    [ -z "$anon" ]; then
	echo "idle.sh: WRONG: cannot read /proc/$pid" >&2
	exit 1
fi
row=$(awk -v r="$rss" -v h="$hwm" -v a="$anon" -v t=$((t1 - t0)) \
    -v s="$IDLE" 'BEGIN {
	printf "idle    luadm run after a session: RSS %.1f MiB (peak %.1f " \
	    "MiB; %.1f MiB its own, the rest shared libraries), %d CPU " \
	    "ticks in %s s idle\n", r / 1024, h / 1024, a / 1024, t, s
}')
if [ -n "${BENCH_ROWS:-}" ]; then
	printf '%s\n' "$row" >>"$BENCH_ROWS"
else
	printf '%s\n' "$row"
fi
exit "$rc"
