#!/bin/sh
# WSL2 through the Windows OpenSSH server, played in the lab: the host's
# login shell is a stand-in cmd.exe (not a POSIX shell: single quotes mean
# nothing, & | < > ^ are its own, %VAR% is expanded), commands reach WSL
# through a stand-in wsl.exe, and WSL sees the folder SFTP writes to
# elsewhere (Windows' C:\ is WSL's /mnt/c; here a bind mount that exists
# only inside the stand-in's private mount namespace).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"

lab_require "the WSL lab test"
if ! su -s /bin/sh nobody -c 'unshare -r -m true' 2>/dev/null; then
    skip "the WSL lab test: no unprivileged mount namespaces here (the stand-in wsl.exe needs one)"
    exit 0
fi
trap 'lab_down; rm -rf "$T"' EXIT
HP="$BIN/hotpath"
lab_up 1
u=$(lab_user 1)
H=$LAB/h1
WIN=$H/windows
mkdir -p "$WIN" "$H/home/C" "$H/mnt/c"
chown "$u" "$H/home/C"
chmod 755 "$H" "$H/mnt" "$H/mnt/c"      # root's: nobody writes there from outside WSL

cat > "$WIN/cmd.exe" <<EOF
#!/usr/bin/python3
# sshd runs the login shell as \`SHELL -c COMMAND\`; this one reads COMMAND
# as cmd.exe would.
import os, re, sys
line = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == '-c' else ''
line = re.sub(r'%([^%]+)%', lambda m: os.environ.get(m.group(1), m.group(0)), line)
quoted = False
for ch in line:
    if ch == '"':
        quoted = not quoted
    elif not quoted and ch in '&|<>^':
        sys.stderr.write(ch + ' was unexpected at this time.\n')
        sys.exit(1)
line = line.lstrip()
if line.startswith('"'):
    end = line.index('"', 1)
    prog, rest = line[1:end], line[end + 1:]
else:
    prog = line.split(' ', 1)[0]
    rest = line[len(prog):]
path = os.path.join('$WIN', prog)
if not os.path.isfile(path):
    sys.stderr.write("'%s' is not recognized as an internal or external command,\n"
                     "operable program or batch file.\n" % prog)
    sys.exit(1)
# A Windows program gets its command line as one string and parses it.
os.execv(path, [path, rest.lstrip()])
EOF

cat > "$WIN/wsl.exe" <<EOF
#!/usr/bin/python3
# wsl.exe [-d DISTRO] (-- COMMAND LINE for the default shell | -e ARGS...)
import os, sys
line = sys.argv[1]
with open(os.path.join(os.environ['HOME'], 'wsl.log'), 'a') as f:
    f.write(line + '\n')
def msvc_split(s):
    args, cur, quoted, i, have = [], '', False, 0, False
    while i < len(s):
        c = s[i]
        if c == '\\\\':
            n = len(s[i:]) - len(s[i:].lstrip('\\\\'))
            if i + n < len(s) and s[i + n] == '"':
                cur += '\\\\' * (n // 2)
                if n % 2:
                    cur += '"'
                    i += n + 1
                    continue
                i += n
                continue
            cur += '\\\\' * n
            i += n
            continue
        if c == '"':
            quoted = not quoted
            have = True
        elif c in ' \t' and not quoted:
            if cur or have:
                args.append(cur)
            cur, have = '', False
        else:
            cur += c
        i += 1
    if cur or have:
        args.append(cur)
    return args
words = line.split(' ')
distro, mode = None, 'shell'
while words:
    w = words.pop(0)
    if w in ('-d', '--distribution') and words:
        distro = words.pop(0)
    elif w == '--':
        break
    elif w in ('-e', '--exec'):
        mode = 'exec'
        break
    elif w:
        words.insert(0, w)
        break
if distro != 'Fedora':
    sys.stderr.write('There is no distribution with the supplied name.\n')
    sys.exit(1)
rest = ' '.join(words)
argv = ['/bin/sh', '-c', rest] if mode == 'shell' else msvc_split(rest)
os.execvp('unshare', ['unshare', '-r', '-m', '/bin/sh', '-c',
                      'mount --bind "\$0" "\$1" && shift && exec "\$@"',
                      '$H/home/C', '$H/mnt/c'] + argv)
EOF
chmod 755 "$WIN" "$WIN/cmd.exe" "$WIN/wsl.exe"
usermod -s "$WIN/cmd.exe" "$u"

WD="hot path & co %PATH% 'q'"
wsl_json() {
    printf '{"sweep": {"profile": "tiny", "repeats": 1, "warmups": 0, "threads": [1], "tasks": ["groupby"], "engines": ["c-scalar", "python-loop"]}, "hosts": [%s]}' \
        "$(lab_host_json 1 ", \"python\": \"python3\", \"exec_prefix\": \"wsl.exe -d Fedora $1\"$2")"
}
mapped=", \"workdir\": \"$H/mnt/c/$WD\", \"sftp_workdir\": \"$H/home/C/$WD\""
wsl_json -- ", \"exec_shell\": \"cmd\"$mapped" > "$T/wsl.json"
lab_ctl "$HP" -c "$T/wsl.json" --db "$T/w.db" sweep 2>"$T/e1"
rc=$?
check "a sweep through cmd.exe and wsl.exe completes" sh -c "test $rc -eq 0 &&
    test \"\$(sqlite3 '$T/w.db' \"select count(*) from runs where status = 'ok'\")\" = 2"
check "SFTP wrote the bundle where Windows sees it, WSL journaled in the same folder" sh -c \
    'ls -d "$1"/bundles/*/bin/hotpath-agent && ls "$1"/journal/*.jsonl' sh "$H/home/C/$WD"
check "every command reached wsl.exe as base64 for sh, nothing cmd.exe reads" "$PY" -c '
import re, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) >= 3, lines
bad = [l for l in lines if not re.fullmatch(r"-d Fedora -- sh -c \"echo [A-Za-z0-9+/=]+ \| base64 -d \| sh\"", l)]
assert not bad, bad' "$H/home/wsl.log"

wsl_json -e ", \"exec_shell\": \"cmd\"$mapped" > "$T/wsl-e.json"
lab_ctl "$HP" -c "$T/wsl-e.json" hosts > "$T/o2" 2>&1
check "wsl.exe -e (no default shell) works the same" grep -q '^h1 .* ok ' "$T/o2"

# Without each half of the design, the same host fails.
wsl_json -- "$mapped" > "$T/posix.json"
lab_ctl "$HP" -c "$T/posix.json" hosts > "$T/o3" 2>&1
check "without exec_shell cmd: cmd.exe reads the & inside POSIX quotes itself" sh -c \
    "grep -q '^h1 .*failed' '$T/o3' && grep -q '& was unexpected at this time' '$T/o3'"
wsl_json -- ", \"exec_shell\": \"cmd\", \"workdir\": \"$H/mnt/c/other\"" > "$T/nomap.json"
lab_ctl "$HP" -c "$T/nomap.json" hosts > "$T/o4" 2>&1
check "without sftp_workdir: SFTP cannot put files where WSL reads them" sh -c \
    "grep -q '^h1 .*failed' '$T/o4' && ! grep -q '^h1 .* ok ' '$T/o4'"
