#!/usr/bin/python3
"""Writes a random-weight Octavius chat model with both encoders at chosen sizes, for memory and speed measurements
(docs/PERFORMANCE.md, Octavius 2D): nothing is checked or searched, the weights only have the references' shapes
and names (octavius2d_reference's tower and llama_proj, llm_reference's decoder with LoRA-MoE, octavius_reference's
point-cloud side).

Usage: /usr/bin/python3 dist/src/demo/make_octavius_random.py SHARED_REFERENCE_DIR OUT_DIR
"""
import json
import os
import sys
import types

import torch

REF = os.path.abspath(sys.argv[1])
OUT = sys.argv[2]
sys.path.insert(0, REF)
sys.dont_write_bytecode = True
import st                                   # noqa: E402
import octavius2d_reference as o2d          # noqa: E402
import octavius_reference as o3d            # noqa: E402
import llm_reference as llm                 # noqa: E402

HIDDEN = 1024
VISION = {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12,
          "image_size": 224, "patch_size": 16, "num_vision_token": 196, "llm_hidden_size": HIDDEN}
DECODER = types.SimpleNamespace(vocab=32000, hidden=HIDDEN, intermediate=2816, layers=8, heads=16, kv_heads=16,
                                eps=1e-5, rope_theta=10000.0, tied=False, experts=4, top_k=2, lora_r=8, lora_alpha=8,
                                targets="q_proj,k_proj,v_proj,o_proj", eos=2, max_new_tokens=8)
POINTS = dict(o3d.PRESETS["3d-tiny"]["model"], llm_hidden_size=HIDDEN)


def main():
    g = torch.Generator().manual_seed(7)
    c = o2d.full_config(VISION)
    weights = o2d.random_tower(c, g, "hf")
    weights[o2d.PROJ + "weight"] = torch.randn(HIDDEN, c["hidden_size"], generator=g) * c["hidden_size"] ** -0.5
    weights[o2d.PROJ + "bias"] = torch.zeros(HIDDEN)
    config = llm.default_config("octavius-chat", DECODER)
    weights.update(llm.draw_weights(llm.Cfg(config), g))
    config["vision_config"] = {k: c[k] for k in o2d.DEFAULTS}
    p = o3d.full_config(POINTS)
    weights.update(o3d.make_weights(p, g))
    config.update({k: p[k] for k in o3d.REAL if k != "model_type"})
    os.makedirs(OUT, exist_ok=True)
    json.dump(config, open(os.path.join(OUT, "config.json"), "w"), indent=2)
    st.save(weights, os.path.join(OUT, "model.safetensors"), metadata={"format": "pt"})
    print(f"{OUT}: {sum(v.numel() for v in weights.values()) / 1e6:.1f} M parameters")


if __name__ == "__main__":
    main()
