#!/usr/bin/python3
"""Regenerates the fixtures of the io.moxie.encoders.image tests (run once; the output is committed).

    /usr/bin/python3 encoders-plugin/src/test/resources/image/make_fixtures.py [REFERENCE_DIR]

REFERENCE_DIR defaults to /work/shared/reference (cumo_reference.py, octavius2d_reference.py, golden/). The tests
never run Python or read REFERENCE_DIR: everything they need is written beside this script.

Written (all raw arrays are C-ordered, uint8, or float32 little-endian):
  decode/<name>.<png|jpg>, decode/<name>.rgb    encoded input, and PIL's Image.open(f).convert('RGB') as [H,W,3]
  decode/cases.txt                              name file width height
  bad/*                                         inputs the decoder must refuse
  resize/cases.txt                              name inW inH outW outH seed (file|sha256:<hex>)
  resize/<name>.rgb                             PIL img.resize((outW, outH), BICUBIC, reducing_gap=None) of pattern()
  preprocess/cases.txt                          kind name image-file(relative to image/) args...
  preprocess/<name>.u8 / .f32                   pixel_uint8 [S,S,3] and pixel_values [3,S,S] of the reference code

The resize inputs are not stored: pattern(w, h, seed) below is reproduced bit for bit by the Java test.
"""
import hashlib
import io
import os
import shutil
import struct
import sys
import zlib

import numpy as np
from PIL import Image, ImageCms

sys.dont_write_bytecode = True
REF = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/reference")
sys.path.insert(0, REF)
import cumo_reference as cumo  # noqa: E402
import octavius2d_reference as octo  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.dirname(HERE)  # src/test/resources
M32 = 0xFFFFFFFF


def out(*parts):
    p = os.path.join(HERE, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


# ----------------------------------------------------------------------------------------------
# Deterministic test pictures
# ----------------------------------------------------------------------------------------------
def pattern(w, h, seed):
    """uint8 [h, w, 3]: a sawtooth (sharp wrap-around edges make the bicubic overshoot and clip) with one pixel in
    four replaced by hash noise. Mirrored exactly by PillowResizeTest.pattern."""
    u = np.uint64
    y, x, c = np.meshgrid(np.arange(h, dtype=u), np.arange(w, dtype=u), np.arange(3, dtype=u), indexing="ij")
    m32 = u(M32)
    v = (x * u(2654435761) + y * u(2246822519) + c * u(3266489917) + u(seed) * u(668265263)) & m32
    v ^= v >> u(15)
    v = (v * u(2246822519)) & m32
    v ^= v >> u(13)
    saw = (x * u(5) + y * u(3) + c * u(85)) & u(255)
    return np.where((v >> u(8)) & u(3) == u(0), v & u(255), saw).astype(np.uint8)


def photo(w, h, seed):
    """A smooth synthetic RGB picture with shapes and noise (the reference's own generator)."""
    data = cumo.synthetic_image({"format": "png", "width": w, "height": h}, np.random.default_rng(seed))
    return Image.open(io.BytesIO(data.tobytes())).convert("RGB")


# ----------------------------------------------------------------------------------------------
# A small PNG writer for what PIL cannot write (16-bit RGB, 2/4-bit grey, short palettes, tRNS, Adam7)
# ----------------------------------------------------------------------------------------------
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & M32)


def filter_rows(rows, bpp):
    """Encodes each row with filter (row index % 5) so every PNG filter type is exercised."""
    outr, prior = [], bytes(len(rows[0])) if rows else b""
    for i, row in enumerate(rows):
        f = i % 5
        enc = bytearray(len(row))
        for j, cur in enumerate(row):
            a = row[j - bpp] if j >= bpp else 0
            b = prior[j]
            c = prior[j - bpp] if j >= bpp else 0
            if f == 0:
                pred = 0
            elif f == 1:
                pred = a
            elif f == 2:
                pred = b
            elif f == 3:
                pred = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            enc[j] = (cur - pred) & 255
        outr.append(bytes([f]) + bytes(enc))
        prior = row
    return b"".join(outr)


