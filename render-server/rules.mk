# render-server: tessera-render, one per running qube (VNC here; RDP in
# rdp.c when present).
RS_SRCS := render-server/main.c render-server/fb.c render-server/input.c \
           render-server/vnc.c render-server/conn.c render-server/vencrypt.c \
           render-server/filter.c render-server/frame.c render-server/auth.c \
           render-server/passwd.c render-server/sandbox.c \
           render-server/qemu_vnc.c
RS_PKGS := libvncserver libvncclient libseccomp
RS_LIBS := $(shell pkg-config --libs $(RS_PKGS)) $(LIBTSR_LIBS) -lpthread
render_server_CFLAGS := $(shell pkg-config --cflags $(RS_PKGS))
# The RDP output, when present (rdp.mk adds its flags to render_server_CFLAGS).
-include render-server/rdp.mk
ifdef RDP_MK_INCLUDED
RS_LIBS += $(RDP_LIBS)
render_server_CFLAGS += -DRS_WITH_RDP
endif

RS_OBJS := $(RS_SRCS:%.c=$(B)/obj/%.o) $(RDP_OBJS)

$(B)/bin/tessera-render: $(RS_OBJS) $(LIBTSR) | $(B)/bin
	$(CC) $(LDFLAGS) -o $@ $^ $(RS_LIBS)

BINS += $(B)/bin/tessera-render
MANS += docs/tessera-render.1

# Tests: a libvncclient viewer with a client certificate, and the suite.
tests_render_CFLAGS := -Irender-server -Itests/images -Itests/lib \
                       $(shell pkg-config --cflags libvncclient)
$(B)/tests/render-viewer: $(B)/obj/tests/render/render_viewer.o $(B)/obj/tests/lib/ppm.o \
    $(B)/obj/tests/images/pattern.o $(B)/obj/$(IMG)/font8x16.o $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libvncclient) $(LIBTSR_LIBS)
$(B)/tests/test-render-unit: $(B)/obj/tests/render/test_render_unit.o \
    $(B)/obj/render-server/vencrypt.o $(B)/obj/render-server/filter.o \
    $(B)/obj/render-server/passwd.o $(B)/obj/render-server/fb.o \
    $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBTSR_LIBS) -lpthread

TEST_PROGS += $(B)/tests/render-viewer $(B)/tests/test-render-unit
SUITES     += $(B)/tests/test-render-unit tests/render/test-render.sh \
              tests/render/test-render-resize.sh

# Fuzz targets: the VeNCrypt handshake, the viewer message filter, the
# password file parser.
FUZZERS += vencrypt rfb_filter passwd
fuzz_vencrypt_SRCS := tests/fuzz/fuzz_vencrypt.c render-server/vencrypt.c
fuzz_vencrypt_LIBS := $(LIBTSR_LIBS)
fuzz_rfb_filter_SRCS := tests/fuzz/fuzz_rfb_filter.c render-server/filter.c
fuzz_passwd_SRCS := tests/fuzz/fuzz_passwd.c render-server/passwd.c common/log.c
fuzz_passwd_LIBS := $(LIBTSR_LIBS)
