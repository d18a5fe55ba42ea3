#!/bin/sh
# hotpath publish against HTTPS servers on loopback with a test CA.
. "$(dirname "$0")/lib.sh"

export HOTPATH_HOME="$T/home"
HP="$BIN/hotpath"
DB="$T/p.db"
if ! command -v openssl >/dev/null; then
    skip "publish: openssl is not installed"
    exit 0
fi
"$HP" -q --db "$DB" sweep --profile tiny --tasks join --engines c-scalar --repeats 2 --threads 1

# A test CA, a server certificate for 127.0.0.1 and one for another name.
cd "$T"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
    -subj "/CN=hotpath test CA" 2>/dev/null
for name in good bad; do
    openssl req -newkey rsa:2048 -nodes -keyout $name.key -out $name.csr \
        -subj "/CN=hotpath-$name" 2>/dev/null
    if [ $name = good ]; then san="IP:127.0.0.1,DNS:localhost"; else san="DNS:wrong.invalid"; fi
    printf 'subjectAltName=%s\n' "$san" > $name.ext
    openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $name.pem \
        -days 2 -extfile $name.ext 2>/dev/null
done
cd - >/dev/null
mkdir -p "$T/log" "$T/log2"
"$PY" "$ROOT/tests/cli/https_server.py" "$T/good.pem" "$T/good.key" "$T/port" "$T/log" &
s1=$!
"$PY" "$ROOT/tests/cli/https_server.py" "$T/bad.pem" "$T/bad.key" "$T/port2" "$T/log2" &
s2=$!
s3=
trap 'kill $s1 $s2 $s3 2>/dev/null; rm -rf "$T"' EXIT
i=0
while { [ ! -s "$T/port" ] || [ ! -s "$T/port2" ]; } && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
P=$(cat "$T/port")
P2=$(cat "$T/port2")
export HP_TOKEN="tok-8f1d2c-secret"

"$HP" --db "$DB" publish --url "https://127.0.0.1:$P/ok" --cacert "$T/ca.pem" \
    --token-env HP_TOKEN >"$T/o1" 2>"$T/e1"
check "publish succeeds against a trusted HTTPS server" test $? -eq 0
check "the server got the bearer token" grep -q '"auth": "Bearer tok-8f1d2c-secret"' "$T/log/requests.jsonl"
check "the body is JSON with every run" "$PY" -c "
import json, sqlite3, sys
d = json.load(open(sys.argv[1]))
n = sqlite3.connect(sys.argv[2]).execute('select count(*) from runs').fetchone()[0]
assert d['format'] == 'hotpath-sweep/1' and len(d['runs']) == n > 0
assert d['snapshots'][0]['probe']['logical_cores'] >= 1
assert d['datasets'][0]['manifest']['files']['facts.csv']['sha256']" "$T/log/body.json" "$DB"
check "content type is application/json" grep -q '"type": "application/json"' "$T/log/requests.jsonl"

: > "$T/log/requests.jsonl"
"$HP" --db "$DB" publish --url "https://127.0.0.1:$P/flaky" --cacert "$T/ca.pem" >"$T/o2" 2>"$T/e2"
check "503 then 200: retried and succeeds" test $? -eq 0
check "the retry is said on stderr" grep -q '503' "$T/e2"
check "two requests were made" test "$(grep -c flaky "$T/log/requests.jsonl")" = 2

"$HP" --db "$DB" publish --url "https://127.0.0.1:$P/deny" --cacert "$T/ca.pem" \
    --token-env HP_TOKEN >"$T/o3" 2>"$T/e3"
check "401 fails with exit 1" test $? -eq 1
check "401 is named with the status line" grep -q 'HTTP/1.0 401 Unauthorized' "$T/e3"
check "401 is not retried" test "$(grep -c deny "$T/log/requests.jsonl")" = 1
check "the token appears in no output" sh -c "! grep -q tok-8f1d2c '$T/o1' '$T/e1' '$T/o2' '$T/e2' '$T/o3' '$T/e3'"

"$HP" --db "$DB" publish --url "https://127.0.0.1:$P/huge" --cacert "$T/ca.pem" \
    --token-env HP_TOKEN >/dev/null 2>"$T/e-huge"
