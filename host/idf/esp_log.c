/* Host port: ESP-IDF style log lines on stderr. */
#include "esp_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int s_level = -1;

static int current_level(void)
{
    if (s_level < 0) {
        const char *env = getenv("SOTA_LOG_LEVEL");
        s_level = env && *env ? atoi(env) : ESP_LOG_INFO;
    }
    return s_level;
}

void esp_log_level_set(const char *tag, esp_log_level_t level)
{
    /* One level for all tags on the host; "*" and any tag set it. */
    (void)tag;
    s_level = (int)level;
}

static uint32_t esp_log_timestamp(void)
{
    static struct timespec t0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (t0.tv_sec == 0 && t0.tv_nsec == 0) {
        t0 = now;
    }
    return (uint32_t)((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
}

void esp_log_write(esp_log_level_t level, const char *tag, const char *format, ...)
{
    if ((int)level > current_level() || level == ESP_LOG_NONE) {
        return;
    }
    static const char letters[] = "NEWIDV";
    char line[1024];
    va_list ap;
    va_start(ap, format);
    vsnprintf(line, sizeof line, format, ap);
    va_end(ap);
    fprintf(stderr, "%c (%u) %s: %s\n", letters[level], (unsigned)esp_log_timestamp(), tag, line);
}
