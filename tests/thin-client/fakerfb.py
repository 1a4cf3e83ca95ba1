#!/usr/bin/env python3
"""fakerfb: a VNC server that offers a decoder something it must refuse.

  fakerfb.py PORTFILE MODE

Listens on 127.0.0.1 (an ephemeral port, written to PORTFILE), takes one
connection, plays MODE, and prints what the client did:
  none        RFB 3.8 offering security type None (1) only
  vnc-none    VeNCrypt (19) offering subtype None (1) inside it: no TLS;
              if the client goes on, SecurityResult OK and a 640x480
              ServerInit follow (a client that does not check would get
              a picture without any TLS)
  vnc-plain   VeNCrypt offering subtype Plain (256): a password in clear
  silent      says nothing at all
"""
import os
import socket
import struct
import sys
import time


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            break
        b += c
    return b


def main():
    portfile, mode = sys.argv[1], sys.argv[2]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    ls.settimeout(60)
    s, _ = ls.accept()
    s.settimeout(40)
    try:
        if mode == "silent":
            s.recv(1)
            print("closed by the client")
            return
        s.sendall(b"RFB 003.008\n")
        recv_exact(s, 12)
        if mode == "none":
            s.sendall(b"\x01\x01")
            print("client chose: %r" % s.recv(1))
            return
        s.sendall(b"\x01\x13")
        if recv_exact(s, 1) != b"\x13":
            print("client did not choose VeNCrypt")
            return
        s.sendall(b"\x00\x02")
        recv_exact(s, 2)
        sub = 1 if mode == "vnc-none" else 256
        s.sendall(b"\x00\x01" + struct.pack(">I", sub))
        got = recv_exact(s, 4)
        print("client chose subtype: %r" % got)
        if len(got) < 4:
            return
        if mode == "vnc-none":
            s.sendall(struct.pack(">I", 0))   # SecurityResult OK
            recv_exact(s, 1)                   # ClientInit
            pf = struct.pack(">BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255,
                             16, 8, 0)
            s.sendall(struct.pack(">HH", 640, 480) + pf +
                      struct.pack(">I", 4) + b"fake")
            time.sleep(0.5)
            s.settimeout(5)
            print("after ServerInit the client sent: %r" % s.recv(64))
        else:
            s.settimeout(5)
            print("then the client sent: %r" % s.recv(64))
    except (OSError, EOFError) as e:
        print("connection ended: %s" % e)


main()
