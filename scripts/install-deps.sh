#!/bin/sh
# Installs the Debian 12 packages luadm needs to build and test, and only those
# that are missing. Run as root (make demo / make test call it).
set -eu

PKGS="build-essential cmake pkg-config liblua5.4-dev lua5.4 libxml2-dev
libxml2-utils libcurl4-openssl-dev libssl-dev openssl check libsubunit-dev
libmicrohttpd-dev libwbxml2-dev libwbxml2-utils valgrind
clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "luadm: missing Debian packages:$missing" >&2
	echo "luadm: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "luadm: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
