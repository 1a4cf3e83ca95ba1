# tests/view: tessera-view-decoder against a real test qube and
# tessera-render, driven by a stand-in compositor (decoder-probe).
tests_view_CFLAGS := -Ithin-client -Itests/images -Itests/lib

$(B)/tests/decoder-probe: $(B)/obj/tests/view/decoder_probe.o $(TV_PROTO_OBJS) \
    $(PATTERN_OBJS) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^

TEST_PROGS += $(B)/tests/decoder-probe
SUITES     += tests/view/test-decoder.sh
