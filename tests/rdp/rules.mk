# RDP output of tessera-render: the harness (rdp.c with a framebuffer of its
# own, synthetic or from a qube's VNC socket), the screenshot checker, the
# key-mapping unit test, and the suite with real xfreerdp clients.
ifndef RDP_MK_INCLUDED
include render-server/rdp.mk
endif

tests_rdp_CFLAGS := -Irender-server -Itests/images -Itests/lib $(RDP_CFLAGS)

# rdp.c draws its frame with frame.c (the one frame drawing, shared with VNC).
RDP_FRAME_OBJS := $(B)/obj/render-server/frame.o

$(B)/tests/rdp-harness: $(B)/obj/tests/rdp/rdp_harness.o $(RDP_OBJS) $(RDP_FRAME_OBJS) \
    $(PATTERN_OBJS) $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(RDP_LIBS) $(shell pkg-config --libs libvncclient) \
	    $(LIBTSR_LIBS)

$(B)/tests/rdp-check: $(B)/obj/tests/rdp/rdp_check.o $(B)/obj/tests/lib/ppm.o \
    $(B)/obj/render-server/rdp_frame.o \
    $(RDP_FRAME_OBJS) $(PATTERN_OBJS) $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBTSR_LIBS)

$(B)/tests/test-rdp-keys: $(B)/obj/tests/rdp/test_rdp_keys.o \
    $(B)/obj/render-server/rdp_keys.o $(B)/obj/render-server/rdp_frame.o \
    $(RDP_FRAME_OBJS) $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBTSR_LIBS)

TEST_PROGS += $(B)/tests/rdp-harness $(B)/tests/rdp-check $(B)/tests/test-rdp-keys
SUITES     += $(B)/tests/test-rdp-keys tests/rdp/test-rdp.sh
