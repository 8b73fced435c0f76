# otp: SMS one-time codes as two CGI programs.  Read top to bottom:
# where things go, how they are built, then tests and running.
#
#   make            build lib/libotp.a, cgi-bin/request.cgi, cgi-bin/verify.cgi
#   make check      every test (see tests/check.sh)
#   make run        install what building and serving need, build, serve on
#                   http://127.0.0.1:$(RUN_PORT)/ (8080)
#   make install    PREFIX, DESTDIR, CGIDIR, SYSCONFDIR, LOCALSTATEDIR, TEMPLATEDIR
#   make fuzz       each libFuzzer harness for FUZZ_SECONDS

# Where installed files go; the programs' built-in defaults follow these.
# NAME is the directory of the config, the state, the programs and the
# templates under each (the Debian package's is sms-otp).
NAME          ?= otp
PREFIX        ?= /usr/local
SYSCONFDIR    ?= $(PREFIX)/etc
LOCALSTATEDIR ?= $(PREFIX)/var
CGIDIR        ?= $(PREFIX)/lib/cgi-bin/$(NAME)
# The phone number wrapper as a file, for hosts that refuse to load it from
# memory (lib/number.c); the programs carry its path.
LIBDIR        ?= $(PREFIX)/lib/$(NAME)
TEMPLATEDIR   ?= $(PREFIX)/share/$(NAME)/templates
MANDIR        ?= $(PREFIX)/share/man
DESTDIR       ?=
WWWUSER       ?= www-data

CONFIG_DEFAULT   = $(SYSCONFDIR)/$(NAME)/otp.conf
DB_DEFAULT       = $(LOCALSTATEDIR)/lib/$(NAME)/otp.db

comma   := ,
CC      ?= cc
CXX     ?= c++
PYTHON  ?= /usr/bin/python3
PKGS_C   = sqlite3 libcrypto libcjson
PKGS_CXX = libctemplate_nothreads
# Loaded with dlopen() by the paths that need them: headers only.
PKGS_NET = libcurl libpq

CFLAGS   ?= -O2 -g
CXXFLAGS ?= -O2 -g
WARN      = -Wall -Wextra -Wshadow -Wformat=2 -Wwrite-strings -Wpointer-arith -Wcast-qual \
            -Wstrict-prototypes -Wmissing-prototypes -Werror
HARDEN    = -fstack-protector-strong -fPIE -D_FORTIFY_SOURCE=2
DEFS      = -D_GNU_SOURCE -DOTP_CONFIG_DEFAULT='"$(CONFIG_DEFAULT)"' \
            -DOTP_DB_DEFAULT='"$(DB_DEFAULT)"' -DOTP_TEMPLATE_DEFAULT='"$(TEMPLATEDIR)"' \
            -DOTP_PHONENUMBER_SO_DEFAULT='"$(LIBDIR)/otp-phonenumber.so"'
# Building needs these; without them, one line naming `make deps` rather
# than pkg-config's noise and a compiler error (the goals that install
# them first, or build nothing, are not checked).
BUILDS := $(filter-out deps deps-run run check clean format deb,$(or $(MAKECMDGOALS),all))
ifneq ($(BUILDS),)
MISSING := $(shell command -v pkg-config >/dev/null || echo pkg-config; \
  command -v $(CXX) >/dev/null || echo $(CXX); \
  for p in $(PKGS_C) $(PKGS_CXX) $(PKGS_NET); do pkg-config --exists $$p 2>/dev/null || echo $$p; done; \
  [ -e /usr/include/phonenumbers/phonenumberutil.h ] || echo libphonenumber; \
  [ -e /usr/include/fcgiapp.h ] || echo libfcgi)
ifneq ($(strip $(MISSING)),)
$(error not installed: $(strip $(MISSING)); `make deps` (as root) installs them)
endif
endif

ALL_CFLAGS   = -std=c11 $(WARN) $(HARDEN) $(DEFS) -Ilib \
               $(shell pkg-config --cflags $(PKGS_C) $(PKGS_NET)) $(CFLAGS)
ALL_CXXFLAGS = -std=c++17 -Wall -Wextra -Wshadow -Werror $(HARDEN) $(DEFS) -Ilib \
               $(shell pkg-config --cflags $(PKGS_CXX)) $(CXXFLAGS)
# --gc-sections: of the static archives, only the sections a program
# reaches (libstdc++'s are one a function): a fifth fewer relocations at
# every start, and 10 fewer page faults (a GET request.cgi, perf stat).
ALL_LDFLAGS  = -pie -Wl,-z,relro,-z,now -Wl,--as-needed -Wl,--gc-sections $(LDFLAGS)

