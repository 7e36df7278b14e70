#!/usr/bin/env bash
# Marked fields (the covenant's "fields"; schema/0010): a case's police_info
# (criminal data, GDPR art. 10) travels only to the police and its care_info
# (special-category data, art. 9) only to the social team and youth
# protection, even inside a case every role takes part in.
#
# A hub with its default covenant (`vios hub create`: police_info art10 ->
# police, care_info art9 -> social-team, youth-protection), a school, and the
# police, the social team and youth work as partners. The school opens a case
# with all three, sets both fields (each with a canary), changes the police
# information later, and adds attendance to the case afterwards (which is
# sent the case's state as it is then). Checked two ways:
#  1. through vios, on each partner: case show, case list, pupil show, signal
#     show, agreement list, conflicts (--json), and text case show;
#  2. with stock `age -d`, on every .age blob of every commit of every ref of
#     the hub repository (and of the school's outbox): whatever a partner's
#     exported identity decrypts is a gzip'd SQLite payload whose ops must
#     not hold a canary the partner may not receive; and the police (resp.
#     the social team) must find theirs there, so the check can fail.
# Decrypted payloads and exported identities live only under $T/plain and
# $T/keys, removed at exit even with KEEP=1.
#
# Expected to fail until the routing of marked fields (sync/bundle_export.c)
# and the default covenant's fields are in.
. "$(dirname "$0")/lib.sh"

PL="$T/plain" K="$T/keys"
mkdir -p "$PL" "$K" "$T/blobs"
chmod 700 "$PL" "$K"
# shellcheck disable=SC2034 # lib.sh's EXIT trap runs it
CLEANUP="rm -rf '$PL' '$K'"

nodes "hub hub" "s1 school" "pol partner police" "soc partner social-team" "yw partner youth-work" \
	"att partner attendance"
hub_world s1 pol soc yw att
PARTNERS="pol soc yw att"

R="$RANDOM$RANDOM"
CP="CANARY_P_$R"    # police information, art. 10: police only
CQ="CANARY_Q_$R"    # the police information as changed later: police only
CC="CANARY_C_$R"    # care information, art. 9: social team (and youth protection) only

# --- the default covenant marks both fields (precondition) -----------------------------------
git --git-dir "$G" show registry:covenant.json >"$T/covenant.json" 2>/dev/null
t "the default covenant marks case_file.police_info art10, received by the police only" \
	jq -e '.fields["case_file.police_info"] | .marking == "art10" and (.receives | index("police"))
		and (.receives | index("social-team") | not) and (.receives | index("youth-work") | not)
		and (.receives | index("attendance") | not)' "$T/covenant.json"
t "the default covenant marks case_file.care_info art9, received by social-team and youth-protection only" \
	jq -e '.fields["case_file.care_info"] | .marking == "art9" and (.receives | index("social-team"))
		and (.receives | index("youth-protection")) and (.receives | index("police") | not)
		and (.receives | index("youth-work") | not) and (.receives | index("attendance") | not)' "$T/covenant.json"

# --- the school's case ----------------------------------------------------------------------
P=$(V "$T/s1" pupil add --name "Pupil $R" --birth 2011-05-14)
S=$(V "$T/s1" signal add --basis public-task --parents-informed yes --theme crime --pupil "$P" --note "shoplifting $R" --where around --severity high)
CASE=$(V "$T/s1" case open --basis public-task --pupil "$P" --signals "$S" --roles police,social-team,youth-work --lead social-team \
	--police-info "arrested for theft $CP" --care-info "self-harm risk $CC")
t "the school opens the case with both marked fields" grep -qE '^[0-9a-f-]{36}$' <<<"$CASE"
AG=$(V "$T/s1" agreement add --case "$CASE" --owner youth-work --action "weekly talk $R" --due 2026-12-20)
t "the school holds both fields" bash -c "'$VIOS' --home '$T/s1' --json case show '$CASE' |
	jq -e '(.case.police_info | contains(\"$CP\")) and (.case.care_info | contains(\"$CC\"))'"

