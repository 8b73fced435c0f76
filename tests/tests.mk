# Tests: included by the Makefile.  Unit tests (cmocka) per module, built
# plain and under ASan+UBSan; libFuzzer harnesses; then the suites that
# run the real programs (tests/check.sh).

UNIT_SRCS  = $(wildcard tests/unit/test_*.c)
UNIT_BINS  = $(UNIT_SRCS:.c=.run)
ASAN_BINS  = $(UNIT_SRCS:.c=.asan)
FUZZ_SRCS  = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  = $(FUZZ_SRCS:.c=.fuzz)
FUZZ_SECONDS ?= 60

UNIT_LIBS  = $(LIBS_REQUEST) $(shell pkg-config --libs cmocka)

tests/unit/%.run: tests/unit/%.c tests/unit/unit.h lib/libotp.a $(HEADERS)
	$(CXX) $(ALL_LDFLAGS) -x c -std=c11 $(WARN) -Wno-missing-prototypes $(DEFS) -Ilib \
	  $(shell pkg-config --cflags $(PKGS_C) $(PKGS_NET) cmocka) $(CFLAGS) -fPIE \
	  -o $@ $< -x none lib/libotp.a $(UNIT_LIBS)

# The same tests against the library built with AddressSanitizer and UBSan.
SAN       = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_OBJS = $(patsubst lib/%.o,build/asan/%.o,$(LIB_OBJS))

build/asan/%.o: lib/%.c $(HEADERS) .build-paths
	@mkdir -p build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -c -o $@ $<

build/asan/page.o: lib/page.cc lib/page.h lib/log.h .build-paths
	@mkdir -p build/asan
	$(CXX) $(ALL_CXXFLAGS) $(SAN) -O1 -c -o $@ $<

# The wrapper's bytes are data: the same object as the plain build's.
build/asan/number_so.o: lib/number_so.o
	@mkdir -p build/asan
	cp lib/number_so.o $@

build/asan/libotp.a: $(ASAN_OBJS)
	rm -f $@
	ar rcs $@ $(ASAN_OBJS)

tests/unit/%.asan: tests/unit/%.c tests/unit/unit.h build/asan/libotp.a $(HEADERS)
	$(CXX) $(SAN) -x c -std=c11 $(WARN) -Wno-missing-prototypes $(DEFS) -Ilib \
	  $(shell pkg-config --cflags $(PKGS_C) $(PKGS_NET) cmocka) -O1 -g \
	  -o $@ $< -x none build/asan/libotp.a $(UNIT_LIBS)

# The CGI programs themselves under ASan+UBSan, for the contract suite
# (tests/check.sh runs tests/cgi against them: suite cgi-asan).
build/asan/cgi-bin/%.o: cgi-bin/%.c $(HEADERS) .build-paths
	@mkdir -p build/asan/cgi-bin
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -c -o $@ $<

build/asan/cgi-bin/request.cgi: build/asan/cgi-bin/request.o build/asan/libotp.a
	$(CXX) $(SAN) -o $@ $< build/asan/libotp.a $(LIBS_REQUEST)

build/asan/cgi-bin/verify.cgi: build/asan/cgi-bin/verify.o build/asan/libotp.a
	$(CXX) $(SAN) -o $@ $< build/asan/libotp.a $(LIBS_VERIFY)

build/asan/cgi-bin/webhook.cgi: build/asan/cgi-bin/webhook.o build/asan/libotp.a
	$(CXX) $(SAN) -o $@ $< build/asan/libotp.a $(LIBS_VERIFY)

ASAN_PROGRAMS = build/asan/cgi-bin/request.cgi build/asan/cgi-bin/verify.cgi \
                build/asan/cgi-bin/webhook.cgi

# libFuzzer: clang, the parsers' sources compiled in with the harness
# (UBSan's float-cast-overflow is part of "undefined"), with the warnings
# of the build; clang's -Wformat=2 also flags log.c's vsnprintf() of a
# va_list, which gcc does not.  A harness that needs more than FUZZ_LIB
# names its sources (FUZZ_MORE, also a prerequisite) and libraries
# (FUZZ_MORE_LIBS) below.
FUZZ_CC    = clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
             -std=c11 $(WARN) -Wno-format-nonliteral $(DEFS) -Ilib \
             $(shell pkg-config --cflags $(PKGS_C) $(PKGS_NET))
