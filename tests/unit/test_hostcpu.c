/* agent/hostcpu.c on recorded hosts: an arm64 /proc/cpuinfo names its CPU,
 * kernel releases of WSL 1 and 2 are told apart, and a host's DMI or device
 * tree under a fake /sys or /proc root shows its hypervisor. */
#include "harness.h"
#include "../../agent/hostcpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A Graviton2 (Neoverse-N1), two of its 64 processors. */
static const char graviton2[] =
    "processor\t: 0\nBogoMIPS\t: 243.75\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 "
    "crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs\n"
    "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\n"
    "CPU revision\t: 1\n\nprocessor\t: 1\nBogoMIPS\t: 243.75\nCPU implementer\t: 0x41\n"
    "CPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\nCPU revision\t: 1\n\n";

/* A Raspberry Pi 5 would be four Cortex-A76; a big.LITTLE phone SoC. */
static const char mixed[] =
    "processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd05\n\n"
    "processor\t: 1\nCPU implementer\t: 0x41\nCPU part\t: 0xd05\n\n"
    "processor\t: 2\nCPU implementer\t: 0x41\nCPU part\t: 0xd0b\n\n";

static void put(const char *root, const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", root, rel);
    for (char *s = strchr(path + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(path, 0755);
        *s = '/';
    }
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

TEST(test_hostcpu)
{
    char *m = hostcpu_arm_model(graviton2);
    CHECK(m && !strcmp(m, "ARM Neoverse-N1"),
          "a Graviton2's cpuinfo names its cores ARM Neoverse-N1");
    free(m);
    m = hostcpu_arm_model(mixed);
    CHECK(m && !strcmp(m, "ARM Cortex-A55 x2 + ARM Cortex-A76 x1"),
          "a big.LITTLE cpuinfo names each core kind with its count, in a stable order");
    free(m);
    m = hostcpu_arm_model("processor\t: 0\nCPU implementer\t: 0x61\nCPU part\t: 0x029\n");
    CHECK(m && !strcmp(m, "Apple M1 Max Firestorm"),
          "an Apple implementer and part are named as the Apple core");
    free(m);
    m = hostcpu_arm_model("CPU implementer\t: 0x41\nCPU part\t: 0xfff\n");
    CHECK(m && !strcmp(m, "ARM part 0xfff"),
          "an unknown part of a known implementer is named by its part number");
    free(m);
    CHECK(hostcpu_arm_model("model name\t: AMD Ryzen 9 7940HS\n") == NULL,
          "an x86 cpuinfo (no CPU implementer line) gives no ARM model");

    /* Kernel releases as recorded on each kind of host. */
    CHECK(hostcpu_wsl("5.15.153.1-microsoft-standard-WSL2") &&
          !strcmp(hostcpu_wsl("5.15.153.1-microsoft-standard-WSL2"), "wsl2"),
          "a WSL2 kernel release is told to be WSL 2");
    CHECK(!strcmp(hostcpu_wsl("6.6.36.3-microsoft-standard-WSL2+"), "wsl2"),
          "a WSL2 kernel release with a local suffix is still WSL 2");
    CHECK(!strcmp(hostcpu_wsl("4.4.0-19041-Microsoft"), "wsl"),
          "a WSL 1 kernel release (Microsoft, capitalised) is told to be WSL 1");
    CHECK(hostcpu_wsl("6.8.9-300.fc40.x86_64") == NULL,
          "a Fedora kernel release is not taken for WSL");
    CHECK(hostcpu_wsl("6.1.0-18-arm64") == NULL,
          "a Debian arm64 kernel release is not taken for WSL");

    char root[] = "/tmp/hp-hostcpu-XXXXXX";
    if (!mkdtemp(root)) {
        CHECK(0, "a temporary root for the fake /sys and /proc is made");
        return;
    }
    setenv("HOTPATH_SYSFS_ROOT", root, 1);
    setenv("HOTPATH_PROCFS_ROOT", root, 1);
    CHECK(hostcpu_hypervisor() == NULL,
          "a host with no DMI, device tree or hypervisor flag shows no hypervisor");
    put(root, "/proc/cpuinfo", graviton2);
    put(root, "/sys/class/dmi/id/sys_vendor", "Amazon EC2\n");
    put(root, "/sys/class/dmi/id/product_name", "c6g.metal\n");
    json_t *o = json_object();
    hostcpu_probe_linux(o, "6.1.0-18-arm64");
    CHECK(!strcmp(json_string_value(json_object_get(o, "cpu_model")), "ARM Neoverse-N1"),
          "the probe reads the CPU model from cpuinfo under HOTPATH_PROCFS_ROOT");
    CHECK(!strcmp(json_string_value(json_object_get(o, "virtualization")), "none"),
          "an EC2 .metal instance is bare metal");
    json_decref(o);
    put(root, "/sys/class/dmi/id/product_name", "c6g.xlarge\n");
    o = json_object();
    hostcpu_probe_linux(o, "6.1.0-18-arm64");
    CHECK(!strcmp(json_string_value(json_object_get(o, "virtualization")), "vm"),
          "an EC2 instance that is not .metal is a virtual machine");
    CHECK(!strcmp(json_string_value(json_object_get(o, "hypervisor")), "nitro"),
          "an EC2 virtual machine's hypervisor is Nitro");
    json_decref(o);
    put(root, "/sys/class/dmi/id/sys_vendor", "QEMU\n");
    put(root, "/sys/class/dmi/id/product_name", "KVM Virtual Machine\n");
    char *hv = hostcpu_hypervisor();
    CHECK(hv && !strcmp(hv, "kvm"),
          "a QEMU/KVM DMI vendor and product name show the kvm hypervisor");
    free(hv);
    o = json_object();
    hostcpu_probe_linux(o, "5.15.153.1-microsoft-standard-WSL2");
    CHECK(!strcmp(json_string_value(json_object_get(o, "virtualization")), "wsl2"),
          "a WSL2 kernel release makes the virtualization wsl2 whatever the DMI says");
    json_decref(o);
    unsetenv("HOTPATH_SYSFS_ROOT");
    unsetenv("HOTPATH_PROCFS_ROOT");
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0, "the fake root is removed");
}
