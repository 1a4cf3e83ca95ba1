# tests/certs: tessera-ca (certs/): the index parser's unit tests, the
# command line end to end (test-ca.sh), and the index fuzz target.

# Table-driven unit tests of the index parser and the name checks.
$(B)/tests/test-ca-index: $(B)/obj/tests/certs/test_ca_index.o \
    $(B)/obj/certs/ca_index.o $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^

TEST_PROGS += $(B)/tests/test-ca-index
SUITES     += $(B)/tests/test-ca-index tests/certs/test-ca.sh

FUZZERS += ca_index
fuzz_ca_index_SRCS := tests/fuzz/fuzz_ca_index.c certs/ca_index.c common/log.c \
                      common/hex.c
