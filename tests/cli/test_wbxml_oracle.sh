#!/bin/sh
# Oracle test of core/codec_wbxml.c against Debian's libwbxml2 tools
# (xml2wbxml, wbxml2xml 0.11.8), through tests/unit/wbxml_tool.c.
#
# For every sample under $LUADM_SHARED/reference/samples and its recorded/
# directory that is well-formed XML with a SyncML root:
#   1. ours encode -> `wbxml2xml -k -m 0`         == the sample
#   2. `xml2wbxml -k -n -v 1.2` -> ours decode     == the sample
#   3. ours encode -> `wbxml2xml -m 0` (no -k)     == the sample, trimmed
#   4. `xml2wbxml -n -v 1.2` (default) -> ours     == the sample, trimmed
#   5. `xml2wbxml -v 1.3` (string table: STR_T)   == the sample, trimmed
#   6. ours encode -> ours decode                  == the sample
# and for the binary vectors:
#   7. each cyanogenmod_omadm_dm12_*.wbxml: ours decode == its
#      *.decoded.xml (made by wbxml2xml) and == `wbxml2xml` run here;
#   8. generated_libwbxml0.11.8_msmdm_s4_msg1.wbxml: ours decode == the
#      XML it was made from.
# "==" compares `wbxml_tool canon` forms (see wbxml_tool.c): element
# structure, namespace URIs and text byte for byte; not compared are the
# XML declaration, DOCTYPE, comments, PIs, attributes (WBXML SyncML has
# none: xmlns is the code page) and white space between elements. The
# sample side uses `canon -m` (a Meta child without xmlns counts as
# syncml:metinf, which is how the encoder pages it). "trimmed" (-t): text
# runs compared without leading/trailing white space, because libwbxml
# trims text unless given -k (docs/wbxml.md shows the difference).
#
# Then the libwbxml2 caveats of docs/wbxml.md, on tests/data/wbxml/
# libwbxml_caveats_*: our codec must keep the content; what libwbxml2 does
# is printed as "note:" lines and never fails the test.
#
# Needs LUADM_SHARED and WBXML_TOOL (set by tests/CMakeLists.txt); exits
# 77 (skipped) when the libwbxml2 tools are not installed.
set -u

: "${LUADM_SHARED:?set LUADM_SHARED to the shared directory}"
if [ -z "${WBXML_TOOL:-}" ] && [ -n "${LUADM_BIN:-}" ]; then
	WBXML_TOOL=$(dirname "$LUADM_BIN")/tests/wbxml_tool
fi
: "${WBXML_TOOL:?set WBXML_TOOL to the wbxml_tool test helper}"
if ! command -v xml2wbxml >/dev/null 2>&1 ||
    ! command -v wbxml2xml >/dev/null 2>&1; then
	echo "SKIP: xml2wbxml/wbxml2xml (libwbxml2-utils) not installed"
	exit 77
fi

samples=$LUADM_SHARED/reference/samples
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

failures=0
checked=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# canon OUT ARGS...: the canonical form into OUT; 1 when it cannot be made.
canon() {
	_out=$1
	shift
	"$WBXML_TOOL" canon "$@" >"$_out" 2>"$tmp/canon.err"
}

# same WHAT A B: the two canonical forms are equal.
same() {
	if ! cmp -s "$2" "$3"; then
		fail "$1"
		diff "$2" "$3" | head -10 >&2
	fi
}

# lw: a libwbxml tool, quiet unless it fails.
lw() {
	if ! "$@" >"$tmp/lw.log" 2>&1; then
		cat "$tmp/lw.log" >&2
		return 1
	fi
}

