# Convenience driver: the kernel module through Kbuild, userspace through CMake.
#
#   make module [KVER=...]     openvswitch.ko for the running kernel (or KVER)
#   make install [KVER=...]    into /lib/modules/KVER/updates/, then depmod
#   make uninstall [KVER=...]  remove it again (the kernel's own module is back)
#
# Each kernel gets its own object tree, build/kmod/KVER/ (symlinks to the
# sources; Kbuild writes its objects there), so builds for 6.1 and 6.12 live
# side by side; the last one built is also copied to ./openvswitch.ko.
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
BUILD ?= build
CMAKE_FLAGS ?=
KOBJ ?= $(CURDIR)/build/kmod/$(KVER)
MODDIR := $(DESTDIR)/lib/modules/$(KVER)/updates

# Module BTF: on a kernel with CONFIG_DEBUG_INFO_BTF_MODULES whose headers ship
# vmlinux (Debian's 6.12), Kbuild runs pahole over the module's DWARF. pahole
# cannot encode C++ (bookworm's 1.24 stops at templates and rvalue references),
# so it encodes the C shim's compilation units only: the C++ ones are excluded
# by language (the flags go after the kernel's own, so they win). Without a
# pahole that knows --lang_exclude the module is built without BTF.
ovsdp_btf_modules := $(shell grep -qs '^CONFIG_DEBUG_INFO_BTF_MODULES=y' $(KDIR)/include/config/auto.conf && \
	[ -e $(KDIR)/vmlinux ] && echo y)
ifeq ($(ovsdp_btf_modules),y)
ifneq ($(shell pahole --help 2>/dev/null | grep -c lang_exclude),0)
KBUILD_BTF := MODULE_PAHOLE_FLAGS="--lang_exclude=rust,c++,c++03,c++11,c++14"
else
KBUILD_BTF := CONFIG_DEBUG_INFO_BTF_MODULES=
ovsdp_btf_note := note: building without BTF: no pahole with --lang_exclude (apt-get install dwarves)
endif
endif

# What the module is built from (also what the DKMS package ships).
MODULE_SOURCES := Kbuild VERSION kmod base platform flow flow_table flow_netlink actions datapath vport meter conntrack

.PHONY: all module kmod kmod-clean userspace clean test install uninstall deb

all: module userspace

module:
	@if [ ! -e "$(KDIR)/Makefile" ]; then \
		echo "error: no kernel headers for $(KVER) (nothing at $(KDIR))." >&2; \
		echo "  Install them (apt-get install linux-headers-$(KVER)), or build for a kernel" >&2; \
		echo "  whose headers are installed: make module KVER=<version>. Installed here:" >&2; \
		for d in /lib/modules/*/build; do [ -e "$$d/Makefile" ] && echo "    $$(basename "$$(dirname "$$d")")" >&2; done; \
		exit 1; fi
	@# Always from a clean object tree: an incremental rebuild for 6.12 (delayed
	@# objtool, IBT) ran objtool again over objects it had processed, and the
	@# module then warned "Unpatched return thunk in use" at load.
	@rm -rf "$(KOBJ)"
	@mkdir -p "$(KOBJ)/kmod"
	@for f in $(MODULE_SOURCES); do [ "$$f" = kmod ] || ln -sfn "$(CURDIR)/$$f" "$(KOBJ)/$$f"; done
	@for f in $(CURDIR)/kmod/*; do ln -sfn "$$f" "$(KOBJ)/kmod/$$(basename "$$f")"; done
	@find "$(KOBJ)/kmod" -maxdepth 1 -xtype l -delete
	$(if $(ovsdp_btf_note),@echo "$(ovsdp_btf_note)")
	$(MAKE) -C $(KDIR) M=$(KOBJ) $(KBUILD_BTF) modules
	@cp -f "$(KOBJ)/openvswitch.ko" openvswitch.ko
	@echo "openvswitch.ko for $(KVER): $(KOBJ)/openvswitch.ko (copied to ./openvswitch.ko)"

# In place, in the directory of this Makefile: what DKMS runs in its copy of
# the sources (dkms.conf).
kmod:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KBUILD_BTF) modules

kmod-clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

# The module the last `make module KVER=...` built for that kernel.
install:
	@[ -f "$(KOBJ)/openvswitch.ko" ] || { echo "error: no $(KOBJ)/openvswitch.ko: run make module KVER=$(KVER) first" >&2; exit 1; }
	install -D -m 644 "$(KOBJ)/openvswitch.ko" "$(MODDIR)/openvswitch.ko"
	@if [ -z "$(DESTDIR)" ]; then depmod -a "$(KVER)" && echo "installed: modprobe openvswitch now loads ovsdp's module on $(KVER)"; fi

uninstall:
	rm -f "$(MODDIR)/openvswitch.ko"
	@if [ -z "$(DESTDIR)" ]; then depmod -a "$(KVER)" && echo "removed: modprobe openvswitch loads the kernel's own module on $(KVER)"; fi

deb:
	bash scripts/build-debs.sh

userspace:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$$(nproc)

clean:
	rm -rf build/kmod openvswitch.ko openvswitch.o openvswitch.mod openvswitch.mod.c openvswitch.mod.o modules.order Module.symvers .*.cmd kmod/*.o kmod/.*.cmd
	rm -rf $(BUILD)
