"""Engines that run under a condition the report must flag, for
t0410-conditions.sh: MODE first, then the engine protocol's arguments; the
answer is c-scalar's, so every run is valid.

sys       spends ~0.3 s in the kernel (fresh pages: a fault each) first
noisy     reports c-scalar's total_s times a random factor from 1 to 3
throttle  adds one event to the faked thermal_throttle count under
          HOTPATH_SYSFS_ROOT, as a throttling CPU would
"""
import json
import mmap
import os
import random
import subprocess
import sys
import time

mode, args = sys.argv[1], sys.argv[2:]
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
if mode == "sys":
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        m = mmap.mmap(-1, 32 << 20)
        for off in range(0, 32 << 20, 4096):
            m[off] = 1
        m.close()
elif mode == "throttle":
    path = os.environ["HOTPATH_SYSFS_ROOT"] + \
        "/sys/devices/system/cpu/cpu0/thermal_throttle/core_throttle_count"
    n = int(open(path).read())
    with open(path, "w") as f:
        f.write("%d\n" % (n + 1))
out = subprocess.run([root + "/bin/c-scalar"] + args, capture_output=True, text=True)
if out.returncode:
    sys.stderr.write(out.stderr)
    sys.exit(out.returncode)
doc = json.loads(out.stdout)
if mode == "noisy":
    doc["timings"]["total_s"] *= 1.0 + 2.0 * random.random()
    doc["timings"]["load_s"] = doc["timings"]["compute_s"] = None
print(json.dumps(doc))
