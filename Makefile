# recur — plain Makefile.  `make` builds the libraries and the CLI, `make test`
# runs every test, `make demo` trains a small network on real data.
#
# Switches (printed at every build):
#   BLAS=openblas|none    matrix multiply through OpenBLAS, or portable C
#   OMP=1|0               OpenMP threads
#   SANITIZE=address,undefined   build with sanitizers (any -fsanitize= list)
#   CI=...                set (CI does) to turn warnings into errors
#   BUILD=dir             output folder (default build)

BLAS     ?= openblas
OMP      ?= 1
SANITIZE ?=
BUILD    ?= build
CC       ?= cc

ifeq ($(filter $(BLAS),openblas none),)
$(error BLAS must be openblas or none, not '$(BLAS)')
endif
ifeq ($(filter $(OMP),0 1),)
$(error OMP must be 1 or 0, not '$(OMP)')
endif

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wpointer-arith -Wformat=2 -Wvla -Wundef
ifneq ($(CI),)
WARN += -Werror
endif

# No -ffast-math anywhere: training must see IEEE arithmetic.  -std=c11 also
# keeps a*b+c from being fused into an FMA, so vectorized loops round as the
# scalar ones do (and -O3's vectorizer never reorders a float sum);
# -fno-math-errno lets sqrtf vectorize (errno is never read).
CFLAGS_ALL := -std=c11 -O3 -g -fPIC -fno-math-errno -fvisibility=hidden -D_POSIX_C_SOURCE=200809L \
              -Iinclude -I/usr/include/kissfft -Dkiss_fft_scalar=float $(WARN) $(CFLAGS)
LDLIBS_ALL := -lcjson -larchive -lkissfft-float -lz -lm
DEFS :=

# With OpenMP on, OpenBLAS's OpenMP build (Debian's libopenblas-openmp-dev,
# found beside the default pthreads one and kept by an rpath) runs its
# products in the same thread pool as recur's kernels: with the pthreads
# build the two pools spin against each other on two cores (an FSDD LSTM run
# on two threads: 48 s with 21 s of system time against 41 s with 6 s).
ifeq ($(BLAS),openblas)
DEFS += -DRC_HAVE_OPENBLAS=1
OPENBLAS_OMP := $(if $(filter 1,$(OMP)),$(wildcard /usr/lib/$(shell $(CC) -print-multiarch 2>/dev/null)/openblas-openmp/libopenblas.so))
ifneq ($(OPENBLAS_OMP),)
DEFS += -DRC_OPENBLAS_OPENMP=1
LDLIBS_ALL += -L$(dir $(OPENBLAS_OMP)) -Wl,-rpath,$(dir $(OPENBLAS_OMP))
endif
LDLIBS_ALL += -lopenblas
else
DEFS += -DRC_HAVE_OPENBLAS=0
endif
ifeq ($(OMP),1)
DEFS += -DRC_HAVE_OPENMP=1
CFLAGS_ALL += -fopenmp
LDFLAGS_ALL += -fopenmp
else
DEFS += -DRC_HAVE_OPENMP=0
endif
ifneq ($(SANITIZE),)
CFLAGS_ALL += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS_ALL += -fsanitize=$(SANITIZE)
endif
CFLAGS_ALL += $(DEFS)
LDFLAGS_ALL += $(LDFLAGS)

$(info recur build: BLAS=$(BLAS)$(if $(OPENBLAS_OMP), (OpenMP build),) OMP=$(OMP) SANITIZE=$(or $(SANITIZE),none) $(if $(CI),CI (-Werror),) BUILD=$(BUILD))

