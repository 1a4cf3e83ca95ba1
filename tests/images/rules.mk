# The test qube image (build/images, shared by the plain and sanitizer builds)
# and the test that boots it and checks its display (test-qube.sh).
#
#   $(IMG)/vmlinux            Debian's kernel, decompressed (PVH ELF for -kernel)
#   $(IMG)/modules/           the drivers the qube loads (from the same package)
#   $(IMG)/testqube           the guest program (static, plain gcc, no sanitizer)
#   $(IMG)/testqube.cpio.gz   the initramfs: busybox, /init, testqube, modules
#   $(IMG)/viewer-modules/    the viewer guest's drivers (display, input, 9p, net)
#   $(IMG)/viewer.cpio.gz     the viewer guest's initramfs: busybox, /init,
#                             modules; its root is the host's, over 9p
#   $(IMG)/font8x16.c         the glyph table, generated from a Debian console font
#
# Downloads (apt-get download) are kept in $(IMG)/cache.

GUEST_CC     := gcc
GUEST_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -static \
                -Itests/images \
                $(or $(shell pkg-config --cflags libdrm 2>/dev/null),-I/usr/include/libdrm)
TESTQUBE_SRCS := tests/images/testqube.c tests/images/testqube_drm.c \
                tests/images/testqube_input.c tests/images/pattern.c
MKIMAGE      := tests/images/mkimage.sh

images: $(IMG)/vmlinux $(IMG)/testqube.cpio.gz $(IMG)/viewer.cpio.gz

$(IMG)/vmlinux: $(MKIMAGE)
	$(MKIMAGE) kernel $(IMG)

$(IMG)/busybox: $(MKIMAGE)
	$(MKIMAGE) busybox $(IMG)

$(IMG)/font.psf: $(MKIMAGE)
	$(MKIMAGE) font $(IMG)

$(IMG)/tools/psf2c: common/psf2c.c
	@mkdir -p $(@D)
	$(GUEST_CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o $@ $<

$(IMG)/font8x16.c: $(IMG)/font.psf $(IMG)/tools/psf2c
	$(IMG)/tools/psf2c <$(IMG)/font.psf >$@.tmp && mv $@.tmp $@

$(IMG)/testqube: $(TESTQUBE_SRCS) tests/images/pattern.h tests/images/testqube.h \
    $(IMG)/font8x16.c
	$(GUEST_CC) $(GUEST_CFLAGS) -o $@ $(TESTQUBE_SRCS) $(IMG)/font8x16.c

$(IMG)/testqube.cpio.gz: $(IMG)/testqube tests/images/init $(IMG)/vmlinux $(IMG)/busybox \
    $(MKIMAGE)
	$(MKIMAGE) initramfs $(IMG) $(IMG)/testqube tests/images/init $@

$(IMG)/viewer.cpio.gz: tests/images/viewer-init $(IMG)/vmlinux $(IMG)/busybox $(MKIMAGE)
	$(MKIMAGE) viewer-initramfs $(IMG) tests/images/viewer-init $@

# --- host side: the pattern and font, compiled into test programs ---
tests_images_CFLAGS      := -Itests/images -Itests/lib
build_images_CFLAGS      := -Itests/images
PATTERN_OBJS := $(B)/obj/tests/images/pattern.o $(B)/obj/$(IMG)/font8x16.o
QMP_OBJS     := $(B)/obj/tests/images/qmp.o $(B)/obj/common/clock.o

$(B)/tests/test-qube-display: $(B)/obj/tests/images/test_qube_display.o $(QMP_OBJS) \
    $(PATTERN_OBJS) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libvncclient)

# Pure tests of the pattern maths (no QEMU).
$(B)/tests/test-pattern: $(B)/obj/tests/images/test_pattern.o $(PATTERN_OBJS) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^

TEST_PROGS += $(B)/tests/test-qube-display $(B)/tests/test-pattern
SUITES     += $(B)/tests/test-pattern tests/images/test-qube.sh

FUZZERS += qmp_reply
fuzz_qmp_reply_SRCS := tests/fuzz/fuzz_qmp_reply.c tests/images/qmp.c common/clock.c
