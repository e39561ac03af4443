#!/usr/bin/python3
"""Regenerates the fixtures of io.moxie.cli.upcycle's tests from the CuMo reference (never run by the tests).

    /usr/bin/python3 platform/cli/src/test/resources/upcycle/generate.py [REFERENCE_DIR]

REFERENCE_DIR defaults to ../shared/reference beside the repository. Writes, next to this script:
  dense-f32.safetensors   the dense checkpoint of the golden case
                          golden --config '{"upcycle": {"gate_init": "uniform"}, "s2_scales": [1, 2], "batch": 1}'
  dense-f16/bf16.safetensors  the same tensors converted with st.py
  tiny-dense.safetensors  a synthetic dense checkpoint with odd widths (gates of 15, 9, 12, 18 and 60 elements:
                          torch.randn's double path with its cached sample, and normal_fill's partial last block),
                          mixed dtypes, an int64 buffer and layers 0, 1, 2, 10 (numeric gate order)
  dense-config.json       a dense model's config.json (the golden case's, made dense)
  expected.json           per variant: input, experts, gate init, seed, and the SHA-256 and size of the reference's
                          `upcycle` output
  gates.safetensors       the reference's gates of every variant, keyed 'VARIANT|GATE' (for readable failures)
  rng.safetensors         torch's draws: raw 32-bit outputs, torch.rand and torch.randn for seeds 0, 7 and 5489
The variant 'hf-f32' upcycles dense-f32 renamed to HF CLIPVisionModel keys (vision_model.*) without the projector;
the test rebuilds that input from dense-f32.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, *[".."] * 7, "shared", "reference"))
sys.path.insert(0, REF)
sys.dont_write_bytecode = True
import st  # noqa: E402

VT = "model.vision_tower.vision_model."
GOLDEN_SPEC = '{"upcycle": {"gate_init": "uniform"}, "s2_scales": [1, 2], "batch": 1}'
VARIANTS = [  # name, input, experts, gate init, seed
    ("f32-uniform-e4-s0", "dense-f32", 4, "uniform", 0),
    ("f32-uniform-e3-s7", "dense-f32", 3, "uniform", 7),
    ("f32-uniform-e8-s0", "dense-f32", 8, "uniform", 0),
    ("f16-uniform-e4-s7", "dense-f16", 4, "uniform", 7),
    ("bf16-uniform-e3-s0", "dense-bf16", 3, "uniform", 0),
    ("f32-normal-e4-s0", "dense-f32", 4, "normal:0.02", 0),
    ("f32-normal-e8-s7", "dense-f32", 8, "normal:0.02", 7),
    ("f16-normal-e3-s7", "dense-f16", 3, "normal:0.02", 7),
    ("bf16-normal-e8-s0", "dense-bf16", 8, "normal:0.02", 0),
    ("f32-zeros-e3-s0", "dense-f32", 3, "zeros", 0),
    ("bf16-zeros-e8-s7", "dense-bf16", 8, "zeros", 7),
    ("f16-uniform-e2-negseed", "dense-f16", 2, "uniform", -1),
    ("f32-normal-e4-bigseed", "dense-f32", 4, "normal:1.5", 123456789012),
    ("hf-f32-uniform-e4-s7", "hf-f32", 4, "uniform", 7),
    ("tiny-normal-e3-s7", "tiny-dense", 3, "normal:0.5", 7),
    ("tiny-uniform-e3-s0", "tiny-dense", 3, "uniform", 0),
    ("tiny-normal-e1-s0", "tiny-dense", 1, "normal:0.02", 0),
]


def ref(*args):
    subprocess.run(["/usr/bin/python3", os.path.join(REF, "cumo_reference.py"), *args], check=True,
                   stdout=subprocess.DEVNULL)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def tiny_dense():
    g = torch.Generator().manual_seed(3)
    w = {}
    for layer, (inter, d, dtype) in {0: (2, 5, torch.float32), 1: (2, 3, torch.float32), 2: (3, 4, torch.float16),
                                     10: (2, 6, torch.float32)}.items():
        p = f"{VT}encoder.layers.{layer}.mlp."
        w[p + "fc1.weight"] = torch.randn(inter, d, generator=g).to(dtype)
        w[p + "fc1.bias"] = torch.randn(inter, generator=g).to(dtype)
        w[p + "fc2.weight"] = torch.randn(d, inter, generator=g).to(dtype)
        w[p + "fc2.bias"] = torch.randn(d, generator=g).to(dtype)
        w[f"{VT}encoder.layers.{layer}.layer_norm1.weight"] = torch.randn(d, generator=g)
    w[VT + "embeddings.position_ids"] = torch.arange(5).reshape(1, 5)
    w["model.mm_projector.0.weight"] = torch.randn(4, 20, generator=g).to(torch.bfloat16)
    w["model.mm_projector.0.bias"] = torch.randn(4, generator=g).to(torch.bfloat16)
    w["model.mm_projector.2.weight"] = torch.randn(4, 4, generator=g).to(torch.bfloat16)
    w["model.mm_projector.2.bias"] = torch.randn(4, generator=g).to(torch.bfloat16)
    return w


def main():
    tmp = tempfile.mkdtemp()
    case = os.path.join(tmp, "case")
    ref("golden", "--out", case, "--config", GOLDEN_SPEC)
    dense = st.load(os.path.join(case, "dense.safetensors"))
    inputs = {"dense-f32": os.path.join(HERE, "dense-f32.safetensors"),
              "dense-f16": os.path.join(HERE, "dense-f16.safetensors"),
              "dense-bf16": os.path.join(HERE, "dense-bf16.safetensors"),
              "tiny-dense": os.path.join(HERE, "tiny-dense.safetensors"),
              "hf-f32": os.path.join(tmp, "hf-f32.safetensors")}
    st.save(dense, inputs["dense-f32"])
    st.save({k: v.to(torch.float16) for k, v in dense.items()}, inputs["dense-f16"])
    st.save({k: v.to(torch.bfloat16) for k, v in dense.items()}, inputs["dense-bf16"])
    st.save(tiny_dense(), inputs["tiny-dense"])
    st.save({k[len("model.vision_tower."):]: v for k, v in dense.items() if k.startswith(VT)}, inputs["hf-f32"])

    cfg = json.load(open(os.path.join(case, "config.json")))
    for k in ("seed", "batch", "input", "weights_dtype", "upcycle", "min_router_logit_gap", "num_layers_used", "grid",
              "mm_hidden_size", "projector_input_size", "num_experts", "num_experts_per_tok"):
        cfg.pop(k, None)
    cfg.update({"clip_smoe": False, "mlp_smoe": False, "mm_projector_type": "mlp2x_gelu"})
    json.dump(cfg, open(os.path.join(HERE, "dense-config.json"), "w"), indent=1)

    expected, gates = [], {}
    for name, inp, e, init, seed in VARIANTS:
        outp = os.path.join(tmp, name + ".safetensors")
        ref("upcycle", "--input", inputs[inp], "--output", outp, "--num-experts", str(e), "--gate-init", init,
            "--seed", str(seed))
        expected.append({"name": name, "input": inp, "experts": e, "gate_init": init, "seed": seed,
                         "sha256": sha256(outp), "bytes": os.path.getsize(outp)})
        for k, v in st.load(outp).items():
            if k.endswith("gate.weight"):
                gates[f"{name}|{k}"] = v
    golden = sha256(os.path.join(case, "model.safetensors"))
    assert expected[0]["sha256"] == golden, "reference upcycle does not reproduce the golden model.safetensors"
    json.dump({"golden_model_sha256": golden, "variants": expected}, open(os.path.join(HERE, "expected.json"), "w"),
              indent=1)
    st.save(gates, os.path.join(HERE, "gates.safetensors"))

    rng = {}
    for seed in (0, 7, 5489):
        g = torch.Generator().manual_seed(seed)
        rng[f"raw32/{seed}"] = torch.randint(0, 2 ** 32 - 1, (64,), generator=g)  # random() % (2^32 - 1)
        rng[f"rand/{seed}"] = torch.rand(7, 9, generator=torch.Generator().manual_seed(seed))
        for n in (1, 15, 16, 17, 40, 1000):
            rng[f"randn/{seed}/{n}"] = torch.randn(n, generator=torch.Generator().manual_seed(seed))
        g = torch.Generator().manual_seed(seed)  # the cached double sample carries over to the next call
        rng[f"randn-seq/{seed}"] = torch.cat([torch.randn(15, generator=g), torch.randn(9, generator=g),
                                              torch.randn(33, generator=g), torch.randn(3, generator=g)])
    st.save(rng, os.path.join(HERE, "rng.safetensors"))
    shutil.rmtree(tmp)
    print(f"wrote fixtures to {HERE} ({len(expected)} variants)")


if __name__ == "__main__":
    main()
