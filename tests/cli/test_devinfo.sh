#!/bin/sh
# DevInfo and DevDetail through the real binary: `luadm tree get` against a
# fake system root built here, with the shipped CSPs and device overrides
# from the configuration. Needs LUADM (the binary) and LUADM_SRC (the
# source tree).
set -eu

: "${LUADM:?set LUADM to the luadm binary}"
: "${LUADM_SRC:?set LUADM_SRC to the source tree}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# The fake system root.
root="$tmp/root"
dmi="$root/sys/class/dmi/id"
mkdir -p "$root/etc" "$dmi" "$tmp/state"
printf '0123456789abcdef0123456789abcdef\n' > "$root/etc/machine-id"
printf 'LENOVO\n' > "$dmi/sys_vendor"
printf '20XW0055GE\n' > "$dmi/product_name"
printf 'ThinkPad X1 Carbon Gen 9\n' > "$dmi/product_version"
printf 'N32ET75W (1.51 )\n' > "$dmi/bios_version"
printf '10\n' > "$dmi/chassis_type"
printf 'ws-42\n' > "$root/etc/hostname"
printf 'PF2ABCDE\n' > "$dmi/product_serial"
mkdir -p "$root/proc" "$tmp/bin"
printf 'MemTotal:       16318060 kB\nMemFree:         1234567 kB\n' \
    > "$root/proc/meminfo"
# a fake df for `df -Pk <root>/` (1024-byte blocks of the file system of /)
cat > "$tmp/bin/df" <<EOF
#!/bin/sh
[ "\$*" = "-Pk $root/" ] || { echo "df: unexpected: \$*" >&2; exit 1; }
echo 'Filesystem     1024-blocks      Used Available Capacity Mounted on'
echo '/dev/nvme0n1p2   490617784 123456789 342107423      27% /'
EOF
chmod +x "$tmp/bin/df"
cat > "$root/etc/os-release" <<'EOF'
NAME="Debian GNU/Linux"
VERSION_ID="12"
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
EOF

# writeconf FILE DEVICE-TABLE
writeconf() {
	cat > "$1" <<EOF
state_dir = "$tmp/state"
csp_path = { "$LUADM_SRC/csp-scripts" }
sysroot = "$root"
runner = { "env", "PATH=$tmp/bin" }
device = $2
EOF
}
conf="$tmp/luadm.conf"
writeconf "$conf" '{ Lang = "de-DE" }'

# expect URI VALUE: `tree get URI` succeeds and prints exactly VALUE.
expect() {
	if ! got=$("$LUADM" -c "$conf" tree get "$1" 2>"$tmp/err"); then
		fail "tree get $1 failed: $(cat "$tmp/err")"
	elif [ "$got" != "$2" ]; then
		fail "tree get $1: expected '$2', got '$got'"
	fi
}

# refuse STATUS ARGS...: `tree ARGS` fails, naming STATUS and showing "$3"
# (the URI) in its message.
refuse() {
	status=$1
	shift
	if "$LUADM" -c "$conf" tree "$@" >"$tmp/out" 2>"$tmp/err"; then
		fail "tree $*: succeeded, expected $status"
	elif ! grep -q "($status)" "$tmp/err"; then
		fail "tree $*: expected status $status, got: $(cat "$tmp/err")"
	fi
}

# DevId: sha256("luadm-devid:" .. machine-id), first 32 hex digits,
# upper-case; the machine id itself never shows.
expect ./DevInfo/DevId 05846DA482444CA763929DB3A467DA79
expect ./DevInfo/Man LENOVO
expect ./DevInfo/Mod 20XW0055GE
expect ./DevInfo/DmV 1.2
expect ./DevInfo/Lang de-DE
expect ./DevInfo DevId/DmV/Ext/Lang/Man/Mod
expect ./DevInfo/Ext ''

expect ./DevDetail DevTyp/Ext/FwV/HwV/LrgObj/OEM/SwV/URI
expect ./DevDetail/DevTyp laptop
expect ./DevDetail/OEM LENOVO
expect ./DevDetail/FwV 'N32ET75W (1.51 )'
expect ./DevDetail/HwV 'ThinkPad X1 Carbon Gen 9'
expect ./DevDetail/SwV 'Debian GNU/Linux 12 (bookworm)'
expect ./DevDetail/LrgObj true
expect ./DevDetail/URI MaxDepth/MaxSegLen/MaxTotLen
expect ./DevDetail/URI/MaxDepth 64
expect ./DevDetail/URI/MaxTotLen 4096
expect ./DevDetail/URI/MaxSegLen 255
expect ./DevDetail/Ext/Microsoft \
    DNSComputerName/DeviceName/LocalTime/OSPlatform/ProcessorArchitecture/SMBIOSSerialNumber/TotalRAM/TotalStorage
