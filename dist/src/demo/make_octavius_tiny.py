#!/usr/bin/python3
"""Writes the demo model dist/src/main/dist/models/octavius-tiny and its examples, deterministically.

One small Octavius with both encoders, drawn with the references' own golden generators (shared/reference):
  - octavius2d_reference.write_golden: the dense CLIP tower (vision_config, HF layout), llama_proj, and the
    Vicuna-style decoder with LoRA-MoE and its instance gate, seeds re-drawn until the image and the experts decide
    the answer;
  - octavius_reference.write_golden: Point-BERT, Resampler3D and llama_proj_3d at 3d-tiny sizes, into the decoder's
    width (settings at the top level of config.json, where the point-cloud stages read them).
The examples carry an image question and a scene question as token ids (the tiny vocabulary is made-up words), and
the reference's answers beside them (*.expected.npz) so a user can check the distribution with compare.py.

Usage: /usr/bin/python3 dist/src/demo/make_octavius_tiny.py SHARED_REFERENCE_DIR  (from the repository root)
"""
import json
import os
import shutil
import sys
import tempfile

import numpy as np

REF = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference")
sys.path.insert(0, REF)
sys.dont_write_bytecode = True
import st                                   # noqa: E402
import octavius2d_reference as o2d          # noqa: E402
import octavius_reference as o3d            # noqa: E402
import llm_reference as llm                 # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
MODEL = os.path.join(ROOT, "dist/src/main/dist/models/octavius-tiny")
EXAMPLES = os.path.join(ROOT, "dist/src/main/dist/examples")
HIDDEN = 64

IMAGE_CHAT = {"seed": 41, "input": "image", "num_vision_token": 16, "image_size": 32, "patch_size": 8,
              "image": {"photo": "chelsea", "format": "jpeg", "mode": "RGB", "crop": [60, 20, 380, 260]},
              "llm_hidden_size": HIDDEN, "llm": {"prompt_len": 10, "image_at": 3, "max_new_tokens": 12}}
SCENE = {"seed": 42, "scene": {"n_background": 300, "objects": [80, 100, 120], "color": False},
         "model": dict(o3d.PRESETS["3d-tiny"]["model"], llm_hidden_size=HIDDEN)}


def main():
    tmp = tempfile.mkdtemp()
    o2d.write_golden(os.path.join(tmp, "2d"), IMAGE_CHAT)
    o3d.write_golden(os.path.join(tmp, "3d"), SCENE)
    config = json.load(open(os.path.join(tmp, "2d", "config.json")))
    config3d = json.load(open(os.path.join(tmp, "3d", "config.json")))
    for k, v in config3d.items():
        if k in o3d.REAL and k != "model_type":
            assert k not in config, f"3D setting {k} collides with the chat config"
            config[k] = v
    config["reference_seeds"] = {"image_chat": config.pop("reference_seed"), "scene": config3d["seed"]}
    weights = st.load(os.path.join(tmp, "2d", "model.safetensors"))
    for k, v in st.load(os.path.join(tmp, "3d", "model.safetensors")).items():
        assert k not in weights, k
        weights[k] = v

    shutil.rmtree(MODEL, ignore_errors=True)
    os.makedirs(MODEL)
    json.dump(config, open(os.path.join(MODEL, "config.json"), "w"), indent=2)
    st.save(weights, os.path.join(MODEL, "model.safetensors"), metadata={"format": "pt", "producer": "make_octavius_tiny.py"})

    # image question: the 2D golden case's own inputs and answer
    image_in = dict(np.load(os.path.join(tmp, "2d", "inputs.npz")))
    image_exp = dict(np.load(os.path.join(tmp, "2d", "expected.npz")))
    np.savez(os.path.join(EXAMPLES, "octavius-tiny-image.npz"), **image_in)
    np.savez(os.path.join(EXAMPLES, "octavius-tiny-image.expected.npz"),
             **{k: image_exp[k] for k in ("image_tokens", "generated_ids", "lora_gate_indices")})
    open(os.path.join(EXAMPLES, "octavius-tiny-cat.jpg"), "wb").write(image_in["image"].tobytes())

    # scene question: the 3D case's point cloud and boxes, the same prompt, the scene tokens spliced in
    scene_in = dict(np.load(os.path.join(tmp, "3d", "inputs.npz")))
    scene_exp = dict(np.load(os.path.join(tmp, "3d", "expected.npz")))
    prompt = {"input_ids": image_in["input_ids"], "instruction_ids": image_in["instruction_ids"]}
    d, t = o2d.load_case(MODEL)
    lc = llm.Cfg(d)
    answer, _ = llm.generate(llm.Decoder(lc, t), {**prompt, "vision_tokens": scene_exp["scene_tokens"]}, record=False)
    np.savez(os.path.join(EXAMPLES, "octavius-tiny-scene.npz"), points=scene_in["points"], boxes=scene_in["boxes"],
             **prompt)
    np.savez(os.path.join(EXAMPLES, "octavius-tiny-scene.expected.npz"), scene_tokens=scene_exp["scene_tokens"],
             generated_ids=answer["generated_ids"], lora_gate_indices=answer["lora_gate_indices"])
    print("image answer", image_exp["generated_ids"].tolist(), "gate", image_exp["lora_gate_indices"].tolist())
    print("scene answer", answer["generated_ids"].tolist(), "gate", answer["lora_gate_indices"].tolist())
    print("model bytes", sum(os.path.getsize(os.path.join(MODEL, f)) for f in os.listdir(MODEL)))
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
