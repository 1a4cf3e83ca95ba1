# render-server: tessera-render, one per running qube: VNC (libvncserver)
# and RDP (FreeRDP 2.11 server).  Its tests and fuzz targets are in
# tests/render-server/rules.mk.
#
#   RS_RDP_OBJS  the RDP output, which the test harness links on its own
#   RS_CFLAGS    what the render-server's sources and its tests compile with
RS_RDP_SRCS := render-server/rdp.c render-server/rdp_enc.c \
               render-server/rdp_disp.c render-server/rdp_disp_check.c \
               render-server/rdp_input.c render-server/rdp_keys.c \
               render-server/rdp_frame.c
RS_SRCS := render-server/main.c render-server/fb.c render-server/input.c \
           render-server/vnc.c render-server/conn.c render-server/vencrypt.c \
           render-server/filter.c render-server/frame.c render-server/auth.c \
           render-server/passwd.c render-server/sandbox.c \
           render-server/qemu_vnc.c $(RS_RDP_SRCS)
RS_PKGS := libvncserver libvncclient libseccomp freerdp-server2 freerdp2 winpr2
RS_LIBS := $(shell pkg-config --libs $(RS_PKGS)) $(LIBTSR_LIBS) -lpthread
RS_CFLAGS := $(shell pkg-config --cflags $(RS_PKGS))
render_server_CFLAGS := $(RS_CFLAGS)

RS_OBJS := $(RS_SRCS:%.c=$(B)/obj/%.o)
RS_RDP_OBJS := $(RS_RDP_SRCS:%.c=$(B)/obj/%.o)

$(B)/bin/tessera-render: $(RS_OBJS) $(LIBTSR) | $(B)/bin
	$(CC) $(LDFLAGS) -o $@ $^ $(RS_LIBS)

BINS += $(B)/bin/tessera-render
MANS += docs/tessera-render.1