sync_all() { # school first, then the partners, twice
	local n _
	for _ in 1 2; do
		for n in s1 $PARTNERS; do V "$T/$n" sync >/dev/null 2>>"$T/.log" || return 1; done
	done
}
has_case() { V "$T/$1" --json case show "$CASE" | jq -e --arg id "$CASE" '.case.id == $id' >/dev/null; }
field_has() { # field_has NODE COLUMN CANARY: case show --json has CANARY in that column
	V "$T/$1" --json case show "$CASE" | jq -e --arg c "$3" --arg k "$2" '.case[$k] // "" | contains($c)' >/dev/null
}
# shows NODE CANARY...: NODE's case show --json has one of the canaries anywhere
shows() {
	local n=$1
	shift
	V "$T/$n" --json case show "$CASE" 2>>"$T/.log" | grep -qE "$(IFS='|'; echo "$*")"
}

t "everyone syncs" sync_all
# as opened
t "as opened: the police's case show has the police information" field_has pol police_info "$CP"
tf "as opened: the police's case show has no care information" shows pol "$CC"
t "as opened: the social team's case show has the care information" field_has soc care_info "$CC"
tf "as opened: the social team's case show has no police information" shows soc "$CP"
t "as opened: the youth work holds the case" has_case yw
tf "as opened: the youth work's case show has neither field" shows yw "$CP" "$CC"

t "the school changes the police information" V "$T/s1" case info "$CASE" --police-info "charged with theft $CQ"
t "everyone syncs again" sync_all
t "the school adds attendance to the case" V "$T/s1" case roles "$CASE" --add attendance
t "everyone syncs after attendance joined" sync_all

# --- 1. what each partner's vios shows --------------------------------------------------------
# everything of the case a partner's vios gives, into $PL/NAME.vios
views() {
	local n=$1 f="$PL/$1.vios"
	{
		V "$T/$n" --json case show "$CASE"
		V "$T/$n" case show "$CASE"
		V "$T/$n" --json case list
		V "$T/$n" --json pupil show "$P"
		V "$T/$n" --json signal show "$S"
		V "$T/$n" --json agreement list
		V "$T/$n" --json conflicts
	} >"$f" 2>>"$T/.log"
}
for n in $PARTNERS; do views "$n"; done
for n in $PARTNERS; do t "$n holds the case itself" has_case "$n"; done
t "the police's case show has the police information as changed" field_has pol police_info "$CQ"
t "the social team's case show has the care information" field_has soc care_info "$CC"
tf "the police's vios shows no care information" grep -q "$CC" "$PL/pol.vios"
tf "the social team's vios shows no police information (first)" grep -q "$CP" "$PL/soc.vios"
tf "the social team's vios shows no police information (changed)" grep -q "$CQ" "$PL/soc.vios"
for n in yw att; do
	tf "$n's vios shows neither field" grep -qE "$CP|$CQ|$CC" "$PL/$n.vios"
	t "$n's case show has no police_info or care_info value" bash -c "'$VIOS' --home '$T/$n' --json case show '$CASE' |
		jq -e '.case.police_info == null and .case.care_info == null'"
done
t "the youth work's case show has the agreement it owns (the case data did arrive)" bash -c \
	"'$VIOS' --home '$T/yw' --json case show '$CASE' | jq -e --arg a '$AG' '.agreements | map(.id) | index(\$a)'"

