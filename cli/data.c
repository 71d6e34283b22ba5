/* data.c — finding and reading a task's data for `recur train` and
 * `recur eval`:
 *   lm        a text file, or a folder with train.txt / valid.txt / test.txt
 *             (also ptb.train.txt ...); without a validation file the last
 *             --valid-fraction of the training text is held out
 *   music     a folder with train.txt, valid.txt, test.txt piano rolls, or
 *             a folder of MIDI files (with train/ valid/ test/ subfolders,
 *             or the last --valid-fraction of the files held out)
 *   classify  a folder of IDX pairs {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
 *             (MNIST, Fashion-MNIST), images read row by row (or pixel by
 *             pixel); validation is the last --valid-fraction of train,
 *             the test split is t10k
 *   audio     WAV files: a folder with train/ valid/ test/ subfolders; or a
 *             folder or archive of clips named as in the Free Spoken Digit
 *             Dataset, {digit}_{speaker}_{take}.wav, split the official way
 *             (takes 0-4 test, the rest train) with takes 5-9 held out for
 *             validation; or any folder or archive of clips, whose last
 *             --valid-fraction is held out (validation and test).  Samples
 *             are dequantized with a fixed seed, the same for every run. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The first of dir/<candidates> that exists, into out; 0 when none. */
static int find_in(const char *dir, const char *const *candidates, char *out, size_t cap)
{
    for (size_t i = 0; candidates[i]; i++) {
        snprintf(out, cap, "%s/%s", dir, candidates[i]);
        if (exists(out))
            return 1;
    }
    return 0;
}

static const char *const split_files[3][4] = {
    {"train.txt", "ptb.train.txt", "input.txt", NULL},
    {"valid.txt", "ptb.valid.txt", NULL, NULL},
    {"test.txt", "ptb.test.txt", NULL, NULL},
};

/* The text of a split (0 train, 1 valid, 2 test) of an lm data path; a
 * plain file is the training text. */
static char *lm_text(const char *path, int split, size_t *len, char *used, size_t cap)
{
    if (!is_dir(path)) {
        if (split != 0)
            return NULL;
        snprintf(used, cap, "%s", path);
        return rc_read_file(path, len);
    }
    if (!find_in(path, split_files[split], used, cap))
        return NULL;
    return rc_read_file(used, len);
}

void cli_data_free(cli_data *d)
{
    rc_dataset_free(d->train);
    rc_dataset_free(d->valid);
    rc_dataset_free(d->test);
    rc_vocab_free(d->vocab);
    memset(d, 0, sizeof *d);
}

/* Encodes text[len] with v into a token data set. */
static rc_dataset *tokens_of(const rc_vocab *v, const char *text, size_t len)
{
    int32_t *ids = NULL;
    size_t n = 0;
    if (rc_vocab_encode(v, text, len, &ids, &n))
        return NULL;
    rc_dataset *d = rc_dataset_tokens(ids, n, rc_vocab_size(v));
    free(ids);
    return d;
}

static int load_lm(const char *cmd, const cli_data_options *o, cli_data *d)
{
    char used[1024];
    size_t len = 0;
    char *train = lm_text(o->path, 0, &len, used, sizeof used);
    if (!train)
        return cli_fail(cmd, "%s", is_dir(o->path) ? "no train.txt (or ptb.train.txt, input.txt) in the data folder"
                                                   : rc_last_error());
    d->vocab = o->vocab ? rc_vocab_from_json(o->vocab) : rc_vocab_build(o->level, train, len);
    if (!d->vocab) {
        free(train);
        return cli_fail(cmd, "%s: %s", used, rc_last_error());
    }
    size_t vlen = 0, cut = len;
    char vpath[1024];
    char *valid = o->valid ? rc_read_file(o->valid, &vlen) : lm_text(o->path, 1, &vlen, vpath, sizeof vpath);
    if (o->valid && !valid) {
        free(train);
        return cli_fail(cmd, "%s", rc_last_error());
    }
    if (!valid && o->valid_fraction > 0) { /* hold out the end of the training text */
        cut = len - (size_t)((double)len * o->valid_fraction);
        while (cut < len && d->vocab && rc_vocab_level(d->vocab) != RC_TEXT_BYTE &&
               ((unsigned char)train[cut] & 0xC0) == 0x80)
            cut++; /* not inside a UTF-8 character */
    }
    if (o->want_train && !(d->train = tokens_of(d->vocab, train, cut)))
        goto fail;
    if (valid ? !(d->valid = tokens_of(d->vocab, valid, vlen))
              : cut < len && !(d->valid = tokens_of(d->vocab, train + cut, len - cut)))
        goto fail;
    size_t tlen = 0;
    char tpath[1024];
    char *test = lm_text(o->path, 2, &tlen, tpath, sizeof tpath);
    if (test && !(d->test = tokens_of(d->vocab, test, tlen))) {
        free(test);
        goto fail;
    }
    free(test);
    free(train);
    free(valid);
    return 0;
fail:
    free(train);
    free(valid);
    return cli_fail(cmd, "%s: %s", o->path, rc_last_error());
}

