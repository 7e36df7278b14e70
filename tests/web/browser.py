#!/usr/bin/python3
"""tests/web/browser.py - the web interface in a real browser (issue 21).

Driver: Debian's chromium, headless, driven by Debian's chromedriver through
Debian's python3-selenium (4.8; run with /usr/bin/python3, which has it):
/usr/bin/chromium with --headless=new --no-sandbox --disable-dev-shm-usage
--window-size=1280,900. No network but 127.0.0.1.

Run by tests/e2e/web_browser.sh, one phase at a time (the script starts the
servers and checks with the CLI between phases):

  browser.py school   sign in; a bad date on the pupil and signal forms
                      shows one error line and writes nothing (the CLI's
                      counts); add a pupil, a signal, a case (with the
                      signal, the police taking part) and an agreement for
                      the police through the forms; the case on the start
                      page; the case page printed to PDF (print_page); the
                      school's sync through "Sync now"; screenshots
  browser.py hub      sign in; the nodes page; "Merge now"; screenshots
  browser.py police   sign in; "Sync now"; the agreement on the start page;
                      marked done with feedback; screenshots

Environment: WEB_URL (http://127.0.0.1:PORT), VIOS_PASSPHRASE, WEB_STATE (a
JSON file the phases share with the script), WEB_SHOTS (PNG directory),
WEB_NAME / WEB_CLASS (the pupil typed), VIOS and WEB_HOME (the CLI and the
node's home, for the counts). Prints "ok   what" / "FAIL what" lines as
tests/e2e/lib.sh does; exits 1 when anything failed.
"""
import base64
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.support.ui import Select

URL = os.environ["WEB_URL"].rstrip("/")
SHOTS = os.environ["WEB_SHOTS"]
STATE = os.environ["WEB_STATE"]
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

passed = 0
failed = 0
visited = []


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + what, flush=True)
    else:
        failed += 1
        print("FAIL " + what, flush=True)
    return cond


