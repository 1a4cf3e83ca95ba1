#!/usr/bin/env python3
"""flood: half-open connections against a TLS, VNC or RDP port, for the
denial-of-service tests.  Loopback only, bounded in count and time.

  flood.py PORT MODE COUNT HOLD [FROM...]

Opens COUNT connections to 127.0.0.1:PORT, bound in turn to each FROM
address (127.x.y.z; default 127.0.0.2), sends the start of a handshake and
nothing more, prints "holding N" once they are open (at most 5 s), and
watches for the server closing them until HOLD seconds after the start.  MODE is what each sends:
  silent   nothing
  tls      half a TLS ClientHello (tessera-vmd's port)
  vnc      the RFB version, then nothing (tessera-render's VNC port)
  rdp      an X.224 Connection Request asking for TLS, then half a
           ClientHello (tessera-render's RDP port)
The last line: "tried N refused R closed C open O last-close-ms T":
refused are connections that did not open within 5 s or that the server
closed (or reset) within 1 s of their opening, closed those it closed later, open those it still held at the end,
T when the last of the closed ones went (ms after the start).
Exit 0, or 2 on bad arguments.
"""
import select
import socket
import sys
import time

HALF_HELLO = bytes.fromhex("16030100c8010000c40303") + bytes(32)
X224_TLS = bytes.fromhex("030000130ee000000000000100080001000000")


def main():
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    port, mode = int(sys.argv[1]), sys.argv[2]
    count, hold = int(sys.argv[3]), float(sys.argv[4])
    sources = sys.argv[5:] or ["127.0.0.2"]
    payload = {"silent": b"", "tls": HALF_HELLO, "vnc": b"RFB 003.008\n",
               "rdp": X224_TLS + HALF_HELLO}.get(mode)
    if payload is None or count < 1 or count > 1000 or hold > 120 or \
            not all(a.startswith("127.") for a in sources):
        print("flood: bad arguments", file=sys.stderr)
        return 2
    # connect all at once (a full backlog must not serialise the retries),
    # and watch for closes meanwhile
    pending, socks, opened_at, refused, failed = {}, {}, {}, 0, 0
    poller = select.poll()
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((sources[i % len(sources)], 0))
        except OSError:
            s.close()
            failed += 1
            continue
        s.connect_ex(("127.0.0.1", port))
        pending[s.fileno()] = s
        poller.register(s.fileno(), select.POLLOUT)
    start = time.monotonic()
    closed, last, said = 0, 0.0, False
    while (pending or socks) and time.monotonic() - start < hold:
        if not said and (not pending or time.monotonic() - start > 5):
            print("holding %d" % len(socks), flush=True)
            said = True
        for fd, _ in poller.poll(100):
            if fd in pending:
                s = pending.pop(fd)
                try:
                    if s.getsockopt(socket.SOL_SOCKET,
                                    socket.SO_ERROR) != 0:
                        raise OSError("connect")
                    if payload:
                        s.send(payload)
                except OSError:
                    poller.unregister(fd)
                    s.close()
                    failed += 1
                    continue
                poller.modify(fd, select.POLLIN)
                socks[fd] = s
                opened_at[fd] = time.monotonic()
                continue
            s = socks[fd]
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                continue        # the server's side of the handshake
            now = time.monotonic()
            if now - opened_at[fd] < 1:
                refused += 1
            else:
                closed += 1
                last = now - start
            poller.unregister(fd)
            s.close()
            del socks[fd]
    if not said:
        print("holding %d" % len(socks), flush=True)
    failed += len(pending)
    for s in pending.values():
        s.close()
    print("tried %d refused %d closed %d open %d last-close-ms %d" %
          (count, refused + failed, closed, len(socks),
           int(last * 1000)), flush=True)
    for s in socks.values():
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
