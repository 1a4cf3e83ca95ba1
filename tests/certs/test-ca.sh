#!/usr/bin/env bash
# tessera-ca end to end, checked by real peers: openssl verify, x509,
# pkcs12, crl, and TLS handshakes between openssl s_server and s_client.
# Writes only under $TSR_TMP.  Needs: openssl, python3 (free_port, JSON).
source "$TSR_ROOT/tests/lib/tap.sh"
set -u

CA=$TSR_BUILD/bin/tessera-ca
T=$TSR_TMP
D=$T/ca
unset TESSERA_P12_PASS TESSERA_CA_CRASH
export TESSERA_CA_DIR=$T/default-ca

# --- teardown and watchdog ---
pids=()
stop_servers() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	pids=()
}
( sleep "${TSR_CA_TIMEOUT:-300}"; echo "# test-ca.sh: watchdog fired"
  kill -TERM $$ ) 2>/dev/null &
watchdog=$!
trap 'stop_servers; kill $watchdog 2>/dev/null; wait $watchdog 2>/dev/null' EXIT
trap 'exit 1' TERM INT

# --- helpers ---
ca() { "$CA" --dir "$D" "$@"; }

# A listing of the CA directory: names, modes, sizes, contents.
snapshot() {
	(cd "$1" && find . -printf '%p %m %s\n' | sort &&
	 find . -type f -exec sha256sum {} + | sort)
}

# refuse WANT_RC DESC CMD...: CMD exits WANT_RC with "tessera-ca: ..." as
# its first line on stderr (the only line unless usage), and $D is unchanged.
refuse() {
	local want=$1 desc=$2 before after rc lines
	shift 2
	before=$(snapshot "$D")
	"$@" >"$T/out" 2>"$T/err" </dev/null; rc=$?
	after=$(snapshot "$D")
	lines=$(wc -l <"$T/err")
	if [ "$rc" -eq "$want" ] && [ "$before" = "$after" ] &&
	    head -n 1 "$T/err" | grep -q '^tessera-ca: ' &&
	    { [ "$want" -eq 2 ] || [ "$lines" -eq 1 ]; } && [ ! -s "$T/out" ]; then
		pass "$desc"
	else
		fail "$desc"
		diag "exit $rc (want $want), $lines stderr lines:" "$(cat "$T/err")"
		[ "$before" = "$after" ] || diag "the CA directory changed"
	fi
}

mode() { stat -c %a "$1"; }
fpr() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f; }
# field N of NAME's current (not superseded) line in "list"
field() {
	ca list | awk -v n="$1" -v f="$2" \
	    '$1 == n && $6 != "superseded" { print $f }'
}

# TLS: start_server LOG CERT KEY [ARGS...] sets PORT; handshake LOG CERT KEY
# [ARGS...] does GET / through mutual TLS and passes on s_server's reply.
start_server() {
	local log=$1 cert=$2 key=$3
	shift 3
	rm -f "$log"	# so that ACCEPT is this server's
	PORT=$(free_port)
	openssl s_server -accept "127.0.0.1:$PORT" -naccept 1 -www \
	    -cert "$cert" -key "$key" -CAfile "$D/ca.crt" \
	    -Verify 1 -verify_return_error "$@" </dev/null >"$log" 2>&1 &
	pids+=($!)
	wait_for grep -q ACCEPT "$log"
}
handshake() {
	local log=$1 cert=$2 key=$3
	shift 3
	printf 'GET / HTTP/1.0\r\n\r\n' | timeout 20 openssl s_client \
	    -connect "127.0.0.1:$PORT" -CAfile "$D/ca.crt" \
	    -cert "$cert" -key "$key" -verify_return_error \
	    -verify_hostname localhost -ign_eof "$@" >"$log" 2>&1
	grep -q '200 ok' "$log"
}
# tls_case DESC WANT(ok|fail) LOGPAT SRVCERT SRVKEY CLICERT CLIKEY [SRVARGS]
# For a failure, LOGPAT must appear in the client's or the server's log so
# the test fails for the reason it claims.
tls_case() {
	local desc=$1 want=$2 pat=$3 sc=$4 sk=$5 cc=$6 ck=$7 rc
	local slog=$T/srv$((++ntls)).log clog=$T/cli$ntls.log
	shift 7
	if ! start_server "$slog" "$sc" "$sk" "$@"; then
		fail "$desc (s_server did not start)"
		diag "$(cat "$slog")"
		stop_servers
		return
	fi
	handshake "$clog" "$cc" "$ck"; rc=$?
	stop_servers
	if [ "$want" = ok ] && [ $rc -eq 0 ]; then
		pass "$desc"
	elif [ "$want" = fail ] && [ $rc -ne 0 ] &&
	    grep -q "$pat" "$clog" "$slog"; then
		pass "$desc"
	else
		fail "$desc"
		diag "client:" "$(tail -n 20 "$clog")" "server:" \
		    "$(tail -n 20 "$slog")"
	fi
}

