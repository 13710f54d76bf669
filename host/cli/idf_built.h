/* The ESP-IDF release the component and main/ of this `sota` build were compiled for
 * (ESP_IDF_VERSION_VAL form): see idf_built.c. */
#ifndef SOTA_CLI_IDF_BUILT_H
#define SOTA_CLI_IDF_BUILT_H

#include <stdint.h>

extern const uint32_t sota_idf_built;

#endif
