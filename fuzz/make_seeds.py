#!/usr/bin/env python3
"""Writes small decoder seed inputs to corpus/{xpress,lzx,lzms}_decompress/.

Each seed is the fuzz input layout of src/lib.rs `decode_params`: one chunk-size selector
byte, a 3-byte little-endian output length, then one compressed chunk. Chunks are made by
Debian's libwim.so.15 (wimlib, loaded with ctypes at generation time only; nothing of it is
shipped). Re-run after changing the layout: python3 fuzz/make_seeds.py
"""
import ctypes, os, random

lib = ctypes.CDLL("libwim.so.15")
here = os.path.dirname(os.path.abspath(__file__))
rnd = random.Random(1234)
text = (b"The quick brown fox jumps over the lazy dog. " * 200)
binary = open("/bin/ls", "rb").read()[20000:60000] if os.path.exists("/bin/ls") else bytes(range(256)) * 100
datas = {
    "text": text,
    "binary": binary,
    "zeros": bytes(20000),
    "mixed": bytes(rnd.randrange(256) if i % 7 == 0 else 65 + i % 5 for i in range(20000)),
}
codecs = {"xpress": (1, 12), "lzx": (2, 15), "lzms": (3, 15)}
for name, (ctype, lo_log) in codecs.items():
    out = os.path.join(here, "corpus", f"{name}_decompress")
    os.makedirs(out, exist_ok=True)
    log = lo_log if name != "xpress" else 15  # 32 KiB chunks
    chunk = 1 << log
    sel = log - lo_log
    comp = ctypes.c_void_p()
    assert lib.wimlib_create_compressor(ctype, chunk, 0, ctypes.byref(comp)) == 0
    for dname, d in datas.items():
        d = d[:chunk]
        buf = ctypes.create_string_buffer(len(d))
        n = lib.wimlib_compress(d, len(d), buf, len(d) - 1, comp)
        if n == 0:
            continue
        seed = bytes([sel]) + len(d).to_bytes(3, "little") + buf.raw[:n]
        with open(os.path.join(out, f"libwim_{dname}"), "wb") as f:
            f.write(seed)
    lib.wimlib_free_compressor(comp)
