#!/usr/bin/env bash
# The XML's <?xml-stylesheet?> line as nmap 7.93 writes it (list scan, no
# packets): by default nmap.xsl from the data directory as a file:// URL,
# --webxml nmap's URL, --stylesheet as given (escaped), --no-stylesheet
# none; the last of them wins. xsltproc renders the file with the default
# line as nmap's (nmap.xsl's HTML names the host).
set -euo pipefail
. "$(dirname "$0")/helpers/common.sh"
t_init "$@"

line() { # ARGS... -> the stylesheet line of the XML, or "none"
    t_scan xsl -sL -n "$@" -oX "$T/x.xml" 127.0.0.1
    [ "$(cat "$T/xsl.rc")" -eq 0 ] || t_fail "$*: exit $(cat "$T/xsl.rc"): $(head -c 500 "$T/xsl.err")"
    t_xml_valid "$T/x.xml"
    grep '^<?xml-stylesheet' "$T/x.xml" || echo none
}
check() { # EXPECTED ARGS...
    local exp="$1" got
    shift
    got="$(line "$@")"
    [ "$got" = "$exp" ] || t_fail "${*:-default}: got '$got', expected '$exp'"
    [ "$(sed -n 3p "$T/x.xml")" = "$exp" ] || [ "$exp" = none ] ||
        t_fail "${*:-default}: the stylesheet line is not the third line"
    t_pass "${*:-default}: $exp"
}

check "<?xml-stylesheet href=\"file://$PRTIP_DATADIR/nmap.xsl\" type=\"text/xsl\"?>"
check '<?xml-stylesheet href="https://svn.nmap.org/nmap/docs/nmap.xsl" type="text/xsl"?>' --webxml
check none --no-stylesheet
check '<?xml-stylesheet href="my&amp;&quot;.xsl" type="text/xsl"?>' --stylesheet 'my&".xsl'
check '<?xml-stylesheet href="a.xsl" type="text/xsl"?>' --webxml --no-stylesheet --stylesheet a.xsl
check none --stylesheet a.xsl --no-stylesheet

if command -v xsltproc >/dev/null 2>&1 && [ -r "$PRTIP_DATADIR/nmap.xsl" ]; then
    t_scan html -sT -Pn -n -p 1 -oX "$T/h.xml" 127.0.0.1
    xsltproc -o "$T/h.html" "$T/h.xml" 2>"$T/xslt.err" || t_fail "xsltproc: $(cat "$T/xslt.err")"
    grep -q '127\.0\.0\.1' "$T/h.html" || t_fail "xsltproc's HTML does not name the host"
    t_pass "xsltproc renders the XML through its stylesheet line"
fi