FUZZ_LIB   = lib/log.c lib/kv.c lib/config.c lib/cgi.c lib/phone.c lib/code.c lib/url.c lib/return_to.c \
             lib/text.c lib/webhook.c lib/lang.c
FUZZ_LIBS  = $(shell pkg-config --libs libcrypto libcjson)

tests/fuzz/fuzz_assertion.fuzz: FUZZ_MORE = lib/assertion.c
tests/fuzz/fuzz_assertion.fuzz: FUZZ_MORE_LIBS = $(shell pkg-config --libs libcjson)
tests/fuzz/fuzz_assertion.fuzz: lib/assertion.c

# eddsa.c loads the shared libcrypto with dlopen() (the harness links it anyway).
tests/fuzz/fuzz_jwt.fuzz: FUZZ_MORE = lib/assertion.c lib/jwt.c lib/eddsa.c
tests/fuzz/fuzz_jwt.fuzz: FUZZ_MORE_LIBS = $(shell pkg-config --libs libcjson) -ldl
tests/fuzz/fuzz_jwt.fuzz: lib/assertion.c lib/jwt.c lib/eddsa.c

# telnyx.c sends over http.c, which loads libcurl with dlopen(): its
# headers, but no -lcurl.
tests/fuzz/fuzz_telnyx.fuzz: FUZZ_MORE = lib/telnyx.c lib/http.c
tests/fuzz/fuzz_telnyx.fuzz: FUZZ_MORE_LIBS = $(shell pkg-config --libs libcjson) -ldl
tests/fuzz/fuzz_telnyx.fuzz: lib/telnyx.c lib/http.c

# number.c loads the wrapper it carries (number_so.o) with dlopen().
tests/fuzz/fuzz_webhook.fuzz: FUZZ_MORE = lib/webhook_sig.c
tests/fuzz/fuzz_webhook.fuzz: lib/webhook_sig.c

tests/fuzz/fuzz_phone.fuzz: FUZZ_MORE = lib/number.c lib/number_so.o
tests/fuzz/fuzz_phone.fuzz: FUZZ_MORE_LIBS = -ldl
tests/fuzz/fuzz_phone.fuzz: lib/number.c lib/number_so.o

tests/fuzz/%.fuzz: tests/fuzz/%.c $(FUZZ_LIB) $(HEADERS)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_LIB) $(FUZZ_MORE) $(FUZZ_LIBS) $(FUZZ_MORE_LIBS)

# Node's jose (npm), one of the independent libraries the hand-over tests
# check the programs' JWTs with (tests/handover/jose_verify.mjs).
JOSE_VERSION = 5.9.5
JOSE = build/node/node_modules/jose/package.json

$(JOSE):
	mkdir -p build/node
	cd build/node && npm install --no-save --no-audit --no-fund --loglevel=error jose@$(JOSE_VERSION)

# axe-core (npm), the accessibility checker the browser tests run in the
# pages (tests/browser: WCAG 2.2, A and AA).  A folder of its own: an
# `npm install --no-save` in build/node would prune jose.
AXE_VERSION = 4.10.3
AXE = build/axe/node_modules/axe-core/axe.min.js

$(AXE):
	mkdir -p build/axe
	cd build/axe && npm install --no-save --no-audit --no-fund --loglevel=error axe-core@$(AXE_VERSION)

tests-build: all $(UNIT_BINS) $(ASAN_BINS) $(ASAN_PROGRAMS) $(FUZZ_BINS) $(JOSE) $(AXE)

# What the tests use is installed first (`make deps`), and the build is a
# new make, which reads pkg-config after the install.
check:
	$(call apt_install,$(DEB_PACKAGES))
	@$(MAKE) --no-print-directory tests-build
	PYTHON=$(PYTHON) sh tests/check.sh

check-unit: $(UNIT_BINS) $(ASAN_BINS)
	PYTHON=$(PYTHON) SUITES=unit sh tests/check.sh

fuzz: $(FUZZ_BINS)
	for f in $(FUZZ_BINS); do \
	  name=$$(basename $$f .fuzz); mkdir -p build/corpus/$$name; \
	  $$f -max_total_time=$(FUZZ_SECONDS) build/corpus/$$name tests/fuzz/corpus/$$name || exit 1; \
	done

.PHONY: tests-build check-unit fuzz