/* Splits in subfolders train/, valid/, test/ of o->path, each read by load
 * into *set (non-zero, the message printed, on failure); -1 when there is
 * no train/. */
typedef int (*folder_loader)(const char *cmd, const char *dir, const cli_data_options *o, cli_data *d,
                             rc_dataset **set);

static int load_split_folders(const char *cmd, const cli_data_options *o, cli_data *d, folder_loader load)
{
    char sub[1024];
    snprintf(sub, sizeof sub, "%s/train", o->path);
    if (!is_dir(sub))
        return -1;
    rc_dataset **sets[3] = {&d->train, &d->valid, &d->test};
    const char *names[3] = {"train", "valid", "test"};
    for (int i = 0; i < 3; i++) {
        snprintf(sub, sizeof sub, "%s/%s", o->path, names[i]);
        if ((i == 0 && !o->want_train) || !is_dir(sub))
            continue;
        int status = load(cmd, sub, o, d, sets[i]);
        if (status)
            return status;
    }
    return 0;
}

static int midi_folder(const char *cmd, const char *dir, const cli_data_options *o, cli_data *d, rc_dataset **set)
{
    (void)d;
    rc_rolls *r = rc_rolls_load_midi(dir, o->midi_steps, o->midi_fps);
    *set = r ? rc_dataset_rolls(r) : NULL;
    rc_rolls_free(r);
    return *set ? 0 : cli_fail(cmd, "%s", rc_last_error());
}

/* Music from MIDI: subfolders train/, valid/, test/, or one folder whose
 * last files (valid_fraction of them, at least one) are held out. */
static int load_midi(const char *cmd, const cli_data_options *o, cli_data *d)
{
    int status = load_split_folders(cmd, o, d, midi_folder);
    if (status >= 0)
        return status;
    rc_rolls *r = rc_rolls_load_midi(o->path, o->midi_steps, o->midi_fps);
    if (!r)
        return cli_fail(cmd, "%s", rc_last_error());
    size_t n = rc_rolls_count(r), held = (size_t)((double)n * o->valid_fraction);
    held = held == 0 && n > 1 ? 1 : held;
    d->train = o->want_train ? rc_dataset_rolls_range(r, 0, n - held) : NULL;
    d->valid = held ? rc_dataset_rolls_range(r, n - held, held) : NULL;
    d->test = held ? rc_dataset_rolls_range(r, n - held, held) : NULL; /* no separate test: the held-out files */
    rc_rolls_free(r);
    if ((o->want_train && !d->train) || (held && !d->valid))
        return cli_fail(cmd, "%s", rc_last_error());
    return 0;
}

static int load_music(const char *cmd, const cli_data_options *o, cli_data *d)
{
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/train.txt", o->path);
    if (is_dir(o->path) && !exists(probe))
        return load_midi(cmd, o, d);
    if (!is_dir(o->path))
        return cli_fail(cmd, "%s: music data is a folder holding train.txt, valid.txt and test.txt, or MIDI files",
                        o->path);
    rc_dataset **sets[3] = {&d->train, &d->valid, &d->test};
    const char *names[3] = {"train.txt", "valid.txt", "test.txt"};
    for (int i = 0; i < 3; i++) {
        if (i == 0 && !o->want_train)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", o->path, names[i]);
        if (!exists(path)) {
            if (i == 0)
                return cli_fail(cmd, "%s: no %s", o->path, names[i]);
            continue;
        }
        rc_rolls *r = rc_rolls_load_text(path);
        *sets[i] = r ? rc_dataset_rolls(r) : NULL;
        rc_rolls_free(r);
        if (!*sets[i])
            return cli_fail(cmd, "%s", rc_last_error());
    }
    return 0;
}

/* Images [N, H, W] and labels of one IDX pair as a sequence data set of
 * rows [N, H, W] (or pixels [N, H*W, 1]), pixels scaled to [0, 1]; items
 * [from, to) only. */
