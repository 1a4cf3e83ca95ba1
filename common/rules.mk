LIBTSR_SRCS := common/log.c common/label.c common/api.c common/tls.c \
               common/client.c
LIBTSR_OBJS := $(LIBTSR_SRCS:%.c=$(B)/obj/%.o)
# Programs that link $(LIBTSR) also link these.
LIBTSR_LIBS := $(shell pkg-config --libs jansson openssl)

$(LIBTSR): $(LIBTSR_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

FUZZERS += api
fuzz_api_SRCS := tests/fuzz/fuzz_api.c common/api.c
fuzz_api_LIBS := $(LIBTSR_LIBS)
