#!/bin/sh
# make demo: shows the device's management tree (DevInfo, DevDetail) as the
# shipped CSPs read it from this machine. (A full DM session against the
# bundled scripted server replaces this once HTTPS sessions land.)
set -eu
BUILD=${1:-build}
LUADM="$BUILD/luadm"
STATE="$BUILD/demo-state"
CONF="$BUILD/demo.conf"

mkdir -p "$STATE"
cat > "$CONF" <<CONF
state_dir = "$(pwd)/$STATE"
csp_path = { "$(pwd)/csp-scripts" }
CONF

echo "== luadm $("$LUADM" --version | cut -d' ' -f2): this device's DM tree =="
echo
"$LUADM" -q -c "$CONF" tree dump ./DevInfo
echo
"$LUADM" -q -c "$CONF" tree dump ./DevDetail
echo
echo "Try:  $LUADM -c $CONF tree get ./DevInfo/DmV"
