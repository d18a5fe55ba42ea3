/* The CPU and virtualisation parts of the probe on Linux. The arm64 kernel
 * names no CPU model in /proc/cpuinfo, only implementer and part numbers:
 * the table below maps those (from the Arm, Apple, Ampere... ids the
 * kernel's cputype.h and util-linux's lscpu use). */
#include "hostcpu.h"
#include "agent.h"
#include "../common/buf.h"
#include "../common/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    unsigned id;
    const char *name;
} implementers[] = {
    {0x41, "ARM"}, {0x42, "Broadcom"}, {0x43, "Cavium"}, {0x46, "Fujitsu"},
    {0x48, "HiSilicon"}, {0x4e, "NVIDIA"}, {0x50, "APM"}, {0x51, "Qualcomm"},
    {0x61, "Apple"}, {0x6d, "Microsoft"}, {0xc0, "Ampere"},
};

static const struct {
    unsigned impl, part;
    const char *name;
} parts[] = {
    {0x41, 0xd03, "Cortex-A53"}, {0x41, 0xd04, "Cortex-A35"}, {0x41, 0xd05, "Cortex-A55"},
    {0x41, 0xd07, "Cortex-A57"}, {0x41, 0xd08, "Cortex-A72"}, {0x41, 0xd09, "Cortex-A73"},
    {0x41, 0xd0a, "Cortex-A75"}, {0x41, 0xd0b, "Cortex-A76"}, {0x41, 0xd0c, "Neoverse-N1"},
    {0x41, 0xd0d, "Cortex-A77"}, {0x41, 0xd40, "Neoverse-V1"}, {0x41, 0xd41, "Cortex-A78"},
    {0x41, 0xd44, "Cortex-X1"}, {0x41, 0xd46, "Cortex-A510"}, {0x41, 0xd47, "Cortex-A710"},
    {0x41, 0xd48, "Cortex-X2"}, {0x41, 0xd49, "Neoverse-N2"}, {0x41, 0xd4b, "Cortex-A78C"},
    {0x41, 0xd4d, "Cortex-A715"}, {0x41, 0xd4e, "Cortex-X3"}, {0x41, 0xd4f, "Neoverse-V2"},
    {0x41, 0xd80, "Cortex-A520"}, {0x41, 0xd81, "Cortex-A720"}, {0x41, 0xd82, "Cortex-X4"},
    {0x41, 0xd84, "Neoverse-V3"}, {0x41, 0xd85, "Cortex-X925"}, {0x41, 0xd87, "Cortex-A725"},
    {0x41, 0xd8e, "Neoverse-N3"},
    {0x46, 0x001, "A64FX"}, {0x48, 0xd01, "Kunpeng-920"}, {0x4e, 0x004, "Carmel"},
    {0x51, 0x001, "Oryon"}, {0x6d, 0xd49, "Cobalt-100"},
    {0x61, 0x022, "M1 Icestorm"}, {0x61, 0x023, "M1 Firestorm"},
    {0x61, 0x024, "M1 Pro Icestorm"}, {0x61, 0x025, "M1 Pro Firestorm"},
    {0x61, 0x028, "M1 Max Icestorm"}, {0x61, 0x029, "M1 Max Firestorm"},
    {0x61, 0x032, "M2 Blizzard"}, {0x61, 0x033, "M2 Avalanche"},
    {0x61, 0x034, "M2 Pro Blizzard"}, {0x61, 0x035, "M2 Pro Avalanche"},
    {0x61, 0x038, "M2 Max Blizzard"}, {0x61, 0x039, "M2 Max Avalanche"},
    {0xc0, 0xac3, "Ampere-1"}, {0xc0, 0xac4, "Ampere-1a"},
};

/* A small file's text with trailing white space cut, or NULL; /proc and
 * /sys both as tests may fake them. */
static char *slurp(const char *path)
{
    char *p = agent_host_path(path, AGENT_FAKE_SYS | AGENT_FAKE_PROC);
    char *s = agent_file_text(p);
    free(p);
    return agent_trim_end(s);
}

/* The number after "key<space/tab>*:" on the line at p, or -1. */
static long line_value(const char *p, const char *key)
{
    size_t k = strlen(key);
    if (strncmp(p, key, k) != 0)
        return -1;
    p += k;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != ':')
        return -1;
    return strtol(p + 1, NULL, 0);
}

char *hostcpu_arm_model(const char *cpuinfo)
{
    struct {
        long impl, part;
        int n;
    } kinds[16];
    int nk = 0;
    long impl = -1;
    for (const char *p = cpuinfo; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        long v;
        if ((v = line_value(p, "CPU implementer")) >= 0) {
            impl = v;
        } else if ((v = line_value(p, "CPU part")) >= 0 && impl >= 0) {
            int k = 0;
            while (k < nk && !(kinds[k].impl == impl && kinds[k].part == v))
                k++;
            if (k == nk && nk < 16) {
                kinds[nk].impl = impl;
                kinds[nk].part = v;
                kinds[nk++].n = 0;
            }
            if (k < nk)
                kinds[k].n++;
            impl = -1;
        }
    }
    if (!nk)
        return NULL;
    struct buf b;
    buf_init(&b, 4096);
    for (int k = 0; k < nk; k++) {
        const char *vendor = NULL, *name = NULL;
        for (size_t i = 0; i < sizeof implementers / sizeof implementers[0]; i++)
            if (implementers[i].id == (unsigned)kinds[k].impl)
                vendor = implementers[i].name;
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            if (parts[i].impl == (unsigned)kinds[k].impl &&
                parts[i].part == (unsigned)kinds[k].part)
                name = parts[i].name;
        char *one = name ? xasprintf("%s %s", vendor, name)
                  : vendor ? xasprintf("%s part 0x%03lx", vendor, kinds[k].part)
                           : xasprintf("implementer 0x%02lx part 0x%03lx", kinds[k].impl,
                                       kinds[k].part);
        char *item = nk > 1 ? xasprintf("%s%s x%d", k ? " + " : "", one, kinds[k].n)
                            : xstrdup(one);
        buf_add(&b, item, strlen(item));
        free(item);
        free(one);
    }
    return buf_detach(&b);
}

