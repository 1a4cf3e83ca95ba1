# shellcheck shell=bash
# Reading tessera-view's --state-file in the viewer suites.  Its first line
# is the screen's ("screen W H ... focus NAME ..."), then one line per qube
# ("qube NAME key value... "), keys and values separated by blanks.

# qf STATE NAME KEY [N]: the N (1) values after KEY on NAME's line
qf() {
	awk -v q="$2" -v k="$3" -v n="${4:-1}" '$1 == "qube" && $2 == q {
		for (i = 3; i < NF; i++) if ($i == k) {
			s = $(i + 1); for (j = 2; j <= n; j++) s = s " " $(i + j)
			print s; exit
		} }' "$1" 2>/dev/null
}
# hf STATE KEY: the value after KEY on the first line
hf() {
	awk -v k="$2" 'NR == 1 { for (i = 1; i < NF; i++) if ($i == k) print $(i + 1); exit }' \
	    "$1" 2>/dev/null
}
head_is() { [ "$(hf "$1" "$2")" = "$3" ]; }
qube_is() { [ "$(qf "$1" "$2" "$3")" = "$4" ]; }
# names STATE: the qubes it lists, in its order
names() { awk '$1 == "qube" { print $2 }' "$1" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
# live_at W H STATE NAME...: each is shown, connected, with a W x H picture
live_at() {
	local w=$1 h=$2 st=$3 q
	for q in "${@:4}"; do
		[ "$(qf "$st" "$q" shown)" = 1 ] && [ "$(qf "$st" "$q" connected)" = 1 ] &&
		    [ "$(qf "$st" "$q" fb 2)" = "$w $h" ] || return 1
	done
}

# view-check's output (OUT.out): its complaints, and a counter it decoded
show() { diag "$(grep -v '^counter ' "$1.out" | tail -n 20)"; }
counter() { awk -v q="$2" '$1 == "counter" && $2 == q { print $3 }' "$1.out"; }
# fails CMD...: CMD exits 1 (a check that found a difference; 2 would be
# unreadable input)
fails() { "$@"; [ $? -eq 1 ]; }
