/* fuzz_readers.c — libFuzzer harness for every file reader.  The first byte
 * picks the reader and the rest is the file it reads; with -only=N the whole
 * input is the file (so real files make good seeds).  A reader must accept or
 * refuse any input with a status: never crash, leak or read out of bounds
 * (built with AddressSanitizer and UBSan).
 *
 *   make fuzz                      # every reader, FUZZ_SECONDS each (default 30)
 *   build/fuzz/readers -only=N     # one reader (see `readers` below) */
#include "recur.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];
static int only = -1;

enum { SAFETENSORS, NETWORK, MODEL, IDX, ROLLS, MIDI_STEPS, MIDI_SECONDS, WAV, CSV, TEXT, VOCAB_JSON, CLIPS, N_READERS };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    snprintf(path, sizeof path, "/tmp/recur-fuzz-%ld", (long)getpid());
    for (int i = 1; i < *argc; i++)
        if (!strncmp((*argv)[i], "-only=", 6))
            only = atoi((*argv)[i] + 6);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int reader = only;
    if (reader < 0) { /* the first byte picks the reader, unless -only= did */
        reader = data[0] % N_READERS;
        data++, size--;
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    switch (reader) {
    case SAFETENSORS: {
        rc_safetensors *st = rc_safetensors_load(path);
        for (size_t i = 0; st && i < rc_safetensors_count(st); i++)
            rc_tensor_free(rc_safetensors_tensor(st, rc_safetensors_name(st, i)));
        rc_safetensors_free(st);
        break;
    }
    case NETWORK: rc_rnn_free(rc_rnn_load(path, -1)); break;
    case MODEL: rc_model_free(rc_model_load(path, NULL)); break;
    case IDX: rc_tensor_free(rc_idx_load(path)); break;
    case ROLLS: rc_rolls_free(rc_rolls_load_text(path)); break;
    case MIDI_STEPS: rc_rolls_free(rc_rolls_load_midi(path, 4.0, 0.0)); break;
    case MIDI_SECONDS: rc_rolls_free(rc_rolls_load_midi(path, 0.0, 50.0)); break;
    case WAV: rc_tensor_free(rc_wav_load(path, NULL)); break;
    case CSV: rc_tensor_free(rc_csv_load(path)); break;
    case CLIPS: rc_clips_free(rc_clips_load(path)); break; /* no .wav suffix: read as an archive */
    case TEXT: {
        int level = size ? data[0] % 3 : 0;
        rc_vocab *v = rc_vocab_build(level, (const char *)data, size);
        int32_t *ids = NULL;
        size_t n;
        if (v && !rc_vocab_encode(v, (const char *)data, size, &ids, &n))
            free(ids);
        rc_vocab_free(v);
        break;
    }
    case VOCAB_JSON: {
        char *json = malloc(size + 1);
        memcpy(json, data, size);
        json[size] = '\0';
        rc_vocab_free(rc_vocab_from_json(json));
        free(json);
        break;
    }
    }
    return 0;
}
