#!/usr/bin/env python3
"""report_attack.py - the steering-group member as an attacker of the hub report.

    report_attack.py attack DIR... [--truth GRID.json] [--json]
    report_attack.py sweep --tool T_REPORT --seeds N [--first S]

attack: takes everything one or more report runs published (each DIR holds
what one run wrote: r.csv, nl.csv, r.json, r.txt, r.svg, s.pdf (read with pdftotext); any may be
missing) and tries to work out any count that was not shown:

  1. facts: every value each format shows for a school's count (month,
     school, theme) or the municipality's total (month, theme): a number,
     "<5" or "x". A number in any format, or any run, for a cell another
     shows as "<5" or "x" is a recovered cell at once.
  2. bounds: "<5" is 0..4; "x" for a school's count is 5 or more (the rule
     hides only counts of 5 or more as complements, docs/disclosure.md); a
     hidden total is 0 or more. The old text report listed only rows with
     signals, so a row it leaves out is 0 (the attacker reads the old
     footer, "N rows with signals or a trend").
  3. equalities: per month and theme, total = the sum of the schools'
     counts, over every school the grid lists that month.
  4. exact rational Gaussian elimination (fractions.Fraction) over the
     equalities with the known values substituted: a variable alone in a
     row of the reduced row echelon form is determined.
  5. integer bound propagation over the equalities and the reduced rows
     until nothing changes: a variable whose bounds meet is determined;
     a "<5" whose bounds are narrower than 0..4 is "narrowed" (0 told from
     1-4, or 4 from 0-3).

For the report's structure (no count is in two equalities; one run's
months are each their own table) the propagation gives exactly the bounds
a linear program would; the RREF rows add what combinations of equalities
give when a format adds more (two runs, a format with other sums).

Prints one line per recovered or narrowed cell and a last line
"attack: R recovered, N narrowed, U unknown"; exit 0. With --truth (the
grid the run was made from) it also checks that every bound it derived
holds the true value (the attacker is sound: exit 1 otherwise).

sweep: for seeds S..S+N-1, random grids (1 to 8 schools, 4 months, the 12
themes, counts mostly 0..4 with hot spots, a school named like a formula
with the CSV separators in it on some), each published by T_REPORT over
months 1-3 and again over 2-4 (the summary PDF on every tenth seed); the attacker takes both runs. Exit 1 when it
recovers or narrows anything, or is unsound, on any seed; prints the
totals of cells shown, "<5", "x" and hidden totals, so a run that exercises
nothing shows.
"""
import csv
import io
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from fractions import Fraction

THEMES = ["weapons", "drugs-use", "drugs-trade", "alcohol", "exploitation", "sexting",
          "street-culture", "polarisation", "nuisance", "vandalism", "crime", "other"]
INF = None
MUNI = ("Municipality (all schools)", "all schools")


class Facts:
    def __init__(self):
        self.seen = {}       # key -> {value: [where...]}
        self.grid = {}       # (month, theme) -> set of schools
        self.zero = set()    # keys the old text shows to be 0

    def add(self, key, value, where):
        value = value.strip() if isinstance(value, str) else value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            value = int(value)
        if value not in ("<5", "x") and not isinstance(value, int):
            return
        self.seen.setdefault(key, {}).setdefault(value, []).append(where)
        if key[0] == "cell":
            self.grid.setdefault((key[1], key[3]), set()).add(key[2])


def cell(month, school, theme):
    return ("cell", month, school, theme)


def total(month, theme):
    return ("total", month, theme)


def read_csv(f, path, facts):
    raw = open(path, "rb").read()
    text = raw.decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    if not rows:
        return
    head = rows[0]
    if head[:4] != ["month", "school", "theme", "signals"]:
        return  # not a report (the audit's flows.csv beside it)
    for r in rows[1:]:
        if len(r) < 4:
            continue
        # undo the formula neutralisation (util/csv.h): "'=x" is the name "=x"
        r = [c[1:] if len(c) > 1 and c[0] == "'" and c[1] in "=+-@\t\r" else c for c in r]
        d = dict(zip(head, r))
        if d.get("school", "") == "":
            facts.add(total(d["month"], d["theme"]), d["signals"], f)
        else:
            facts.add(cell(d["month"], d["school"], d["theme"]), d["signals"], f)


def read_json(f, path, facts):
    doc = json.load(open(path))
    if not isinstance(doc, dict):
        return
    for r in doc.get("rows", []):
        facts.add(cell(r["month"], r["school"], r["theme"]), r["signals"], f)
    for r in doc.get("totals", []):
        facts.add(total(r["month"], r["theme"]), r["signals"], f)


