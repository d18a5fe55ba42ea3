#!/bin/sh
# hotpath report and compare.
. "$(dirname "$0")/lib.sh"

export HOTPATH_HOME="$T/home"
HP="$BIN/hotpath"
DB="$T/r.db"
E="$ROOT/tests/cli/engines/fake.sh"

# A small real sweep with a hostile host name and engine name, and engines
# that fail, compute a wrong answer, or cannot run.
HOST='box "q" `touch '"$T"'/pwned1` $(touch '"$T"'/pwned2) system("touch '"$T"'/pwned3")'
cat > "$T/cfg.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 3, "warmups": 1, "threads": [1, 2],
   "tasks": ["groupby", "join"], "engines": ["c-scalar", "c-threads", "evil", "wrong", "cannot", "crash"],
   "extra_engines": [
     {"name": "evil'q\"\`touch $T/pwned4\`", "argv": ["{bin}/c-scalar"], "tasks": ["groupby"]},
     {"name": "wrong", "argv": ["$E", "wrong"], "tasks": ["groupby"]},
     {"name": "cannot", "argv": ["$E", "cannot"], "tasks": ["join"]},
     {"name": "crash", "argv": ["$E", "crash"], "tasks": ["join"]}]},
 "hosts": [{"name": $(printf '%s' "$HOST" | "$PY" -c 'import json,sys; print(json.dumps(sys.stdin.read()))'), "transport": "local"}]}
JSON
sed -i "s/\"evil\", \"wrong\"/\"evil'q\\\\\"\`touch $(echo "$T" | sed 's/\//\\\//g')\/pwned4\`\", \"wrong\"/" "$T/cfg.json"
"$HP" -q -c "$T/cfg.json" --db "$DB" sweep
check "the hostile sweep ran" test "$(sqlite3 "$DB" "select count(*) from runs where status = 'ok'")" -gt 0
"$HP" -q --db "$DB" report --out "$T/rep" > "$T/path"
check "report prints the path of report.html" grep -qx "$T/rep/report.html" "$T/path"
for t in groupby join; do
    for c in median speedup distribution scaling history; do
        [ "$c" = speedup ] && continue    # no baseline engine in this sweep
        for ext in gp dat svg png; do
            check "report has $c-$t.$ext" test -s "$T/rep/$c-$t.$ext"
        done
    done
done
check "no speedup chart without a baseline engine" test ! -e "$T/rep/speedup-groupby.svg"
check "report.html and report.md exist" test -s "$T/rep/report.html" -a -s "$T/rep/report.md"
check "every SVG parses as XML" "$PY" -c "
import glob, sys, xml.dom.minidom
files = glob.glob(sys.argv[1] + '/*.svg')
assert files
for f in files: xml.dom.minidom.parse(f)" "$T/rep"
check "every PNG has the PNG signature" "$PY" -c "
import glob, sys
files = glob.glob(sys.argv[1] + '/*.png')
assert files
for f in files:
    assert open(f, 'rb').read(8) == b'\x89PNG\r\n\x1a\n', f" "$T/rep"
