# vm-manager: tessera-vmd, the tessera CLI, and their pure parts (domain XML /
# xl config generation, the Admin API policy, the qube property table) in
# $(LIBVMD) for the tests and the daemon.  Tests: tests/vm-manager/rules.mk.
LIBVMD      := $(B)/lib/libvmd.a
LIBVMD_SRCS := vm-manager/domxml.c vm-manager/policy.c vm-manager/props.c
LIBVMD_OBJS := $(LIBVMD_SRCS:%.c=$(B)/obj/%.o)

$(LIBVMD): $(LIBVMD_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# tessera-vmd and the tessera CLI.
VMD_SRCS := vm-manager/vmd.c vm-manager/control.c vm-manager/api.c \
            vm-manager/lifecycle.c vm-manager/display.c \
            vm-manager/hv.c vm-manager/volume.c vm-manager/store.c \
            vm-manager/kvm.c vm-manager/render.c
VMD_LIBS := $(shell pkg-config --libs libvirt sqlite3 uuid) $(LIBTSR_LIBS)
vm_manager_CFLAGS := $(shell pkg-config --cflags libvirt)

$(B)/bin/tessera-vmd: $(VMD_SRCS:%.c=$(B)/obj/%.o) $(LIBVMD) $(LIBTSR) | $(B)/bin
	$(CC) $(LDFLAGS) -o $@ $^ $(VMD_LIBS)

# The CLI knows the qube properties from the same table as the daemon.
$(B)/bin/tessera: $(B)/obj/vm-manager/tessera.o $(B)/obj/vm-manager/props.o \
    $(LIBTSR) | $(B)/bin
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBTSR_LIBS)

BINS += $(B)/bin/tessera-vmd $(B)/bin/tessera
MANS += docs/tessera.1 docs/tessera-vmd.8
