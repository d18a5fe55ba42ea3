#ifndef HP_HOSTCPU_H
#define HP_HOSTCPU_H
/* What a Linux host's CPU is, and whether it runs under a hypervisor or in
 * WSL. /proc and /sys are read under HOTPATH_PROCFS_ROOT and
 * HOTPATH_SYSFS_ROOT when those are set, so tests can lay out a recorded
 * host's files. */
#include <jansson.h>

/* The CPU of an arm64 /proc/cpuinfo from its "CPU implementer" and "CPU
 * part" lines: "ARM Neoverse-N1", "ARM Cortex-A76 x4 + ARM Cortex-A55 x4"
 * for mixed cores, "implementer 0x.. part 0x..." when the pair is not
 * known; NULL without those lines. The caller frees it. */
char *hostcpu_arm_model(const char *cpuinfo);

/* "wsl2" or "wsl" (WSL 1) from a kernel release, else NULL. */
const char *hostcpu_wsl(const char *release);

/* The hypervisor named by DMI, /sys/hypervisor or the device tree (e.g.
 * "kvm", "qemu", "vmware", "hyper-v", "xen", "apple"), or NULL when none
 * is seen. The caller frees it. */
char *hostcpu_hypervisor(void);

/* Sets cpu_model, virtualization ("none", "vm", "wsl2", "wsl") and, where
 * known, hypervisor. */
void hostcpu_probe_linux(json_t *o, const char *release);
#endif