static rc_dataset *idx_split(const rc_tensor *images, const rc_tensor *labels, size_t from, size_t to,
                             int pixels)
{
    size_t H = images->shape[1], W = images->ndim > 2 ? images->shape[2] : 1, n = to - from;
    float *x = malloc(n * H * W * sizeof *x);
    int32_t *y = malloc(n * sizeof *y);
    size_t classes = 0;
    for (size_t i = 0; i < labels->size; i++)
        classes = (size_t)labels->data[i] + 1 > classes ? (size_t)labels->data[i] + 1 : classes;
    rc_dataset *d = NULL;
    if (x && y) {
        for (size_t i = 0; i < n * H * W; i++)
            x[i] = images->data[from * H * W + i] / 255.0f;
        for (size_t i = 0; i < n; i++)
            y[i] = (int32_t)labels->data[from + i];
        d = pixels ? rc_dataset_sequences(x, y, n, H * W, 1, classes)
                   : rc_dataset_sequences(x, y, n, H, W, classes);
    }
    free(x);
    free(y);
    return d;
}

static int load_idx_pair(const char *cmd, const char *dir, const char *prefix, rc_tensor **images,
                         rc_tensor **labels)
{
    char ip[1024], lp[1024];
    const char *img[] = {NULL, NULL, NULL}, *lab[] = {NULL, NULL, NULL};
    char i1[64], i2[64], l1[64], l2[64];
    snprintf(i1, sizeof i1, "%s-images-idx3-ubyte.gz", prefix);
    snprintf(i2, sizeof i2, "%s-images-idx3-ubyte", prefix);
    snprintf(l1, sizeof l1, "%s-labels-idx1-ubyte.gz", prefix);
    snprintf(l2, sizeof l2, "%s-labels-idx1-ubyte", prefix);
    img[0] = i1, img[1] = i2, lab[0] = l1, lab[1] = l2;
    if (!find_in(dir, img, ip, sizeof ip) || !find_in(dir, lab, lp, sizeof lp))
        return cli_fail(cmd, "%s: no %s-images-idx3-ubyte[.gz] and %s-labels-idx1-ubyte[.gz]", dir, prefix,
                        prefix);
    *images = rc_idx_load(ip);
    *labels = *images ? rc_idx_load(lp) : NULL;
    if (!*images || !*labels)
        return cli_fail(cmd, "%s", rc_last_error());
    if ((*images)->ndim < 2 || (*images)->shape[0] != (*labels)->size)
        return cli_fail(cmd, "%s: %zu images but %zu labels", dir, (*images)->shape[0], (*labels)->size);
    return 0;
}

static int load_classify(const char *cmd, const cli_data_options *o, cli_data *d)
{
    if (!is_dir(o->path))
        return cli_fail(cmd, "%s: classification data is a folder of IDX files "
                             "(train-images-idx3-ubyte.gz, ...)", o->path);
    rc_tensor *images = NULL, *labels = NULL;
    int status = 0;
    if (o->want_train) {
        if ((status = load_idx_pair(cmd, o->path, "train", &images, &labels)))
            goto done;
        size_t n = labels->size, cut = n - (size_t)((double)n * o->valid_fraction);
        if (o->train_limit && o->train_limit < cut)
            cut = o->train_limit;
        d->train = idx_split(images, labels, 0, cut, o->pixels);
        d->valid = cut < n ? idx_split(images, labels, n - (size_t)((double)n * o->valid_fraction), n, o->pixels) : NULL;
        if (!d->train) {
            status = cli_fail(cmd, "%s", rc_last_error());
            goto done;
        }
        rc_tensor_free(images), rc_tensor_free(labels);
        images = labels = NULL;
    }
    if ((status = load_idx_pair(cmd, o->path, "t10k", &images, &labels)))
        goto done;
    if (!(d->test = idx_split(images, labels, 0, labels->size, o->pixels)))
        status = cli_fail(cmd, "%s", rc_last_error());
done:
    rc_tensor_free(images);
    rc_tensor_free(labels);
    return status;
}

/* FSDD's file names: {digit}_{speaker}_{take}.wav; *take gets the take. */
static int fsdd_take(const char *name, unsigned long *take)
{
    char *end;
    if (!(*name >= '0' && *name <= '9'))
        return 0;
    strtoul(name, &end, 10);
    if (*end++ != '_' || !((*end | 0x20) >= 'a' && (*end | 0x20) <= 'z'))
        return 0;
    end = strchr(end, '_');
    if (!end || !(end[1] >= '0' && end[1] <= '9'))
        return 0;
    *take = strtoul(end + 1, &end, 10);
    return !strcmp(end, ".wav");
}

