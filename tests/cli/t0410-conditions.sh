#!/bin/sh
# Every run's conditions are measured and stored, and each warning of the
# report and `hotpath status` fires on a run made to trigger it: a sys-heavy
# engine, a noisy one, a busy neighbour process, too few runs, a (faked)
# battery, powersave governor and throttling CPU. The data is checked
# against its manifest before the first run: a changed byte is regenerated,
# and the report says so.
. "$(dirname "$0")/lib.sh"

export HOTPATH_HOME="$T/home"
HP="$BIN/hotpath"
DB="$T/h.db"
C="$ROOT/tests/cli/engines/conditions.py"
q() { sqlite3 "$DB" "$1"; }

# A laptop on battery with a powersave governor and a CPU that throttles.
S=$T/sys
mkdir -p "$S/sys/devices/system/cpu/cpu0/cpufreq" "$S/sys/devices/system/cpu/cpu0/thermal_throttle" \
         "$S/sys/class/power_supply/BAT0" "$S/sys/class/power_supply/AC"
echo powersave > "$S/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"
echo 0 > "$S/sys/devices/system/cpu/cpu0/thermal_throttle/core_throttle_count"
echo Battery > "$S/sys/class/power_supply/BAT0/type"
echo Discharging > "$S/sys/class/power_supply/BAT0/status"
echo Mains > "$S/sys/class/power_supply/AC/type"
echo 0 > "$S/sys/class/power_supply/AC/online"

cat > "$T/cfg.json" <<JSON
{"sweep": {"profile": "tiny", "repeats": 5, "warmups": 0, "threads": [1],
           "tasks": ["sessionize"], "engines": ["c-scalar"],
           "extra_engines": [
             {"name": "cond-sys", "argv": ["{python}", "$C", "sys"], "tasks": ["sessionize"]},
             {"name": "cond-noisy", "argv": ["{python}", "$C", "noisy"], "tasks": ["sessionize"]},
             {"name": "cond-throttle", "argv": ["{python}", "$C", "throttle"],
              "tasks": ["sessionize"]},
             {"name": "cond-slow", "argv": ["$ROOT/tests/cli/engines/fake.sh", "slow"],
              "tasks": ["sessionize"]}]},
 "hosts": [{"name": "local", "transport": "local", "python": "$PY"}]}
JSON

check "a sweep on the faked laptop completes" env HOTPATH_SYSFS_ROOT="$S" "$HP" -q \
    -c "$T/cfg.json" --db "$DB" sweep --engines c-scalar,cond-sys,cond-noisy,cond-throttle
w() { q "select count(*) from v_warnings where engine = '$1' and kind = '$2'"; }
check "every run is valid" test "$(q "select count(*) from runs where status <> 'ok'")" = 0
check "faults and context switches are stored per run" \
    test "$(q 'select count(*) from runs where minflt > 0 and nvcsw + nivcsw > 0')" = 20
check "other processes' CPU time is stored per run" \
    test "$(q 'select count(*) from runs where other_cpu_s >= 0')" = 20
check "the host's conditions are stored as columns" \
    test "$(q 'select governor || on_battery || aslr from host_snapshots')" = "powersave1full"
check "a sys-heavy engine is flagged kernel-heavy" test "$(w cond-sys sys)" = 1
check "the kernel-heavy warning gives the fault count" \
    sh -c "sqlite3 '$DB' \"select reason from v_warnings where kind = 'sys'\" |
           grep -q 'page faults a run'"
check "c-scalar on tiny data is not flagged kernel-heavy" test "$(w c-scalar sys)" = 0
check "a noisy engine is flagged (CV over 5 %)" test "$(w cond-noisy cv)" = 1
check "throttling during the runs is flagged" test "$(w cond-throttle throttle)" = 1
check "throttle events are counted per run" \
    test "$(q "select sum(throttled) from runs where engine = 'cond-throttle'")" = 5
check "a host on battery flags every cell" test "$(q "select count(*) from v_warnings
    where kind = 'battery'")" = 4
check "a governor other than performance flags every cell" test "$(q "select count(*) from
    v_warnings where kind = 'governor' and reason like '%powersave%'")" = 4