def state_load():
    try:
        with open(STATE, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def state_save(st):
    with open(STATE, "w", encoding="utf-8") as f:
        json.dump(st, f, indent=1)


def cli_count(what):
    """How many rows `vios --json WHAT list` prints (the CLI, on the same home)."""
    out = subprocess.run([os.environ["VIOS"], "--home", os.environ["WEB_HOME"], "--json", what, "list"],
                         check=True, capture_output=True, text=True).stdout
    return len(json.loads(out))


def driver():
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        o.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def go(d, path):
    d.get(URL + path)
    visited.append(d.current_url)


def path_of(d):
    visited.append(d.current_url)
    return urllib.parse.urlsplit(d.current_url).path


def shot(d, name):
    os.makedirs(SHOTS, exist_ok=True)
    return d.save_screenshot(os.path.join(SHOTS, name + ".png"))


def field(d, name, text):
    e = d.find_element(By.NAME, name)
    e.clear()
    e.send_keys(text)


def choose(d, name, value):
    Select(d.find_element(By.NAME, name)).select_by_value(value)


def tick(d, name):
    e = d.find_element(By.NAME, name)
    if not e.is_selected():
        e.click()


def submit(d, action):
    """Clicks the button of the form posting to action, waits for the next page."""
    form = d.find_element(By.CSS_SELECTOR, 'main form[action="%s"]' % action)
    old = d.find_element(By.TAG_NAME, "html")
    form.find_elements(By.TAG_NAME, "button")[-1].click()
    # up to 60 s (a sanitizer build on a busy machine is slow)
    for _ in range(1200):
        try:
            old.tag_name
        except WebDriverException:
            break
        time.sleep(0.05)


def errors(d):
    return [e.text for e in d.find_elements(By.CSS_SELECTOR, "p.error")]


def signin(d, who):
    go(d, "/")
    check(path_of(d) == "/login", who + ": signed out, / leads to the sign-in page")
    field(d, "passphrase", os.environ["VIOS_PASSPHRASE"])
    submit(d, "/login")
    check(path_of(d) == "/" and d.find_elements(By.CSS_SELECTOR, 'form[action="/logout"]'),
          who + ": signed in with the passphrase, on the start page")


def case_ref(case_id):
    """web_case_ref's code: the last 25 bits of the id in Crockford's base32
    ("7F3KQ"; shown as "Casus 7F3KQ" in Dutch, "Case 7F3KQ" in English)."""
    b32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    bits = int(case_id[-7:], 16) & 0x1FFFFFF
    code = ""
    for _ in range(5):
        code = b32[bits & 31] + code
        bits >>= 5
    return code


def shows_ref(text, code):
    return re.search(r"\b(Casus|Case|Zaak) %s\b" % re.escape(code), text) is not None


def sync_now(d, who):
    """"Sync now": the job's page reloads itself until it shows the result."""
    go(d, "/sync")
    submit(d, "/sync")
    for _ in range(600):
        if d.find_elements(By.CSS_SELECTOR, 'main form[action="/sync"]'):
            break
        time.sleep(0.1)
    notes = [e.text for e in d.find_elements(By.CSS_SELECTOR, "p.notice")]
    check(not errors(d) and any("bundles" in n or "bundels" in n for n in notes),
          who + ": Sync now ends with the sync's line: " + " | ".join(notes + errors(d)))


def phase_school(d, st):
    name, klass = os.environ["WEB_NAME"], os.environ["WEB_CLASS"]
    signin(d, "school")
    shot(d, "start-empty")
    pupils0, signals0 = cli_count("pupil"), cli_count("signal")

    # a bad date: the one-line error, the values kept, nothing written
    go(d, "/pupil-new")
    field(d, "name", name)
    field(d, "class", klass)
    field(d, "birth_date", "2026-13-01")
    submit(d, "/pupil-new")
    e = errors(d)
    check(path_of(d) == "/pupil-new" and len(e) == 1 and "\n" not in e[0] and e[0],
          "pupil form, birth date 2026-13-01: the form again with one error line: %s" % e)
    check(d.find_element(By.NAME, "name").get_attribute("value") == name, "  the name typed is kept")
    check(cli_count("pupil") == pupils0, "  no pupil written (vios --json pupil list)")

    go(d, "/signal-new")
    choose(d, "theme", "weapons")
    field(d, "note", "bad date note")
    field(d, "seen_at", "31-02-2026")
    submit(d, "/signal-new")
    e = errors(d)
    check(path_of(d) == "/signal-new" and len(e) == 1 and e[0], "signal form, date 31-02-2026: one error line: %s" % e)
    st["bad_date_error"] = e[0] if e else ""
    check(cli_count("signal") == signals0, "  no signal written (vios --json signal list count unchanged)")

    # the pupil
    go(d, "/pupil-new")
    field(d, "name", name)
    field(d, "class", klass)
    field(d, "birth_date", "14-05-2011")
    submit(d, "/pupil-new")
    m = re.fullmatch("/pupil/(" + UUID + ")", path_of(d))
    check(m is not None, "a pupil added through the form: its page /pupil/ID")
    pupil = st["pupil"] = m.group(1) if m else ""
    check(name in d.find_element(By.TAG_NAME, "main").text, "  shows the name")

    # the signal, about the pupil
    go(d, "/signal-new")
    choose(d, "theme", "weapons")
    field(d, "note", "knife seen in the bag")
    choose(d, "pupil_id", pupil)
    field(d, "seen_at", "30-11-2026")
    choose(d, "basis", "public-task")
    choose(d, "parents_informed", "1")
    submit(d, "/signal-new")
    check(not errors(d) and path_of(d) == "/pupil/" + pupil, "a signal added through the form: back on the pupil's page")
    check("knife seen in the bag" in d.find_element(By.TAG_NAME, "main").text, "  which lists the signal")
    check(cli_count("signal") == signals0 + 1, "  the CLI counts one signal more")
    shot(d, "pupil")

    # the case: the pupil, its signal, the police
    go(d, "/case-new?pupil=" + pupil)
    choose(d, "pupil_id", pupil)
    sigs = d.find_elements(By.CSS_SELECTOR, 'input[type="checkbox"][name^="sig-"]')
    check(len(sigs) == 1, "the case form offers the pupil's signal")
    for s in sigs:
        if not s.is_selected():
            s.click()
    tick(d, "roles-police")
    choose(d, "lead_role", "police")
    choose(d, "basis", "public-task")
    submit(d, "/case-new")
    m = re.fullmatch("/case/(" + UUID + ")", path_of(d))
    check(m is not None and not errors(d), "a case opened through the form: its page /case/ID %s" % errors(d))
    case = st["case"] = m.group(1) if m else ""
    ref = st["ref"] = case_ref(case) if case else "?"
    main = d.find_element(By.TAG_NAME, "main").text
    check(shows_ref(main, ref) and name in main, "  the case page shows its reference (Casus %s) and the pupil" % ref)

    # an agreement for the police
    go(d, "/agreement-new?case=" + case)
    choose(d, "case_id", case)
    choose(d, "owner_role", "police")
    field(d, "action", "talk to the pupil and the parents")
    field(d, "due_date", "20-12-2026")
    submit(d, "/agreement-new")
    check(not errors(d) and path_of(d) == "/case/" + case, "an agreement for the police through the form: back on the case %s" % errors(d))
    check("talk to the pupil and the parents" in d.find_element(By.TAG_NAME, "main").text, "  the case page lists it")
    shot(d, "case")

    # the case summary as PDF, as the browser prints it
    pdf = base64.b64decode(d.print_page(PrintOptions()))
    with open(os.path.join(SHOTS, "case-summary.pdf"), "wb") as f:
        f.write(pdf)
    check(pdf[:5] == b"%PDF-", "the case page printed to PDF (print_page)")

    # the start page shows the case
    go(d, "/")
    check(d.find_elements(By.CSS_SELECTOR, 'main a[href="/case/%s"]' % case), "the start page links the case")
    check(shows_ref(d.find_element(By.TAG_NAME, "main").text, ref), "  by its reference")
    shot(d, "start")
    go(d, "/agenda")
    check(d.find_elements(By.CSS_SELECTOR, "main h1") and not errors(d), "the agenda page")
    shot(d, "agenda")
    go(d, "/pupils")
    shot(d, "pupils")
    sync_now(d, "school")
    shot(d, "sync")


def phase_hub(d, st):
    signin(d, "hub")
    check(len(d.find_elements(By.CSS_SELECTOR, "main table tr")) >= 3, "the hub's nodes page lists the nodes")
    shot(d, "hub-nodes")
    go(d, "/merge")
    submit(d, "/merge")
    text = d.find_element(By.TAG_NAME, "main").text
    check(path_of(d) == "/merge" and not errors(d) and re.search(r"\d+ (nodes|knooppunten), \d+", text),
          "Merge now: the merge's line on the page %s" % errors(d))
    shot(d, "hub-merge")
    go(d, "/covenant")
    shot(d, "hub-covenant")


def phase_police(d, st):
    signin(d, "police")
    sync_now(d, "police")
    go(d, "/")
    links = d.find_elements(By.CSS_SELECTOR, 'main a[href^="/agreement/"]')
    hrefs = [a.get_attribute("href") for a in links]
    check(len(hrefs) == 1, "the police's start page lists the school's agreement: %s" % hrefs)
    check(shows_ref(d.find_element(By.TAG_NAME, "main").text, st.get("ref", "?")), "  and the case by its reference")
    shot(d, "partner-start")
    if not hrefs:
        return
    agreement = st["agreement"] = hrefs[0].rsplit("/", 1)[1]
    go(d, "/agreement/" + agreement)
    check("talk to the pupil and the parents" in d.find_element(By.TAG_NAME, "main").text, "the agreement's page")
    field(d, "feedback", "talked to the parents, plan agreed")
    submit(d, "/agreement/" + agreement)
    main = d.find_element(By.TAG_NAME, "main").text
    check(not errors(d) and path_of(d) == "/agreement/" + agreement and "talked to the parents, plan agreed" in main
          and not d.find_elements(By.NAME, "feedback"),
          "marked done with feedback: the page shows it done, no form left %s" % errors(d))
    shot(d, "partner-agreement")
    go(d, "/case/" + st.get("case", ""))
    shot(d, "partner-case")


def main():
    phase = sys.argv[1]
    st = state_load()
    d = driver()
    try:
        {"school": phase_school, "hub": phase_hub, "police": phase_police}[phase](d, st)
    except Exception as e:  # the page as it was, for the log
        check(False, "%s: %s: %s" % (phase, type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
        try:
            shot(d, "error-" + phase)
            print("     at " + d.current_url, flush=True)
        except WebDriverException:
            pass
    finally:
        d.quit()
    st.setdefault("urls", []).extend(visited)
    state_save(st)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