check "an answer over the cap fails the publish, never cut silently" sh -c \
    "test $? -eq 1 && grep -q 'answer is over' '$T/e-huge'"

"$HP" --db "$DB" publish --url "https://127.0.0.1:$P/echo" --cacert "$T/ca.pem" \
    --token-env HP_TOKEN >"$T/o11" 2>"$T/e11"
check "a reply that echoes the token fails with exit 1" sh -c "test $? -eq 1 && grep -q 'HTTP/1.0 400' '$T/e11'"
check "the echoed token is redacted from the message" sh -c "grep -q 'redacted' '$T/e11' && ! grep -q 'tok-8f1d' '$T/o11' '$T/e11'"
check "control bytes of a reply are not printed" sh -c "! grep -q \"\$(printf '\\033')\" '$T/e11'"

"$HP" --db "$DB" publish --url "https://127.0.0.1:$P/redirect" --cacert "$T/ca.pem" 2>"$T/e4"
check "a redirect is not followed" sh -c "test $? -eq 1 && grep -q 302 '$T/e4' && ! grep -q '\"/ok\"' '$T/log/requests.jsonl'"
"$HP" --db "$DB" publish --url "http://127.0.0.1:$P/ok" 2>"$T/e5"
check "plain http:// is refused (exit 2)" sh -c "test $? -eq 2 && grep -q 'only https' '$T/e5'"
"$HP" --db "$DB" publish --url "http://192.0.2.1/ok" --insecure-http 2>"$T/e6"
check "--insecure-http is refused for a non-loopback address" test $? -eq 2
# A name that merely begins like a loopback address is not loopback,
# whatever a resolver would answer for it; the token never leaves.
mkdir -p "$T/log3"
"$PY" "$ROOT/tests/cli/https_server.py" --plain "$T/good.pem" "$T/good.key" "$T/port3" "$T/log3" &
s3=$!
i=0
while [ ! -s "$T/port3" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
P3=$(cat "$T/port3")
# Run where no name can be looked up outside (an empty network namespace
# when this machine allows one), so even a build that tried would not.
nons=""
unshare -n true 2>/dev/null && nons="unshare -n"
for u in "http://127.evil.test:$P3/ok" "http://0x7f000001.example:$P3/ok"; do
    $nons "$HP" --db "$DB" publish --url "$u" --insecure-http --token-env HP_TOKEN 2>"$T/e12"
    check "plain http to $u is refused (exit 2)" sh -c "test $? -eq 2 && grep -q 'loopback' '$T/e12'"
done
"$HP" --db "$DB" publish --url "http://localhost:$P3/ok" --insecure-http --retries 0 2>"$T/e13"
check "plain http to localhost works with --insecure-http" test $? -eq 0
"$HP" --db "$DB" publish --url "http://127.0.0.1:$P3/ok" --insecure-http \
    --retries 0 2>"$T/e14"
check "plain http to a literal loopback address works" test $? -eq 0
check "the plain server saw only the loopback requests" test "$(grep -c '"/ok"' "$T/log3/requests.jsonl")" = 2
kill $s3 2>/dev/null
"$HP" --db "$DB" publish --url "https://127.0.0.1:$P2/ok" --cacert "$T/ca.pem" --retries 0 2>"$T/e7"
check "a certificate for another name is refused" sh -c "test $? -eq 1 && grep -qi 'certificate\|ssl\|subject' '$T/e7'"
check "the mismatched server got no request" test ! -s "$T/log2/requests.jsonl"
"$HP" --db "$DB" publish --url "https://127.0.0.1:$P/ok" --retries 0 2>"$T/e8"
check "an untrusted CA is refused without --cacert" test $? -eq 1
"$HP" --db "$DB" publish --url "https://127.0.0.1:$P/ok" --token-env HP_NOPE 2>"$T/e9"
check "a missing token variable is a usage error" sh -c "test $? -eq 2 && grep -q HP_NOPE '$T/e9'"
"$HP" --db "$DB" publish --url "https://127.0.0.1:1/ok" --cacert "$T/ca.pem" --retries 1 2>"$T/e10"
check "connection refused is retried, then fails" sh -c "test $? -eq 1 && grep -q 'attempt 1 of 2' '$T/e10'"