# --- 2. what each partner can decrypt, with stock age -----------------------------------------
for n in $PARTNERS; do V "$T/$n" identity export --secret -o "$K/$n.key" 2>>"$T/.log"; done
t "each partner's age identity exported" bash -c "for n in $PARTNERS; do grep -q '^AGE-SECRET-KEY-1' '$K/'\$n.key || exit 1; done"
# every .age blob of every commit of every ref: the hub's, and the school's outbox
blobs() {
	local g=$1 c
	for c in $(git --git-dir "$g" rev-list --all 2>/dev/null); do
		git --git-dir "$g" ls-tree -r "$c" | awk '$2 == "blob" && $4 ~ /\.age$/ { print $3 }'
	done
}
{ blobs "$G"; blobs "$T/s1/outbox.git"; } | sort -u >"$T/blobs.list"
while read -r b; do
	git --git-dir "$G" cat-file blob "$b" >"$T/blobs/$b.age" 2>/dev/null ||
		git --git-dir "$T/s1/outbox.git" cat-file blob "$b" >"$T/blobs/$b.age"
done <"$T/blobs.list"
t "the hub holds the school's bundles" test "$(git --git-dir "$G" for-each-ref refs/heads/nodes/ | wc -l)" -ge 1 -a \
	"$(wc -l <"$T/blobs.list")" -ge 1
# cells DB: the set ops of payload DB, one "col<TAB>value" line each (vios-payload-4: a table
# ops_<table> per row of tables, whose cols lists its columns; bit i of an entry's cols says
# it sets the i-th, in v_<column>)
cells() {
	local tbl cols c i
	sqlite3 -readonly "$1" "SELECT name, cols FROM tables" | while IFS='|' read -r tbl cols; do
		i=0
		for c in $cols; do
			sqlite3 -readonly "$1" "SELECT '$c' || char(9) || coalesce(v_$c, '') FROM ops_$tbl WHERE (cols >> $i) & 1" || return 1
			i=$((i + 1))
		done
	done
}
# decrypt N: the ops of every blob N's identity opens, one "col<TAB>value" line each, into
# $PL/N.ops; the number of blobs opened into $PL/N.count
decrypt() {
	local n=$1 f count=0
	: >"$PL/$n.ops"
	for f in "$T"/blobs/*.age; do
		age -d -i "$K/$n.key" -o "$PL/b.gz" "$f" 2>/dev/null || { rm -f "$PL/b.gz"; continue; }
		gunzip -c "$PL/b.gz" >"$PL/b.db" && cells "$PL/b.db" >>"$PL/$n.ops" && count=$((count + 1))
		rm -f "$PL/b.gz" "$PL/b.db"
	done
	echo "$count" >"$PL/$n.count"
}
for n in $PARTNERS; do decrypt "$n"; done
# sets N COLUMN: some op N decrypted gives COLUMN a value (not null, not empty)
sets() { awk -F '\t' -v c="$2" '$1 == c && $2 != "" { found = 1 } END { exit !found }' "$PL/$1.ops"; }
for n in $PARTNERS; do
	t "$n decrypts some bundles with stock age (gzip'd SQLite with ops)" test "$(cat "$PL/$n.count")" -ge 1
done
t "stock age: the police can decrypt the police information (first)" grep -q "$CP" "$PL/pol.ops"
t "stock age: the police can decrypt the police information (changed)" grep -q "$CQ" "$PL/pol.ops"
t "stock age: the social team can decrypt the care information" grep -q "$CC" "$PL/soc.ops"
tf "stock age: nothing the police can decrypt holds the care information" grep -q "$CC" "$PL/pol.ops"
for n in soc yw att; do
	tf "stock age: nothing $n can decrypt holds the police information" grep -qE "$CP|$CQ" "$PL/$n.ops"
	tf "stock age: nothing $n can decrypt sets police_info to a value" sets "$n" police_info
done
for n in yw att; do
	tf "stock age: nothing $n can decrypt holds the care information" grep -q "$CC" "$PL/$n.ops"
	tf "stock age: nothing $n can decrypt sets care_info to a value" sets "$n" care_info
done
tf "stock age: nothing the police can decrypt sets care_info to a value" sets pol care_info
tf "no canary in the hub repository in plain text" grep -rqaE "$CP|$CQ|$CC" "$G"
finish
