#!/usr/bin/env python3
"""make_xdv_fixture.py - write a tiny XD-Violence-shaped feature release for the import-xdv tests.

Usage: make_xdv_fixture.py OUT_DIR

Layout (as the public release unpacks, lists carrying the authors' absolute paths):
  OUT_DIR/list/{rgb,audio,rgb_test,audio_test}.list
  OUT_DIR/i3d-features/{RGB,RGBTest}/<video>__<crop>.npy      [T x 16] (crop 0 = centre)
  OUT_DIR/vggish-features/{train,test}/<video>__vggish.npy    [T' x 8]
  OUT_DIR/annotations.txt
and OUT_DIR/expected/*.txt: the numbers the import must produce, computed here independently.

Feature values are integers that encode (video, crop, row, column), so a misplaced row is visible.
Only the standard library is used (no numpy): .npy files are written with struct.
"""
import os
import struct
import sys

DV, DA, CROPS, FPS = 16, 8, 5, 16

# name, split, visual rows, audio rows, npy version, dtype of the audio file
VIDEOS = [
    ("Bad.Boys.1995__#01-11-55_01-12-40_label_G-B2-B6", "train", 5, 5, 1, "<f4"),
    ("Fake.Normal.2000__#00-00-00_00-01-00_label_A", "train", 4, 3, 2, "<f8"),  # extra visual row
    ("v=abcDEF123__#1_label_B1-0-0", "train", 2, 2, 3, "<f4"),
    ("Quiet.Day.2010__#00-10-00_00-11-00_label_A", "train", 6, 6, 1, "<f8"),
    ("Test.Fight.2001__#00-01-00_00-02-00_label_B1-0-0", "test", 4, 4, 1, "<f4"),
    ("Test.Calm.2002__#00-03-00_00-04-00_label_A", "test", 3, 3, 2, "<f4"),
    ("Test.Shoot.2003__#00-05-00_00-06-00_label_G-0-0", "test", 6, 5, 3, "<f8"),  # extra visual row
]

# Frame intervals [start, end). Test.Shoot is written with the .mp4 suffix some release lines carry;
# its second interval overlaps the first and its last runs past 16 * 5 = 80 frames.
ANNOTATIONS = [
    ("Test.Fight.2001__#00-01-00_00-02-00_label_B1-0-0", "", [(5, 21), (40, 48)]),
    ("Test.Shoot.2003__#00-05-00_00-06-00_label_G-0-0", ".mp4", [(0, 10), (8, 20), (70, 90)]),
    ("Unlisted.Video__#0_label_B2-0-0", "", [(1, 2)]),
]


def vis_value(v, c, r, j):
    return float(v * 10000 + c * 1000 + r * 10 + j)


def aud_value(v, r, j):
    return -float(v * 10000 + r * 10 + j + 1)


def write_npy(path, rows, cols, values, descr="<f4", version=1):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }" % (descr, rows, cols)
    prefix = 10 if version == 1 else 12
    total = prefix + len(header) + 1
    pad = (64 - total % 64) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY" + bytes([version, 0]))
        f.write(struct.pack("<H" if version == 1 else "<I", len(header)))
        f.write(header.encode("latin1" if version < 3 else "utf8"))
        f.write(struct.pack("<%d%s" % (rows * cols, "f" if descr == "<f4" else "d"), *values))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_xdv_fixture.py OUT_DIR")
    out = sys.argv[1]
    dirs = {
        ("visual", "train"): "i3d-features/RGB",
        ("visual", "test"): "i3d-features/RGBTest",
        ("audio", "train"): "vggish-features/train",
        ("audio", "test"): "vggish-features/test",
    }
    for d in list(dirs.values()) + ["list", "expected"]:
        os.makedirs(os.path.join(out, d), exist_ok=True)
    lists = {"rgb.list": [], "audio.list": [], "rgb_test.list": [], "audio_test.list": []}
    exp = {"train": {"names": [], "labels": [], "offsets": [0], "visual": [], "audio": []},
           "test": {"names": [], "labels": [], "offsets": [0], "visual": [], "audio": [], "pos": []}}
    dropped_rows = 0
    for v, (name, split, tv, ta, version, adtype) in enumerate(VIDEOS):
        suffix = "" if split == "train" else "_test"
        for c in range(CROPS):
            fname = "%s__%d.npy" % (name, c)
            vals = [vis_value(v, c, r, j) for r in range(tv) for j in range(DV)]
            write_npy(os.path.join(out, dirs["visual", split], fname), tv, DV, vals, "<f4", version)
            lists["rgb%s.list" % suffix].append("/media/peng/Samsung_T5/%s/%s" % (dirs["visual", split], fname))
        fname = "%s__vggish.npy" % name
        vals = [aud_value(v, r, j) for r in range(ta) for j in range(DA)]
        write_npy(os.path.join(out, dirs["audio", split], fname), ta, DA, vals, adtype, version)
        lists["audio%s.list" % suffix].append("/media/peng/Samsung_T5/%s/%s" % (dirs["audio", split], fname))
        t = min(tv, ta)
        dropped_rows += tv - t
        e = exp[split]
        e["names"].append(name)
        e["labels"].append(0 if "_label_A" in name else 1)
        e["offsets"].append(e["offsets"][-1] + t)
        for r in range(t):
            for c in range(CROPS):
                e["visual"].extend(vis_value(v, c, r, j) for j in range(DV))
            e["audio"].extend(aud_value(v, r, j) for j in range(DA))
        if split == "test":
            frames = set()
            for aname, _, ivs in ANNOTATIONS:
                if aname == name:
                    for s, en in ivs:
                        frames.update(range(s, en))
            e["pos"].extend(sum(1 for f in frames if FPS * r <= f < FPS * (r + 1)) for r in range(t))
            e.setdefault("dropped_frames", 0)
            e["dropped_frames"] += sum(1 for f in frames if f >= FPS * t)
    for lname, lines in lists.items():
        with open(os.path.join(out, "list", lname), "w") as f:
            f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "annotations.txt"), "w") as f:
        for name, ext, ivs in ANNOTATIONS:
            f.write(name + ext + " " + " ".join("%d %d" % iv for iv in ivs) + "\n")
    for split, e in exp.items():
        for key in ("labels", "offsets", "pos"):
            if key in e:
                with open(os.path.join(out, "expected", "%s_%s.txt" % (split, key)), "w") as f:
                    f.write(" ".join(str(x) for x in e[key]) + "\n")
        for key in ("visual", "audio"):
            with open(os.path.join(out, "expected", "%s_%s.txt" % (split, key)), "w") as f:
                f.write(" ".join("%d" % x for x in e[key]) + "\n")
        with open(os.path.join(out, "expected", "%s_names.txt" % split), "w") as f:
            f.write("\n".join(e["names"]) + "\n")
    with open(os.path.join(out, "expected", "summary.txt"), "w") as f:
        f.write("train_videos=%d train_snippets=%d test_videos=%d test_snippets=%d dropped_rows=%d "
                "positive_frames=%d dropped_frames=%d\n" % (
                    len(exp["train"]["names"]), exp["train"]["offsets"][-1], len(exp["test"]["names"]),
                    exp["test"]["offsets"][-1], dropped_rows, sum(exp["test"]["pos"]),
                    exp["test"]["dropped_frames"]))


if __name__ == "__main__":
    main()
