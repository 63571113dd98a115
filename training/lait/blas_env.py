"""OpenBLAS kernel choice for the training scripts. Call configure_openblas() before importing torch.

OpenBLAS reads OPENBLAS_CORETYPE once, when torch loads it. Neither the value these machines export
(Haswell: half speed on Zen 5) nor OpenBLAS 0.3.21's own detection (Prescott on a newer Xeon: a
quarter of the speed) can be trusted, so the kernel family is named from the CPU's flags, with the
same rule as the C# engine's OpenBLAS backend (src/Lait.Engine/Kernels/OpenBlasGemm.cs).
"""
import os

AVX512 = {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"}


def openblas_coretype(cpuinfo_text):
    """SkylakeX with AVX-512 F/BW/DQ/VL/CD, Haswell with AVX2 + FMA, else None (OpenBLAS decides)."""
    flags = set()
    for line in cpuinfo_text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    if AVX512 <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


def configure_openblas(cpuinfo_path="/proc/cpuinfo"):
    """Sets (or clears) OPENBLAS_CORETYPE for this process; returns the value chosen."""
    try:
        with open(cpuinfo_path, encoding="utf-8", errors="replace") as f:
            core = openblas_coretype(f.read())
    except OSError:
        core = None
    if core:
        os.environ["OPENBLAS_CORETYPE"] = core
    else:
        os.environ.pop("OPENBLAS_CORETYPE", None)
    return core
