# tests/thin-client: every test of tessera-view and tessera-view-decoder.
#
#   test-compositor      unit tests of the window maths, frame drawing and
#                        packet checks (SDL's offscreen driver: no display)
#   test-decoder.sh      tessera-view-decoder against a real test qube and
#                        tessera-render, driven by a stand-in compositor
#                        (decoder-probe); fakerfb.py plays a hostile server
#   test-view.sh,        tessera-view end to end: a host (tessera-vmd,
#   test-view-resize.sh  libvirt, tessera-render), test qubes, the viewer
#                        under Xvfb, and view-check, which checks its
#                        screenshots pixel by pixel against its state file
#   test-kiosk.sh        tessera-view --kiosk on KMS/DRM, in a QEMU guest
#                        whose root is the host's
#                        (build/images/viewer.cpio.gz); qmp-send drives
#                        its monitor
#   view-latency         a tool of the benchmark (tests/bench/bench-view):
#                        times a test qube's frame counter on its display
#                        socket and on the screen of the viewers that show it
#   lsan.supp            LeakSanitizer suppressions for the suites
VIEWBENCH_PKGS := libvncclient x11 xext
tests_thin_client_CFLAGS := -Ithin-client -Itests/images -Itests/lib \
    $(shell pkg-config --cflags sdl2) \
    $(shell pkg-config --cflags $(VIEWBENCH_PKGS) 2>/dev/null)

$(B)/tests/test-compositor: $(B)/obj/tests/thin-client/test_compositor.o \
    $(B)/obj/thin-client/layout.o $(B)/obj/thin-client/draw.o \
    $(B)/obj/thin-client/proto.o $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs sdl2) $(LIBTSR_LIBS) -lm

$(B)/tests/decoder-probe: $(B)/obj/tests/thin-client/decoder_probe.o \
    $(TV_PROTO_OBJS) $(PATTERN_OBJS) $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^

$(B)/tests/view-check: $(B)/obj/tests/thin-client/view_check.o \
    $(B)/obj/tests/lib/ppm.o $(B)/obj/thin-client/layout.o $(PATTERN_OBJS) \
    $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ -lm

$(B)/tests/qmp-send: $(B)/obj/tests/thin-client/qmp_send.o $(QMP_OBJS) \
    | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^

$(B)/tests/view-latency: $(B)/obj/tests/thin-client/view_latency.o \
    $(B)/obj/tests/images/pattern.o $(B)/obj/$(IMG)/font8x16.o | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs $(VIEWBENCH_PKGS)) \
	    -lpthread -lm

TEST_PROGS += $(B)/tests/test-compositor $(B)/tests/decoder-probe \
    $(B)/tests/view-check $(B)/tests/qmp-send $(B)/tests/view-latency
SUITES     += $(B)/tests/test-compositor tests/thin-client/test-decoder.sh \
    tests/thin-client/test-view.sh tests/thin-client/test-kiosk.sh \
    tests/thin-client/test-view-resize.sh

# Fuzz target: the compositor's check of every packet from a decoder.
FUZZERS += tv_msg
fuzz_tv_msg_SRCS := tests/fuzz/fuzz_tv_msg.c $(TV_PROTO_SRCS)
