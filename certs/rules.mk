# tessera-ca: the PKI (see docs/tessera-ca.1).
CA_SRCS := certs/ca.c certs/ca_cmd.c certs/ca_index.c certs/ca_file.c certs/ca_x509.c
CA_OBJS := $(CA_SRCS:%.c=$(B)/obj/%.o)
certs_CFLAGS := $(shell pkg-config --cflags openssl)
CA_LIBS := $(shell pkg-config --libs openssl)

$(B)/bin/tessera-ca: $(CA_OBJS) $(LIBTSR) | $(B)/bin
	$(CC) $(LDFLAGS) -o $@ $(CA_OBJS) $(LIBTSR) $(CA_LIBS)

BINS += $(B)/bin/tessera-ca
MANS += docs/tessera-ca.1

# Table-driven unit tests of the index parser and the name checks.
$(B)/tests/test-ca-index: $(B)/obj/tests/ca/test_ca_index.o \
    $(B)/obj/certs/ca_index.o $(LIBTSR) | $(B)/tests
	$(CC) $(LDFLAGS) -o $@ $^

TEST_PROGS += $(B)/tests/test-ca-index
SUITES     += $(B)/tests/test-ca-index tests/ca/test-ca.sh

FUZZERS += ca_index
fuzz_ca_index_SRCS := tests/fuzz/fuzz_ca_index.c certs/ca_index.c common/log.c
