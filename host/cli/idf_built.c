/* The ESP-IDF release this `sota` build models: compiled once per simulator build with
 * the release's SOTA_HOST_IDF_* definitions (host/CMakeLists.txt), beside a component
 * and main/ compiled for the same release. */
#include "esp_idf_version.h"
#include "idf_built.h"

const uint32_t sota_idf_built = ESP_IDF_VERSION;