def read_text(f, path, facts):
    listed = set()
    old = False
    for line in open(path):
        tok = line.split()
        if line.startswith("steering group:"):
            break  # the figures' section (vios-report-2): not read here (docs/rhythm.md, "Evaluation")
        if re.match(r"^\d+ rows with signals or a trend", line):
            old = True
        if len(tok) < 4 or not re.fullmatch(r"\d{4}-\d\d", tok[0]):
            continue
        trend = tok[-1] if tok[-1] in ("rising", "stable", "falling") else None
        body = tok[1:-1] if trend else tok[1:]
        if len(body) < 3:
            continue
        value, theme, school = body[-1], body[-2], " ".join(body[:-2])
        if school == "(all schools)":
            facts.add(total(tok[0], theme), value, f)
        else:
            facts.add(cell(tok[0], school, theme), value, f)
            listed.add(cell(tok[0], school, theme))
    return listed if old else None


def read_svg(f, path, facts):
    panel = None
    svg = open(path).read()
    for m in re.finditer(r'font-weight="bold">([^<]*)</text>|<title>([^<]*)</title>', svg):
        if m.group(1) is not None:
            panel = unxml(m.group(1))
            continue
        t = unxml(m.group(2))
        new = re.fullmatch(r"(.*), ([a-z-]+), (\d{4}-\d\d): (\S+)", t)
        old = re.fullmatch(r"([a-z-]+) (\d{4}-\d\d): (\S+)", t)
        if new:
            school, theme, month, value = new.groups()
        elif old and panel is not None:
            theme, month, value = old.groups()
            school = panel
        else:
            continue
        if school in MUNI:
            facts.add(total(month, theme), value, f)
        else:
            facts.add(cell(month, school, theme), value, f)


def read_pdf(f, path, facts):
    """The summary page's table of the municipality's totals."""
    try:
        text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", path, "-"],
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return
    months = None
    for line in text.splitlines():
        tok = line.split()
        if tok and all(re.fullmatch(r"\d{4}-\d\d", t) for t in tok) and len(tok) >= 1 and months is None:
            months = tok
            continue
        if months and tok and tok[0] in THEMES and len(tok) == len(months) + 1:
            for m, v in zip(months, tok[1:]):
                facts.add(total(m, tok[0]), v, f)


def unxml(s):
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


def gather(dirs):
    facts = Facts()
    old_text = []
    for d in dirs:
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            where = os.path.basename(os.path.normpath(d)) + "/" + name
            if name.endswith(".csv"):
                read_csv(where, p, facts)
            elif name.endswith(".json"):
                read_json(where, p, facts)
            elif name.endswith(".txt"):
                listed = read_text(where, p, facts)
                if listed is not None:
                    old_text.append(listed)
            elif name.endswith(".svg"):
                read_svg(where, p, facts)
            elif name.endswith(".pdf") and name.startswith("s"):
                read_pdf(where, p, facts)
    # the old text lists every row with signals: a row it leaves out is 0
    # (only for the months that text covers)
    for listed in old_text:
        months = {k[1] for k in listed}
        for (month, theme), schools in facts.grid.items():
            if month in months:
                for s in schools:
                    k = cell(month, s, theme)
                    if k not in listed:
                        facts.zero.add(k)
    return facts


