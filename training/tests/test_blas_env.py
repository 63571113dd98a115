import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lait.blas_env import openblas_coretype  # noqa: E402


class OpenBlasCoreTypeTests(unittest.TestCase):
    def test_avx512_cpu_gets_the_skylakex_kernels(self):
        text = "processor\t: 0\nflags\t\t: fpu sse avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16\n"
        self.assertEqual("SkylakeX", openblas_coretype(text))

    def test_avx2_cpu_without_avx512_gets_haswell(self):
        self.assertEqual("Haswell", openblas_coretype("flags : sse avx avx2 fma\n"))

    def test_partial_avx512_is_not_enough(self):
        # Knights Landing-style AVX-512 without BW/VL has no SkylakeX kernels.
        self.assertEqual("Haswell", openblas_coretype("flags : avx2 fma avx512f avx512cd\n"))

    def test_old_or_unknown_cpu_is_left_to_openblas(self):
        self.assertIsNone(openblas_coretype("flags : sse sse2\n"))
        self.assertIsNone(openblas_coretype(""))


if __name__ == "__main__":
    unittest.main()
