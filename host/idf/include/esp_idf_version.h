/* Host port of ESP-IDF's esp_idf_version.h (components/esp_common).
 *
 * The version a translation unit sees is the ESP-IDF release it is built for: the host
 * build compiles the component and main/ once per modelled release with
 * SOTA_HOST_IDF_MAJOR/MINOR/PATCH set (host/CMakeLists.txt); everything else sees the
 * newest modelled release. The host port itself (host/idf) must not branch on these
 * macros: it asks sota_host_idf_release() at run time (sota_host_idf.h). */
#ifndef ESP_IDF_VERSION_H
#define ESP_IDF_VERSION_H

#ifndef SOTA_HOST_IDF_MAJOR
/* the newest modelled release (the last of SOTA_IDF_RELEASES in host/CMakeLists.txt) */
#define SOTA_HOST_IDF_MAJOR 6
#define SOTA_HOST_IDF_MINOR 0
#define SOTA_HOST_IDF_PATCH 0
#endif

#define ESP_IDF_VERSION_MAJOR SOTA_HOST_IDF_MAJOR
#define ESP_IDF_VERSION_MINOR SOTA_HOST_IDF_MINOR
#define ESP_IDF_VERSION_PATCH SOTA_HOST_IDF_PATCH

#define ESP_IDF_VERSION_VAL(major, minor, patch) (((major) << 16) | ((minor) << 8) | (patch))

#define ESP_IDF_VERSION ESP_IDF_VERSION_VAL(ESP_IDF_VERSION_MAJOR, ESP_IDF_VERSION_MINOR, \
                                            ESP_IDF_VERSION_PATCH)

#endif