check "report.html references no file and no network" "$PY" -c "
import re, sys
html = open(sys.argv[1]).read()
refs = re.findall(r'(?:src|href)\s*=\s*[\"\x27]([^\"\x27]*)', html)
assert not [r for r in refs if not r.startswith('#')], refs" "$T/rep/report.html"
check "report.md links only files it ships" "$PY" -c "
import os, re, sys
d = sys.argv[1]
links = re.findall(r'\]\(([^)]+)\)', open(d + '/report.md').read())
assert links and all(os.path.exists(os.path.join(d, l)) for l in links), links" "$T/rep"
check "no command in a name ran" sh -c "! ls '$T'/pwned* 2>/dev/null"
check "the hostile host name is text in the SVG" grep -qF 'box "q" `touch' "$T/rep/median-groupby.svg"
check "the hostile engine name is text in the SVG" grep -qF "evil'q\"\`touch" "$T/rep/distribution-groupby.svg"
check "system(...) is text in the SVG" grep -qF 'system("touch' "$T/rep/median-groupby.svg"
check "the HTML escapes the names" grep -qF 'box &quot;q&quot; `touch' "$T/rep/report.html"
check "invalid runs are listed as caveats" sh -c "grep -A3 -i caveats '$T/rep/report.md' >/dev/null && grep -q 'wrong result' '$T/rep/report.md'"
check "skipped runs are listed as caveats" grep -q 'fake-cannot' "$T/rep/report.md"
check "failed runs are listed as caveats" grep -q 'killed by signal 11' "$T/rep/report.md"
check "failed engines are not charted" sh -c "test -s '$T/rep/median-join.dat' && test -s '$T/rep/distribution-join.dat' && ! grep -q crash '$T/rep/median-join.dat' '$T/rep/distribution-join.dat'"
check "invalid runs are not charted" sh -c "test -s '$T/rep/median-groupby.dat' && test -s '$T/rep/distribution-groupby.dat' && ! grep -q '^[0-9.]*	.*wrong' '$T/rep/median-groupby.dat' && ! grep -q wrong '$T/rep/distribution-groupby.dat'"
check "skipped engines are not charted" sh -c "test -s '$T/rep/median-join.dat' && ! grep -q cannot '$T/rep/median-join.dat'"
check "the report lists the host's hardware" grep -q 'logical' "$T/rep/report.md"
check "the report lists the data checksums" grep -q "$(grep facts.csv "$CONF/SHA256SUMS" | cut -d' ' -f1)" "$T/rep/report.md"
check "a chart's script reruns by itself" sh -c "cd '$T/rep' && rm median-join.svg && gnuplot median-join.gp && test -s median-join.svg"
check "report --format svg writes no PNG" sh -c "'$HP' -q --db '$DB' report --out '$T/svgonly' --format svg >/dev/null && ls '$T/svgonly'/*.svg >/dev/null && ! ls '$T/svgonly'/*.png 2>/dev/null"
check "report of an unknown sweep fails" sh -c "! '$HP' --db '$DB' report nosuchsweep 2>/dev/null"
check "report --format bad is a usage error" sh -c "'$HP' --db '$DB' report --format gif 2>/dev/null; test \$? -eq 2"

# Headless Chromium renders the HTML report to a non-blank screenshot.
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
    skip "report.html in headless Chromium: chromium could not be installed here"
else
    timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$T/chrome" --window-size=1200,2000 \
        --screenshot="$T/shot.png" "file://$T/rep/report.html" >/dev/null 2>&1
    check "Chromium writes a screenshot of report.html" test -s "$T/shot.png"
    check "the screenshot is not blank" "$PY" - "$T/shot.png" <<'PYEOF'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat, w, h = 8, b'', 0, 0
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
    if kind == b'IDAT':
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
# Distinct byte values across the image: a blank page has one or two.
assert len(set(raw[::97])) > 8, len(set(raw[::97]))
PYEOF
fi

# compare: synthetic sweeps with a known 20 % slowdown of engine x.
"$PY" "$ROOT/tests/cli/mksweeps.py" "$DB" aaaaaaaa-0000 1.0 1
"$PY" "$ROOT/tests/cli/mksweeps.py" "$DB" bbbbbbbb-0000 1.2 2
"$PY" "$ROOT/tests/cli/mksweeps.py" "$DB" cccccccc-0000 1.0 3
"$HP" --db "$DB" compare aaaaaaaa bbbbbbbb > "$T/cmp" 2>&1
rc=$?
check "compare exits 1 on a 20% slowdown" test $rc -eq 1
check "the slowed engine is SLOWER" grep -q '^synth .* x .*SLOWER' "$T/cmp"
check "the unchanged engine is not" sh -c "grep '^synth .* y ' '$T/cmp' | grep -qv SLOWER"
check "compare of identical distributions exits 0" "$HP" --db "$DB" compare aaaaaaaa cccccccc
check "compare B A calls the change faster" sh -c "'$HP' --db '$DB' compare bbbbbbbb aaaaaaaa | grep -q ' x .*faster'"
check "a 25% threshold tolerates the 20% slowdown" "$HP" --db "$DB" compare aaaaaaaa bbbbbbbb --threshold 25%
check "compare --json" sh -c "'$HP' --db '$DB' --json compare aaaaaaaa bbbbbbbb | '$PY' -c '
import json, sys
d = json.load(sys.stdin)
assert d[\"slower\"] == 1 and d[\"test\"] == \"mann-whitney-u\"
x = [c for c in d[\"cells\"] if c[\"engine\"] == \"x\"][0]
assert abs(x[\"ratio\"] - 1.2) < 0.05 and x[\"p\"] < 0.001'"
check "compare needs two sweeps" sh -c "'$HP' --db '$DB' compare aaaaaaaa 2>/dev/null; test \$? -eq 2"