def attack(facts):
    """Returns (recovered {key: (value, how)}, narrowed {key: (lo, hi)}, bounds {key: [lo, hi]})."""
    known, bounds, recovered = {}, {}, {}
    for key, vals in facts.seen.items():
        nums = [v for v in vals if isinstance(v, int)]
        marks = [v for v in vals if not isinstance(v, int)]
        if nums:
            known[key] = nums[0]
            if marks:
                recovered[key] = (nums[0], "shown as %d in %s, as %s in %s" % (
                    nums[0], vals[nums[0]][0], marks[0], vals[marks[0]][0]))
            continue
        lo, hi = 0, INF
        if "<5" in vals:
            hi = 4
        if "x" in vals and key[0] == "cell" and "<5" not in vals:
            lo = 5
        bounds[key] = [lo, hi]
    for key in facts.zero:
        if key in bounds:
            recovered[key] = (0, "left out of the old text report (it lists every row with signals)")
            known[key] = 0
            del bounds[key]
    # equalities: total - sum(cells) = 0
    eqs = []
    for (month, theme), schools in facts.grid.items():
        tk = total(month, theme)
        if tk not in known and tk not in bounds:
            continue
        eqs.append({tk: Fraction(1), **{cell(month, s, theme): Fraction(-1) for s in schools}})
    # substitute the known values: sum(a_i v_i) = b
    system = []
    for e in eqs:
        b = Fraction(0)
        row = {}
        for k, a in e.items():
            if k in known:
                b -= a * known[k]
            elif k in bounds:
                row[k] = a
        if row:
            system.append((row, b))
    rows = system + rref(system)
    # a variable alone in a row
    for row, b in rows:
        if len(row) == 1:
            (k, a), = row.items()
            v = b / a
            if k not in recovered:
                recovered[k] = (v, "alone in an equality of the published numbers")
    # integer bound propagation
    changed, rounds = True, 0
    while changed and rounds < 100:
        changed, rounds = False, rounds + 1
        for row, b in rows:
            for k, a in row.items():
                # a*x_k = b - sum(others): bounds of the others' sum
                lo_o, hi_o = Fraction(0), Fraction(0)
                for j, c in row.items():
                    if j == k:
                        continue
                    jl, jh = bounds[j]
                    lo_t = c * jl if c > 0 else (None if jh is INF else c * jh)
                    hi_t = (None if jh is INF else c * jh) if c > 0 else c * jl
                    lo_o = None if lo_o is None or lo_t is None else lo_o + lo_t
                    hi_o = None if hi_o is None or hi_t is None else hi_o + hi_t
                # a*x = b - S, S in [lo_o, hi_o]
                r_lo = None if hi_o is None else b - hi_o
                r_hi = None if lo_o is None else b - lo_o
                if a < 0:
                    r_lo, r_hi = (None if r_hi is None else r_hi / a), (None if r_lo is None else r_lo / a)
                else:
                    r_lo, r_hi = (None if r_lo is None else r_lo / a), (None if r_hi is None else r_hi / a)
                kl, kh = bounds[k]
                if r_lo is not None and ceil(r_lo) > kl:
                    bounds[k][0] = ceil(r_lo)
                    changed = True
                if r_hi is not None and (kh is INF or floor(r_hi) < kh):
                    bounds[k][1] = floor(r_hi)
                    changed = True
    narrowed = {}
    for k, (lo, hi) in bounds.items():
        if hi is not INF and lo == hi and k not in recovered:
            recovered[k] = (lo, "its bounds meet (integer bounds over the equalities)")
        elif "<5" in facts.seen.get(k, {}) and (lo, hi) != (0, 4) and k not in recovered:
            narrowed[k] = (lo, hi)
    return recovered, narrowed, bounds


