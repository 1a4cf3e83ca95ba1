LIBTSR_SRCS := common/log.c common/label.c common/api.c common/tls.c \
               common/facts.c common/clock.c common/hex.c \
               common/client.c common/admit.c
LIBTSR_OBJS := $(LIBTSR_SRCS:%.c=$(B)/obj/%.o) $(B)/obj/common/font.o

# The glyphs for trust frames and title bars (font.h): Debian's
# console-setup Lat15-Fixed16, through psf2c.
TSR_FONT_PSF := /usr/share/consolefonts/Lat15-Fixed16.psf.gz
$(B)/tools/psf2c: common/psf2c.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -o $@ $<
$(B)/gen/common/font.c: $(TSR_FONT_PSF) $(B)/tools/psf2c
	@mkdir -p $(@D)
	gzip -dc $(TSR_FONT_PSF) | $(B)/tools/psf2c font.h tsr_font >$@.tmp
	mv $@.tmp $@
$(B)/obj/common/font.o: $(B)/gen/common/font.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<
# Programs that link $(LIBTSR) also link these.
LIBTSR_LIBS := $(shell pkg-config --libs jansson openssl)

$(LIBTSR): $(LIBTSR_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^