# === usage ===
ok "--help exits 0" "$CA" --help
"$CA" --help >"$T/help"
for c in init issue list revoke crl renew fingerprint; do
	grep -q "^  $c" "$T/help" || fail "--help lists $c"
	ok "$c --help exits 0" "$CA" "$c" --help
done
if grep -q not-before "$T/help"; then fail "--not-before is hidden"; else pass "--not-before is hidden"; fi
"$CA" >/dev/null 2>&1; is "$?" 2 "no command: exit 2"
"$CA" frobnicate >/dev/null 2>&1; is "$?" 2 "unknown command: exit 2"

# === init ===
ok "init" ca init --name "Lab CA"
is "$(mode "$D")" 700 "CA directory is 0700"
is "$(mode "$D/ca.key")" 600 "ca.key is 0600"
is "$(mode "$D/issued")" 700 "issued/ is 0700"
ok "CA certificate is a CA" sh -c "openssl x509 -in '$D/ca.crt' -noout -text |
    grep -q 'CA:TRUE'"
ok "CA subject has its name" sh -c "openssl x509 -in '$D/ca.crt' -noout \
    -subject | grep -q 'CN = Lab CA'"
ok "CA key is P-256" sh -c "openssl pkey -in '$D/ca.key' -noout -text |
    grep -q 'NIST CURVE: P-256'"
refuse 1 "init refuses to overwrite a CA" ca init
refuse 1 "init refuses to overwrite a CA (--dir after the command)" \
    "$CA" init --dir "$D"
ok "TESSERA_CA_DIR is the default directory" "$CA" init
ok "... and it was used" test -f "$T/default-ca/ca.crt"
ok "--dir=DIR works too" "$CA" --dir="$T/ca3" init --days 30
mkdir -m 755 "$T/empty"
ok "init takes an empty directory" "$CA" --dir "$T/empty" init
is "$(mode "$T/empty")" 700 "... and makes it 0700"
mkdir -m 755 "$T/foreign"; echo hello >"$T/foreign/notes"
before=$(snapshot "$T/foreign")
"$CA" --dir "$T/foreign" init >/dev/null 2>"$T/err"
is "$?" 1 "init refuses a directory with other files"
is "$(snapshot "$T/foreign") $(mode "$T/foreign")" "$before 755" \
    "... and leaves it as it was"

# === issue ===
ok "issue server" ca issue server web --dns localhost --ip 127.0.0.1 \
    --ip ::1 --dns web.lab,vmd.lab
ok "issue client (admin)" ca issue client alice --role admin
ok "issue client (default role)" ca issue client bob
ok "issue client with --days" ca issue client carol --days 10
for n in web alice bob carol; do
	is "$(mode "$D/issued/$n.key")" 600 "$n.key is 0600"
done
ok "openssl verify accepts every issued certificate" \
    openssl verify -CAfile "$D/ca.crt" "$D"/issued/{web,alice,bob,carol}.crt
openssl x509 -in "$D/issued/web.crt" -noout -text >"$T/web.txt"
ok "server has serverAuth" grep -q "TLS Web Server Authentication" "$T/web.txt"
ok "server has its SANs" grep -q \
    "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:web.lab, DNS:vmd.lab" \
    "$T/web.txt"
ok "server key is P-256" grep -q "NIST CURVE: P-256" "$T/web.txt"
openssl x509 -in "$D/issued/alice.crt" -noout -text >"$T/alice.txt"
ok "client has clientAuth" grep -q "TLS Web Client Authentication" "$T/alice.txt"
nok "client has no serverAuth" grep -q "TLS Web Server Authentication" "$T/alice.txt"
ok "client role in the subject (admin)" grep -q "Subject: O = Tessera, OU = admin, CN = alice" "$T/alice.txt"
ok "client role in the subject (viewer)" sh -c "openssl x509 -in '$D/issued/bob.crt' \
    -noout -subject | grep -q 'OU = viewer, CN = bob'"
