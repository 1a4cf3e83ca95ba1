# tessera-ca: the PKI (see docs/tessera-ca.1).
CA_SRCS := certs/ca.c certs/ca_cmd.c certs/ca_index.c certs/ca_file.c certs/ca_x509.c
CA_OBJS := $(CA_SRCS:%.c=$(B)/obj/%.o)
certs_CFLAGS := $(shell pkg-config --cflags openssl)
CA_LIBS := $(shell pkg-config --libs openssl)

$(B)/bin/tessera-ca: $(CA_OBJS) $(LIBTSR) | $(B)/bin
	$(CC) $(LDFLAGS) -o $@ $(CA_OBJS) $(LIBTSR) $(CA_LIBS)

BINS += $(B)/bin/tessera-ca
MANS += docs/tessera-ca.1