const char *hostcpu_wsl(const char *release)
{
    if (!release)
        return NULL;
    /* WSL 2 kernels: "5.15.153.1-microsoft-standard-WSL2"; WSL 1 reports a
     * made-up "4.4.0-19041-Microsoft". */
    if (strstr(release, "WSL2") || strstr(release, "microsoft-standard"))
        return "wsl2";
    if (strstr(release, "Microsoft") || strstr(release, "microsoft"))
        return "wsl";
    return NULL;
}

char *hostcpu_hypervisor(void)
{
    static const struct {
        const char *needle, *name;
    } dmi[] = {
        {"KVM", "kvm"}, {"QEMU", "qemu"}, {"VMware", "vmware"}, {"VirtualBox", "virtualbox"},
        {"innotek", "virtualbox"}, {"Xen", "xen"}, {"Parallels", "parallels"},
        {"Apple Virtual", "apple"}, {"Google Compute Engine", "gce"},
        {"Virtual Machine", "hyper-v"}, {"BHYVE", "bhyve"}, {"Standard PC", "qemu"},
    };
    char *name = NULL;
    const char *files[] = {"/sys/class/dmi/id/product_name", "/sys/class/dmi/id/sys_vendor"};
    for (size_t f = 0; f < 2 && !name; f++) {
        char *s = slurp(files[f]);
        for (size_t i = 0; s && !name && i < sizeof dmi / sizeof dmi[0]; i++)
            if (strstr(s, dmi[i].needle))
                name = xstrdup(dmi[i].name);
        /* EC2: "Amazon EC2" on virtual instances and metal alike; metal
         * products end in ".metal". */
        if (s && !name && f == 0) {
            char *vendor = slurp("/sys/class/dmi/id/sys_vendor");
            if (vendor && !strcmp(vendor, "Amazon EC2") && !strstr(s, ".metal"))
                name = xstrdup("nitro");
            free(vendor);
        }
        free(s);
    }
    if (!name) {
        char *xen = slurp("/sys/hypervisor/type");
        if (xen && *xen)
            name = xstrdup(xen);
        free(xen);
    }
    if (!name) {
        /* Device-tree guests: a /hypervisor node, or QEMU's "virt" board. */
        char *hv = slurp("/proc/device-tree/hypervisor/compatible");
        char *board = slurp("/proc/device-tree/compatible");
        if (hv)
            name = xstrdup(strstr(hv, "xen") ? "xen" : strstr(hv, "kvm") ? "kvm" : "hypervisor");
        else if (board && strstr(board, "linux,dummy-virt"))
            name = xstrdup("qemu");
        free(hv);
        free(board);
    }
    return name;
}

/* Value after "key\t: " in /proc/cpuinfo's first processor. */
static char *cpuinfo_field(const char *info, const char *key)
{
    for (const char *p = info; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        size_t k = strlen(key);
        if (strncmp(p, key, k) == 0 && (p[k] == '\t' || p[k] == ' ' || p[k] == ':')) {
            const char *v = strchr(p, ':');
            if (!v)
                return NULL;
            v++;
            while (*v == ' ')
                v++;
            return xasprintf("%.*s", (int)strcspn(v, "\n"), v);
        }
    }
    return NULL;
}

void hostcpu_probe_linux(json_t *o, const char *release)
{
    char *info = slurp("/proc/cpuinfo");
    char *model = info ? cpuinfo_field(info, "model name") : NULL;
    if (!model && info)
        model = hostcpu_arm_model(info);
    if (!model && info)
        model = cpuinfo_field(info, "Model");       /* a board name, better than nothing */
    if (model && *model)
        json_object_set_new(o, "cpu_model", json_string(model));
    free(model);

    char *flags = info ? cpuinfo_field(info, "flags") : NULL;
    int x86_hyper = flags && strstr(flags, " hypervisor") != NULL;
    free(flags);
    free(info);
    const char *wsl = hostcpu_wsl(release);
    char *hv = hostcpu_hypervisor();
    if (wsl) {
        json_object_set_new(o, "virtualization", json_string(wsl));
        json_object_set_new(o, "hypervisor", json_string("hyper-v"));
    } else {
        json_object_set_new(o, "virtualization", json_string(hv || x86_hyper ? "vm" : "none"));
        if (hv)
            json_object_set_new(o, "hypervisor", json_string(hv));
    }
    free(hv);
}