ok "purpose check: server cert is not a client cert" sh -c "! openssl verify \
    -purpose sslclient -CAfile '$D/ca.crt' '$D/issued/web.crt'"
ok "purpose check: client cert is not a server cert" sh -c "! openssl verify \
    -purpose sslserver -CAfile '$D/ca.crt' '$D/issued/alice.crt'"
s1=$(serial_of "$D/issued/alice.crt")
ok "serial is 128-bit positive" sh -c "echo '$s1' | grep -Eq '^[0-7]?[0-9a-f]{1,31}$'"

# === list, fingerprint ===
ok "list" ca list
is "$(field web 2) $(field web 6)" "server valid" "list: web is a valid server"
is "$(field alice 3)" admin "list: alice's role"
is "$(field web 7)" "$(fpr "$D/issued/web.crt")" "list: SHA-256 fingerprint as openssl prints it"
is "$(field alice 4)" "$s1" "list: serial"
is "$("$CA" fingerprint "$D/issued/web.crt")" "$(fpr "$D/issued/web.crt")" \
    "fingerprint FILE"
openssl x509 -in "$D/issued/web.crt" -outform DER -out "$T/web.der"
is "$("$CA" fingerprint "$T/web.der")" "$(fpr "$D/issued/web.crt")" \
    "fingerprint of a DER file"
ok "list --json is JSON with every certificate" python3 -c '
import json, sys
l = json.load(sys.stdin)
assert sorted(c["name"] for c in l) == ["alice", "bob", "carol", "web"], l
w = [c for c in l if c["name"] == "web"][0]
assert w["sans"] == ["DNS:localhost", "IP:127.0.0.1", "IP:::1", "DNS:web.lab", "DNS:vmd.lab"], w
assert w["status"] == "valid" and w["role"] is None and len(w["serial"]) == 32
' < <(ca list --json)

# === bad input: refused, exit 1 (2 for usage), nothing written ===
refuse 1 "name ../x" ca issue client ../x
refuse 1 "empty name" ca issue client ""
refuse 1 "name over 64 characters" ca issue client "$(printf 'a%.0s' {1..65})"
refuse 1 "non-ASCII name" ca issue client "café"
refuse 1 "name with a slash" ca issue client a/b
refuse 1 "name with a space" ca issue client "a b"
refuse 1 "name starting with a dot" ca issue client .x
refuse 1 "name starting with _" ca issue client _x
refuse 1 "duplicate name" ca issue client web
refuse 1 "duplicate name (same kind)" ca issue client bob
refuse 1 "bad --ip 1.2.3" ca issue server s2 --ip 1.2.3
refuse 1 "bad --ip 300.1.1.1" ca issue server s2 --ip 300.1.1.1
refuse 1 "bad --ip name" ca issue server s2 --ip localhost
refuse 1 "bad --dns" ca issue server s2 --dns 'bad_host'
refuse 1 "server without SANs" ca issue server s2
refuse 1 "client with SANs" ca issue client c2 --dns x
refuse 1 "bad --role" ca issue client c2 --role root
refuse 1 "--days 0" ca issue client c2 --days 0
refuse 1 "--days huge" ca issue client c2 --days 100000
refuse 1 "--days negative" ca issue client c2 --days -5
refuse 1 "--days not a number" ca issue client c2 --days 1x
refuse 1 "--days longer than the CA" "$CA" --dir "$T/ca3" issue client c2 --days 60
refuse 1 "bad --not-before" ca issue client c2 --not-before 2023-02-30
refuse 1 "--p12 without a passphrase" ca issue client c2 --p12
refuse 1 "--pass-file that does not exist" ca issue client c2 --p12 --pass-file "$T/nope"
refuse 1 "missing CA" "$CA" --dir "$T/nope" issue client c2
ok "... and no directory was made for it" test ! -e "$T/nope"
refuse 1 "list with a missing CA" "$CA" --dir "$T/nope" list
refuse 1 "revoke an unknown name" ca revoke nosuch
refuse 1 "revoke a bad name" ca revoke ../x
refuse 1 "renew an unknown name" ca renew nosuch
refuse 1 "renew with more than 30 days left" ca renew alice
refuse 1 "fingerprint of a missing file" ca fingerprint "$T/nope"
refuse 1 "fingerprint of a non-certificate" ca fingerprint "$D/index"
refuse 1 "bad CA --name" "$CA" --dir "$T/ca4" init --name ""
ok "... and no directory was made for it" test ! -e "$T/ca4"
refuse 2 "issue without arguments" ca issue
refuse 2 "issue with a bad kind" ca issue robot r1
refuse 2 "unknown option" ca issue client c2 --bogus
refuse 2 "option without its value" ca issue client c2 --days
refuse 2 "option of another command" ca list --force
refuse 2 "extra argument" ca list extra
refuse 2 "--pass on the command line is not an option" ca issue client c2 --p12 --pass x

