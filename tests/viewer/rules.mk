# tests/viewer: tessera-view end to end: a host (tessera-vmd, libvirt,
# tessera-render), test qubes, the viewer under Xvfb, and view-check,
# which checks its screenshots pixel by pixel against its state file.
tests_viewer_CFLAGS := -Ithin-client -Itests/images -Itests/lib

$(B)/tests/view-check: $(B)/obj/tests/viewer/view_check.o $(B)/obj/tests/lib/ppm.o \
    $(B)/obj/thin-client/layout.o $(PATTERN_OBJS) $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ -lm

TEST_PROGS += $(B)/tests/view-check
SUITES     += tests/viewer/test-view.sh