def pack_row(samples, bit_depth):
    if bit_depth == 16:
        return struct.pack(">%dH" % len(samples), *[int(s) for s in samples])
    if bit_depth == 8:
        return bytes(int(s) for s in samples)
    per = 8 // bit_depth
    res = bytearray((len(samples) + per - 1) // per)
    for i, s in enumerate(samples):
        res[i // per] |= int(s) << (8 - bit_depth * (i % per + 1))
    return bytes(res)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png(samples, bit_depth, color_type, extra=b"", interlace=False):
    """samples: int array [h, w, channels] of raw sample values."""
    h, w, ch = samples.shape
    bpp = max(1, ch * bit_depth // 8)
    if not interlace:
        raw = filter_rows([pack_row(samples[y].reshape(-1), bit_depth) for y in range(h)], bpp)
    else:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += filter_rows([pack_row(r.reshape(-1), bit_depth) for r in sub], bpp)
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def pil_bytes(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def pil_rgb(data):
    """What every decoder test compares with: the reference decode (Image.open(f), load, convert('RGB'))."""
    return np.asarray(cumo.decode_image(data), dtype=np.uint8)


# ----------------------------------------------------------------------------------------------
# JPEG byte surgery (variants PIL cannot write directly)
# ----------------------------------------------------------------------------------------------
def jpeg_segments(data):
    """Splits a JPEG into (marker, segment bytes) up to and including SOS; returns (segments, rest)."""
    assert data[:2] == b"\xff\xd8"
    pos, segs = 2, []
    while True:
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        segs.append((marker, data[pos:pos + 2 + length]))
        pos += 2 + length
        if marker == 0xDA:
            return segs, data[pos:]


def without_jfif(data, component_ids=None, adobe_transform=None):
    segs, rest = jpeg_segments(data)
    res = b"\xff\xd8"
    if adobe_transform is not None:
        body = b"Adobe" + struct.pack(">HHHB", 100, 0, 0, adobe_transform)
        res += b"\xff\xee" + struct.pack(">H", len(body) + 2) + body
    for marker, seg in segs:
        if marker == 0xE0:
            continue
        if component_ids and marker in (0xC0, 0xC1, 0xC2):
            seg = bytearray(seg)
            for i, cid in enumerate(component_ids):
                seg[10 + 3 * i] = cid
            seg = bytes(seg)
        if component_ids and marker == 0xDA:
            seg = bytearray(seg)
            for i, cid in enumerate(component_ids):
                seg[5 + 2 * i] = cid
            seg = bytes(seg)
        res += seg
    return res + rest


# ----------------------------------------------------------------------------------------------
# decode/ and bad/
# ----------------------------------------------------------------------------------------------
def make_decode():
    cases = []
    rng = np.random.default_rng(7)

    def add(name, ext, data):
        write(out("decode", name + "." + ext), data)
        rgb = pil_rgb(data)
        write(out("decode", name + ".rgb"), rgb.tobytes())
        cases.append(f"{name} {name}.{ext} {rgb.shape[1]} {rgb.shape[0]}")

    rgb = photo(45, 29, 1)
    add("rgb-45x29", "png", pil_bytes(rgb, "PNG"))
    rgba = np.dstack([np.asarray(photo(31, 18, 2)), rng.integers(0, 256, (18, 31), dtype=np.uint8)])
    add("rgba-31x18", "png", pil_bytes(Image.fromarray(rgba, "RGBA"), "PNG"))
    add("grey-33x17", "png", pil_bytes(photo(33, 17, 3).convert("L"), "PNG"))
    add("greyalpha-19x23", "png", pil_bytes(photo(19, 23, 4).convert("LA"), "PNG"))
    add("palette-23x40", "png", pil_bytes(photo(23, 40, 5).convert("P", palette=Image.ADAPTIVE, colors=37), "PNG"))
    add("bilevel-13x9", "png", pil_bytes(photo(13, 9, 6).convert("1"), "PNG"))
    add("rgb-1x1", "png", pil_bytes(Image.new("RGB", (1, 1), (9, 200, 77)), "PNG"))
    g16 = rng.integers(0, 600, (9, 14, 1))          # a 16-bit grey PNG opens as mode I; convert('RGB') clips to 255
    add("grey16-14x9", "png", png(g16, 16, 0))
    add("rgb16-11x7", "png", png(rng.integers(0, 65536, (7, 11, 3)), 16, 2))
    add("rgba16-6x5", "png", png(rng.integers(0, 65536, (5, 6, 4)), 16, 6))
    add("greyalpha16-6x5", "png", png(rng.integers(0, 65536, (5, 6, 2)), 16, 4))
    add("grey2-10x3", "png", png(rng.integers(0, 4, (3, 10, 1)), 2, 0))
    add("grey4-9x4", "png", png(rng.integers(0, 16, (4, 9, 1)), 4, 0))
    add("grey1-19x3", "png", png(rng.integers(0, 2, (3, 19, 1)), 1, 0))
    # indices 3..255 lie past the 3-entry palette: Pillow 9.4 maps them to its initial grey ramp (i, i, i)
    add("palette-short-16x4", "png", png(rng.integers(0, 256, (4, 16, 1)), 8, 3,
                                         chunk(b"PLTE", bytes([10, 20, 30, 40, 50, 60, 250, 128, 3]))))
    add("palette4-short-8x3", "png", png(rng.integers(0, 16, (3, 8, 1)), 4, 3,
                                         chunk(b"PLTE", bytes([1, 2, 3, 200, 100, 50]))))
    add("palette-trns-7x3", "png", png(rng.integers(0, 2, (3, 7, 1)), 8, 3,
                                       chunk(b"PLTE", bytes([10, 20, 30, 40, 50, 60])) + chunk(b"tRNS", b"\x00\x80")))
    add("rgb-trns-5x4", "png", png(np.tile(np.array([[[1, 2, 3]], [[4, 5, 6]]]), (2, 5, 1)), 8, 2,
                                   chunk(b"tRNS", struct.pack(">3H", 1, 2, 3))))
    add("grey-trns-6x2", "png", png(np.array([[[0], [7], [7], [200], [7], [1]]] * 2), 8, 0,
                                    chunk(b"tRNS", struct.pack(">H", 7))))
    add("grey2-trns-6x2", "png", png(np.array([[[0], [1], [2], [3], [2], [1]]] * 2), 2, 0,
                                     chunk(b"tRNS", struct.pack(">H", 2))))
    add("interlaced-rgb-21x13", "png", png(np.asarray(photo(21, 13, 8)).astype(int), 8, 2, interlace=True))
    add("interlaced-grey16-9x10", "png", png(rng.integers(0, 400, (10, 9, 1)), 16, 0, interlace=True))

    pic = photo(83, 61, 9)
    add("jpeg420-83x61", "jpg", pil_bytes(pic, "JPEG", quality=90, subsampling=2))
    add("jpeg444-83x61", "jpg", pil_bytes(pic, "JPEG", quality=90, subsampling=0))
    add("jpeg422-83x61", "jpg", pil_bytes(pic, "JPEG", quality=90, subsampling=1))
    add("jpeg420-progressive-83x61", "jpg", pil_bytes(pic, "JPEG", quality=90, subsampling=2, progressive=True))
    add("jpeg420-q50-40x52", "jpg", pil_bytes(photo(40, 52, 10), "JPEG", quality=50, subsampling=2))
    add("jpeg-grey-33x17", "jpg", pil_bytes(photo(33, 17, 11).convert("L"), "JPEG", quality=90))
    # an embedded (non-sRGB-tagged) ICC profile must not change a single pixel: PIL ignores it
    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes())
    icc[24:36] = bytes(12)   # creation date and profile id: zeroed so the fixture is reproducible
    icc[84:100] = bytes(16)
    icc = bytes(icc)
    add("jpeg420-icc-40x24", "jpg", pil_bytes(photo(40, 24, 12), "JPEG", quality=90, icc_profile=icc))
    base444 = pil_bytes(photo(24, 16, 13), "JPEG", quality=90, subsampling=0)
    # colour-space guessing as in libjpeg: no JFIF, component ids 'R','G','B' -> stored as RGB (no conversion)
    add("jpeg-rgb-ids-24x16", "jpg", without_jfif(base444, component_ids=[82, 71, 66]))
    add("jpeg-adobe-rgb-24x16", "jpg", without_jfif(base444, adobe_transform=0))
    add("jpeg-adobe-ycc-24x16", "jpg", without_jfif(base444, adobe_transform=1))
    add("jpeg-nojfif-24x16", "jpg", without_jfif(base444))
    write(out("decode", "cases.txt"), ("\n".join(cases) + "\n").encode())

    good_png = pil_bytes(photo(45, 29, 1), "PNG")
    good_jpg = pil_bytes(photo(83, 61, 9), "JPEG", quality=90, subsampling=2)
    write(out("bad", "truncated.png"), good_png[:len(good_png) // 2])
    write(out("bad", "truncated.jpg"), good_jpg[:len(good_jpg) // 2])
    write(out("bad", "no-eoi.jpg"), good_jpg[:-2])
    write(out("bad", "header-only.png"), good_png[:33])
    write(out("bad", "signature-only.png"), good_png[:8])
    write(out("bad", "zero-width.png"), png(np.zeros((3, 1, 3), dtype=int), 8, 2)
          .replace(struct.pack(">II", 1, 3), struct.pack(">II", 0, 3), 1))
    write(out("bad", "cmyk.jpg"), pil_bytes(photo(16, 8, 14).convert("CMYK"), "JPEG", quality=90))
    write(out("bad", "gif.gif"), pil_bytes(photo(8, 8, 15).convert("P"), "GIF"))
    write(out("bad", "text.txt"), b"definitely not an image\n")
    for name in ("truncated.png", "truncated.jpg", "no-eoi.jpg", "header-only.png", "cmyk.jpg", "zero-width.png"):
        try:
            im = pil_rgb(open(out("bad", name), "rb").read())
            print(f"  note: PIL decodes bad/{name} ({im.shape})")
        except Exception as e:  # noqa: BLE001  (record what PIL says, for the report)
            print(f"  PIL refuses bad/{name}: {type(e).__name__}: {e}")


# ----------------------------------------------------------------------------------------------
# resize/
# ----------------------------------------------------------------------------------------------
def pil_resize(arr, ow, oh):
    res = np.asarray(Image.fromarray(arr, "RGB").resize((ow, oh), resample=Image.BICUBIC, reducing_gap=None))
    port = cumo.pillow_bicubic_port(arr, ow, oh)
    assert np.array_equal(res, port), "the reference port disagrees with PIL"
    return res


def make_resize():
    lines = []
    named = [(45, 29, 32, 32), (100, 60, 37, 23), (7, 5, 64, 64), (300, 300, 224, 224), (33, 17, 17, 33),
             (29, 45, 32, 49), (45, 45, 32, 32), (40, 17, 21, 17), (30, 50, 30, 81), (1, 1, 5, 3), (3, 1, 1, 1),
             (640, 480, 7, 5), (9, 9, 9, 9), (2, 7, 336, 4), (224, 224, 336, 336)]
    for i, (w, h, ow, oh) in enumerate(named):
        name = f"{w}x{h}-{ow}x{oh}"
        res = pil_resize(pattern(w, h, i), ow, oh)
        if res.nbytes <= 16384:
            write(out("resize", name + ".rgb"), res.tobytes())
            lines.append(f"{name} {w} {h} {ow} {oh} {i} {name}.rgb")
        else:  # large outputs are checked through their digest, to keep the fixtures small
            lines.append(f"{name} {w} {h} {ow} {oh} {i} sha256:{hashlib.sha256(res.tobytes()).hexdigest()}")
    rng = np.random.default_rng(2024)
    for k in range(150):  # a sweep of ratios, to catch a coefficient rounded the other way
        w, h = (int(v) for v in rng.integers(1, 90, 2))
        ow, oh = (int(v) for v in rng.integers(1, 120, 2))
        seed = 1000 + k
        res = pil_resize(pattern(w, h, seed), ow, oh)
        lines.append(f"sweep{k} {w} {h} {ow} {oh} {seed} sha256:{hashlib.sha256(res.tobytes()).hexdigest()}")
    write(out("resize", "cases.txt"), ("\n".join(lines) + "\n").encode())


# ----------------------------------------------------------------------------------------------
# preprocess/
# ----------------------------------------------------------------------------------------------
def make_preprocess():
    lines = []

    def clip(name, image_file, aspect, shortest, crop):
        data = open(out(image_file), "rb").read()
        cfg = dict(cumo.DEFAULTS, image_aspect_ratio=aspect, shortest_edge=shortest, crop_size=crop)
        pv, u8 = cumo.preprocess(cumo.decode_image(data), cfg)
        write(out("preprocess", name + ".u8"), u8.tobytes())
        write(out("preprocess", name + ".f32"), pv.astype("<f4").tobytes())
        lines.append(f"clip {name} {image_file} {aspect} {shortest} {crop}")

    def octavius(name, image_file, size):
        data = open(out(image_file), "rb").read()
        pv, u8 = octo.preprocess(cumo.decode_image(data), {"image_size": size, "image_mean": cumo.CLIP_MEAN,
                                                            "image_std": cumo.CLIP_STD})
        write(out("preprocess", name + ".u8"), u8.tobytes())
        write(out("preprocess", name + ".f32"), pv.astype("<f4").tobytes())
        lines.append(f"octavius {name} {image_file} {size}")

    clip("clip-pad-wide-32", "decode/rgb-45x29.png", "pad", 32, 32)
    clip("clip-pad-tall-odd-24", "decode/palette-23x40.png", "pad", 24, 24)
    clip("clip-pad-jpeg-24", "decode/jpeg420-q50-40x52.jpg", "pad", 24, 24)
    clip("clip-pad-grey-32", "decode/grey-33x17.png", "pad", 32, 32)
    clip("clip-pad-tiny-upscale-16", "decode/rgb-1x1.png", "pad", 16, 16)
    clip("clip-pad-rgba-20", "decode/rgba-31x18.png", "pad", 20, 20)
    clip("clip-square-wide-40-32", "decode/rgb-45x29.png", "square", 40, 32)
    clip("clip-square-tall-30-24", "decode/palette-23x40.png", "square", 30, 24)
    clip("clip-pad-jpeg444-28", "decode/jpeg444-83x61.jpg", "pad", 28, 28)
    octavius("octavius-wide-32", "decode/rgb-45x29.png", 32)
    octavius("octavius-jpeg-24", "decode/jpeg420-q50-40x52.jpg", 24)
    octavius("octavius-grey-32", "decode/grey-33x17.png", 32)
    octavius("octavius-tall-19", "decode/palette-23x40.png", 19)

    # the Octavius golden cases with an encoded image: their own expected pixel arrays, not recomputed
    for case in ("2d-image-openai", "2d-chat-tiny"):
        d = os.path.join(REF, "golden", "octavius", case)
        image = np.load(os.path.join(d, "inputs.npz"))["image"].tobytes()
        ext = "jpg" if image[:2] == b"\xff\xd8" else "png"
        exp = np.load(os.path.join(d, "expected.npz"))
        size = exp["pixel_uint8"].shape[1]
        name = "golden-octavius-" + case
        write(out("preprocess", name + "." + ext), image)
        write(out("preprocess", name + ".u8"), exp["pixel_uint8"][0].tobytes())
        write(out("preprocess", name + ".f32"), exp["pixel_values"][0].astype("<f4").tobytes())
        lines.append(f"octavius {name} preprocess/{name}.{ext} {size}")
    write(out("preprocess", "cases.txt"), ("\n".join(lines) + "\n").encode())


def copy_golden():
    dst = os.path.join(RES, "golden", "cumo", "image-png")
    os.makedirs(dst, exist_ok=True)
    for f in ("inputs.npz", "expected.npz", "config.json"):
        shutil.copyfile(os.path.join(REF, "golden", "cumo", "image-png", f), os.path.join(dst, f))


if __name__ == "__main__":
    make_decode()
    make_resize()
    make_preprocess()
    copy_golden()
    print("fixtures written under", HERE)
