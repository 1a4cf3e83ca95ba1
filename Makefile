# Tessera: one non-recursive Makefile.  Each component adds its programs in
# its own rules.mk, its tests and fuzz targets in tests/COMPONENT/rules.mk
# (tests/images/rules.mk: the test qube's images and their tests).
#
#   make            build every program into $(B)/bin
#   make deps       install the Debian packages needed (as root)
#   make check      deps, build, every suite, again under ASan+UBSan, fuzz corpora
#   make demo       deps, build, and run the demo
#   make bench      benchmarks, side by side with peers
#   make fuzz       run every libFuzzer target for FUZZ_SECONDS each
#   make install    PREFIX=/usr/local DESTDIR=
#   make format     clang-format (.clang-format) every C source and header
#   make format-check  fail, listing them, if any would change

B       ?= build
IMG     := build/images
PREFIX  ?= /usr/local
DESTDIR ?=
FUZZ_SECONDS ?= 60

CC      ?= cc
ifeq ($(CC),cc)
CC      := gcc
endif
AR      ?= ar
WARN    := -Wall -Wextra -Werror -Wmissing-prototypes -Wshadow
CFLAGS  := -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) -Icommon -MMD -MP \
           -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED
LDFLAGS :=
ifeq ($(SANITIZE),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer
CFLAGS  += $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
endif
CFLAGS  += $(EXTRA_CFLAGS)

FUZZ_CC     := clang
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 $(WARN) -Icommon \
               -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FB := build/fuzz

LIBTSR := $(B)/lib/libtsr.a

# Filled in by the rules.mk files.
BINS       :=
MANS       :=
TEST_PROGS :=
SUITES     :=
FUZZERS    :=

.PHONY: all tests deps check check-run demo bench fuzz fuzz-build install \
        images clean format format-check
all:

include common/rules.mk
include $(sort $(wildcard certs/rules.mk vm-manager/rules.mk \
        render-server/rules.mk thin-client/rules.mk web-console/rules.mk \
        hypervisor-setup/rules.mk))
include $(sort $(wildcard tests/*/rules.mk))

all: $(BINS)
images:
tests: $(BINS) $(TEST_PROGS)

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $($(subst -,_,$(subst /,_,$(dir $<)))CFLAGS) -c -o $@ $<

$(B)/bin $(B)/tests $(FB):
	mkdir -p $@

# --- fuzz targets: FUZZERS += name; fuzz_name_SRCS, fuzz_name_LIBS ---
define fuzz_rule
$(FB)/fuzz-$(1): $$(fuzz_$(1)_SRCS) | $(FB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $$@ $$(fuzz_$(1)_SRCS) $$(fuzz_$(1)_LIBS)
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_rule,$(f))))
fuzz-build: $(FUZZERS:%=$(FB)/fuzz-%)

fuzz: deps fuzz-build
	@for f in $(FUZZERS); do \
		mkdir -p $(FB)/corpus-$$f; \
		echo "== fuzzing $$f for $(FUZZ_SECONDS)s"; \
		$(FB)/fuzz-$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		    $(FB)/corpus-$$f tests/fuzz/corpus/$$f || exit 1; \
	done

deps:
	@hypervisor-setup/install-deps

# make check: every suite, then every suite again under ASan+UBSan, then the
# fuzz corpora.  The last line is the total.  A build that fails counts as a
# failure, and the other parts still run.
check: deps
	@rm -f build/results-*; mkdir -p build
	@$(MAKE) --no-print-directory all tests images \
	  || echo "0 1" > build/results-build
	@$(MAKE) --no-print-directory check-run RUN=tests
	@$(MAKE) --no-print-directory B=build/san SANITIZE=1 all tests \
	  || echo "0 1" > build/results-build-san
	@$(MAKE) --no-print-directory B=build/san SANITIZE=1 check-run RUN=sanitized
	@$(MAKE) --no-print-directory fuzz-build || echo "0 1" > build/results-build-fuzz
	@TSR_FUZZ_DIR=$(CURDIR)/$(FB) FUZZERS="$(FUZZERS)" tests/run --build build \
	  --results build/results-fuzz --name fuzz-corpora tests/fuzz/run-corpora || true
	@tests/summary build/results-*

check-run:
	@echo "== $(RUN) ($(B))"
	@tests/run --build $(B) --results build/results-$(RUN) --name $(RUN) $(SUITES) || true

demo: deps all images $(B)/tests/qube-probe
	@tests/demo

bench: deps all tests images
	@tests/bench/run

SBINS := tessera-vmd
QVM_LINKS := qvm-ls qvm-create qvm-start qvm-shutdown qvm-kill qvm-prefs \
             qvm-remove qvm-clone qvm-pause qvm-unpause

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin
	for b in $(notdir $(BINS)); do \
		case " $(SBINS) " in *" $$b "*) d=sbin ;; *) d=bin ;; esac; \
		install -m 755 $(B)/bin/$$b $(DESTDIR)$(PREFIX)/$$d/$$b || exit 1; \
	done
	for m in $(MANS); do \
		s=$${m##*.}; install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
		install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/ || exit 1; \
	done
	for l in $(QVM_LINKS); do \
		ln -sf tessera $(DESTDIR)$(PREFIX)/bin/$$l; \
		echo '.so man1/tessera.1' >$(DESTDIR)$(PREFIX)/share/man/man1/$$l.1; \
	done
	install -d $(DESTDIR)/lib/systemd/system $(DESTDIR)/etc/tessera/policy.d
	sed 's|@PREFIX@|$(PREFIX)|g' vm-manager/dist/tessera-vmd.service \
	    >$(DESTDIR)/lib/systemd/system/tessera-vmd.service
	[ -e $(DESTDIR)/etc/tessera/policy.d/00-root.policy ] || \
	    install -m 644 vm-manager/dist/00-root.policy $(DESTDIR)/etc/tessera/policy.d/

# The C files git tracks: generated ones (font tables) live under build/.
FORMAT_SRCS = $(shell git ls-files '*.c' '*.h')

format:
	clang-format -i $(FORMAT_SRCS)

format-check:
	@bad=0; for f in $(FORMAT_SRCS); do \
		clang-format "$$f" | cmp -s - "$$f" || { echo "$$f"; bad=1; }; \
	done; \
	[ $$bad = 0 ] || { echo "make format would change the files above"; exit 1; }

clean:
	rm -rf build

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
