# SPDX-License-Identifier: GPL-2.0
# Netlink attribute builders shared by the seed generators (gen_*_seeds.py).
import struct


def nla(t, payload=b""):
    n = 4 + len(payload)
    return struct.pack("=HH", n, t) + payload + b"\0" * ((4 - n % 4) % 4)


def nest(t, *attrs): return nla(t, b"".join(attrs))
def u8(t, v): return nla(t, struct.pack("=B", v))
def u16(t, v): return nla(t, struct.pack("=H", v))
def u32(t, v): return nla(t, struct.pack("=I", v))
def u64(t, v): return nla(t, struct.pack("=Q", v))
def be16(t, v): return nla(t, struct.pack("!H", v))
def be32(t, v): return nla(t, struct.pack("!I", v))
def be64(t, v): return nla(t, struct.pack("!Q", v))
def flag(t): return nla(t)
