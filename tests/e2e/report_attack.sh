#!/usr/bin/env bash
# The steering group's report against an attacker who has only what it
# publishes (tests/tools/report_attack.py: exact linear algebra and integer
# bounds over every format, and two runs over overlapping periods):
#   1. today's format before disclosure control (tests/resources/report-v1,
#      made with main at 581ca37): the attacker recovers the cells the issue
#      names (Kompas' 2 weapons, the one drugs-trade signal about a pupil) and
#      the zeros the text report gave away; so it can fail;
#   2. a real run of vios hub report in every format, and a second run over
#      a shifted period: nothing recovered, no "<5" narrowed from 0..4;
#   3. REPORT_SEEDS random grids (default 40, about 10 s) through the same
#      writers (t_report), each published over months 1-3 and 2-4: nothing
#      recovered. `make report-sweep` runs 500 (REPORT_SEEDS=N for another
#      number; 200 take about 40 s on two cores).
# Also: the PDF and PNG render (pdftoppm; size, not blank), the Dutch CSV
# opens as Excel set to Dutch reads it (BOM, ';', five columns, a school
# named like a formula stays text).
. "$(dirname "$0")/lib.sh"
ATTACK="python3 $(dirname "$0")/../tools/report_attack.py"
FIX="$(dirname "$0")/../resources/report-v1"
SEEDS=${REPORT_SEEDS:-40}

# 1. the old format falls
$ATTACK attack "$FIX" >"$T/old.out"
t "old format: Kompas' 2 weapons from the total (SVG/JSON)" grep -q '^recovered: 2026-11 Kompas weapons = 2 ' "$T/old.out"
t "old format: the one pupil signal behind drugs-trade 6" grep -q '^recovered: 2026-11 Regenboog drugs-trade = 1 ' "$T/old.out"
t "old format: the text report tells 0 from 1-4" grep -q '^recovered: 2026-11 Linde weapons = 0 (left out of the old text' "$T/old.out"
t "old format: the attacker recovers dozens of cells" bash -c "grep -q '^attack: [1-9][0-9] recovered' '$T/old.out'"

# 2. the same story with vios now
for n in "hub hub" "Regenboog school" "Kompas school"; do set -- $n; mk "$1" "$2"; done
# the third school's name: a formula with both separators in it
V "$T/HYPERLINKLinde" init --kind school --name "=HYPERLINK(1);Linde, Noord" --kdf interactive >/dev/null
V "$T/hub" hub create "$T/hub.git" >/dev/null
FP=$(V "$T/hub" --json whoami | jq -r .fingerprint)
for n in Regenboog Kompas HYPERLINKLinde; do V "$T/$n" identity export -o "$T/$n.req" 2>/dev/null; V "$T/hub" hub enroll "$T/$n.req" >/dev/null; done
for n in Regenboog Kompas HYPERLINKLinde; do V "$T/$n" join "$T/hub.git" --hub-fingerprint "$FP" >/dev/null; done
sig() { local h=$1 theme=$2 day=$3 k=$4; for i in $(seq "$k"); do V "$T/$h" signal add --theme "$theme" --note "n$i" --at "$day" >/dev/null; done; }
M=$(date +%Y-%m); D=$(date +%F)
sig Regenboog weapons 2026-11-02 6; sig Kompas weapons 2026-11-03 2
sig Kompas drugs-trade 2026-11-04 5; sig Regenboog drugs-trade 2026-11-05 1
sig HYPERLINKLinde alcohol 2026-10-06 7; sig HYPERLINKLinde weapons 2026-10-07 1
sig Regenboog weapons 2026-10-08 12; sig Kompas weapons 2026-10-09 3
sig Regenboog nuisance "$D" 9; sig Kompas nuisance "$D" 4; sig HYPERLINKLinde nuisance "$D" 3
for n in Regenboog Kompas HYPERLINKLinde; do V "$T/$n" sync >/dev/null; done
V "$T/hub" hub merge >/dev/null
mkdir -p "$T/run1" "$T/run2"
t "hub report writes every format" V "$T/hub" hub report --csv "$T/run1/r.csv" --svg "$T/run1/r.svg" --pdf "$T/run1/r.pdf" --png "$T/run1/r.png" --summary "$T/run1/s.pdf"
V "$T/hub" hub report --csv "$T/run1/nl.csv" --csv-dialect excel-nl >/dev/null
V "$T/hub" --json hub report >"$T/run1/r.json"
V "$T/hub" hub report >"$T/run1/r.txt"
V "$T/hub" hub report --from 2026-11 --to "$M" --csv "$T/run2/r.csv" --svg "$T/run2/r.svg" --summary "$T/run2/s.pdf" >"$T/run2/r.txt"
V "$T/hub" --json hub report --from 2026-11 --to "$M" >"$T/run2/r.json"
$ATTACK attack "$T/run1" "$T/run2" >"$T/new.out"
t "the attacker read the runs (cells not shown to work on)" bash -c "grep -qE '^attack: 0 recovered, 0 narrowed, [1-9][0-9]* unknown' '$T/new.out'"
t "now: nothing recovered, no <5 narrowed, over both runs and every format" bash -c "! grep -qE '^(recovered|narrowed|UNSOUND)' '$T/new.out'"
t "Regenboog's 6 weapons are shown, Kompas' 2 are <5, the total 8 nowhere" bash -c "grep -q '^2026-11,Regenboog,weapons,6,' '$T/run1/r.csv' && grep -q '^2026-11,Kompas,weapons,<5,' '$T/run1/r.csv' && grep -q '^2026-11,,weapons,x,' '$T/run1/r.csv' && ! grep -q 'weapons, 2026-11: 8<' '$T/run1/r.svg'"
t "October weapons 12, 3, 1: 12 and the total 16 shown (3 + 1 = 4 leaves each 0..4)" bash -c "grep -q '^2026-10,Regenboog,weapons,12,' '$T/run1/r.csv' && grep -q '^2026-10,,weapons,16,' '$T/run1/r.csv'"
t "this month's nuisance 9, 4, 3: the 9 hidden as complement, the total 16 shown" bash -c "grep -q '^$M,Regenboog,nuisance,x,' '$T/run1/r.csv' && grep -q '^$M,,nuisance,16,' '$T/run1/r.csv'"
t "the text report lists no row for a count not shown" bash -c "! grep -E '^2026-1[01] +Kompas +weapons' '$T/run1/r.txt'"
t "no month after the current one" bash -c "jq -e --arg m '$M' '.to == \$m and all(.rows[]; .month <= \$m)' '$T/run1/r.json' >/dev/null"

