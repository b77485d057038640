#!/usr/bin/env python3
"""hlnet_check.py - an independent PyTorch recomputation of robusta's HL-Net detectors (model.arch = "hlnet").

Written from the public HL-Net code's operations (Roc-Ng/XDVioDet: model.py, layers.py, train.py, test.py),
not from robusta's C: Conv1d layers through F.conv1d with PyTorch's [out][in][kernel] weights, the
similarity graph as the public adj() (cosine, F.threshold 0.7, Softmax(1)), DistanceAdj's
exp(-|i-j| / exp(1)), sadj() on the detached online logits, the causal F.pad(.., (4, 0)) convolution,
CLAS (top-k, k = T // 16 + 1, sigmoid, BCE) and CENTROPY with the detached offline scores. Computed in
float64, so the reported differences are robusta's float32 error.

  scores: load model.h5 and the dataset, score every test video whole (one graph per video and crop,
          crops averaged) with every detector kind (concat, visual, audio, shared with its projected audio,
          shared-pad with its zero-padded audio) in the clean cell and in the two missing-stream cells
          (grid.missing: the missing stream is zeros for concat and the unimodal detectors and left out of
          the shared fusions), and compare with the scores `robusta bench --save-scores` stored (max abs
          difference; fails above --tol). Every saved method is recomputed exactly in some cell: concat,
          visual, audio, shared-mean everywhere, shared-oracle on the clean cell (the plain mean there), and
          the GMM-weighted fusions (shared-dyn, shared-pad-dyn, shared-two-sided, shared-decor) in the
          missing-stream cells, where each is the present stream's score alone; on the clean cell those are
          only bounded (between the crop means of the min and max of their two scores), as their weights
          are not recomputed here. Fails if a saved method was never recomputed exactly.
  step:   run `robusta-unit hlnet_step_for_pytorch_check` with RB_HLNET_STEP_DUMP, recompute the loss terms
          and every parameter gradient of that training step of every detector kind (concat, visual, audio,
          shared, shared-pad) with autograd, and compare (fails above --tol, relative to max(1, |value|), or
          when a kind is missing from the dump).

Needs torch, h5py and numpy; tests/hlnet_python.sh finds an interpreter that has them.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import torch
import torch.nn.functional as F

G, K = 32, 5  # graph width and kernel of the public model


def tensor(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


class HLNet:
    """The public model's forward for one video (batch 1, seq_len = T), weights from robusta's blocks."""

    def __init__(self, p):
        self.p = p
        H = p["l2.w"].shape[1]
        self.H = H
        # robusta stores Conv1d weights as [k*in + c][out]; PyTorch wants [out][in][k]
        rw = p["hl.res.w"].reshape(K, H, 3 * G)  # [k][c][out]
        self.res_w = [rw[:, :, j * G:(j + 1) * G].permute(2, 1, 0) for j in range(3)]
        self.res_b = [p["hl.res.b"].reshape(-1)[j * G:(j + 1) * G] for j in range(3)]
        self.gc1 = [p["hl.gc_in.w"][:, j * G:(j + 1) * G] for j in range(3)]
        self.gc2 = [p["hl.gc_out.w"][j * G:(j + 1) * G, :] for j in range(3)]
        ow = p["hl.onc.w"].reshape(K, p["hl.on2.w"].shape[1])  # [k][c]
        self.onc_w = ow.permute(1, 0).unsqueeze(0)  # [1][c][k]

    @staticmethod
    def sim_adj(x):  # model.adj(): cosine similarity, threshold 0.7, softmax over each row
        x2 = x @ x.T
        n = torch.norm(x, p=2, dim=1, keepdim=True)
        x2 = x2 / (n @ n.T + 1e-20)
        return torch.softmax(F.threshold(x2, 0.7, 0.0), dim=1)

    @staticmethod
    def dist_adj(T):  # DistanceAdj: exp(-|i-j| / exp(1)), not normalised
        i = torch.arange(T, dtype=torch.float64)
        return torch.exp(-torch.abs(i[:, None] - i[None, :]) / torch.exp(torch.tensor(1.0, dtype=torch.float64)))

    @staticmethod
    def score_adj(logits):  # model.sadj() on the detached online logits
        s = torch.sigmoid(logits)
        a = 1.0 - torch.abs(s[:, None] - s[None, :])
        a = 1.0 / (1.0 + torch.exp(-(a - 0.5) / 0.1))
        return torch.softmax(a, dim=1)

    def forward(self, x, sim_input):
        """x: [T][d_in] trunk input; sim_input: the rows the similarity graph is built from."""
        p = self.p
        h = torch.relu(x @ p["l1.w"] + p["l1.b"].reshape(-1))
        h = torch.relu(h @ p["l2.w"] + p["l2.b"].reshape(-1))
        T = h.shape[0]
        a = torch.relu(h @ p["hl.on1.w"] + p["hl.on1.b"].reshape(-1))
        a = torch.relu(a @ p["hl.on2.w"] + p["hl.on2.b"].reshape(-1))
        o = F.conv1d(F.pad(a.T.unsqueeze(0), (4, 0)), self.onc_w, p["hl.onc.b"].reshape(-1)).reshape(T)
        adjs = [self.sim_adj(sim_input), self.dist_adj(T), self.score_adj(o.detach())]
        hc = h.T.unsqueeze(0)
        outs = []
        for j, A in enumerate(adjs):
            res = F.conv1d(hc, self.res_w[j], self.res_b[j], padding=2)[0].T
            x1 = torch.relu(A @ (h @ self.gc1[j]) + res)
            outs.append(torch.relu(A @ (x1 @ self.gc2[j]) + x1))
        z = torch.cat(outs, 1) @ p["hl.cls.w"] + p["hl.cls.b"].reshape(-1)
        return z.reshape(T), o


def clas(z, y):  # train.CLAS for one bag: top-k mean, sigmoid, BCE
    T = z.shape[0]
    top, _ = torch.topk(z, k=T // 16 + 1)
    return F.binary_cross_entropy(torch.sigmoid(top.mean()), torch.tensor(float(y), dtype=torch.float64))


def centropy(z, o):  # train.CENTROPY for one bag
    return torch.mean(-torch.sigmoid(z).detach() * torch.log(torch.sigmoid(o)))


def read_dump(path):
    cases, cur = [], None
    with open(path) as f:
        for line in f:
            t = line.split()
            if t[0] == "case":
                cur = {"kind": t[1], "d_visual": int(t[2]), "d_audio": int(t[3]), "rows_v": int(t[7]),
                       "rows_a": int(t[8]), "bags": [], "input": {}, "param": {}, "grad": {}}
                cases.append(cur)
            elif t[0] == "bag":
                cur["bags"].append((int(t[1]), int(t[2]), float(t[3])))
            elif t[0] in ("input", "param", "grad"):
                cur[t[0]][t[1]] = np.array(t[4:], dtype=np.float64).reshape(int(t[2]), int(t[3]))
            elif t[0] == "loss":
                cur["loss"] = [float(v) for v in t[1:]]
    return cases


KINDS = ("concat", "visual", "audio", "shared", "shared-pad")


def bag_input(c, p, xv, xa, s, T):
    """The trunk input of one training bag starting at row s and the rows its similarity graph is built
    from. Shared kinds address visual rows first, then audio rows (start >= rows_v)."""
    kind = c["kind"]
    if kind == "concat":  # [visual ; audio]
        x = torch.cat([xv[s:s + T], xa[s:s + T]], 1)
        return x, x
    if kind == "visual" or (kind in ("shared", "shared-pad") and s < c["rows_v"]):
        return xv[s:s + T], xv[s:s + T]
    r = s - c["rows_v"] if kind != "audio" else s
    a = xa[r:r + T]
    if kind == "audio":
        return a, a
    if kind == "shared":  # projected audio, through the trunk and the similarity graph
        x = a @ p["proj.w"] + p["proj.b"].reshape(-1)
        return x, x
    # shared-pad: audio zero-padded to the visual width (the padding leaves the cosines unchanged, so
    # the graph is built from the padded rows themselves, as the public adj() would)
    x = torch.cat([a, torch.zeros(T, c["d_visual"] - c["d_audio"], dtype=a.dtype)], 1)
    return x, x


def check_step(args):
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "step.txt")
        env = dict(os.environ, RB_HLNET_STEP_DUMP=dump, RB_UNIT_NO_MPI="1")
        subprocess.run([args.robusta_unit, "hlnet_step_for_pytorch_check"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        cases = read_dump(dump)
    worst_all = 0.0
    for c in cases:
        p = {k: tensor(v).requires_grad_(True) for k, v in c["param"].items()}
        net = HLNet(p)
        xv = tensor(c["input"]["xv"]) if "xv" in c["input"] else None
        xa = tensor(c["input"]["xa"]) if "xa" in c["input"] else None
        l1 = l2 = cro = 0.0
        for s, T, y in c["bags"]:
            x, sim = bag_input(c, p, xv, xa, s, T)
            z, o = net.forward(x, sim)
            l1, l2, cro = l1 + clas(z, y), l2 + clas(o, y), cro + centropy(z, o)
        B = len(c["bags"])
        loss = l1 / B + l2 / B + 5.0 * cro / B
        loss.backward()
        ref = [loss.item(), (l1 / B).item(), (l2 / B).item(), (cro / B).item()]
        worst = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(c["loss"], ref))
        print(f"{c['kind']}: loss C {c['loss'][0]:.9f} PyTorch {ref[0]:.9f}; terms C {c['loss'][1:]} PyTorch {ref[1:]}")
        for name, g in c["grad"].items():
            tg = p[name].grad.numpy()
            d = float(np.max(np.abs(g - tg) / np.maximum(1.0, np.abs(tg))))
            worst = max(worst, d)
            if d > args.tol:
                print(f"  {name}: max relative gradient difference {d:.3g}")
        print(f"{c['kind']}: max relative difference over loss terms and {len(c['grad'])} gradient blocks: {worst:.3g}")
        worst_all = max(worst_all, worst)
    seen = [c["kind"] for c in cases]
    missing = [k for k in KINDS if k not in seen]
    if missing:
        print(f"step check: the dump lacks the detector kind(s) {', '.join(missing)}")
    ok = not missing and worst_all <= args.tol
    print(f"step check: {len(cases)} kinds ({', '.join(seen)}), max relative difference {worst_all:.3g} "
          f"(tolerance {args.tol:g}): {'ok' if ok else 'FAIL'}")
    return ok


def load_detector(m, kind, rep):
    g = m[f"detectors/{kind}/{rep}"]
    arch = g.attrs.get("arch", b"mlp")
    arch = arch.decode() if isinstance(arch, bytes) else str(arch)
    if arch != "hlnet":
        raise SystemExit(f"{kind}/{rep}: arch is {arch}, expected hlnet")
    return {k: tensor(g[k][()]) for k in g.keys() if k != "log"}


# The cells whose scores are compared: the clean test set and the two missing-stream cells (grid.missing),
# as (visual present, audio present). A missing stream reaches concat and the unimodal detectors as zero
# features and is left out of the shared methods' fusion.
CELLS = {"clean": (True, True), "visual.missing": (False, True), "audio.missing": (True, False)}
# Shared methods fused with weights from the GMM calibration (not recomputed here): with one stream
# missing each is exactly the present stream's score (crop-averaged), the hlnet detector's alone; on
# the clean cell each lies, snippet by snippet, between the crop means of min and max of its two scores.
WEIGHTED = ("shared-dyn", "shared-two-sided", "shared-decor", "shared-oracle")


def fuse_plain(sv, sa):
    """rb_fuse_scores without weights: per crop the mean of the present scores, then the crop mean."""
    if sv is None:
        return sa
    if sa is None:
        return torch.stack(sv).mean(0)
    return torch.stack([(v + sa) / 2 for v in sv]).mean(0)


def fuse_bounds(sv, sa):
    return (torch.stack([torch.minimum(v, sa) for v in sv]).mean(0),
            torch.stack([torch.maximum(v, sa) for v in sv]).mean(0))


def video_methods(dets, proj, xv, xa, C, T, dv, da, have_v, have_a):
    """Every method's scores of one video (xv: [T][C][dv], xa: [T][da]) in one cell: exact recomputations
    and, for the weighted fusions of the clean cell, (lo, hi) bounds."""
    zv, za = torch.zeros(T, dv), torch.zeros(T, da)
    crops = [tensor(xv[:, c]) if have_v else zv for c in range(C)]
    a = tensor(xa) if have_a else za
    sig = lambda det, x: torch.sigmoid(det.forward(x, x)[0])
    out, bounds = {}, {}
    if "concat" in dets:
        out["concat"] = torch.stack([sig(dets["concat"], torch.cat([v, a], 1)) for v in crops]).mean(0)
    if "visual" in dets:
        out["visual"] = torch.stack([sig(dets["visual"], v) for v in crops]).mean(0)
    if "audio" in dets:
        out["audio"] = sig(dets["audio"], a)
    for kind, methods in (("shared", ("shared-mean",) + WEIGHTED), ("shared-pad", ("shared-pad-dyn",))):
        if kind not in dets:
            continue
        sv = [sig(dets[kind], v) for v in crops] if have_v else None
        if not have_a:
            sa = None
        elif kind == "shared":  # the projected audio through the shared trunk and graph
            pa = a @ proj["proj.w"] + proj["proj.b"].reshape(-1)
            sa = sig(dets[kind], pa)
        else:  # shared-pad: the audio zero-padded to the visual width
            sa = sig(dets[kind], torch.cat([a, torch.zeros(T, dv - da)], 1))
        for m in methods:
            if m == "shared-mean" or (m == "shared-oracle" and have_v and have_a) or not (have_v and have_a):
                out[m] = fuse_plain(sv, sa)  # the oracle's clean cell is the plain mean
            else:
                bounds[m] = fuse_bounds(sv, sa)
    return out, bounds


def check_scores(args):
    with h5py.File(args.data, "r") as f:
        t = f["test"]
        xv_all, xa_all, offs = t["visual"][()], t["audio"][()], t["offsets"][()]
    with h5py.File(args.model, "r") as m, h5py.File(args.results, "r") as r:
        kinds = [k.strip() for k in (m.attrs["kinds"].decode() if isinstance(m.attrs["kinds"], bytes)
                                     else str(m.attrs["kinds"])).split(",")]
        R = int(m.attrs["n_replicas"])
        C, dv, da = xv_all.shape[1], xv_all.shape[2], xa_all.shape[1]
        worst, compared, bounded = 0.0, 0, 0
        saved_methods, exact = [], set()
        for rep in range(R):
            dets = {k: HLNet(load_detector(m, k, rep)) for k in kinds}
            proj = load_detector(m, "shared", rep) if "shared" in kinds else None
            for cell, (have_v, have_a) in CELLS.items():
                base = f"scores/{args.dataset}/{cell}"
                if base not in r:
                    continue
                sev = sorted(r[base].keys())[0]
                saved = {k: r[f"{base}/{sev}/{k}"][()] for k in r[f"{base}/{sev}"].keys()}
                ours, lims = {}, {}
                with torch.no_grad():
                    for v in range(len(offs) - 1):
                        s0, s1 = offs[v], offs[v + 1]
                        o, b = video_methods(dets, proj, xv_all[s0:s1], xa_all[s0:s1], C, s1 - s0, dv, da,
                                             have_v, have_a)
                        for k, x in o.items():
                            ours.setdefault(k, []).append(x.numpy())
                        for k, (lo, hi) in b.items():
                            lims.setdefault(k, []).append((lo.numpy(), hi.numpy()))
                saved_methods += [k for k in saved if k not in saved_methods]
                for k, chunks in ours.items():
                    if k not in saved:
                        continue
                    d = float(np.max(np.abs(np.concatenate(chunks) - saved[k][rep])))
                    print(f"replica {rep} {cell} {k}: {saved[k].shape[1]} snippets, max |PyTorch - saved| = {d:.3g}")
                    worst, compared = max(worst, d), compared + 1
                    exact.add(k)
                for k, chunks in lims.items():
                    if k not in saved:
                        continue
                    lo = np.concatenate([c[0] for c in chunks])
                    hi = np.concatenate([c[1] for c in chunks])
                    f = saved[k][rep]
                    d = float(np.max(np.maximum(0.0, np.maximum(lo - f, f - hi))))
                    print(f"replica {rep} {cell} {k}: {f.shape[0]} snippets, max distance outside the PyTorch "
                          f"[min, max] of its two scores = {d:.3g} (weights from the GMM, not recomputed)")
                    worst, bounded = max(worst, d), bounded + 1
    # every saved method (all of them have hlnet detectors: load_detector refuses others) must have been
    # recomputed exactly in at least one cell; the weighted fusions need the missing-stream cells
    unchecked = [k for k in saved_methods if k not in exact]
    if unchecked:
        print(f"scores check: not recomputed exactly: {', '.join(unchecked)} (their weights come from the GMM; "
              f"run the grid with grid.missing = true so the missing-stream cells isolate each stream)")
    ok = compared > 0 and not unchecked and worst <= args.tol
    print(f"scores check: {compared} exact comparisons, {bounded} bounds, max abs difference {worst:.3g} "
          f"(tolerance {args.tol:g}): {'ok' if ok else 'FAIL'}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("scores")
    s.add_argument("--model", required=True)
    s.add_argument("--data", required=True)
    s.add_argument("--results", required=True)
    s.add_argument("--dataset", required=True)
    s.add_argument("--tol", type=float, default=1e-5)
    t = sub.add_parser("step")
    t.add_argument("--robusta-unit", required=True)
    t.add_argument("--tol", type=float, default=2e-5)
    args = ap.parse_args()
    torch.set_default_dtype(torch.float64)
    ok = check_scores(args) if args.cmd == "scores" else check_step(args)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
