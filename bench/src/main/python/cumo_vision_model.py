#!/usr/bin/python3
"""Real-size CuMo vision model on random weights, for Moxie's benchmark (bench/, docs/PERFORMANCE.md).

  make --out DIR [--layers 24] [--seed 0]          CLIP-L/336 + S^2 [1,3] + 2048->4096->4096 connector, E 4, top-2:
                                                    config.json, model.safetensors (F32, ~4.4 GB), image.png, inputs.npz
  time --model DIR --input inputs.npz --runs N --output out.npz
                                                    the reference's `run` (load, then run_model N times), timed;
                                                    prints one JSON line: load_s, runs_s, peak_rss_mb

Everything comes from the reference's own tools (full_config, random_weights, synthetic_image, load_case_model,
run_model) so Moxie and the reference run the same configuration. No near-tie guard: at this size some routing
decisions are near ties, so outputs are compared loosely, not as a golden case.
"""
import argparse
import json
import os
import resource
import sys
import time

sys.dont_write_bytecode = True


def reference(path):
    sys.path.insert(0, path)
    import cumo_reference  # noqa: E402
    return cumo_reference


def make(a, ref):
    import numpy as np
    import torch
    spec = {"hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": a.layers, "num_attention_heads": 16,
            "image_size": 336, "patch_size": 14, "hidden_act": "quick_gelu", "num_experts": 4,
            "num_experts_per_tok": 2, "mm_vision_select_layer": -2, "s2_scales": [1, 3],
            "projector_hidden_size": 4096}
    cfg = ref.full_config(spec)
    tensors = ref.random_weights(cfg, torch.Generator().manual_seed(a.seed))
    os.makedirs(a.out, exist_ok=True)
    image = ref.synthetic_image({"format": "png", "width": 640, "height": 480}, np.random.default_rng(a.seed))
    conf = dict(cfg, seed=a.seed, batch=1, input="image", weights_dtype="F32",
                image={"format": "png", "width": 640, "height": 480})
    json.dump(conf, open(os.path.join(a.out, "config.json"), "w"), indent=1)
    ref.st.save(tensors, os.path.join(a.out, "model.safetensors"), metadata={"format": "pt"})
    open(os.path.join(a.out, "image.png"), "wb").write(image.tobytes())
    np.savez(os.path.join(a.out, "inputs.npz"), image=image)
    print(f"wrote {a.out}: {len(tensors)} tensors, {sum(t.numel() for t in tensors.values()) / 1e9:.2f} G parameters")


def timed(a, ref):
    import numpy as np
    import torch
    torch.set_grad_enabled(False)
    t = time.perf_counter()
    weights, cfg = ref.load_case_model(a.model)
    load = time.perf_counter() - t
    inputs = dict(np.load(a.input))
    runs, out = [], None
    for _ in range(a.runs):
        t = time.perf_counter()
        out, _ = ref.run_model(weights, cfg, inputs)
        runs.append(time.perf_counter() - t)
    np.savez(a.output, **out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    status = {}
    for line in open("/proc/self/status"):
        if line.startswith(("RssAnon:", "RssFile:")):
            status[line.split(":")[0]] = int(line.split()[1]) / 1024.0
    print(json.dumps({"load_s": load, "runs_s": runs, "peak_rss_mb": peak, "rss_anon_mb": status.get("RssAnon", -1),
                      "rss_file_mb": status.get("RssFile", -1), "torch_threads": torch.get_num_threads()}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                            "../../../../../shared/reference"))
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--out", required=True)
    m.add_argument("--layers", type=int, default=24)
    m.add_argument("--seed", type=int, default=0)
    t = sub.add_parser("time")
    t.add_argument("--model", required=True)
    t.add_argument("--input", required=True)
    t.add_argument("--runs", type=int, default=2)
    t.add_argument("--output", required=True)
    a = ap.parse_args()
    ref = reference(a.reference_dir)
    if a.cmd == "make":
        make(a, ref)
    else:
        timed(a, ref)


if __name__ == "__main__":
    main()