# the Dutch CSV as Excel set to Dutch opens it
t "excel-nl: BOM, ';', five columns on every row, the formula name is text" python3 - "$T/run1/nl.csv" <<'PY'
import csv, io, sys
raw = open(sys.argv[1], "rb").read()
assert raw.startswith(b"\xef\xbb\xbf"), "no BOM"
rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline=""), delimiter=";"))
assert rows[0] == ["month", "school", "theme", "signals", "trend"], rows[0]
assert all(len(r) == 5 for r in rows), [r for r in rows if len(r) != 5][:3]
names = {r[1] for r in rows[1:]}
assert "'=HYPERLINK(1);Linde, Noord" in names, names
assert not any(c[:1] and c[0] in "=+-@" for r in rows for c in r if not c.lstrip("-").isdigit()), "a formula cell"
assert raw.count(b"\r\n") == len(rows), "records end with CRLF"
PY
t "rfc4180: CRLF, ',' and the same rows" bash -c "head -c 40 '$T/run1/r.csv' | grep -q \$'month,school,theme,signals,trend\r' && [ \$(wc -l <'$T/run1/r.csv') = \$(wc -l <'$T/run1/nl.csv') ]"

# the PDF and PNG render and are not blank
t "PDF: pdftoppm renders the summary and a page per school, not blank" python3 - "$T/run1/r.pdf" "$T" <<'PY'
import subprocess, sys, glob
pdf, tmp = sys.argv[1], sys.argv[2]
info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
pages = int([l for l in info.splitlines() if l.startswith("Pages:")][0].split()[1])
assert pages == 4, pages  # the summary, then Regenboog, Kompas, the third school
subprocess.run(["pdftoppm", "-r", "30", pdf, tmp + "/page"], check=True)
for f in sorted(glob.glob(tmp + "/page*.ppm")):
    data = open(f, "rb").read()
    parts = data.split(b"\n", 3)
    w, h = map(int, parts[1].split())
    px = parts[3]
    assert w > 200 and h > 200, (f, w, h)
    dark = sum(1 for i in range(0, len(px) - 2, 3) if px[i] < 128)
    assert dark > 500, (f, dark)
text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", pdf, "-"], capture_output=True, text=True, check=True).stdout
assert "hub: signals per theme per month" in text and "2026-10" in text and "not shown" in text, text[:400]
PY
t "PNG: 960 wide, a panel per school and the municipality, not blank" python3 - "$T/run1/r.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w, h = 8, b"", 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), (depth, ctype)
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
assert w == 960 and h == 90 + 250 * 4, (w, h)
raw, stride, prev, dark = zlib.decompress(idat), w * bpp, bytearray(w * bpp), 0
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    dark += sum(1 for i in range(0, stride, bpp) if line[i] < 128)
    prev = line
assert dark > 5000, dark
PY

# 3. random grids
$ATTACK sweep --tool "$BUILD/tools/t_report" --seeds "$SEEDS" >"$T/sweep.out" 2>&1
tail -n1 "$T/sweep.out"
t "$SEEDS random grids, two overlapping runs each: nothing recovered or narrowed" grep -q "^sweep: seeds 1\.\.$SEEDS, 0 failed" "$T/sweep.out"
t "the sweep exercised complements and hidden totals" bash -c "grep -qE ', x [1-9][0-9]*; totals shown [1-9][0-9]*, x [1-9]' '$T/sweep.out'"
finish
