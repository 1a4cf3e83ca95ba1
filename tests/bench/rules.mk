# Tools of the render-server benchmark (tests/bench/bench-render): a
# recorder of X screens, a replayer into a VNC socket or an X display, and
# measuring VNC and RDP clients.
BENCH_X_PKGS   := x11 zlib
BENCH_VNC_PKGS := libvncserver libvncclient
BENCH_RDP_PKGS := freerdp-client2 freerdp2 winpr2
tests_bench_CFLAGS := -Itests/images -Itests/lib \
    $(shell pkg-config --cflags $(BENCH_X_PKGS) $(BENCH_VNC_PKGS) $(BENCH_RDP_PKGS) 2>/dev/null)

BENCH_REC_OBJ := $(B)/obj/tests/bench/rec.o

$(B)/tests/bench-record: $(B)/obj/tests/bench/bench_record.o $(BENCH_REC_OBJ) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs $(BENCH_X_PKGS)) -lm

$(B)/tests/bench-replay: $(B)/obj/tests/bench/bench_replay.o $(BENCH_REC_OBJ) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs $(BENCH_X_PKGS) libvncserver) -lm

$(B)/tests/bench-vncc: $(B)/obj/tests/bench/bench_vncc.o $(BENCH_REC_OBJ) \
    $(B)/obj/tests/lib/vncc_x509.o | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs zlib libvncclient) -lm

$(B)/tests/bench-rdpc: $(B)/obj/tests/bench/bench_rdpc.o $(BENCH_REC_OBJ) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs zlib $(BENCH_RDP_PKGS)) -lm

TEST_PROGS += $(B)/tests/bench-record $(B)/tests/bench-replay \
              $(B)/tests/bench-vncc $(B)/tests/bench-rdpc
