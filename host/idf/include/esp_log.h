/* Host implementation of ESP-IDF's esp_log.h: the ESP_LOGx macros print the same
 * "L (ms) TAG: message" lines to stderr. The level is set with esp_log_level_set or the
 * SOTA_LOG_LEVEL environment variable (0 none .. 5 verbose, default 3 info). */
#ifndef ESP_LOG_H
#define ESP_LOG_H

#include <stdarg.h>
#include <stdint.h>

typedef enum {
    ESP_LOG_NONE,
    ESP_LOG_ERROR,
    ESP_LOG_WARN,
    ESP_LOG_INFO,
    ESP_LOG_DEBUG,
    ESP_LOG_VERBOSE,
} esp_log_level_t;

void esp_log_level_set(const char *tag, esp_log_level_t level);
void esp_log_write(esp_log_level_t level, const char *tag, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#define ESP_LOG_LEVEL(level, tag, format, ...) esp_log_write(level, tag, format, ##__VA_ARGS__)
#define ESP_LOGE(tag, format, ...) esp_log_write(ESP_LOG_ERROR,   tag, format, ##__VA_ARGS__)
#define ESP_LOGW(tag, format, ...) esp_log_write(ESP_LOG_WARN,    tag, format, ##__VA_ARGS__)
#define ESP_LOGI(tag, format, ...) esp_log_write(ESP_LOG_INFO,    tag, format, ##__VA_ARGS__)
#define ESP_LOGD(tag, format, ...) esp_log_write(ESP_LOG_DEBUG,   tag, format, ##__VA_ARGS__)
#define ESP_LOGV(tag, format, ...) esp_log_write(ESP_LOG_VERBOSE, tag, format, ##__VA_ARGS__)

#endif
