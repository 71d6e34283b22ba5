/* cell_names.c — the name and gate count of each cell, from RC_CELL_LIST. */
#include "core.h"


static const struct {
    const char *name;
    size_t gates;
} cells[RC_CELL_COUNT] = {
#define RC__CELL_ROW(id, name, gates, family) [id] = {name, gates},
    RC_CELL_LIST(RC__CELL_ROW)
#undef RC__CELL_ROW
};

const char *rc_cell_name(int cell)
{
    return cell >= 0 && cell < RC_CELL_COUNT ? cells[cell].name : NULL;
}

int rc_cell_from_name(const char *name)
{
    const char *names[RC_CELL_COUNT];
    for (int c = 0; c < RC_CELL_COUNT; c++)
        names[c] = cells[c].name;
    return rc__name_index(names, RC_CELL_COUNT, name);
}

size_t rc_cell_gates(int cell) { return cell >= 0 && cell < RC_CELL_COUNT ? cells[cell].gates : 0; }
