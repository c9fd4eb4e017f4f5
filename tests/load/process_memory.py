"""Resident memory of a running process, as the kernel counts it in /proc/PID/status."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1000 * 1000  # the unit of the target: "under 150 MB"


@dataclass(frozen=True)
class ResidentMemory:
    rss_bytes: int  # VmRSS: resident now
    hwm_bytes: int  # VmHWM: the most ever resident ("high water mark")

    def describe(self) -> str:
        return f"VmRSS {self.rss_bytes / MB:.1f} MB, VmHWM {self.hwm_bytes / MB:.1f} MB"


def resident_memory(pid: int) -> ResidentMemory:
    sizes = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                number, unit = value.split()
                assert unit == "kB", f"/proc reports {name} in {unit}"
                sizes[name] = int(number) * 1024
    return ResidentMemory(sizes["VmRSS"], sizes["VmHWM"])
