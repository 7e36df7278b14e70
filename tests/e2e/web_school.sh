#!/usr/bin/env bash
# The coordinator's pages (src/web/web_school.c) driven with curl: sign in,
# add a pupil, a signal, a case and an agreement through the forms (POSTs
# carrying the csrf token scraped from a page), see them on the pupil's,
# the case's and the start page; a bad date shows the one-line error and
# writes nothing; status changes go through the library's rule; the agenda,
# the lists, conflicts and the access log answer; no name reaches a URL or
# the server's log.
. "$(dirname "$0")/lib.sh"

mk s school
H="$T/s"
PORT=$((20000 + RANDOM % 20000))
U="http://127.0.0.1:$PORT"
J="$T/cookies"
"$VIOS" --home "$H" serve --port "$PORT" >"$T/serve.out" 2>"$T/serve.err" &
SRV=$!
CLEANUP="kill $SRV 2>/dev/null; wait $SRV 2>/dev/null"
for _ in $(seq 1 100); do curl -s -o /dev/null "$U/login" && break; sleep 0.1; done

# get PATH: the page's body (status in $T/get.code)
get() { curl -s -b "$J" -c "$J" -o "$T/get.body" -w '%{http_code}' "$U$1" >"$T/get.code"; cat "$T/get.body"; }
# token: the session's csrf token, from the page every form is on
token() { get /pupils | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//; s/"$//'; }
# post PATH field=value...: posts the form with the session's token; the
# body to stdout, the status and Location into $T/post.h. Values go through
# standard input (curl -d @-), never argv.
post() {
	local p=$1 tok kv body
	shift
	tok=$(token)
	body="csrf=$tok"
	for kv in "$@"; do body+="&${kv%%=*}=$(printf %s "${kv#*=}" | jq -sRr @uri)"; done
	printf %s "$body" | curl -s -b "$J" -c "$J" -D "$T/post.h" --data-binary @- "$U$p"
}
status() { sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$T/post.h"; }
location() { sed -n 's/^[Ll]ocation: *\([^[:space:]]*\).*/\1/p' "$T/post.h"; }
# snapshot: the records as the CLI lists them (between requests the server holds no store)
snapshot() { V "$H" --json pupil list; V "$H" --json signal list; V "$H" --json case list; V "$H" --json agreement list; }

# sign in: the login form's token, then the node's passphrase (on stdin)
tok=$(curl -s -c "$J" "$U/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//; s/"$//')
printf 'csrf=%s&passphrase=%s' "$tok" "$(printf %s "$VIOS_PASSPHRASE" | jq -sRr @uri)" |
	curl -s -b "$J" -c "$J" -D "$T/post.h" -o /dev/null --data-binary @- "$U/login"
t "1 sign-in answers 303 to the start page" test "$(status) $(location)" = "303 /"
get / >"$T/start0"
t "2 the start page is Dutch and lists the menu" bash -c "grep -q 'lang=\"nl\"' '$T/start0' && grep -q 'href=\"/pupils\"' '$T/start0' && grep -q 'href=\"/agenda\"' '$T/start0'"

# a pupil, with a date typed DD-MM-YYYY and a name that is markup
post /pupil-new 'name=Sam <script>x</script> de Vries' birth_date=14-05-2011 class=3B >/dev/null
P=$(location | sed -n 's|^/pupil/||p')
t "3 a pupil added through the form answers 303 to its page" grep -qE '^[0-9a-f-]{36}$' <<<"$P"
t "4 the CLI lists it, the date as YYYY-MM-DD" bash -c "'$VIOS' --home '$H' --json pupil list | jq -e '.[0].id == \"$P\" and .[0].birth_date == \"2011-05-14\" and .[0].class == \"3B\"'"
get "/pupil/$P" >"$T/pupil"
t "5 the pupil's page shows the name as text" bash -c "grep -q 'Sam &lt;script&gt;x&lt;/script&gt; de Vries' '$T/pupil' && ! grep -q '<script>' '$T/pupil'"
post /pupils q=3b >"$T/search"
t "6 a search by class finds the pupil" grep -q "href=\"/pupil/$P\"" "$T/search"
post /pupils q=nobody-by-this-name >"$T/search2"
t "7 a search that matches nothing lists no pupil" bash -c "! grep -q 'href=\"/pupil/' '$T/search2'"

# a signal about the pupil
post /signal-new theme=weapons 'note=knife seen at the gate' "pupil_id=$P" seen_at=03-11-2026 location=around \
	severity=high basis=public-task parents_informed=1 >/dev/null
t "8 a signal added through the form answers 303 to the pupil's page" test "$(status) $(location)" = "303 /pupil/$P"
S=$(V "$H" --json signal list | jq -r '.[0].id')
t "9 the CLI lists the signal, seen 2026-11-03" bash -c "'$VIOS' --home '$H' --json signal list | jq -e '.[0].pupil_id == \"$P\" and .[0].seen_at == \"2026-11-03\"'"
get "/case-new?pupil=$P&signal=$S" >"$T/caseform"
t "10 the case form offers the pupil's signal, ticked" grep -q "name=\"sig-$S\" value=\"1\" checked" "$T/caseform"

# a bad date: the one-line error, the form again with what was typed, nothing written
snapshot >"$T/before"
post /signal-new theme=weapons 'note=second look' "pupil_id=$P" seen_at=31-02-2026 basis=public-task parents_informed=1 >"$T/bad"
t "11 a bad date shows the library's one-line error" bash -c "grep -q 'class=\"error\"' '$T/bad' && grep -q '31-02-2026' '$T/bad'"
t "12 the form shows again with what was typed" grep -q 'second look</textarea>' "$T/bad"
post /pupil-new name=Another birth_date=32-13-2011 >"$T/bad2"
t "13 a pupil with a bad birth date: the error" grep -q 'class="error"' "$T/bad2"
post /agreement-new owner_role=school action=x due_date=2026-02-30 >"$T/bad3"
t "14 an agreement with a bad due date: the error" grep -q 'class="error"' "$T/bad3"
snapshot >"$T/after"
t "15 nothing was written by the refused forms" cmp -s "$T/before" "$T/after"

# a case from the pupil's signal, then an agreement on it
post /case-new "pupil_id=$P" "sig-$S=1" roles-police=1 roles-social-team=1 lead_role=social-team basis=public-task >/dev/null
C=$(location | sed -n 's|^/case/||p')
t "16 a case opened through the form answers 303 to its page" grep -qE '^[0-9a-f-]{36}$' <<<"$C"
t "17 the CLI shows the case with the signal and the roles" bash -c "'$VIOS' --home '$H' --json case show '$C' | jq -e '.case.signals == \"$S\" and .case.roles == \"police,social-team\" and .case.pupil_id == \"$P\"'"
post /agreement-new "case_id=$C" owner_role=police 'action=talk to the parents' due_date=01-01-2020 >/dev/null
t "18 an agreement added through the form answers 303 to the case" test "$(status) $(location)" = "303 /case/$C"
get / >"$T/start"
t "19 the start page shows the open case" grep -q "href=\"/case/$C\"" "$T/start"
t "20 the start page shows the overdue agreement" grep -q 'talk to the parents' "$T/start"
get "/case/$C" >"$T/case"
t "21 the case page shows its signal, agreement and pupil" bash -c "grep -q 'knife seen at the gate' '$T/case' && grep -q 'talk to the parents' '$T/case' && grep -q 'href=\"/pupil/$P\"' '$T/case'"

# the case's status: the library's transitions
post "/case/$C" status=monitoring >"$T/st1"
t "22 a status the rule does not allow: the one-line error" bash -c "grep -q 'class=\"error\"' '$T/st1' && '$VIOS' --home '$H' --json case show '$C' | jq -e '.case.status == \"reported\"'"
post "/case/$C" status=discussed >/dev/null
t "23 an allowed status change is written" bash -c "'$VIOS' --home '$H' --json case show '$C' | jq -e '.case.status == \"discussed\"'"

# a planned case meeting: the agenda lists the open case
post /meeting-new kind=case "date=$(date -d '+5 days' +%d-%m-%Y)" roles-police=1 "case_id=$C" planned=1 >/dev/null
t "24 a planned meeting added through the form" test "$(status) $(location)" = "303 /meetings"
get /agenda >"$T/agenda"
t "25 the agenda lists the open case and its overdue agreement" bash -c "grep -q 'href=\"/case/$C\"' '$T/agenda' && grep -q 'talk to the parents' '$T/agenda'"
t "25b the agenda links the meeting's page (to hold it)" grep -q 'href="/meeting/' "$T/agenda"
post /trend-new theme=weapons period=2026-11 level=rising 'note=more knives' >/dev/null
t "26 a trend added through the form" bash -c "'$VIOS' --home '$H' --json trend list | jq -e 'length == 1 and .[0].period == \"2026-11\"'"

# a signal about no pupil, closed at triage from its page (vios_signal_close)
post /signal-new theme=nuisance 'note=groups at the gate' >/dev/null
S2=$(V "$H" --json signal list --theme nuisance | jq -r '.[0].id')
get / >"$T/start2"
t "27 the start page lists the new signal, linked to its page" grep -q "href=\"/signal/$S2\"" "$T/start2"
post "/signal/$S2" reason= >"$T/close0"
t "28 closing without a reason: the one-line error, still new" bash -c "grep -q 'class=\"error\"' '$T/close0' && '$VIOS' --home '$H' --json signal show '$S2' | jq -e '.signal.triage == \"new\"'"
post "/signal/$S2" 'reason=talked to the caretaker' >/dev/null
t "29 closed from its page: 303, triage closed" bash -c "test '$(status)' = 303 && '$VIOS' --home '$H' --json signal show '$S2' | jq -e '.signal.triage == \"closed\"'"
get /signal-new >"$T/sigform"
t "30 the signal form offers the library's words (severity, where, basis)" bash -c "grep -q 'value=\"high\"' '$T/sigform' && grep -q 'value=\"around\"' '$T/sigform' && grep -q 'value=\"public-task\"' '$T/sigform'"

for p in "/signal/$S" /signals /meetings /trends /conflicts /log /signal-new /trend-new /meeting-new /agreement-new "/agreement-new?case=$C"; do
	get "$p" >/dev/null
	t "31 $p answers 200" test "$(cat "$T/get.code")" = 200
done
get /log >"$T/log"
t "32 the access log shows the case's creation" grep -q "href=\"/case/$C\"" "$T/log"
get /pupil/01a00000-0000-7000-8000-000000000000 >/dev/null
t "33 a pupil not held: 404" test "$(cat "$T/get.code")" = 404

# what the coordinator did on the command line before (wip-webmore): each
# form calls the CLI command's library function; a refusal shows its one
# line, keeps what was typed and writes nothing (the digest of the synced
# rows is unchanged).
digest() { V "$H" digest; }

# a pupil's fields, filled in from the record (vios_record_edit, as pupil edit)
get "/pupil-edit/$P" >"$T/pedit"
t "36 the pupil's edit form is filled in, the date as DD-MM-YYYY" bash -c "grep -q 'value=\"Sam &lt;script&gt;x&lt;/script&gt; de Vries\"' '$T/pedit' && grep -q 'value=\"14-05-2011\"' '$T/pedit' && grep -q 'value=\"3B\"' '$T/pedit'"
t "37 the pupil's page links its edit form" grep -q "href=\"/pupil-edit/$P\"" "$T/pupil"
d0=$(digest)
post "/pupil-edit/$P" 'name=Sam <script>x</script> de Vries' birth_date=31-02-2011 class=4A >"$T/pedit2"
t "38 a bad birth date: the one-line error, the form again with what was typed" bash -c "grep -q 'class=\"error\"' '$T/pedit2' && grep -q '31-02-2011' '$T/pedit2' && grep -q 'value=\"4A\"' '$T/pedit2'"
t "39 the refused edit wrote nothing" test "$d0" = "$(digest)"
post "/pupil-edit/$P" 'name=Sam <script>x</script> de Vries' birth_date=14-05-2011 class=4A local_id=L-77 >/dev/null
t "40 an edit answers 303 to the pupil's page" test "$(status) $(location)" = "303 /pupil/$P"
t "41 the CLI lists the new class and number" bash -c "'$VIOS' --home '$H' --json pupil list | jq -e '.[0].class == \"4A\" and .[0].local_id == \"L-77\" and .[0].birth_date == \"2011-05-14\"'"
d0=$(digest)
post "/pupil-edit/$P" 'name=Sam <script>x</script> de Vries' birth_date=14-05-2011 class= local_id=L-77 guardian_contact= form=pupil >"$T/pedit3"
t "41b an emptied class: the library's line (as pupil edit --class ''), nothing written" bash -c "grep -q 'class: mag niet leeg zijn' '$T/pedit3' && test '$d0' = \"\$('$VIOS' --home '$H' digest)\""
post "/pupil-edit/$P" 'name=Sam <script>x</script> de Vries' birth_date=14-05-2011 local_id=L-77 guardian_contact= class= >"$T/pedit4"
t "41c the emptied class as the body's last field reaches the page too (empty, not absent): the same line" bash -c "grep -q 'class: mag niet leeg zijn' '$T/pedit4' && test '$d0' = \"\$('$VIOS' --home '$H' digest)\""
get "/pupil/$P" >"$T/pupil2"
t "42 the pupil's page shows them" bash -c "grep -q '<dd>4A</dd>' '$T/pupil2' && grep -q 'L-77' '$T/pupil2'"

# the case's roles (vios_case_roles, as case roles)
get "/case/$C" >"$T/case2"
t "43 the case page has the roles, lead, marked fields and meldcode forms" bash -c "grep -q 'name=\"add-youth-work\"' '$T/case2' && grep -q 'name=\"remove-police\"' '$T/case2' && grep -q 'name=\"lead\"' '$T/case2' && grep -q 'name=\"police_info\"' '$T/case2' && grep -q 'name=\"step\"' '$T/case2'"
d0=$(digest)
post "/case/$C" form=roles remove-youth-work=1 >"$T/roles0"
t "44 removing a role the case lacks: the one-line error, nothing written" bash -c "grep -q 'class=\"error\"' '$T/roles0' && test '$d0' = \"\$('$VIOS' --home '$H' digest)\""
post "/case/$C" form=roles >"$T/roles1"
t "45 nothing ticked: the CLI's line (in Dutch, the catalog's)" grep -q 'roles: geef --add ROL' "$T/roles1"
post "/case/$C" form=roles add-youth-work=1 >/dev/null
t "46 a role added answers 303 to the case" test "$(status) $(location)" = "303 /case/$C"
t "47 the CLI shows the roles" bash -c "'$VIOS' --home '$H' --json case show '$C' | jq -e '.case.roles == \"police,social-team,youth-work\"'"

# the lead (vios_case_lead)
d0=$(digest)
post "/case/$C" form=lead lead=attendance >"$T/lead0"
t "48 a lead not taking part: the one-line error, nothing written" bash -c "grep -q 'class=\"error\"' '$T/lead0' && test '$d0' = \"\$('$VIOS' --home '$H' digest)\" && '$VIOS' --home '$H' --json case show '$C' | jq -e '.case.lead_role == \"social-team\"'"
post "/case/$C" form=lead lead=police >/dev/null
t "49 the lead changed: 303, the CLI shows it" bash -c "test '$(status)' = 303 && '$VIOS' --home '$H' --json case show '$C' | jq -e '.case.lead_role == \"police\"'"
post "/case/$C" form=roles remove-police=1 >"$T/roles2"
t "50 the lead cannot be removed: the library's line" bash -c "grep -q 'class=\"error\"' '$T/roles2' && '$VIOS' --home '$H' --json case show '$C' | jq -e '.case.roles == \"police,social-team,youth-work\"'"

# the marked fields (vios_record_edit, as case info)
d0=$(digest)
post "/case/$C" form=info "police_info=$(head -c 4001 /dev/zero | tr '\0' x)" care_info= >"$T/info0"
t "51 a police text over the limit: the one-line error, nothing written" bash -c "grep -q 'class=\"error\"' '$T/info0' && grep -q 'xxxxxxxx</textarea>' '$T/info0' && test '$d0' = \"\$('$VIOS' --home '$H' digest)\""
post "/case/$C" form=info 'police_info=known to the police for theft' 'care_info=in care at the youth team' >/dev/null
t "52 the marked fields saved: 303, the CLI shows them" bash -c "test '$(status)' = 303 && '$VIOS' --home '$H' --json case show '$C' | jq -e '.case.police_info == \"known to the police for theft\" and .case.care_info == \"in care at the youth team\"'"
# in a browser's order: the emptied field is not the last one (the form's name is)
post "/case/$C" 'police_info=known to the police for theft' care_info= form=info >/dev/null
t "53 an emptied marked field is cleared" bash -c "'$VIOS' --home '$H' --json case show '$C' | jq -e '.case.police_info == \"known to the police for theft\" and .case.care_info == null'"

# a meldcode step (vios_case_meldcode, as case meldcode)
d0=$(digest)
post "/case/$C" form=meldcode step=9 step_date=01-11-2026 >"$T/md0"
t "54 a step out of 1 to 5: the CLI's line" grep -q 'de meldcode heeft stap 1 t/m 5, niet &#39;9&#39;' "$T/md0"
post "/case/$C" form=meldcode step=5 step_date=01-11-2026 outcome=help >"$T/md1"
t "55 step 5 before 1 to 4: the library's line, what was typed kept" bash -c "grep -q 'class=\"error\"' '$T/md1' && grep -q 'value=\"01-11-2026\"' '$T/md1' && grep -q '<option value=\"help\" selected>' '$T/md1'"
t "56 the refused steps wrote nothing" test "$d0" = "$(digest)"
post "/case/$C" form=meldcode step=1 step_date=02-11-2026 'step_note=signals mapped with the mentor' >/dev/null
t "57 a step recorded: 303, the CLI shows it" bash -c "test '$(status)' = 303 && '$VIOS' --home '$H' --json case show '$C' | jq -e '.case.meldcode[0].step == 1 and .case.meldcode[0].at == \"2026-11-02\"'"
get "/case/$C" >"$T/case3"
t "58 the case page shows the step, the marked text and the roles" bash -c "grep -q 'signals mapped with the mentor' '$T/case3' && grep -q 'known to the police for theft' '$T/case3' && grep -q 'name=\"remove-youth-work\"' '$T/case3'"

# a meeting's page, held from it (vios_meeting_hold, as meeting hold)
M=$(V "$H" --json meeting list | jq -r '.[0].id')
get /meetings >"$T/meetings"
t "59 the meeting list links the meeting's page" grep -q "href=\"/meeting/$M\"" "$T/meetings"
get "/meeting/$M" >"$T/meeting"
t "60 the planned meeting's page offers the agenda's case to tick" bash -c "grep -q 'name=\"disc-$C\"' '$T/meeting' && grep -q 'name=\"minutes\"' '$T/meeting' && grep -q 'href=\"/agenda/$M\"' '$T/meeting'"
d0=$(digest)
post "/meeting/$M" 'minutes=too early' "disc-$C=1" >"$T/hold0"
t "61 holding a meeting dated ahead: the library's line, what was typed kept" bash -c "grep -q 'class=\"error\"' '$T/hold0' && grep -q 'too early</textarea>' '$T/hold0' && grep -q 'name=\"disc-$C\" value=\"1\" checked' '$T/hold0'"
post "/meeting/$M" minutes= >"$T/hold1"
t "62 no minutes: the CLI's line" grep -q 'hold: het verslag (--minutes TEXT) is verplicht' "$T/hold1"
t "63 the refused holds wrote nothing, the meeting is still planned" bash -c "test '$d0' = \"\$('$VIOS' --home '$H' digest)\" && '$VIOS' --home '$H' --json meeting list | jq -e '.[0].planned == 1'"
post "/meeting/$M" 'minutes=talked it through with the police' "held_on=$(date +%d-%m-%Y)" "disc-$C=1" >/dev/null
t "64 held: 303 to the meeting's page" test "$(status) $(location)" = "303 /meeting/$M"
t "65 the CLI lists it held, with its minutes and what was discussed" bash -c "'$VIOS' --home '$H' --json meeting list | jq -e '.[0].planned == 0 and .[0].discussed == \"$C\" and .[0].date == \"$(date +%F)\" and .[0].minutes == \"talked it through with the police\"'"
get "/meeting/$M" >"$T/meeting2"
t "66 the meeting's page shows it held, the minutes, the case discussed; no form" bash -c "grep -q 'talked it through with the police' '$T/meeting2' && grep -q 'href=\"/case/$C\"' '$T/meeting2' && ! grep -q 'name=\"minutes\"' '$T/meeting2'"

# a thematic meeting: its signals about no pupil ticked, no case offered (the library's rule)
post /signal-new theme=nuisance 'note=scooters on the square' >/dev/null
S3=$(V "$H" --json signal list --theme nuisance --new | jq -r '.[0].id')
post /meeting-new kind=thematic "date=$(date +%d-%m-%Y)" planned=1 >/dev/null
M2=$(V "$H" --json meeting list | jq -r '.[] | select(.kind == "thematic") | .id')
get "/meeting/$M2" >"$T/meeting3"
t "66b a thematic meeting offers its new signal, no case" bash -c "grep -q 'name=\"disc-$S3\"' '$T/meeting3' && ! grep -q 'name=\"disc-$C\"' '$T/meeting3'"
d0=$(digest)
post "/meeting/$M2" 'minutes=scooters discussed' "disc-$S3=1" "disc-$C=1" >"$T/hold2"
t "66c a case ticked at a thematic meeting anyway: the library's line, nothing written" bash -c "grep -q 'class=\"error\"' '$T/hold2' && test '$d0' = \"\$('$VIOS' --home '$H' digest)\""
post "/meeting/$M2" 'minutes=scooters discussed' "disc-$S3=1" >/dev/null
t "66d held: the signal is discussed, as the CLI says" bash -c "test '$(status)' = 303 && '$VIOS' --home '$H' --json signal show '$S3' | jq -e '.signal.triage == \"discussed\"' && '$VIOS' --home '$H' --json meeting list | jq -e '.[] | select(.id == \"$M2\") | .discussed == \"$S3\" and .planned == 0'"
get "/meeting/$M2" >"$T/meeting4"
t "66e the meeting's page links the signal discussed" grep -q "href=\"/signal/$S3\"" "$T/meeting4"

# an agreement's page, marked done (vios_agreement_done, as agreement done)
A=$(V "$H" --json agreement list | jq -r '.[0].id')
t "67 the case page links the agreement's page" grep -q "href=\"/agreement/$A\"" "$T/case3"
d0=$(digest)
post "/agreement/$A" "feedback=$(head -c 4001 /dev/zero | tr '\0' y)" >"$T/done0"
t "68 feedback over the limit: the library's line, still open, nothing written" bash -c "grep -q 'class=\"error\"' '$T/done0' && grep -q 'yyyyyyyy</textarea>' '$T/done0' && test '$d0' = \"\$('$VIOS' --home '$H' digest)\" && '$VIOS' --home '$H' --json agreement list | jq -e '.[0].status == \"open\"'"
post "/agreement/$A" 'feedback=parents came in on monday' >/dev/null
t "69 marked done: 303 to the agreement's page" test "$(status) $(location)" = "303 /agreement/$A"
t "70 the CLI lists it done with the feedback" bash -c "'$VIOS' --home '$H' --json agreement list | jq -e '.[0].status == \"done\" and .[0].feedback == \"parents came in on monday\"'"
get "/agreement/$A" >"$T/agr"
t "71 the agreement's page shows the feedback; no form" bash -c "grep -q 'parents came in on monday' '$T/agr' && ! grep -q 'name=\"feedback\"' '$T/agr'"
for p in /meeting/01a00000-0000-7000-8000-000000000000 /agreement/01a00000-0000-7000-8000-000000000000 /pupil-edit/01a00000-0000-7000-8000-000000000000 /meeting/x; do
	get "$p" >/dev/null
	t "72 $p: 404" test "$(cat "$T/get.code")" = 404
done

# while another vios holds the store (its run lock, an fcntl lock on run/store, as a timer's sync
# would), the sync page still answers at once: it reads the job, not the store
/usr/bin/python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.lockf(f, fcntl.LOCK_EX); open(sys.argv[2], "w").close(); time.sleep(6)' "$H/run/store" "$T/held" &
HOLD=$!
for i in $(seq 1 50); do [ -e "$T/held" ] && break; sleep 0.1; done
t0=$(date +%s%N)
get /sync >"$T/sync-held"
t1=$(date +%s%N)
t "73 /sync answers while another vios holds the store (200, in under 3 s)" bash -c "test '$(cat "$T/get.code")' = 200 && test $(((t1 - t0) / 1000000)) -lt 3000"
wait "$HOLD"

curl -s -b "$J" -o /dev/null -w '%{http_code}' --data 'name=x' "$U/pupil-new" >"$T/nocsrf"
t "34 a form POST without the token is refused (403)" test "$(cat "$T/nocsrf")" = 403
t "35 no pupil name in the server's output" bash -c "! grep -qi -e 'Sam' -e 'Vries' -e 'knife' '$T/serve.err' '$T/serve.out'"
finish