# === revoke, crl ===
crlnum() { echo $(( $(openssl crl -in "$D/crl.pem" -noout -crlnumber | cut -d= -f2) )); }
n0=$(crlnum)
ok "revoke" ca revoke carol
is "$(field carol 6)" revoked "list: carol is revoked"
refuse 1 "revoke twice" ca revoke carol
ok "CRL is signed by the CA" sh -c "openssl crl -in '$D/crl.pem' -CAfile '$D/ca.crt' \
    -noout 2>&1 | grep -q 'verify OK'"
ok "CRL lists carol" sh -c "openssl crl -in '$D/crl.pem' -noout -text |
    grep -qi 'Serial Number: $(serial_of "$D/issued/carol.crt")'"
ok "CRL number went up" test "$(crlnum)" -gt "$n0"
nok "openssl verify -crl_check rejects the revoked certificate" \
    openssl verify -crl_check -CAfile "$D/ca.crt" -CRLfile "$D/crl.pem" \
    "$D/issued/carol.crt"
ok "openssl verify -crl_check accepts the others" \
    openssl verify -crl_check -CAfile "$D/ca.crt" -CRLfile "$D/crl.pem" \
    "$D/issued/bob.crt" "$D/issued/web.crt"
n1=$(crlnum)
ok "crl --days 7" ca crl --days 7
ok "CRL number went up again" test "$(crlnum)" -gt "$n1"
nu=$(date -d "$(openssl crl -in "$D/crl.pem" -noout -nextupdate | cut -d= -f2)" +%s)
ok "CRL next update is in 7 days" test $((nu - $(date +%s))) -gt $((7 * 86400 - 120)) \
    -a $((nu - $(date +%s))) -le $((7 * 86400))
refuse 1 "crl --days 0" ca crl --days 0

# === renew ===
old=$(serial_of "$D/issued/alice.crt")
oldpub=$(openssl x509 -in "$D/issued/alice.crt" -noout -pubkey)
ok "renew --force" ca renew alice --force
new=$(serial_of "$D/issued/alice.crt")
ok "renew: new serial" test "$old" != "$new"
ok "renew: new key" test "$oldpub" != "$(openssl x509 -in "$D/issued/alice.crt" -noout -pubkey)"
ok "renew: the key matches the certificate" sh -c "test \"\$(openssl x509 -in \
    '$D/issued/alice.crt' -noout -pubkey)\" = \"\$(openssl pkey -in '$D/issued/alice.key' -pubout)\""
is "$(field alice 4) $(field alice 3)" "$new admin" "renew: same role, new serial in list"
is "$(ca list | awk '$1 == "alice" && $6 == "superseded" { print $4 }')" "$old" \
    "renew: the old one is kept as superseded"
ok "renew: old certificate archived" test -f "$D/archive/$old.crt"
ok "renew: same subject" sh -c "openssl x509 -in '$D/issued/alice.crt' -noout -subject |
    grep -q 'OU = admin, CN = alice'"
ok "renew server --force" ca renew web --force
ok "renew: server keeps its SANs" sh -c "openssl x509 -in '$D/issued/web.crt' -noout \
    -ext subjectAltName | grep -q 'DNS:localhost, IP Address:127.0.0.1'"
ok "renew with under 30 days left needs no --force" ca issue client dave --days 20
ok "... renew dave" ca renew dave
refuse 1 "renew a revoked certificate" ca renew carol
ok "openssl verify accepts renewed certificates" \
    openssl verify -CAfile "$D/ca.crt" "$D"/issued/{web,alice,dave}.crt

# === expiry (--not-before) ===
ok "issue a backdated client" ca issue client old --not-before 2020-01-01 --days 30
ok "issue a backdated server" ca issue server oldsrv --dns localhost --not-before 2020-01-01 --days 30
is "$(field old 6)" expired "list: expired"
is "$(field old 5)" 2020-01-31T00:00:00Z "list: expiry"
ok "openssl verify says the backdated one has expired" sh -c "openssl verify \
    -CAfile '$D/ca.crt' '$D/issued/old.crt' 2>&1 | grep -q 'certificate has expired'"

