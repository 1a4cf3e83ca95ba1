# thin-client: tessera-view (the trusted compositor, thin-client/) and
# tessera-view-decoder (one sandboxed process per qube window,
# thin-client/decoder/).  Their tests and fuzz target are in
# tests/thin-client/rules.mk.

# The compositor-decoder packet line, shared by both programs.
TV_PROTO_SRCS := thin-client/proto.c
TV_PROTO_OBJS := $(TV_PROTO_SRCS:%.c=$(B)/obj/%.o)

# --- tessera-view-decoder: libvncclient (VeNCrypt X509None) or FreeRDP
# (TLS, a ticket) into a memfd ---
TV_DECODER_SRCS := thin-client/decoder/main.c thin-client/decoder/vnc.c \
                   thin-client/decoder/rdp.c
TV_DECODER_PKGS := libvncclient libseccomp gnutls freerdp-client2 freerdp2 winpr2 \
                   libcrypto
TV_DECODER_OBJS := $(TV_DECODER_SRCS:%.c=$(B)/obj/%.o) $(TV_PROTO_OBJS)
thin_client_decoder_CFLAGS := -Ithin-client \
    $(shell pkg-config --cflags $(TV_DECODER_PKGS))

$(B)/bin/tessera-view-decoder: $(TV_DECODER_OBJS) $(LIBTSR) | $(B)/bin
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs $(TV_DECODER_PKGS)) \
	    $(LIBTSR_LIBS)

BINS += $(B)/bin/tessera-view-decoder
MANS += docs/tessera-view-decoder.8

# --- tessera-view: the compositor ---
TV_VIEW_SRCS := thin-client/main.c thin-client/wm.c thin-client/paint.c \
                thin-client/seat.c thin-client/host.c thin-client/child.c \
                thin-client/draw.c thin-client/layout.c
TV_VIEW_OBJS := $(TV_VIEW_SRCS:%.c=$(B)/obj/%.o) $(TV_PROTO_OBJS)
thin_client_CFLAGS := $(shell pkg-config --cflags sdl2)

$(B)/bin/tessera-view: $(TV_VIEW_OBJS) $(LIBTSR) | $(B)/bin
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs sdl2) $(LIBTSR_LIBS) \
	    -lpthread -lm

BINS += $(B)/bin/tessera-view
MANS += docs/tessera-view.1