def ceil(q):
    return -((-q.numerator) // q.denominator)


def floor(q):
    return q.numerator // q.denominator


def rref(system):
    """The reduced row echelon form of the equalities, as more equalities."""
    keys = sorted({k for row, _ in system for k in row})
    idx = {k: i for i, k in enumerate(keys)}
    m = []
    for row, b in system:
        v = [Fraction(0)] * (len(keys) + 1)
        for k, a in row.items():
            v[idx[k]] = Fraction(a)
        v[-1] = Fraction(b)
        m.append(v)
    r = 0
    for c in range(len(keys)):
        p = next((i for i in range(r, len(m)) if m[i][c] != 0), None)
        if p is None:
            continue
        m[r], m[p] = m[p], m[r]
        pv = m[r][c]
        m[r] = [x / pv for x in m[r]]
        for i in range(len(m)):
            if i != r and m[i][c] != 0:
                f = m[i][c]
                m[i] = [x - f * y for x, y in zip(m[i], m[r])]
        r += 1
        if r == len(m):
            break
    out = []
    for v in m[:r]:
        row = {keys[i]: v[i] for i in range(len(keys)) if v[i] != 0}
        if row:
            out.append((row, v[-1]))
    return out


def truth_of(grid):
    t = {}
    for r in grid["rows"]:
        t[cell(r["month"], r["school"], r["theme"])] = r["signals"]
        k = total(r["month"], r["theme"])
        t[k] = t.get(k, 0) + r["signals"]
    return t


def run_attack(dirs, truths=None, quiet=False):
    facts = gather(dirs)
    recovered, narrowed, bounds = attack(facts)
    unsound = []
    if truths is not None:
        for k, (lo, hi) in bounds.items():
            v = truths.get(k)
            if v is not None and (v < lo or (hi is not INF and v > hi)):
                unsound.append((k, v, lo, hi))
        for k, (v, _) in recovered.items():
            if truths.get(k) is not None and truths[k] != v:
                unsound.append((k, truths[k], v, v))
    if not quiet:
        for k, (v, how) in sorted(recovered.items(), key=lambda kv: str(kv[0])):
            print("recovered: %s = %s (%s)" % (" ".join(k[1:]), v, how))
        for k, (lo, hi) in sorted(narrowed.items(), key=lambda kv: str(kv[0])):
            print("narrowed: %s in %s..%s, not 0..4" % (" ".join(k[1:]), lo, hi))
        for k, v, lo, hi in unsound:
            print("UNSOUND: %s is %s, the attacker says %s..%s" % (" ".join(k[1:]), v, lo, hi))
        print("attack: %d recovered, %d narrowed, %d unknown" % (len(recovered), len(narrowed), len(bounds)))
    return recovered, narrowed, bounds, unsound, facts


def random_grid(rng, months):
    nschools = rng.randint(1, 8)
    schools = ["School %d" % i for i in range(nschools)]
    if rng.random() < 0.3:
        schools[0] = "=HYPERLINK(\"x\"), De Brug; Noord"  # a hostile name
    hot = {t: rng.random() < 0.25 for t in THEMES}
    rows = []
    data = {}
    for m in months:
        for s in schools:
            for t in THEMES:
                r = rng.random()
                if hot[t] and r < 0.6:
                    n = rng.randint(0, 15)
                elif r < 0.45:
                    n = 0
                elif r < 0.85:
                    n = rng.randint(1, 4)
                elif r < 0.95:
                    n = rng.randint(5, 9)
                else:
                    n = rng.randint(10, 30)
                data[(m, s, t)] = n
    return schools, data


def write_grid(path, schools, data, months):
    rows = [{"month": m, "school": s, "theme": t, "signals": data[(m, s, t)]}
            for m in months for s in schools for t in THEMES]
    json.dump({"municipality": "Gemeente Test", "from": months[0], "to": months[-1], "rows": rows}, open(path, "w"))
    return {"rows": rows}


def sweep(tool, seeds, first):
    months = ["2026-07", "2026-08", "2026-09", "2026-10"]
    stats = {"shown": 0, "<5": 0, "x": 0, "x total": 0, "total shown": 0}
    bad = 0
    for seed in range(first, first + seeds):
        rng = random.Random(seed)
        schools, data = random_grid(rng, months)
        with tempfile.TemporaryDirectory() as tmp:
            truths = {}
            dirs = []
            for i, ms in enumerate((months[0:3], months[1:4])):
                g = os.path.join(tmp, "grid%d.json" % i)
                grid = write_grid(g, schools, data, ms)
                truths.update(truth_of(grid))
                d = os.path.join(tmp, "run%d" % i)
                os.mkdir(d)
                # the PDF on every tenth seed: pdftotext is the slow part
                subprocess.run([tool, g, d] + ([] if seed % 10 == 0 else ["--no-pdf"]), check=True)
                dirs.append(d)
            doc = json.load(open(os.path.join(dirs[0], "r.json")))
            for r in doc["rows"]:
                v = r["signals"]
                stats["shown" if isinstance(v, int) else v] += 1
            for r in doc["totals"]:
                stats["total shown" if isinstance(r["signals"], int) else "x total"] += 1
            recovered, narrowed, bounds, unsound, _ = run_attack(dirs, truths, quiet=True)
            if recovered or narrowed or unsound:
                bad += 1
                print("seed %d: %d recovered, %d narrowed, %d unsound" % (seed, len(recovered), len(narrowed), len(unsound)))
                run_attack(dirs, truths)
    print("sweep: seeds %d..%d, %d failed; cells shown %d, <5 %d, x %d; totals shown %d, x %d" % (
        first, first + seeds - 1, bad, stats["shown"], stats["<5"], stats["x"], stats["total shown"], stats["x total"]))
    return 1 if bad else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "attack":
        dirs, truth = [], None
        i = 2
        while i < len(argv):
            if argv[i] == "--truth":
                truth = truth_of(json.load(open(argv[i + 1])))
                i += 2
            else:
                dirs.append(argv[i])
                i += 1
        _, _, _, unsound, _ = run_attack(dirs, truth)
        return 1 if unsound else 0
    if len(argv) >= 2 and argv[1] == "sweep":
        opts = dict(zip(argv[2::2], argv[3::2]))
        return sweep(opts["--tool"], int(opts.get("--seeds", "200")), int(opts.get("--first", "1")))
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