enum { DEQUANTIZE_SEED = 1 };

/* The clips of each split as data sets; split[i] is 0 train, 1 valid,
 * 2 test, 3 both valid and test, for clip i. */
static int audio_sets(const char *cmd, const cli_data_options *o, const rc_clips *c, const int *split, cli_data *d)
{
    size_t n = rc_clips_count(c), counts[3] = {0};
    size_t *pick[3] = {malloc(n * sizeof(size_t)), malloc(n * sizeof(size_t)), malloc(n * sizeof(size_t))};
    int status = 0;
    if (!pick[0] || !pick[1] || !pick[2])
        status = cli_fail(cmd, "out of memory");
    for (size_t i = 0; !status && i < n; i++)
        for (int k = 0; k < 3; k++)
            if (split[i] == k || (split[i] == 3 && k > 0))
                pick[k][counts[k]++] = i;
    rc_dataset **sets[3] = {&d->train, &d->valid, &d->test};
    for (int k = 0; !status && k < 3; k++) {
        if ((k == 0 && !o->want_train) || counts[k] == 0)
            continue;
        if (!(*sets[k] = rc_dataset_clips(c, pick[k], counts[k], o->window, o->hop)))
            status = cli_fail(cmd, "%s: %s", o->path, rc_last_error());
    }
    if (!status && o->want_train && !d->train)
        status = cli_fail(cmd, "%s: no training clips", o->path);
    for (int k = 0; k < 3; k++)
        free(pick[k]);
    return status;
}

/* Every split's clips must share the first one's rate. */
static int audio_folder(const char *cmd, const char *dir, const cli_data_options *o, cli_data *d, rc_dataset **set)
{
    rc_clips *c = rc_clips_load(dir);
    if (!c)
        return cli_fail(cmd, "%s", rc_last_error());
    int status = 0;
    if (d->rate && rc_clips_rate(c) != d->rate)
        status = cli_fail(cmd, "%s: %u Hz clips, the other splits are %u Hz", dir, rc_clips_rate(c), d->rate);
    else {
        d->rate = rc_clips_rate(c);
        rc_clips_dequantize(c, DEQUANTIZE_SEED);
        if (!(*set = rc_dataset_clips(c, NULL, rc_clips_count(c), o->window, o->hop)))
            status = cli_fail(cmd, "%s", rc_last_error());
    }
    rc_clips_free(c);
    return status;
}

static int load_audio(const char *cmd, const cli_data_options *o, cli_data *d)
{
    int status = load_split_folders(cmd, o, d, audio_folder);
    if (status >= 0)
        return status;
    rc_clips *c = rc_clips_load(o->path);
    if (!c)
        return cli_fail(cmd, "%s", rc_last_error());
    rc_clips_dequantize(c, DEQUANTIZE_SEED);
    d->rate = rc_clips_rate(c);
    size_t n = rc_clips_count(c), fsdd = 0;
    int *split = malloc(n * sizeof *split);
    if (!split) {
        rc_clips_free(c);
        return cli_fail(cmd, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        unsigned long take;
        if (fsdd_take(rc_clips_name(c, i), &take))
            fsdd++, split[i] = take < 5 ? 2 : take < 10 ? 1 : 0;
    }
    if (fsdd < n) { /* not FSDD: the last files held out */
        size_t held = (size_t)((double)n * o->valid_fraction);
        held = held == 0 && n > 1 ? 1 : held;
        for (size_t i = 0; i < n; i++)
            split[i] = i < n - held ? 0 : 3;
    }
    status = audio_sets(cmd, o, c, split, d);
    free(split);
    rc_clips_free(c);
    return status;
}

int cli_data_load(const char *cmd, const cli_data_options *o, cli_data *d)
{
    memset(d, 0, sizeof *d);
    if (!o->path)
        return cli_fail(cmd, "no --data given");
    if (!exists(o->path))
        return cli_fail(cmd, "%s: no such file or folder", o->path);
    int status = o->task == RC_TASK_LM      ? load_lm(cmd, o, d)
                 : o->task == RC_TASK_MUSIC ? load_music(cmd, o, d)
                 : o->task == RC_TASK_AUDIO ? load_audio(cmd, o, d)
                                            : load_classify(cmd, o, d);
    if (status)
        cli_data_free(d);
    return status;
}
