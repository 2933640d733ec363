# Builds package #0 triggers for tests (sourced by test_notify.sh and
# test_run.sh): printf for the bytes, `openssl dgst -md5 -binary` for the
# digest. Uses $T as a scratch directory.

# byte N: writes the byte of value N (0..255).
byte() {
	# shellcheck disable=SC2059
	printf "\\$(printf '%03o' "$1")"
}

# word32 N: four bytes, big-endian.
word32() {
	byte $((($1 >> 24) & 255))
	byte $((($1 >> 16) & 255))
	byte $((($1 >> 8) & 255))
	byte $(($1 & 255))
}

# trigger OUT VERSION UI INIT FUTURE SID ID PASSWORD NONCEFILE [VENDOR]:
# writes a signed package #0 into OUT. FUTURE is the 27-bit future-use
# field, NONCEFILE holds the nonce's raw bytes.
trigger() {
	out=$1 ver=$2 ui=$3 init=$4 fut=$5 sid=$6 id=$7 pass=$8 nf=$9
	shift 9
	vendor=${1:-}
	idlen=$(printf '%s' "$id" | wc -c)
	hi=$(((ver << 22) | (ui << 20) | (init << 19) | (fut >> 8)))
	lo=$((((fut & 255) << 24) | (sid << 8) | idlen))
	{
		word32 "$hi"
		word32 "$lo"
		printf '%s' "$id"
		printf '%s' "$vendor"
	} > "$T/trig"
	cred=$(printf '%s:%s' "$id" "$pass" | openssl dgst -md5 -binary |
	    base64)
	th=$(openssl dgst -md5 -binary < "$T/trig" | base64)
	{
		printf '%s:' "$cred"
		cat "$nf"
		printf ':%s' "$th"
	} | openssl dgst -md5 -binary > "$T/digest"
	cat "$T/digest" "$T/trig" > "$out"
}

