LIBTSR_SRCS := common/log.c common/label.c
LIBTSR_OBJS := $(LIBTSR_SRCS:%.c=$(B)/obj/%.o)

$(LIBTSR): $(LIBTSR_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^
