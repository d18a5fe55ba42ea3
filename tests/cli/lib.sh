# Shared by the numbered CLI tests: paths, a scratch folder, and checks that
# print "ok - ..." or "not ok - ..." for tests/run.sh to count.
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=$ROOT/bin
PY=$ROOT/.venv/bin/python
[ -x "$PY" ] || PY=python3
CONF=$ROOT/../shared/conformance/tiny
# The tests never read the machine's own ~/.ssh/config (a test that wants
# one passes its own file).
HOTPATH_SSH_CONFIG=${HOTPATH_SSH_CONFIG:-/dev/null}
export HOTPATH_SSH_CONFIG
mkdir -p "$ROOT/tests/tmp"
T=$(mktemp -d "$ROOT/tests/tmp/$(basename "$0" .sh).XXXXXX")
trap 'rm -rf "$T"' EXIT

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
skip() { echo "skip - $*"; }

# check DESC CMD...: passes when CMD exits 0.
check() {
    desc=$1
    shift
    if "$@" >"$T/out" 2>"$T/err"; then ok "$desc"; else
        notok "$desc"; sed 's/^/    /' "$T/err" | head -5; fi
}

# Shared tiny data set, generated once per test run.
tiny() {
    d=$ROOT/tests/tmp/tiny
    if [ ! -f "$d/manifest.json" ]; then
        "$BIN/hotpath-gen" -q --profile tiny --dir "$d.$$" && mv "$d.$$" "$d" 2>/dev/null
        rm -rf "$d.$$"
    fi
    echo "$d"
}

# engine_cmd NAME: the command line of an engine, from workloads/engines.json.
engine_cmd() {
    "$PY" - "$1" "$ROOT" "$PY" <<'PYEOF'
import json, sys
name, root, py = sys.argv[1:4]
reg = json.load(open(root + "/workloads/engines.json"))
for e in reg["engines"]:
    if e["name"] == name:
        print(" ".join(a.replace("{bin}", root + "/bin").replace("{root}", root)
                       .replace("{python}", py) for a in e["argv"]))
PYEOF
}

# engine_list: "NAME TASK LIBRARY LENIENT" lines, one per engine and task.
engine_list() {
    "$PY" - "$ROOT" <<'PYEOF'
import json, sys
reg = json.load(open(sys.argv[1] + "/workloads/engines.json"))
for e in reg["engines"]:
    for t in e["tasks"]:
        print(e["name"], t, 1 if e.get("library") else 0, 1 if e.get("lenient") else 0)
PYEOF
}

# The key-only, root-only settings of the loopback test sshds, after their
# own Port, ListenAddress and HostKey lines.
sshd_root_conf() {   # PIDFILE AUTHORIZED_KEYS
    cat <<CFG
PidFile $1
AuthorizedKeysFile $2
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
AllowUsers root
Subsystem sftp internal-sftp
LogLevel ERROR
CFG
}