for f in "$samples"/*.xml "$samples"/recorded/*.xml; do
	n=${f#"$samples"/}
	canon "$tmp/orig" -m "$f" || continue		# not well-formed
	head -n 1 "$tmp/orig" | grep -q '}SyncML$' || continue
	canon "$tmp/orig.t" -m -t "$f" || { fail "$n: canon -t"; continue; }
	checked=$((checked + 1))

	if ! "$WBXML_TOOL" encode "$f" "$tmp/ours.wbxml"; then
		fail "$n: our encoder refused it"
		continue
	fi
	# 1, 3: libwbxml decodes what we encode
	if lw wbxml2xml -k -m 0 -o "$tmp/lw.xml" "$tmp/ours.wbxml"; then
		canon "$tmp/c" "$tmp/lw.xml" &&
		    same "$n: ours encode -> wbxml2xml -k" "$tmp/orig" "$tmp/c"
	else
		fail "$n: wbxml2xml -k refused our WBXML"
	fi
	if lw wbxml2xml -m 0 -o "$tmp/lw.xml" "$tmp/ours.wbxml"; then
		canon "$tmp/c" -t "$tmp/lw.xml" &&
		    same "$n: ours encode -> wbxml2xml" "$tmp/orig.t" "$tmp/c"
	else
		fail "$n: wbxml2xml refused our WBXML"
	fi
	# 2, 4: we decode what libwbxml encodes
	if lw xml2wbxml -k -n -v 1.2 -o "$tmp/lw.wbxml" "$f"; then
		if "$WBXML_TOOL" decode "$tmp/lw.wbxml" "$tmp/d.xml"; then
			canon "$tmp/c" "$tmp/d.xml" && same \
			    "$n: xml2wbxml -k -n -v 1.2 -> ours decode" \
			    "$tmp/orig" "$tmp/c"
		else
			fail "$n: our decoder refused xml2wbxml -k output"
		fi
	else
		fail "$n: xml2wbxml -k refused the sample"
	fi
	if lw xml2wbxml -n -v 1.2 -o "$tmp/lw.wbxml" "$f"; then
		if "$WBXML_TOOL" decode "$tmp/lw.wbxml" "$tmp/d.xml"; then
			canon "$tmp/c" -t "$tmp/d.xml" && same \
			    "$n: xml2wbxml -n -v 1.2 -> ours decode" \
			    "$tmp/orig.t" "$tmp/c"
		else
			fail "$n: our decoder refused xml2wbxml output"
		fi
	else
		fail "$n: xml2wbxml refused the sample"
	fi
	# 5: STR_T references into libwbxml's string table, WBXML 1.3
	if lw xml2wbxml -v 1.3 -o "$tmp/lw.wbxml" "$f"; then
		if "$WBXML_TOOL" decode "$tmp/lw.wbxml" "$tmp/d.xml"; then
			canon "$tmp/c" -t "$tmp/d.xml" && same \
			    "$n: xml2wbxml -v 1.3 -> ours decode" \
			    "$tmp/orig.t" "$tmp/c"
		else
			fail "$n: our decoder refused xml2wbxml -v 1.3 output"
		fi
	else
		fail "$n: xml2wbxml -v 1.3 refused the sample"
	fi
	# 6: our own round trip, exact
	if "$WBXML_TOOL" decode "$tmp/ours.wbxml" "$tmp/d.xml"; then
		canon "$tmp/c" "$tmp/d.xml" &&
		    same "$n: ours encode -> ours decode" "$tmp/orig" "$tmp/c"
	else
		fail "$n: our decoder refused our WBXML"
	fi
done

# 7: the real DM 1.2 vectors
nvec=0
for f in "$samples"/cyanogenmod_omadm_dm12_*.wbxml; do
	n=${f#"$samples"/}
	nvec=$((nvec + 1))
	canon "$tmp/ref" "${f%.wbxml}.decoded.xml" ||
	    { fail "$n: its .decoded.xml"; continue; }
	if ! "$WBXML_TOOL" sniff "$f"; then
		fail "$n: not sniffed as WBXML"
	fi
	if "$WBXML_TOOL" decode "$f" "$tmp/d.xml"; then
		canon "$tmp/c" "$tmp/d.xml" &&
		    same "$n: ours decode vs .decoded.xml" "$tmp/ref" "$tmp/c"
	else
		fail "$n: our decoder refused it"
	fi
	if lw wbxml2xml -o "$tmp/lw.xml" "$f"; then
		canon "$tmp/c" "$tmp/lw.xml" &&
		    same "$n: wbxml2xml here vs .decoded.xml" "$tmp/ref" \
		    "$tmp/c"
	fi
done
[ "$nvec" -eq 4 ] || fail "expected 4 cyanogenmod vectors, found $nvec"

# 8: libwbxml's own output
f=$samples/generated_libwbxml0.11.8_msmdm_s4_msg1.wbxml
canon "$tmp/ref" -m "$samples/msmdm_v20240423_s4_msg1_client_pkg1.xml" &&
    "$WBXML_TOOL" decode "$f" "$tmp/d.xml" &&
    canon "$tmp/c" "$tmp/d.xml" &&
    same "generated_libwbxml: ours decode vs its source" "$tmp/ref" "$tmp/c" ||
    fail "generated_libwbxml vector"

# The libwbxml2 caveats of docs/wbxml.md, on tests/data/wbxml/libwbxml_*:
# our codec is checked; what libwbxml2 does is only reported (a newer
# libwbxml2 may behave better, and that must not fail this test).
data=${LUADM_SRC:-$(dirname "$0")/../..}/tests/data/wbxml
for f in "$data"/libwbxml_caveats_*.xml; do
	n=${f#"$data"/}
	canon "$tmp/orig" "$f" || { fail "$n: canon"; continue; }
	if "$WBXML_TOOL" encode "$f" "$tmp/ours.wbxml" &&
	    "$WBXML_TOOL" decode "$tmp/ours.wbxml" "$tmp/d.xml"; then
		canon "$tmp/c" "$tmp/d.xml" &&
		    same "$n: ours encode -> ours decode" "$tmp/orig" "$tmp/c"
	else
		fail "$n: our codec refused it"
	fi
	lw xml2wbxml -n -v 1.2 -o "$tmp/lw.wbxml" "$f" || continue
	# what libwbxml2's WBXML holds (read by our decoder), then what
	# its own decoder makes of it
	if "$WBXML_TOOL" decode "$tmp/lw.wbxml" "$tmp/d.xml" &&
	    canon "$tmp/c" "$tmp/d.xml"; then
		if cmp -s "$tmp/orig" "$tmp/c"; then
			echo "note: $n: xml2wbxml keeps the compared content"
		else
			echo "note: $n: xml2wbxml changes it:"
			diff "$tmp/orig" "$tmp/c" | grep '^[<>]' | head -8
		fi
	fi
	if lw wbxml2xml -m 0 -o "$tmp/lw.xml" "$tmp/lw.wbxml" &&
	    canon "$tmp/c" "$tmp/lw.xml"; then
		if cmp -s "$tmp/orig" "$tmp/c"; then
			echo "note: $n: xml2wbxml+wbxml2xml keep the compared content"
		else
			echo "note: $n: xml2wbxml+wbxml2xml change it:"
			diff "$tmp/orig" "$tmp/c" | grep '^[<>]' | head -8
		fi
	fi
done
f=$data/libwbxml_caveats_binary_opaque.wbxml
if "$WBXML_TOOL" decode "$f" "$tmp/d.xml"; then
	grep -q '<Format xmlns="syncml:metinf">b64</Format>' "$tmp/d.xml" &&
	    grep -q '<Data>AP8BYQ==</Data>' "$tmp/d.xml" ||
	    fail "binary OPAQUE: not base64 with Format b64"
else
	fail "binary OPAQUE: our decoder refused it"
fi
if lw wbxml2xml -m 0 -o "$tmp/lw.xml" "$f"; then
	if canon "$tmp/c" "$tmp/lw.xml"; then
		echo "note: binary OPAQUE: libwbxml2 writes well-formed XML"
	else
		echo "note: binary OPAQUE: libwbxml2 writes XML that does not" \
		    "parse: $(cat "$tmp/canon.err")"
	fi
fi

# the sample set must not silently shrink
if [ "$checked" -lt 38 ]; then
	fail "only $checked SyncML samples checked (expected >= 38)"
fi
echo "wbxml oracle: $checked samples x 6 comparisons, $nvec DM 1.2" \
    "vectors, $failures failure(s)"
[ "$failures" -eq 0 ]