# === another CA ===
O=$T/other
ok "another CA" "$CA" --dir "$O" init
ok "... with its own server and client" sh -c "'$CA' --dir '$O' issue server web \
    --dns localhost >/dev/null && '$CA' --dir '$O' issue client eve >/dev/null"

# === TLS handshakes ===
ntls=0
I=$D/issued
tls_case "TLS: mutual handshake with issued certificates" ok "" \
    "$I/web.crt" "$I/web.key" "$I/alice.crt" "$I/alice.key"
tls_case "TLS: client cert used as a server cert is refused (EKU)" fail \
    "unsuitable certificate purpose" \
    "$I/alice.crt" "$I/alice.key" "$I/bob.crt" "$I/bob.key"
tls_case "TLS: server cert used as a client cert is refused (EKU)" fail \
    "unsuitable certificate purpose" \
    "$I/web.crt" "$I/web.key" "$I/web.crt" "$I/web.key"
tls_case "TLS: expired server cert is refused" fail "certificate has expired" \
    "$I/oldsrv.crt" "$I/oldsrv.key" "$I/alice.crt" "$I/alice.key"
tls_case "TLS: expired client cert is refused" fail "certificate has expired" \
    "$I/web.crt" "$I/web.key" "$I/old.crt" "$I/old.key"
tls_case "TLS: server cert from another CA is refused" fail \
    "unable to get local issuer certificate" \
    "$O/issued/web.crt" "$O/issued/web.key" "$I/alice.crt" "$I/alice.key"
tls_case "TLS: client cert from another CA is refused" fail \
    "unable to get local issuer certificate" \
    "$I/web.crt" "$I/web.key" "$O/issued/eve.crt" "$O/issued/eve.key"
tls_case "TLS: with the CRL, a revoked client is refused" fail \
    "certificate revoked" \
    "$I/web.crt" "$I/web.key" "$I/carol.crt" "$I/carol.key" \
    -crl_check -CRL "$D/crl.pem"
tls_case "TLS: with the CRL, a good client is accepted" ok "" \
    "$I/web.crt" "$I/web.key" "$I/bob.crt" "$I/bob.key" \
    -crl_check -CRL "$D/crl.pem"

# === PKCS#12 ===
printf 'correct horse battery\n' >"$T/pw"
printf 'wrong\n' >"$T/bad-pw"
ok "issue --p12 --pass-file" ca issue client p12a --p12 --pass-file "$T/pw"
ln -s "$T/pw" "$T/pw-link"
ok "--pass-file through a symlink" ca issue client p12c --p12 --pass-file "$T/pw-link"
ok "--pass-file from a pipe" ca issue client p12d --p12 --pass-file <(printf 'correct horse battery')
ok "... which has the same passphrase" openssl pkcs12 -info -noout -in "$I/p12d.p12" \
    -passin "file:$T/pw"
ok "issue --p12 with TESSERA_P12_PASS" env TESSERA_P12_PASS='correct horse battery' \
    "$CA" --dir "$D" issue client p12b --role admin --p12
for n in p12a p12b; do
	is "$(mode "$I/$n.p12")" 600 "$n.p12 is 0600"
	ok "$n.p12 opens with its passphrase (no -legacy)" \
	    openssl pkcs12 -info -noout -in "$I/$n.p12" -passin "file:$T/pw"
	nok "$n.p12 does not open with a wrong passphrase" \
	    openssl pkcs12 -info -noout -in "$I/$n.p12" -passin "file:$T/bad-pw"
done
openssl pkcs12 -info -noout -in "$I/p12a.p12" -passin "file:$T/pw" >"$T/p12.txt" 2>&1
ok "PKCS#12 uses AES-256-CBC with PBKDF2" grep -q "PBES2, PBKDF2, AES-256-CBC" "$T/p12.txt"
ok "PKCS#12 MAC is SHA-256" grep -q "MAC: sha256" "$T/p12.txt"
nok "PKCS#12 has nothing legacy" grep -Eqi "RC2|3DES|TripleDES|sha1" "$T/p12.txt"
is "$(openssl pkcs12 -in "$I/p12a.p12" -passin "file:$T/pw" -clcerts -nokeys |
    openssl x509 -noout -fingerprint -sha256 | cut -d= -f2)" "$(fpr "$I/p12a.crt")" \
    "PKCS#12 holds the issued certificate"
