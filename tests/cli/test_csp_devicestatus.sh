#!/bin/sh
# The DeviceStatus CSP (./Vendor/MSFT/DeviceStatus, as on Windows) on a
# temporary system root with a fake /sys and a fake ip: OS, network cards
# by MAC address, the battery, and a failing ip.
set -eu
. "$LUADM_SRC/tests/cli/lib_csp.sh"

DS=./Vendor/MSFT/DeviceStatus
cat > "$ROOT/etc/os-release" <<'O'
NAME="Fedora Linux"
VARIANT="Server Edition"
O
net=$ROOT/sys/class/net
card() { # name mac operstate type
	mkdir -p "$net/$1"
	echo "$2" > "$net/$1/address"
	echo "$3" > "$net/$1/operstate"
	echo "$4" > "$net/$1/type"
}
card lo 00:00:00:00:00:00 unknown 772
card eth0 52:54:00:12:34:ab up 1
card wlan0 a0:b1:c2:d3:e4:f5 down 1
mkdir "$net/wlan0/wireless"
card veth9 52:54:00:12:34:ab up 1
card tun0 '' unknown 65534
fake ip "case \$* in
'-o addr show dev eth0') cat '$LUADM_SRC/tests/data/linux/ip-addr.out' ;;
'-o addr show dev wlan0') ;;
*) echo \"Device \\\"\$5\\\" does not exist.\" >&2; exit 1 ;;
esac"
bat=$ROOT/sys/class/power_supply/BAT0
mkdir -p "$bat" "$ROOT/sys/class/power_supply/AC"
echo Mains > "$ROOT/sys/class/power_supply/AC/type"
echo Battery > "$bat/type"
battery() { # capacity status
	echo "$1" > "$bat/capacity"
	echo "$2" > "$bat/status"
}
echo 30000000 > "$bat/energy_now"
echo 10000000 > "$bat/power_now"

expect $DS 'Battery/NetworkIdentifiers/OS'
expect $DS/OS/Edition 'Server Edition'
expect $DS/OS/Mode 0
printf 'NAME="Debian GNU/Linux"\n' > "$ROOT/etc/os-release"
expect $DS/OS/Edition 'Debian GNU/Linux'

# cards: by MAC, lo and cards without an address left out, one per MAC
N=$DS/NetworkIdentifiers
expect $N '5254001234AB/A0B1C2D3E4F5'
expect $N/5254001234AB 'IPAddressV4/IPAddressV6/IsConnected/Type'
expect $N/5254001234AB/IPAddressV4 192.168.10.23
expect $N/5254001234AB/IPAddressV6 2001:db8::23
called 'ip -o addr show dev eth0'
expect $N/5254001234AB/IsConnected true
expect $N/5254001234AB/Type 1
expect $N/A0B1C2D3E4F5/Type 2
expect $N/A0B1C2D3E4F5/IsConnected false
expect $N/A0B1C2D3E4F5/IPAddressV4 ''
ok stat $N/A0B1C2D3E4F5/IsConnected
grep -qx 'Format: bool' "$OUT" || fail "IsConnected: $(cat "$OUT")"
pass
refuse 404 "" get $N/000000000000/Type
refuse 404 "" get $N/52:54:00:12:34:ab/Type

# battery: Windows' flags, percent and seconds
B=$DS/Battery
battery 55 Discharging
expect $B/Status 0
expect $B/EstimatedChargeRemaining 55
expect $B/EstimatedRuntime 10800
battery 80 Charging
expect $B/Status 9
expect $B/EstimatedRuntime -1
battery 20 Discharging
expect $B/Status 2
battery 3 Discharging
expect $B/Status 4
echo garbage > "$bat/capacity"
expect $B/Status 255
expect $B/EstimatedChargeRemaining -1
rm -rf "$bat"
expect $B/Status 128
expect $B/EstimatedChargeRemaining -1
expect $B/EstimatedRuntime -1

# read only, device scope only
refuse 405 "" replace $DS/OS/Mode 1
refuse 405 "" delete $N/5254001234AB
refuse 404 "" get ./User/Vendor/MSFT/DeviceStatus/OS/Mode

# a failing ip: 500 with what it said
fake ip 'echo "Cannot open netlink socket: Protocol not supported" >&2; exit 1'
refuse 500 "ip: Cannot open netlink socket: Protocol not supported" \
    get $N/5254001234AB/IPAddressV4
finish
