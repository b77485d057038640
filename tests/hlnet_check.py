#!/usr/bin/env python3
"""hlnet_check.py - an independent PyTorch recomputation of robusta's HL-Net detectors (model.arch = "hlnet").

Written from the public HL-Net code's operations (Roc-Ng/XDVioDet: model.py, layers.py, train.py, test.py),
not from robusta's C: Conv1d layers through F.conv1d with PyTorch's [out][in][kernel] weights, the
similarity graph as the public adj() (cosine, F.threshold 0.7, Softmax(1)), DistanceAdj's
exp(-|i-j| / exp(1)), sadj() on the detached online logits, the causal F.pad(.., (4, 0)) convolution,
CLAS (top-k, k = T // 16 + 1, sigmoid, BCE) and CENTROPY with the detached offline scores. Computed in
float64, so the reported differences are robusta's float32 error.

  scores: load model.h5 and the dataset, score every clean test video whole (one graph per video and
          crop, crops averaged) for the concat, visual, audio and shared-mean methods, and compare with the
          scores `robusta bench --save-scores` stored (max abs difference; fails above --tol).
  step:   run `robusta-unit hlnet_step_for_pytorch_check` with RB_HLNET_STEP_DUMP, recompute the loss terms
          and every parameter gradient of that training step with autograd, and compare (fails above --tol,
          relative to max(1, |value|)).

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
                cur = {"kind": t[1], "rows_v": int(t[7]), "rows_a": int(t[8]), "bags": [], "input": {}, "param": {},
                       "grad": {}}
                cases.append(cur)
            elif t[0] == "bag":
                cur["bags"].append((int(t[1]), int(t[2]), float(t[3])))
            elif t[0] in ("input", "param", "grad"):
                cur[t[0]][t[1]] = np.array(t[4:], dtype=np.float64).reshape(int(t[2]), int(t[3]))
            elif t[0] == "loss":
                cur["loss"] = [float(v) for v in t[1:]]
    return cases


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
            if c["kind"] == "concat":
                x = torch.cat([xv[s:s + T], xa[s:s + T]], 1)
            elif s < c["rows_v"]:
                x = xv[s:s + T]
            else:  # shared: projected audio, through the trunk and the similarity graph
                r = s - c["rows_v"]
                x = xa[r:r + T] @ p["proj.w"] + p["proj.b"].reshape(-1)
            z, o = net.forward(x, x)
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
    ok = worst_all <= args.tol
    print(f"step check: max relative difference {worst_all:.3g} (tolerance {args.tol:g}): {'ok' if ok else 'FAIL'}")
    return ok


def load_detector(m, kind, rep):
    g = m[f"detectors/{kind}/{rep}"]
    arch = g.attrs.get("arch", b"mlp")
    arch = arch.decode() if isinstance(arch, bytes) else str(arch)
    if arch != "hlnet":
        raise SystemExit(f"{kind}/{rep}: arch is {arch}, expected hlnet")
    return {k: tensor(g[k][()]) for k in g.keys() if k != "log"}


def check_scores(args):
    with h5py.File(args.data, "r") as f:
        t = f["test"]
        xv_all, xa_all, offs = t["visual"][()], t["audio"][()], t["offsets"][()]
    with h5py.File(args.model, "r") as m, h5py.File(args.results, "r") as r:
        kinds = [k.strip() for k in (m.attrs["kinds"].decode() if isinstance(m.attrs["kinds"], bytes)
                                     else str(m.attrs["kinds"])).split(",")]
        R = int(m.attrs["n_replicas"])
        base = f"scores/{args.dataset}/clean"
        sev = sorted(r[base].keys())[0]
        saved = {k: r[f"{base}/{sev}/{k}"][()] for k in r[f"{base}/{sev}"].keys()}
        C = xv_all.shape[1]
        worst, compared = 0.0, 0
        for rep in range(R):
            dets = {k: HLNet(load_detector(m, k, rep)) for k in kinds}
            proj = load_detector(m, "shared", rep) if "shared" in kinds else None
            ours = {}
            with torch.no_grad():
                for v in range(len(offs) - 1):
                    s0, s1 = offs[v], offs[v + 1]
                    xa = tensor(xa_all[s0:s1])
                    per = {}
                    for c in range(C):
                        xv = tensor(xv_all[s0:s1, c])
                        if "concat" in dets:
                            x = torch.cat([xv, xa], 1)
                            per.setdefault("concat", []).append(torch.sigmoid(dets["concat"].forward(x, x)[0]))
                        if "visual" in dets:
                            per.setdefault("visual", []).append(torch.sigmoid(dets["visual"].forward(xv, xv)[0]))
                        if "shared" in dets:
                            per.setdefault("shared_v", []).append(torch.sigmoid(dets["shared"].forward(xv, xv)[0]))
                    if "audio" in dets:
                        per["audio"] = [torch.sigmoid(dets["audio"].forward(xa, xa)[0])] * C
                    if "shared" in dets:
                        pa = xa @ proj["proj.w"] + proj["proj.b"].reshape(-1)
                        sa = torch.sigmoid(dets["shared"].forward(pa, pa)[0])
                        per["shared-mean"] = [(sv + sa) / 2 for sv in per["shared_v"]]
                    for k in ("concat", "visual", "audio", "shared-mean"):
                        if k in per:
                            ours.setdefault(k, []).append(torch.stack(per[k]).mean(0).numpy())
            for k, chunks in ours.items():
                if k not in saved:
                    continue
                d = float(np.max(np.abs(np.concatenate(chunks) - saved[k][rep])))
                print(f"replica {rep} {k}: {saved[k].shape[1]} snippets, max |PyTorch - saved| = {d:.3g}")
                worst, compared = max(worst, d), compared + 1
    ok = compared > 0 and worst <= args.tol
    print(f"scores check: {compared} method(s), max abs difference {worst:.3g} (tolerance {args.tol:g}): "
          f"{'ok' if ok else 'FAIL'}")
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
