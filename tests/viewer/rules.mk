# tests/viewer: tessera-view end to end: a host (tessera-vmd, libvirt,
# tessera-render), test qubes, the viewer under Xvfb, and view-check,
# which checks its screenshots pixel by pixel against its state file.
# test-kiosk.sh: tessera-view --kiosk on KMS/DRM, in a QEMU guest whose root
# is the host's (build/images/viewer.cpio.gz); qmp-send drives its monitor.
tests_viewer_CFLAGS := -Ithin-client -Itests/images -Itests/lib

$(B)/tests/view-check: $(B)/obj/tests/viewer/view_check.o $(B)/obj/tests/lib/ppm.o \
    $(B)/obj/thin-client/layout.o $(PATTERN_OBJS) $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ -lm

$(B)/tests/qmp-send: $(B)/obj/tests/viewer/qmp_send.o $(QMP_OBJS) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^

TEST_PROGS += $(B)/tests/view-check $(B)/tests/qmp-send
SUITES     += tests/viewer/test-view.sh tests/viewer/test-kiosk.sh \
    tests/viewer/test-view-resize.sh
