# tessera-render's tests: a libvncclient viewer with a client certificate,
# the unit test of its pure parts, the RDP harness (the RDP output with a
# framebuffer of its own, synthetic or from a qube's VNC socket), the RDP
# screenshot checker, the key-mapping unit test, the suites, and the fuzz
# targets of its parsers.
tests_render_server_CFLAGS := -Irender-server -Itests/images -Itests/lib \
                              $(RS_CFLAGS)

$(B)/tests/render-viewer: $(B)/obj/tests/render-server/render_viewer.o \
    $(B)/obj/tests/lib/ppm.o $(B)/obj/tests/lib/vncc_x509.o $(PATTERN_OBJS) \
    $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libvncclient) $(LIBTSR_LIBS)

$(B)/tests/test-render-unit: $(B)/obj/tests/render-server/test_render_unit.o \
    $(B)/obj/render-server/vencrypt.o $(B)/obj/render-server/filter.o \
    $(B)/obj/render-server/passwd.o $(B)/obj/render-server/fb.o \
    $(B)/obj/render-server/rdp_disp_check.o $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBTSR_LIBS) -lpthread

# The RDP output draws its frame with frame.c and keeps its damage with
# fb.c, as the rest of tessera-render does.
$(B)/tests/rdp-harness: $(B)/obj/tests/render-server/rdp_harness.o $(RS_RDP_OBJS) \
    $(B)/obj/render-server/frame.o $(B)/obj/render-server/fb.o \
    $(PATTERN_OBJS) $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ \
	    $(shell pkg-config --libs freerdp-server2 freerdp2 winpr2 libvncclient) \
	    $(LIBTSR_LIBS) -lpthread

$(B)/tests/rdp-check: $(B)/obj/tests/render-server/rdp_check.o $(B)/obj/tests/lib/ppm.o \
    $(B)/obj/render-server/rdp_frame.o $(B)/obj/render-server/frame.o \
    $(PATTERN_OBJS) $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBTSR_LIBS)

$(B)/tests/test-rdp-keys: $(B)/obj/tests/render-server/test_rdp_keys.o \
    $(B)/obj/render-server/rdp_keys.o $(B)/obj/render-server/rdp_frame.o \
    $(B)/obj/render-server/frame.o $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBTSR_LIBS)

TEST_PROGS += $(B)/tests/render-viewer $(B)/tests/test-render-unit \
              $(B)/tests/rdp-harness $(B)/tests/rdp-check $(B)/tests/test-rdp-keys
SUITES     += $(B)/tests/test-render-unit tests/render-server/test-render.sh \
              tests/render-server/test-render-resize.sh \
              $(B)/tests/test-rdp-keys tests/render-server/test-rdp.sh \
              tests/render-server/test-render-flood.sh

# Fuzz targets: the VeNCrypt handshake, the viewer message filter, the
# password file parser, RDP's Display Control monitor layouts.
FUZZERS += vencrypt rfb_filter passwd rdp_disp
fuzz_vencrypt_SRCS := tests/fuzz/fuzz_vencrypt.c render-server/vencrypt.c
fuzz_vencrypt_LIBS := $(LIBTSR_LIBS)
fuzz_rfb_filter_SRCS := tests/fuzz/fuzz_rfb_filter.c render-server/filter.c
fuzz_passwd_SRCS := tests/fuzz/fuzz_passwd.c render-server/passwd.c common/log.c
fuzz_passwd_LIBS := $(LIBTSR_LIBS)
fuzz_rdp_disp_SRCS := tests/fuzz/fuzz_rdp_disp.c render-server/rdp_disp_check.c \
                      common/facts.c