check "five valid runs are enough" test "$(q "select count(*) from v_warnings where kind = 'runs'")" = 0
sweep=$(q 'select uuid from sweeps')
check "status SWEEP lists the warnings" sh -c "'$HP' --db '$DB' status $sweep |
    grep -q 'cond-sys.*kernel-heavy'"
check "the report charts flagged cells, marked in the chart and the table" sh -c \
    "'$HP' -q --db '$DB' report --out '$T/rep' --format svg &&
     awk '/flagged cells/ { p = 1; next } /^#/ { p = 0 } p && /^[0-9]/ { n++ } END { exit !n }' \
         '$T/rep/median-sessionize.dat' &&
     grep -q 'cond-sys \\\\\[!.*sys' '$T/rep/report.md'"
check "the report's caveats give the reason" grep -q "kernel-heavy: system time" "$T/rep/report.md"
check "the report shows the host on battery" grep -q "| local | powersave | .* | YES |" \
    "$T/rep/report.md"
check "hosts --check warns of the governor and the battery" sh -c \
    "HOTPATH_SYSFS_ROOT='$S' '$HP' -c '$T/cfg.json' hosts --check > '$T/chk' &&
     grep -q 'governor:.*WARNING: powersave' '$T/chk' && grep -q 'power:.*WARNING: on battery' '$T/chk'"
check "hosts --check prints SMT, swap and ASLR" sh -c \
    "'$HP' -c '$T/cfg.json' hosts --check | grep -q 'ASLR:' &&
     '$HP' -c '$T/cfg.json' hosts --check | grep -q 'swap:' &&
     '$HP' -c '$T/cfg.json' hosts --check | grep -q 'SMT:'"

# A busy neighbour (a shell spinning on a CPU) during a sweep of too few runs.
sh -c 'while :; do :; done' &
busy=$!
"$HP" -q -c "$T/cfg.json" --db "$DB" sweep --engines cond-slow --repeats 3 >/dev/null 2>&1
kill "$busy"
last="(select max(id) from sweeps)"
check "another process taking CPU is flagged" test "$(q "select count(*) from v_warnings
    where sweep_id = $last and engine = 'cond-slow' and kind = 'load'")" = 1
check "fewer than 5 valid runs are flagged" test "$(q "select count(*) from v_warnings
    where sweep_id = $last and kind = 'runs' and reason like 'only 3 %'")" = 1
check "no battery without one" test "$(q "select count(*) from v_warnings
    where sweep_id = $last and kind = 'battery'")" = 0
gov=/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor
if [ ! -r $gov ] || [ "$(cat $gov)" = performance ]; then
    check "no governor warning without a powersave governor" test "$(q "select count(*) from
        v_warnings where sweep_id = $last and kind = 'governor'")" = 0
else
    skip "this host's governor is $(cat $gov): its warning is right here"
fi

# One changed byte in the cached data: found before the first run, the data
# is generated again, and the report says so.
facts=$(ls -d "$HOTPATH_HOME"/data/tiny-*)/facts.csv
printf 'X' | dd of="$facts" bs=1 seek=100 conv=notrunc 2>/dev/null
check "a sweep over changed data completes" "$HP" -q -c "$T/cfg.json" --db "$DB" sweep \
    --engines c-scalar --repeats 1
check "the changed file is named in the store" sh -c "sqlite3 '$DB' 'select regenerated from
    datasets where sweep_id = $last' | grep -q 'facts.csv: checksum mismatch'"
check "the data was generated again" sh -c "cd '$(dirname "$facts")' &&
    sha256sum facts.csv | grep -q \"\$(grep facts.csv '$CONF/SHA256SUMS' | cut -d' ' -f1)\""
check "the runs on regenerated data are valid" test "$(q "select count(*) from runs
    where sweep_id = $last and status = 'ok'")" = 1
check "the report says the data was regenerated" sh -c \
    "'$HP' -q --db '$DB' report --out '$T/rep2' --format svg &&
     grep -q 'failed its check against the manifest' '$T/rep2/report.md'"
