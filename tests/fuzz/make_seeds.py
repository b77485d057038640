#!/usr/bin/env python3
"""make_seeds.py - (re)write the seed corpora of the fuzz harnesses: tests/fuzz/seeds_npy/ (valid
v1/v2/v3 files and edge cases of the .npy header) and tests/fuzz/seeds_override/ (--set texts).
Run from anywhere; the seeds are committed, this script documents how they were made."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def npy(version, header, data=b"", pad=True):
    prefix = 10 if version == 1 else 12
    if pad:
        header += " " * ((64 - (prefix + len(header) + 1) % 64) % 64) + "\n"
    raw = header.encode("utf8" if version == 3 else "latin1")
    length = struct.pack("<H" if version == 1 else "<I", len(raw))
    return b"\x93NUMPY" + bytes([version, 0]) + length + raw + data


def f4(*v):
    return struct.pack("<%df" % len(v), *v)


def f8(*v):
    return struct.pack("<%dd" % len(v), *v)


D = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }"
NPY = {
    "v1_f4_2x3.npy": npy(1, D % ("<f4", "False", "(2, 3)"), f4(1, 2, 3, 4, 5, 6)),
    "v2_f8_3.npy": npy(2, D % ("<f8", "False", "(3,)"), f8(0.5, -1, 2)),
    "v3_f4_1x2.npy": npy(3, D % ("<f4", "False", "(1, 2)"), f4(7, 8)),
    "v1_keys_reordered.npy": npy(1, "{\"shape\":(2,2),\"fortran_order\":False,\"descr\":\"<f4\"}", f4(1, 2, 3, 4)),
    "v1_py2_long.npy": npy(1, D % ("<f4", "False", "(1L, 2L)"), f4(1, 2)),
    "v1_empty_rows.npy": npy(1, D % ("<f4", "False", "(0, 4)")),
    "v1_unpadded.npy": npy(1, "{'descr':'<f4','fortran_order':False,'shape':(1,1)}", f4(3), pad=False),
    "bad_fortran.npy": npy(1, D % ("<f4", "True", "(2, 2)"), f4(1, 2, 3, 4)),
    "bad_big_endian.npy": npy(1, D % (">f4", "False", "(2,)"), b"\0" * 8),
    "bad_int_dtype.npy": npy(1, D % ("<i8", "False", "(2,)"), b"\0" * 16),
    "bad_0d.npy": npy(1, D % ("<f4", "False", "()"), f4(1)),
    "bad_3d.npy": npy(1, D % ("<f4", "False", "(1, 1, 1)"), f4(1)),
    "bad_overflow.npy": npy(1, D % ("<f8", "False", "(4611686018427387904, 4611686018427387904)")),
    "bad_truncated_data.npy": npy(1, D % ("<f4", "False", "(2, 3)"), f4(1, 2, 3)),
    "bad_trailing.npy": npy(1, D % ("<f4", "False", "(1,)"), f4(1) + b"xx"),
    "bad_nan.npy": npy(2, D % ("<f8", "False", "(2,)"), f8(float("nan"), 1)),
    "bad_magic.npy": b"\x93NUMPZ\x01\x00\x10\x00{}              \n",
    "bad_version.npy": b"\x93NUMPY\x04\x00\x10\x00{}              \n",
    "bad_truncated_header.npy": npy(1, D % ("<f4", "False", "(2, 3)"))[:40],
    # found by fuzz_npy: a zero-size array with 2^62 rows made the decoder loop for minutes
    "regress_huge_rows_zero_cols.npy": npy(1, D % ("<f8", "False", "(4611686018427387904, 0)")),
}

OVERRIDE = {
    "simple": "train.epochs=10",
    "index": "data.datasets.[1].n_test=5",
    "string": "run.name=\"nightly run\"",
    "two_equals": "a.b=c=d",
    "empty_path": "=5",
    "empty_value": "train.epochs=",
    "bad_dot": "train..epochs=1",
    "bad_index": "data.datasets.[x].n=1",
    "huge_index": "data.datasets.[99999999999999999999].n=1",
    "no_equals": "train.epochs",
}


def main():
    for sub, files, mode in (("seeds_npy", NPY, "wb"), ("seeds_override", OVERRIDE, "w")):
        d = os.path.join(HERE, sub)
        os.makedirs(d, exist_ok=True)
        for name, content in files.items():
            with open(os.path.join(d, name), mode) as f:
                f.write(content)


if __name__ == "__main__":
    main()
