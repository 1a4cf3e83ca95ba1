# tests/viewbench: tools of the tessera-view benchmark (tests/bench/bench-view).
# view-latency times a test qube's frame counter on its display socket and
# on the screen of the viewers that show it.
VIEWBENCH_PKGS := libvncclient x11 xext
tests_viewbench_CFLAGS := -Itests/images \
    $(shell pkg-config --cflags $(VIEWBENCH_PKGS) 2>/dev/null)

$(B)/tests/view-latency: $(B)/obj/tests/viewbench/view_latency.o \
    $(B)/obj/tests/images/pattern.o $(B)/obj/$(IMG)/font8x16.o | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs $(VIEWBENCH_PKGS)) \
	    -lpthread -lm

TEST_PROGS += $(B)/tests/view-latency