expect ./DevDetail/Ext/Microsoft/OSPlatform 'Debian GNU/Linux'
expect ./DevDetail/Ext/Microsoft/DeviceName ws-42
expect ./DevDetail/Ext/Microsoft/ProcessorArchitecture "$(uname -m)"
expect ./DevDetail/Ext/Microsoft/DNSComputerName ws-42
expect ./DevDetail/Ext/Microsoft/SMBIOSSerialNumber PF2ABCDE
expect ./DevDetail/Ext/Microsoft/TotalRAM 15935
expect ./DevDetail/Ext/Microsoft/TotalStorage 479118

# Formats and access types as a server sees them.
if ! "$LUADM" -c "$conf" tree stat ./DevDetail/LrgObj >"$tmp/out" 2>&1; then
	fail "tree stat ./DevDetail/LrgObj: $(cat "$tmp/out")"
else
	grep -qx 'Format: bool' "$tmp/out" ||
	    fail "LrgObj: expected Format: bool in: $(cat "$tmp/out")"
	grep -qx 'Access: Get' "$tmp/out" ||
	    fail "LrgObj: expected Access: Get in: $(cat "$tmp/out")"
fi
for n in TotalRAM TotalStorage; do
	if ! "$LUADM" -c "$conf" tree stat ./DevDetail/Ext/Microsoft/$n \
	    >"$tmp/out" 2>&1 || ! grep -qx 'Format: int' "$tmp/out"; then
		fail "$n: expected Format: int in: $(cat "$tmp/out")"
	fi
done
if ! "$LUADM" -c "$conf" tree stat ./DevDetail/URI/MaxDepth >"$tmp/out" \
    2>&1 || ! grep -qx 'Format: int' "$tmp/out"; then
	fail "URI/MaxDepth: expected Format: int in: $(cat "$tmp/out")"
fi

# Everything is read only; unknown nodes do not exist.
refuse 405 replace ./DevInfo/Lang fr-FR
refuse 405 replace ./DevDetail/SwV 1.0
refuse 405 delete ./DevInfo/Man
refuse 405 add ./DevInfo/Ext/Custom value
refuse 404 get ./DevInfo/Nope
refuse 404 get ./DevDetail/URI/MaxFoo

# LrgObj follows the configuration's session.large_objects
printf 'session = { large_objects = false }\n' >> "$conf"
expect ./DevDetail/LrgObj false

# The device table of the configuration wins (but DmV is fixed).
writeconf "$conf" '{ DevId = "MYDEVICE01", Man = "Acme", Mod = "Rocket",
    DmV = "9.9", Lang = "fr-FR", DevTyp = "kiosk", OEM = "Acme OEM",
    FwV = "fw-1", SwV = "sw-2", HwV = "hw-3" }'
expect ./DevInfo/DevId MYDEVICE01
expect ./DevInfo/Man Acme
expect ./DevInfo/Mod Rocket
expect ./DevInfo/DmV 1.2
expect ./DevInfo/Lang fr-FR
expect ./DevDetail/DevTyp kiosk
expect ./DevDetail/OEM 'Acme OEM'
expect ./DevDetail/FwV fw-1
expect ./DevDetail/SwV sw-2
expect ./DevDetail/HwV hw-3

# A bare system: fallbacks, and a clear error without a machine id.
writeconf "$conf" '{}'
rm -rf "$dmi" "$root/etc/machine-id" "$root/etc/os-release"
expect ./DevInfo/Man Unknown
expect ./DevInfo/Mod Unknown
expect ./DevInfo/Lang en-US
expect ./DevDetail/DevTyp computer
expect ./DevDetail/SwV Unknown
refuse 500 get ./DevInfo/DevId
grep -q '/etc/machine-id' "$tmp/err" ||
    fail "DevId without machine-id: message does not name the file:" \
    "$(cat "$tmp/err")"
expect ./DevDetail/Ext/Microsoft/SMBIOSSerialNumber Unknown
rm "$root/proc/meminfo" "$tmp/bin/df"
refuse 500 get ./DevDetail/Ext/Microsoft/TotalRAM
grep -q 'MemTotal' "$tmp/err" || fail "TotalRAM: $(cat "$tmp/err")"
refuse 500 get ./DevDetail/Ext/Microsoft/TotalStorage
grep -q 'df: ' "$tmp/err" || fail "TotalStorage: $(cat "$tmp/err")"

if [ "$failures" -ne 0 ]; then
	echo "test_devinfo: $failures failure(s)" >&2
	exit 1
fi
echo "test_devinfo: ok"