LIB_SRC  := $(sort $(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_SRC  := $(sort $(wildcard cli/*.c))
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(sort $(wildcard tests/*.c))
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))

# Rebuild everything when the flags change (e.g. SANITIZE on and off).
CONFIG := $(CC) $(CFLAGS_ALL) | $(LDFLAGS_ALL) $(LDLIBS_ALL)
$(shell mkdir -p $(BUILD) && (echo '$(CONFIG)' | cmp -s - $(BUILD)/config.txt || echo '$(CONFIG)' > $(BUILD)/config.txt))

.PHONY: all deps deps-check test demo examples clean fuzz bench-onednn bench-composed bench-fft report
.SECONDARY:
.DEFAULT_GOAL := all

all: deps-check $(BUILD)/librecur.a $(BUILD)/librecur.so $(BUILD)/recur

deps:
	@sh scripts/deps.sh --blas $(BLAS) --install

deps-check:
	@sh scripts/deps.sh --blas $(BLAS)

$(BUILD)/obj/%.o: %.c $(BUILD)/config.txt | deps-check
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/librecur.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/librecur.so: $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(LDFLAGS_ALL) $(LDLIBS_ALL)

$(BUILD)/recur: $(CLI_OBJ) $(BUILD)/librecur.a
	$(CC) -o $@ $(CLI_OBJ) $(BUILD)/librecur.a $(LDFLAGS_ALL) $(LDLIBS_ALL)

$(BUILD)/tests/unit: $(TEST_OBJ) $(BUILD)/librecur.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(TEST_OBJ) $(BUILD)/librecur.a $(LDFLAGS_ALL) $(LDLIBS_ALL)

$(BUILD)/examples/%: $(BUILD)/obj/examples/%.o $(BUILD)/librecur.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(BUILD)/librecur.a $(LDFLAGS_ALL) $(LDLIBS_ALL)

examples: $(EXAMPLES)

test: all $(BUILD)/tests/unit $(EXAMPLES)
	@sh scripts/pyenv.sh $(BUILD) >/dev/null
	@sh tests/run.sh $(BUILD)

# docs/report.html: every experiment's results, curves and samples and the speed tables, one static page
report:
	python3 scripts/report.py --out docs/report.html

demo: all
	@sh scripts/demo.sh $(BUILD)

# oneDNN's RNN primitives for bench/rnn_vs_torch.py (needs libdnnl-dev; not
# part of recur or of `make test`).
$(BUILD)/bench/onednn_rnn: bench/onednn_rnn.c
	@mkdir -p $(dir $@)
	@test -f /usr/include/oneapi/dnnl/dnnl.h || { echo "bench-onednn: install libdnnl-dev first (apt-get install libdnnl-dev)"; exit 1; }
	$(CC) -std=c11 -O2 -D_POSIX_C_SOURCE=200809L $(WARN) -o $@ $< -ldnnl

bench-onednn: $(BUILD)/bench/onednn_rnn

# Memory and time of a training pass through the composed path (not part of
# `make test`).
$(BUILD)/bench/composed_memory: $(BUILD)/obj/bench/composed_memory.o $(BUILD)/librecur.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(BUILD)/librecur.a $(LDFLAGS_ALL) $(LDLIBS_ALL)

bench-composed: $(BUILD)/bench/composed_memory

# The unitary RNN's FFT (KissFFT) against a DFT product (not part of `make test`).
$(BUILD)/bench/fft_vs_dft: $(BUILD)/obj/bench/fft_vs_dft.o $(BUILD)/librecur.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(BUILD)/librecur.a $(LDFLAGS_ALL) $(LDLIBS_ALL)

bench-fft: $(BUILD)/bench/fft_vs_dft

# Fuzzing the file readers (clang's libFuzzer, with ASan and UBSan); not part
# of `make test`.  FUZZ_SECONDS per reader.
FUZZ_SECONDS ?= 30
FUZZ_CC ?= clang
$(BUILD)/fuzz/readers: $(LIB_SRC) tests/fuzz/fuzz_readers.c | deps-check
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -O1 -g -D_POSIX_C_SOURCE=200809L -Iinclude -I/usr/include/kissfft -Dkiss_fft_scalar=float \
	    -DRC_HAVE_OPENBLAS=0 -DRC_HAVE_OPENMP=0 -fsanitize=fuzzer,address,undefined $(LIB_SRC) tests/fuzz/fuzz_readers.c \
	    -o $@ -lcjson -larchive -lkissfft-float -lz -lm

fuzz: $(BUILD)/fuzz/readers
	@for r in 0 1 2 3 4 5 6 7 8 9 10 11; do \
	    mkdir -p $(BUILD)/fuzz/corpus$$r; \
	    echo "fuzzing reader $$r for $(FUZZ_SECONDS) s"; \
	    $(BUILD)/fuzz/readers -only=$$r -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
	        $(BUILD)/fuzz/corpus$$r tests/fuzz/seeds > $(BUILD)/fuzz/log$$r.txt 2>&1 || \
	        { tail -n 30 $(BUILD)/fuzz/log$$r.txt; exit 1; }; \
	    grep -h "^#.*DONE" $(BUILD)/fuzz/log$$r.txt | tail -n 1; \
	done

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
