"""Peak resident memory of this process during one job, from Linux's /proc (cheap to sample,
unlike tracemalloc, which slowed the whole run about fourfold)."""

from __future__ import annotations

from pathlib import Path

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def _kib(field: str) -> int | None:
    """A `VmRSS`/`VmHWM` line of /proc/self/status in KiB (None where /proc is missing)."""
    try:
        for line in STATUS.read_text(encoding="ascii").splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class PeakRss:
    """Resets the kernel's high-water mark at the start; `growth_mb()` is the job's peak above
    the resident size it started with, `peak_mb()` the process's peak during the job."""

    def __init__(self) -> None:
        """Start measuring now."""
        try:
            # "5" resets the peak resident set size (VmHWM) to the current size.
            CLEAR_REFS.write_text("5", encoding="ascii")
            self.reset = True
        except OSError:
            self.reset = False
        self.start_kib = _kib("VmRSS") or 0

    def peak_mb(self) -> float:
        """The highest resident size since the start (whole process), in MB."""
        return (_kib("VmHWM") or 0) * 1024 / 1e6

    def growth_mb(self) -> float:
        """How far the peak rose above the resident size at the start, in MB."""
        return max((_kib("VmHWM") or 0) - self.start_kib, 0) * 1024 / 1e6
