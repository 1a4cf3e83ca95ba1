#!/usr/bin/env python3
"""rfbprobe: hostile and odd VNC clients for tessera-render's tests.

  rfbprobe.py PORT MODE [CA [USER PASS]]

Modes (exit 0 when the server behaved as it must):
  sectype-1      choose security type None after we were offered [19] only:
                 the server must close the connection
  sectype-2      the same with VncAuth
  offer          print the security types offered (must be exactly [19])
  subtypes       print the VeNCrypt subtypes offered (must be 260 262)
  tlsnone        choose VeNCrypt subtype 257 (TLSNone, anonymous TLS):
                 refused (status 0) and closed
  version33      answer RFB 3.3: closed without security types
  plain          X509Plain with USER PASS, CA verified: print the
                 SecurityResult ("ok" or "failed")
  stall-version  send half a version and go silent: print how long the
                 server took to close the connection
  stall-tls      reach the TLS step, send half a ClientHello, go silent
  garbage        send 4 KiB of junk instead of a version
  desktop-size   rfbprobe.py PORT desktop-size CA AUTH WxH...: log in (AUTH
                 user:USER:PASS, X509Plain and the framed screen, or
                 cert:CRT:KEY, X509None and the plain one), ask for
                 ExtendedDesktopSize, then send SetDesktopSize for each WxH
                 in turn and print, for each, the server's answer to it
                 ("WxH: status S, now AxB"; S as in the RFB spec: 0 done,
                 1 prohibited, 2 out of resources, 3 invalid layout) and,
                 when it says 0, the size the next screen update has;
                 then "serving AxB" once a full update of pixels arrived
"""
import socket
import ssl
import struct
import sys
import time


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("closed after %d of %d bytes" % (len(b), n))
        b += c
    return b


def closed(s, timeout=15):
    """True if the server closes s within timeout (reads drained)."""
    s.settimeout(timeout)
    try:
        while True:
            c = s.recv(4096)
            if not c:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    except ssl.SSLError:
        return True


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    return s


def to_vencrypt(s):
    v = recv_exact(s, 12)
    assert v == b"RFB 003.008\n", v
    s.sendall(b"RFB 003.008\n")
    n = recv_exact(s, 1)[0]
    types = list(recv_exact(s, n))
    return types


