# vm-manager: tessera-vmd, the tessera CLI, and their pure parts (domain XML / xl config
# generation, the Admin API policy) in $(LIBVMD) for tests and the daemon.
LIBVMD      := $(B)/lib/libvmd.a
LIBVMD_SRCS := vm-manager/domxml.c vm-manager/policy.c
LIBVMD_OBJS := $(LIBVMD_SRCS:%.c=$(B)/obj/%.o)

$(LIBVMD): $(LIBVMD_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# Tests: tests/vmd/test_NAME.c -> $(B)/tests/test-vmd-NAME
tests_vmd_CFLAGS := -Ivm-manager
VMD_TESTS := $(B)/tests/test-vmd-domxml $(B)/tests/test-vmd-policy

$(VMD_TESTS): $(B)/tests/test-vmd-%: $(B)/obj/tests/vmd/test_%.o $(LIBVMD) \
    $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^

TEST_PROGS += $(VMD_TESTS)
SUITES     += $(VMD_TESTS) tests/vmd/test-domxml-validate.sh

FUZZERS += policy
fuzz_policy_SRCS := tests/fuzz/fuzz_policy.c vm-manager/policy.c common/label.c \
                    common/hex.c

# tessera-vmd and the tessera CLI.
VMD_SRCS := vm-manager/vmd.c vm-manager/control.c vm-manager/api.c \
            vm-manager/hv.c vm-manager/volume.c vm-manager/store.c \
            vm-manager/kvm.c vm-manager/render.c
VMD_LIBS := $(shell pkg-config --libs libvirt sqlite3 uuid) $(LIBTSR_LIBS)
vm_manager_CFLAGS := $(shell pkg-config --cflags libvirt)

$(B)/bin/tessera-vmd: $(VMD_SRCS:%.c=$(B)/obj/%.o) $(LIBVMD) $(LIBTSR) | $(B)/bin
	$(CC) $(LDFLAGS) -o $@ $^ $(VMD_LIBS)

$(B)/bin/tessera: $(B)/obj/vm-manager/tessera.o $(LIBTSR) | $(B)/bin
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBTSR_LIBS)

BINS += $(B)/bin/tessera-vmd $(B)/bin/tessera
MANS += docs/tessera.1 docs/tessera-vmd.8

$(B)/tests/test-vmd-store: $(B)/obj/tests/vmd/test_store.o \
    $(B)/obj/vm-manager/store.o $(LIBVMD) $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs sqlite3) $(LIBTSR_LIBS)

TEST_PROGS += $(B)/tests/test-vmd-store
SUITES     += $(B)/tests/test-vmd-store

# A probe the vm-manager suite and benchmarks use to see a test qube's frames.
$(B)/tests/qube-probe: $(B)/obj/tests/vmd/qube_probe.o $(B)/obj/render-server/qemu_vnc.o \
    $(B)/obj/tests/images/pattern.o \
    $(B)/obj/$(IMG)/font8x16.o | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libvncclient)
tests_vmd_CFLAGS += -Itests/images -Irender-server
TEST_PROGS += $(B)/tests/qube-probe
SUITES += tests/vmd/test-vmd.sh
SUITES     += tests/render-server/test-render-vmd.sh
