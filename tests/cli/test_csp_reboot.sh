#!/bin/sh
# The Reboot CSP (./Vendor/MSFT/Reboot, as on Windows) with a fake
# shutdown and systemctl: RebootNow, and the Single and DailyRecurrent
# schedules as systemd timers under the system root; bad dates, past
# dates, and failing commands.
set -eu
. "$LUADM_SRC/tests/cli/lib_csp.sh"

R=./Vendor/MSFT/Reboot
UNITS=$ROOT/etc/systemd/system
mkdir -p "$UNITS"
fake shutdown
fake systemctl

expect $R 'RebootNow/Schedule'
expect $R/Schedule 'DailyRecurrent/Single'
expect $R/RebootNow ''
ok stat $R/RebootNow
grep -qx 'Format: null' "$OUT" && grep -qx 'Access: Exec Get' "$OUT" ||
    fail "RebootNow: $(cat "$OUT")"
pass
refuse 404 "" get ./User/Vendor/MSFT/Reboot/RebootNow
expect ./Device/Vendor/MSFT/Reboot/RebootNow ''

# RebootNow: a minute's delay by default, configurable, 0 = at once
ok exec $R/RebootNow
called 'shutdown -r +1 Restart requested by the device management server'
conf 'csp = { Reboot = { delay_minutes = 5 } }'
ok exec $R/RebootNow
called 'shutdown -r +5 '
conf 'csp = { Reboot = { delay_minutes = 0 } }'
ok exec $R/RebootNow
called 'systemctl reboot'
conf
fake shutdown 'echo "Failed to call ScheduleShutdown in logind, proceeding with immediate shutdown: Access denied" >&2; exit 1'
refuse 500 "Access denied" exec $R/RebootNow
refuse 405 "" replace $R/RebootNow x

# Schedule/Single: a timer for one date and time
S=$R/Schedule/Single
expect $S ''
: > "$CALLS"
ok replace $S 2099-10-07T22:30:00
timer=$UNITS/luadm-reboot-single.timer
grep -qx 'OnCalendar=2099-10-07 22:30:00' "$timer" || fail "timer: $(cat "$timer")"
pass
grep -qx 'Unit=luadm-reboot.service' "$timer" || fail "timer: $(cat "$timer")"
pass
grep -qx 'ExecStart=/bin/systemctl reboot' "$UNITS/luadm-reboot.service" ||
    fail "service: $(cat "$UNITS/luadm-reboot.service")"
pass
[ "$(cat "$CALLS")" = "systemctl daemon-reload
systemctl enable luadm-reboot-single.timer
systemctl restart luadm-reboot-single.timer" ] || fail "calls: $(cat "$CALLS")"
pass
expect $S 2099-10-07T22:30:00
ok replace $S 2099-01-02T03:04Z
grep -qx 'OnCalendar=2099-01-02 03:04:00 UTC' "$timer" || fail "timer: $(cat "$timer")"
pass
expect $S 2099-01-02T03:04Z

# bad and past dates: 400 naming the node, the schedule stays
refuse 400 "$S: expected an ISO 8601 date and time" replace $S tomorrow
refuse 400 "$S: expected an ISO 8601" replace $S '2099-10-07 22:30:00'
refuse 400 "$S: no such date or time: 2099-13-01T00:00:00" \
    replace $S 2099-13-01T00:00:00
refuse 400 "$S: no such date or time" replace $S 2099-02-30T10:00:00
refuse 400 "$S: no such date or time" replace $S 2099-02-03T24:00:00
refuse 400 "$S: 2001-01-01T00:00:00 is in the past" \
    replace $S 2001-01-01T00:00:00
expect $S 2099-01-02T03:04Z

# an empty or all-zero value, or Delete, removes the schedule
: > "$CALLS"
ok replace $S ''
called 'systemctl disable --now luadm-reboot-single.timer'
[ ! -e "$timer" ] || fail "timer stayed"
pass
expect $S ''
ok replace $S 2099-10-07T22:30
ok replace $S 0000-00-00T00:00:00
[ ! -e "$timer" ] || fail "timer stayed"
pass
ok replace $S 2099-10-07T22:30
ok delete $S
[ ! -e "$timer" ] || fail "timer stayed after Delete"
pass
: > "$CALLS"
ok delete $S
not_called systemctl

# Schedule/DailyRecurrent: every day at that time (a past date is fine)
D=$R/Schedule/DailyRecurrent
ok replace $D 2020-05-01T03:30:00
grep -qx 'OnCalendar=\*-\*-\* 03:30:00' "$UNITS/luadm-reboot-daily.timer" ||
    fail "timer: $(cat "$UNITS/luadm-reboot-daily.timer")"
pass
called 'systemctl enable luadm-reboot-daily.timer'
expect $D 2020-05-01T03:30:00
refuse 400 "$D: expected an ISO 8601" replace $D 03:30
ok delete $D
called 'systemctl disable --now luadm-reboot-daily.timer'

# systemctl failing: 500 with what it said
fake systemctl 'case $1 in enable) echo "Failed to enable unit: Access denied" >&2; exit 1;; esac'
refuse 500 "Failed to enable unit: Access denied" replace $D 2020-05-01T04:00:00
expect $D ''
[ ! -e "$UNITS/luadm-reboot-daily.timer" ] || fail "a timer that failed stayed"
pass
fake systemctl
ok replace $D 2020-05-01T04:00:00
fake systemctl 'case $1 in restart) echo "Job failed" >&2; exit 1;; esac'
refuse 500 "Job failed" replace $D 2020-05-01T05:00:00
expect $D 2020-05-01T04:00:00
finish
