# Unit tests of tessera-view's window maths and frame drawing (SDL's
# offscreen driver: no display needed).
tests_compositor_CFLAGS := -Ithin-client -Itests/lib $(shell pkg-config --cflags sdl2)

$(B)/tests/test-compositor: $(B)/obj/tests/compositor/test_compositor.o \
    $(B)/obj/thin-client/layout.o $(B)/obj/thin-client/draw.o \
    $(B)/obj/thin-client/proto.o $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs sdl2) $(LIBTSR_LIBS) -lm

TEST_PROGS += $(B)/tests/test-compositor
SUITES     += $(B)/tests/test-compositor
