/* A device's flash for the component tests: host/flash's RAM-backed NOR chip holding the
 * partition table made from a CSV. Include after cmocka.h (a failure fails the test). */
#ifndef FIXTURE_DEVICE_H
#define FIXTURE_DEVICE_H

#include <stdint.h>

#include "nor_flash.h"
#include "ptable.h"

static inline nor_flash_t *fx_flash_with_table(const char *csv)
{
    nor_err_t ne;
    nor_flash_t *f = nor_open_mem(NOR_DEFAULT_SIZE, &ne);
    assert_non_null(f);
    ptable_t t;
    pt_opts_t o = { .flash_size = NOR_DEFAULT_SIZE };
    char err[200];
    uint8_t bin[PT_MAX_LEN];
    if (pt_from_csv(csv, &o, &t, err, sizeof err) != 0 || pt_to_bin(&t, &o, bin, err, sizeof err) != 0) {
        fail_msg("partition table: %s", err);
    }
    assert_int_equal(nor_load(f, PT_OFFSET_DEFAULT, bin, sizeof bin), NOR_OK);
    return f;
}

#endif