# Every request is a new process, and a shared library costs at every
# start (the dynamic loader's relocations were half of a request's CPU):
# the libraries Debian ships as archives are linked in statically, with
# libstdc++ and libgcc.  A missing archive is linked dynamically, with a
# warning.  cJSON ships no archive; it is small.
PKGS_STATIC = sqlite3 libcrypto libctemplate_nothreads
LIBS_STATIC := $(shell for p in $(PKGS_STATIC); do d=$$(pkg-config --variable=libdir $$p 2>/dev/null); \
  for l in $$(pkg-config --libs-only-l $$p 2>/dev/null); do a="$$d/lib$$(echo $$l | cut -c3-).a"; \
    if [ -f "$$a" ]; then printf ' -Wl,-Bstatic %s -Wl,-Bdynamic' $$l; \
    else echo "warning: $$a not found: $$l linked dynamically (slower start-up)" >&2; \
      printf ' %s' $$l; fi; done; done)
STATIC_RT    = -static-libstdc++ -static-libgcc
# libfcgi (no pkg-config file): the FastCGI loop of lib/serve.c.
LIB_FCGI    := $(if $(wildcard /usr/lib/*/libfcgi.a),-Wl$(comma)-Bstatic -lfcgi -Wl$(comma)-Bdynamic,-lfcgi)
LIBS_VERIFY  = $(LIBS_STATIC) $(LIB_FCGI) $(shell pkg-config --libs libcjson) -lm -ldl -pthread
LIBS_REQUEST = $(LIBS_VERIFY)

# The library: one module a file.  store.o and store_ops.o are the
# engine-neutral front of the database (every operation written once),
# store_sqlite.o and store_pg.o its engines.  channel.o is the table of
# the ways a code is sent, each row in its provider's file (telnyx.o, and
# outbox.o for trying without one); http.o is the only one that uses
# libcurl, and only request.cgi pulls them in; it loads libcurl with
# dlopen() when it sends (lib/http.c says why), so libcurl is a build and
# run-time dependency but not a link one.
# number.o parses phone numbers with libphonenumber, through a wrapper
# built as a shared object whose bytes number_so.o holds (lib/number.c
# says why): only request.cgi pulls them in, and loads the library only
# when it parses a number.
LIB_OBJS = lib/log.o lib/kv.o lib/config.o lib/cgi.o lib/phone.o lib/code.o lib/store.o lib/store_ops.o \
           lib/store_sqlite.o lib/store_pg.o lib/channel.o lib/telnyx.o lib/outbox.o lib/http.o \
           lib/reply.o lib/page.o lib/limit.o lib/assertion.o lib/url.o lib/return_to.o lib/eddsa.o lib/jwt.o \
           lib/core.o lib/core_send.o lib/serve.o lib/number.o \
           lib/number_so.o lib/text.o lib/message.o lib/lang.o lib/webhook.o lib/webhook_sig.o lib/core_webhook.o
HEADERS  = $(wildcard lib/*.h) lib/store_schema.h

PROGRAMS = cgi-bin/request.cgi cgi-bin/verify.cgi cgi-bin/webhook.cgi
TOOLS    = tools/otp-assertion tools/otp-admin
BINDIR  ?= $(PREFIX)/bin

all: $(PROGRAMS) $(TOOLS)

# sql/ compiled in, each file as one C string: a new database needs no
# setup step (schema.sql, always the whole latest schema), and an older one
# is brought up to date by the steps (migrate-N.sql takes version N-1 to N).
# Each engine's statements (statements.sql, pg-statements.sql) as one C
# array by name: a line "-- name: X" starts the string of STMT_X
# (lib/store_engine.h); the other comment lines, blank lines, the
# indentation and the closing ';' are left out.
SQL_STEPS = sql/migrate-2.sql sql/migrate-3.sql sql/migrate-4.sql sql/migrate-5.sql \
            sql/migrate-6.sql sql/migrate-7.sql sql/migrate-8.sql sql/migrate-9.sql \
            sql/migrate-10.sql \
            sql/pg-migrate-7.sql sql/pg-migrate-8.sql sql/pg-migrate-9.sql sql/pg-migrate-10.sql
SQL_STMTS = sql/statements.sql sql/pg-statements.sql
SQL_TO_C  = sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$$/\\n"/'
STMTS_TO_C = awk -v table=$(1) 'BEGIN { print "static const char *const " table "[STMT__MAX] = {" } \
  function end() { if (n) print(lines ? "," : " \"\","); } \
  /^-- name: [A-Z0-9_]+$$/ { end(); printf "\t[STMT_%s] =", $$3; n++; lines = 0; next } \
  /^[ \t]*(--.*)?$$/ { next } \
  { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); sub(/^[ \t]+/, ""); sub(/;$$/, ""); \
    printf "\n\t    \"%s \"", $$0; lines++ } \
  END { end(); print "};" }' $(2)

lib/store_schema.h: sql/schema.sql sql/pg-schema.sql $(SQL_STEPS) $(SQL_STMTS)
	{ echo '/* Made by make from sql/: do not edit. */'; \
	  echo '#include "store_engine.h"'; \
	  echo 'static const char store_schema[] ='; $(SQL_TO_C) sql/schema.sql; echo ';'; \
	  echo 'static const char store_pg_schema[] ='; $(SQL_TO_C) sql/pg-schema.sql; echo ';'; \
	  for f in $(SQL_STEPS); do \
	    echo "static const char store_$$(basename $$f .sql | tr - _)[] ="; \
	    $(SQL_TO_C) $$f; echo ';'; \
	  done; \
	  $(call STMTS_TO_C,store_sqlite_sql,sql/statements.sql); \
	  $(call STMTS_TO_C,store_pg_sql,sql/pg-statements.sql); } > $@.tmp && mv $@.tmp $@

# The built-in paths are compiled in: rebuild when they change.
.build-paths: FORCE
	@echo '$(DEFS)' | cmp -s - $@ || echo '$(DEFS)' > $@

lib/%.o: lib/%.c $(HEADERS) .build-paths
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

lib/page.o: lib/page.cc lib/page.h lib/log.h .build-paths
	$(CXX) $(ALL_CXXFLAGS) -c -o $@ $<

# No pkg-config file: -lphonenumber (libphonenumber-dev), which brings
# protobuf and ICU.  The wrapper keeps the hardening of the programs.
LIB_PHONENUMBER = -lphonenumber
lib/phonenumber.pic.o: lib/phonenumber.cc lib/phonenumber.h lib/bounds.h
	$(CXX) $(filter-out -fPIE,$(ALL_CXXFLAGS)) -fPIC -c -o $@ $<

lib/otp-phonenumber.so: lib/phonenumber.pic.o
	$(CXX) -shared -fPIC -Wl,-z,relro,-z,now -Wl,--as-needed -Wl,-z,defs $(LDFLAGS) \
	  -s -o $@ $< $(LIB_PHONENUMBER)

lib/number_so.o: lib/number_so.S lib/otp-phonenumber.so
	$(CC) -DNUMBER_SO='"lib/otp-phonenumber.so"' -c -o $@ lib/number_so.S

lib/libotp.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

cgi-bin/%.o: cgi-bin/%.c $(HEADERS) .build-paths
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

cgi-bin/request.cgi: cgi-bin/request.o lib/libotp.a
	$(CXX) $(ALL_LDFLAGS) $(STATIC_RT) -o $@ $< lib/libotp.a $(LIBS_REQUEST)

# No libcurl here: it costs milliseconds at every start, and verify.cgi
# never sends anything.  tests/check.sh proves it.
cgi-bin/verify.cgi: cgi-bin/verify.o lib/libotp.a
	$(CXX) $(ALL_LDFLAGS) $(STATIC_RT) -o $@ $< lib/libotp.a $(LIBS_VERIFY)

# Telnyx's webhooks: as verify.cgi, no libcurl and no libphonenumber.
cgi-bin/webhook.cgi: cgi-bin/webhook.o lib/libotp.a
	$(CXX) $(ALL_LDFLAGS) $(STATIC_RT) -o $@ $< lib/libotp.a $(LIBS_VERIFY)

# The operator's tool: the store, the config, libphonenumber for the numbers typed.
tools/otp-admin.o: tools/otp-admin.c $(HEADERS) .build-paths
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

tools/otp-admin: tools/otp-admin.o lib/libotp.a
	$(CXX) $(ALL_LDFLAGS) $(STATIC_RT) -o $@ $< lib/libotp.a $(LIBS_REQUEST)

# The site's checker of assertions: no libcurl, no templates.
tools/otp-assertion: tools/otp-assertion.c lib/libotp.a $(HEADERS) .build-paths
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< lib/libotp.a $(LIBS_VERIFY)

include tests/tests.mk

install: install-files
	install -d $(DESTDIR)$(SYSCONFDIR)/$(NAME)
	install -m 0644 conf/otp.conf.example $(DESTDIR)$(SYSCONFDIR)/$(NAME)/otp.conf.example
	@# Never overwrite a configuration the site owner wrote.
	test -e $(DESTDIR)$(CONFIG_DEFAULT) || \
	  install -m 0640 conf/otp.conf.example $(DESTDIR)$(CONFIG_DEFAULT)
	install -d -m 0700 $(DESTDIR)$(LOCALSTATEDIR)/lib/$(NAME)
	-chown $(WWWUSER) $(DESTDIR)$(LOCALSTATEDIR)/lib/$(NAME) 2>/dev/null
	-chgrp $(WWWUSER) $(DESTDIR)$(CONFIG_DEFAULT) 2>/dev/null

# The programs, tools, templates and man pages; no config, no state (the
# Debian package's maintainer scripts make those).
install-files: all
	install -d $(DESTDIR)$(CGIDIR) $(DESTDIR)$(TEMPLATEDIR) $(DESTDIR)$(BINDIR)
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(CGIDIR)/
	install -m 0755 $(TOOLS) $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(LIBDIR)
	install -m 0644 lib/otp-phonenumber.so $(DESTDIR)$(LIBDIR)/
	install -m 0644 templates/*.html templates/*.css $(DESTDIR)$(TEMPLATEDIR)/
	install -d $(DESTDIR)$(TEMPLATEDIR)/lang
	install -m 0644 templates/lang/*.conf $(DESTDIR)$(TEMPLATEDIR)/lang/
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/otp-assertion.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/otp.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/otp-admin.8 man/otp-cgi.8 $(DESTDIR)$(MANDIR)/man8/

# The Debian package (debian/), built from a copy of the tree in build/deb/
# so that dpkg-buildpackage leaves the .deb there and nothing beside the tree.
deb:
	rm -rf build/deb && mkdir -p build/deb/src
	git ls-files -z | xargs -0 cp --parents -t build/deb/src
	cd build/deb/src && dpkg-buildpackage -us -uc -b
	ls build/deb/*.deb

# The Debian packages: what building needs, what `make run` serves with,
# and what only the tests use.  `make run` installs the first two (no
# recommended extras), `make deps` and `make check` all three.
DEB_BUILD = build-essential pkg-config libsqlite3-dev libssl-dev libcjson-dev \
            libcurl4-openssl-dev libctemplate-dev libfcgi-dev libphonenumber-dev libpq-dev
DEB_RUN   = python3 lighttpd
DEB_TEST  = libcmocka-dev clang libclang-rt-14-dev python3-selenium apache2 \
            chromium chromium-driver php-cli valgrind sqlite3 hyperfine wrk \
            libapache2-mod-fcgid python3-flask gunicorn python3-cryptography python3-jwt mandoc \
            postgresql libpq5 python3-psycopg2 faketime debhelper apache2-dev lintian \
            mmdebstrap
# Node and npm fetch jose for the hand-over tests (tests/tests.mk), unless a
# Node with its npm is there already (Debian's npm would replace it).
DEB_NODE  = $(if $(shell command -v npm),,nodejs npm)
DEB_PACKAGES = $(DEB_BUILD) $(DEB_RUN) $(DEB_TEST) $(DEB_NODE)

# Installs the missing ones of PKGS with apt-get, as root or through sudo.
# A variable, not a rule: `make run` and `make check` install, then start
# make anew, so that the build reads pkg-config after the install (a
# make that started without the packages has already read it).
define apt_install
	@missing=$$(for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  SUDO=; if [ "$$(id -u)" != 0 ]; then SUDO=sudo; \
	    command -v sudo >/dev/null || { echo "not root, and no sudo: run this as root" >&2; exit 1; }; fi; \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $(2) $$missing; \
	fi
endef

deps:
	$(call apt_install,$(DEB_PACKAGES))

deps-run:
	$(call apt_install,$(DEB_BUILD) $(DEB_RUN),--no-install-recommends)

# What each request costs, as ratios to floors measured in the same run
# (tests/bench.py); a measurement, not a test.
bench: all
	$(PYTHON) tests/bench.py

RUN_PORT ?= 8080
run: deps-run
	@$(MAKE) --no-print-directory all
	$(PYTHON) tests/web/serve.py --port $(RUN_PORT)

clean:
	rm -f lib/*.o lib/libotp.a lib/otp-phonenumber.so lib/store_schema.h cgi-bin/*.o tools/*.o $(PROGRAMS) $(TOOLS) .build-paths
	rm -rf build tests/out

# Not lib/store_schema.h: made by make, and rewriting it would make it look
# newer than the sql/ it was made from.
format:
	clang-format -i lib/*.c $(filter-out lib/store_schema.h,$(wildcard lib/*.h)) lib/*.cc cgi-bin/*.c \
	  tools/*.c $(wildcard tests/unit/*.c tests/fuzz/*.c)

FORCE:
.PHONY: all check install install-files deb deps deps-run run bench clean format FORCE
