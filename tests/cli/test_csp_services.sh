#!/bin/sh
# The Services CSP (./Vendor/luadm/Services) with a fake systemctl that
# keeps each unit's state in files: the unit list (templates left out),
# State, Enabled (Get and Replace), Start/Stop/Restart, bad values, and
# systemctl failures (500 with what systemctl said).
set -eu
. "$LUADM_SRC/tests/cli/lib_csp.sh"

S=./Vendor/luadm/Services
U=$T/units
mkdir -p "$U"
for u in cron ssh; do echo active > "$U/$u.active"; echo enabled > "$U/$u.enabled"; done
echo inactive > "$U/nginx.active"; echo disabled > "$U/nginx.enabled"
echo active > "$U/systemd-journald.active"
echo static > "$U/systemd-journald.enabled"
fake systemctl "U='$U'
LIST='$LUADM_SRC/tests/data/linux/list-unit-files.out'"'
unit=${2%.service}
case $1 in
list-unit-files)
	[ -f "$U/broken" ] && { echo "Failed to connect to bus: No such file or directory" >&2; exit 1; }
	cat "$LIST" ;;
is-active)
	state=$(cat "$U/$unit.active")
	echo "$state"
	[ "$state" = active ] || exit 3 ;;
is-enabled)
	state=$(cat "$U/$unit.enabled")
	echo "$state"
	case $state in enabled|static) ;; *) exit 1 ;; esac ;;
enable|disable)
	[ "$unit" = systemd-journald ] && { echo "The unit files have no installation config" >&2; exit 1; }
	echo "${1}d" > "$U/$unit.enabled" ;;
start|restart)
	[ "$unit" = nginx ] && { echo "Job for nginx.service failed because the control process exited with error code." >&2; exit 1; }
	echo active > "$U/$unit.active" ;;
stop)
	echo inactive > "$U/$unit.active" ;;
*)
	exit 2 ;;
esac'

expect $S 'cron/nginx/ssh/systemd-journald'
called 'systemctl list-unit-files --type=service --no-legend --no-pager'
expect $S/ssh 'Enabled/Restart/Start/State/Stop'
refuse 404 "" get $S/getty@/State
refuse 404 "" get $S/getty@.service
refuse 404 "" get $S/nope/State

# State and Enabled
expect $S/ssh/State active
expect $S/nginx/State inactive
expect $S/ssh/Enabled true
expect $S/nginx/Enabled false
expect $S/systemd-journald/Enabled false
ok stat $S/nginx/Enabled
grep -qx 'Format: bool' "$OUT" || fail "Enabled: $(cat "$OUT")"
pass

ok replace $S/nginx/Enabled true
called 'systemctl enable nginx.service'
expect $S/nginx/Enabled true
ok replace $S/ssh/Enabled false --format bool
called 'systemctl disable ssh.service'
expect $S/ssh/Enabled false
refuse 400 "$S/ssh/Enabled: not \"true\" or \"false\"" replace $S/ssh/Enabled yes
refuse 415 "format b64" replace $S/ssh/Enabled dHJ1ZQ== --format b64
refuse 500 "The unit files have no installation config" \
    replace $S/systemd-journald/Enabled true
refuse 405 "" replace $S/ssh/State inactive

# Start, Stop, Restart
ok exec $S/ssh/Stop
called 'systemctl stop ssh.service'
expect $S/ssh/State inactive
ok exec $S/ssh/Start
called 'systemctl start ssh.service'
expect $S/ssh/State active
ok exec $S/cron/Restart
called 'systemctl restart cron.service'
refuse 500 "Job for nginx.service failed because the control process exited" \
    exec $S/nginx/Start
expect $S/nginx/State inactive
refuse 405 "" get $S/ssh/Start
refuse 405 "" exec $S/ssh/State

# systemctl itself failing: 500 with its message
touch "$U/broken"
refuse 500 "Failed to connect to bus" get $S
refuse 500 "Failed to connect to bus" get $S/ssh/State
rm "$U/broken"
rm "$BIN/systemctl"
refuse 500 "systemctl" get $S
finish