ok "renew --p12 writes a new bundle" ca renew p12a --force --p12 --pass-file "$T/pw"
is "$(openssl pkcs12 -in "$I/p12a.p12" -passin "file:$T/pw" -clcerts -nokeys |
    openssl x509 -noout -fingerprint -sha256 | cut -d= -f2)" "$(fpr "$I/p12a.crt")" \
    "renewed PKCS#12 holds the new certificate"
ok "renew without --p12 drops the old bundle" ca renew p12b --force
ok "... it is gone" test ! -e "$I/p12b.p12"

# === concurrency: 8 parallel issues ===
cpids=()
for i in 1 2 3 4 5 6 7 8; do
	ca issue client "c$i" >"$T/c$i.out" 2>&1 &
	cpids+=($!)
done
failed=0
for p in "${cpids[@]}"; do wait "$p" || failed=$((failed + 1)); done
is "$failed" 0 "8 parallel issues all succeed"
is "$(ca list | awk '$1 ~ /^c[1-8]$/ { print $4 }' | sort -u | wc -l)" 8 \
    "8 distinct serials"
is "$(ca list | awk 'NR > 1 { print $4 }' | sort | uniq -d)" "" \
    "no serial is used twice in the index"
ok "every one verifies" openssl verify -CAfile "$D/ca.crt" "$I"/c[1-8].crt

# === crash consistency ===
printf 'tessera-ca-index 1\ncrlnumber 9\ncert 0123' >"$D/index.tmp"
ok "a partial index.tmp from a killed run does not break the next run" \
    ca issue client after1
ok "... which removed it" test ! -e "$D/index.tmp"

before=$(snapshot "$D")
TESSERA_CA_CRASH=index-write ca issue client k1 >/dev/null 2>&1
is "$?" 99 "crash while writing the index (simulated)"
ok "... left a partial index.tmp" test -s "$D/index.tmp"
ok "... the index is intact" sh -c "'$CA' --dir '$D' list >/dev/null"
is "$(field k1 1)" "" "... and has no k1"
ok "... the next run succeeds" ca issue client k1
ok "... and k1 verifies" openssl verify -CAfile "$D/ca.crt" "$I/k1.crt"

TESSERA_CA_CRASH=staged ca issue client k2 >/dev/null 2>&1
is "$?" 99 "crash after staging files, before the commit"
ok "... left k2.crt.tmp" test -e "$I/k2.crt.tmp"
is "$(field k2 1)" "" "... the index has no k2"
ok "... the next command cleans up" ca crl
ok "... k2's temporary files are gone" sh -c "! ls '$I' | grep -q '^k2\\.'"
ok "... and k2 can be issued" ca issue client k2

TESSERA_CA_CRASH=commit ca issue client k3 >/dev/null 2>&1
is "$?" 99 "crash right after the commit"
is "$(field k3 1)" k3 "... the index has k3"
ok "... k3.crt is not in place yet" test ! -e "$I/k3.crt"
ok "... the next command completes it" ca crl
is "$(fpr "$I/k3.crt")" "$(field k3 7)" "... k3.crt is the certificate in the index"
ok "... with its key" sh -c "test \"\$(openssl x509 -in '$I/k3.crt' -noout -pubkey)\" = \
    \"\$(openssl pkey -in '$I/k3.key' -pubout)\""
is "$(ls "$I" | grep -c '\.tmp$')" 0 "... no temporary files left"

old=$(serial_of "$I/k3.crt")
TESSERA_CA_CRASH=staged ca renew k3 --force >/dev/null 2>&1
is "$?" 99 "crash in renew before the commit"
ok "... the next command rolls it back" ca crl
is "$(serial_of "$I/k3.crt")" "$old" "... k3.crt is the old certificate"
is "$(field k3 4)" "$old" "... as in the index"
TESSERA_CA_CRASH=commit ca renew k3 --force >/dev/null 2>&1
is "$?" 99 "crash in renew after the commit"
ok "... the next command completes it" ca list
ok "... (list is read-only; crl recovers)" ca crl
is "$(serial_of "$I/k3.crt")" "$(field k3 4)" "... k3.crt is the new certificate"
ok "... which verifies" openssl verify -CAfile "$D/ca.crt" "$I/k3.crt"
is "$(mode "$I/k3.key")" 600 "... its key is 0600"

# === modes, all along ===
is "$(find "$D" -name '*.key' ! -perm 600 | wc -l)" 0 "every key is 0600"
is "$(find "$D" -name '*.p12' ! -perm 600 | wc -l)" 0 "every PKCS#12 is 0600"
is "$(find "$D" -type d ! -perm 700 | wc -l)" 0 "every directory is 0700"

done_testing