def tls_login(s, ca, auth):
    """VeNCrypt after the subtypes: X509Plain or X509None; the TLS socket."""
    ctx = ssl.create_default_context(cafile=ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    kind, a, b = auth.split(":", 2)
    if kind == "cert":
        ctx.load_cert_chain(a, b)
        s.sendall(struct.pack(">I", 260))
        assert recv_exact(s, 1) == b"\x01"
        ts = ctx.wrap_socket(s, server_hostname="127.0.0.1")
    else:
        s.sendall(struct.pack(">I", 262))
        assert recv_exact(s, 1) == b"\x01"
        ts = ctx.wrap_socket(s, server_hostname="127.0.0.1")
        ts.sendall(struct.pack(">II", len(a), len(b)) + a.encode() + b.encode())
    r = struct.unpack(">I", recv_exact(ts, 4))[0]
    assert r == 0, "security result %d" % r
    return ts


class Updates:
    """Reads server messages: raw pixels, DesktopSize, ExtendedDesktopSize."""

    def __init__(self, ts, w, h, bpp):
        self.ts, self.w, self.h, self.bpp = ts, w, h, bpp
        self.ext = []        # (x, y, w, h) of ExtendedDesktopSize rects
        self.pixels = False  # a full-size raw rectangle arrived

    def request(self, incremental):
        self.ts.sendall(struct.pack(">BBHHHH", 3, incremental, 0, 0,
                                    self.w, self.h))

    def one(self):
        t = recv_exact(self.ts, 1)[0]
        if t == 0:
            n = struct.unpack(">xH", recv_exact(self.ts, 3))[0]
            for _ in range(n):
                x, y, w, h, e = struct.unpack(">HHHHi", recv_exact(self.ts, 12))
                if e == 0:
                    recv_exact(self.ts, w * h * self.bpp)
                    if w == self.w and h == self.h:
                        self.pixels = True
                elif e == -223:
                    self.w, self.h = w, h
                elif e == -308:
                    ns = recv_exact(self.ts, 4)[0]
                    recv_exact(self.ts, 16 * ns)
                    self.w, self.h = w, h
                    self.ext.append((x, y, w, h))
                else:
                    raise AssertionError("encoding %d" % e)
            self.request(1)
        elif t == 2:
            pass
        elif t == 3:
            recv_exact(self.ts, 3)
            recv_exact(self.ts, struct.unpack(">I", recv_exact(self.ts, 4))[0])
        else:
            raise AssertionError("message type %d" % t)


def desktop_size(s, ca, auth, sizes):
    """After the VeNCrypt subtypes: see the desktop-size mode."""
    ts = tls_login(s, ca, auth)
    ts.settimeout(60)
    ts.sendall(b"\x01")
    init = recv_exact(ts, 24)
    w, h = struct.unpack(">HH", init[:4])
    bpp = init[4] // 8
    recv_exact(ts, struct.unpack(">I", init[20:24])[0])
    encs = [0, -223, -308]
    ts.sendall(struct.pack(">BxH", 2, len(encs)) +
               b"".join(struct.pack(">i", e) for e in encs))
    u = Updates(ts, w, h, bpp)
    u.request(0)
    while not u.ext:  # the server's layout, first
        u.one()
    print("layout %dx%d" % (u.w, u.h), flush=True)
    rc = 0
    for size in sizes:
        rw, rh = (int(v) for v in size.split("x"))
        ts.sendall(struct.pack(">BxHHBx", 251, rw, rh, 1) +
                   struct.pack(">IHHHHI", 1, 0, 0, rw, rh, 0))
        n = len(u.ext)
        while not any(e[0] == 1 for e in u.ext[n:]):
            u.one()
        x, y, aw, ah = next(e for e in u.ext[n:] if e[0] == 1)
        print("%s: status %d, now %dx%d" % (size, y, aw, ah), flush=True)
    u.pixels = False
    u.request(0)
    while not u.pixels:
        u.one()
    print("serving %dx%d" % (u.w, u.h))
    return rc


def main():
    port = int(sys.argv[1])
    mode = sys.argv[2]
    s = connect(port)
    t0 = time.monotonic()
    if mode == "version33":
        recv_exact(s, 12)
        s.sendall(b"RFB 003.003\n")
        ok = closed(s)
        print("closed" if ok else "still open")
        return 0 if ok else 1
    if mode == "garbage":
        recv_exact(s, 12)
        try:
            s.sendall(bytes(range(256)) * 16)
        except OSError:
            pass
        ok = closed(s)
        print("closed" if ok else "still open")
        return 0 if ok else 1
    if mode == "stall-version":
        recv_exact(s, 12)
        s.sendall(b"RFB 003")
        ok = closed(s, 30)
        print("closed after %.1f s" % (time.monotonic() - t0))
        return 0 if ok else 1
    types = to_vencrypt(s)
    if mode == "offer":
        print("types %s" % types)
        return 0 if types == [19] else 1
    if mode in ("sectype-1", "sectype-2"):
        s.sendall(bytes([int(mode[-1])]))
        ok = closed(s)
        print("closed" if ok else "still open")
        return 0 if ok else 1
    s.sendall(bytes([19]))
    assert recv_exact(s, 2) == b"\x00\x02"
    s.sendall(b"\x00\x02")
    assert recv_exact(s, 1) == b"\x00"
    n = recv_exact(s, 1)[0]
    subs = list(struct.unpack(">%dI" % n, recv_exact(s, 4 * n)))
    if mode == "subtypes":
        print("subtypes %s" % " ".join(map(str, subs)))
        return 0 if subs == [260, 262] else 1
    if mode == "tlsnone":
        s.sendall(struct.pack(">I", 257))
        try:
            ack = s.recv(1)
        except OSError:
            ack = b""
        ok = ack in (b"", b"\x00") and closed(s)
        print("refused (ack %r), closed" % ack if ok else "accepted?")
        return 0 if ok else 1
    if mode == "stall-tls":
        s.sendall(struct.pack(">I", 262))
        assert recv_exact(s, 1) == b"\x01"
        s.sendall(b"\x16\x03\x01\x02")
        ok = closed(s, 30)
        print("closed after %.1f s" % (time.monotonic() - t0))
        return 0 if ok else 1
    if mode == "desktop-size":
        return desktop_size(s, sys.argv[3], sys.argv[4], sys.argv[5:])
    if mode == "plain":
        ca, user, pw = sys.argv[3], sys.argv[4].encode(), sys.argv[5].encode()
        s.sendall(struct.pack(">I", 262))
        assert recv_exact(s, 1) == b"\x01"
        ctx = ssl.create_default_context(cafile=ca)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ts = ctx.wrap_socket(s, server_hostname="127.0.0.1")
        ts.sendall(struct.pack(">II", len(user), len(pw)) + user + pw)
        r = struct.unpack(">I", recv_exact(ts, 4))[0]
        if r == 0:
            print("ok (%s)" % ts.version())
            return 0
        n = struct.unpack(">I", recv_exact(ts, 4))[0]
        print("failed: %s" % recv_exact(ts, n).decode(errors="replace"))
        return 1
    print("unknown mode %s" % mode)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (EOFError, OSError, AssertionError, ssl.SSLError) as e:
        print("error: %s" % e)
        sys.exit(1)
