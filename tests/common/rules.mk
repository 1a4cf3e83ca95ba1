# tests/common: unit tests of common/ (libtsr), and its fuzz targets.
UNIT_TESTS := test-log test-label test-api test-facts test-admit

$(B)/tests/test-%: $(B)/obj/tests/common/test_%.o $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBTSR_LIBS)

TEST_PROGS += $(UNIT_TESTS:%=$(B)/tests/%)
SUITES     += $(UNIT_TESTS:%=$(B)/tests/%)
SUITES     += tests/common/test-format.sh

FUZZERS += label
fuzz_label_SRCS := tests/fuzz/fuzz_label.c common/label.c common/hex.c

FUZZERS += api
fuzz_api_SRCS := tests/fuzz/fuzz_api.c common/api.c
fuzz_api_LIBS := $(LIBTSR_LIBS)
