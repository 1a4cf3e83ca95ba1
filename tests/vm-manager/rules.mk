# tests/vm-manager: the vm-manager's unit tests (tests/vm-manager/test_NAME.c
# -> $(B)/tests/test-vmd-NAME), its suites against real libvirt, the probe
# that sees a test qube's frames, and the policy fuzz target.
tests_vm_manager_CFLAGS := -Ivm-manager -Itests/images -Irender-server
VMD_TESTS := $(B)/tests/test-vmd-domxml $(B)/tests/test-vmd-policy \
             $(B)/tests/test-vmd-props

$(VMD_TESTS): $(B)/tests/test-vmd-%: $(B)/obj/tests/vm-manager/test_%.o \
    $(LIBVMD) $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBTSR_LIBS)

$(B)/tests/test-vmd-store: $(B)/obj/tests/vm-manager/test_store.o \
    $(B)/obj/vm-manager/store.o $(LIBVMD) $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs sqlite3) $(LIBTSR_LIBS)

TEST_PROGS += $(VMD_TESTS) $(B)/tests/test-vmd-store
SUITES     += $(VMD_TESTS) $(B)/tests/test-vmd-store \
              tests/vm-manager/test-domxml-validate.sh

# A probe the vm-manager suite and benchmarks use to see a test qube's frames.
$(B)/tests/qube-probe: $(B)/obj/tests/vm-manager/qube_probe.o \
    $(B)/obj/render-server/qemu_vnc.o $(B)/obj/tests/images/pattern.o \
    $(B)/obj/$(IMG)/font8x16.o $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libvncclient)
TEST_PROGS += $(B)/tests/qube-probe
SUITES     += tests/vm-manager/test-vmd.sh tests/render-server/test-render-vmd.sh \
              tests/vm-manager/test-vmd-flood.sh \
              tests/vm-manager/test-vmd-policy-holes.sh

FUZZERS += policy
fuzz_policy_SRCS := tests/fuzz/fuzz_policy.c vm-manager/policy.c \
                    common/label.c common/facts.c common/hex.c
