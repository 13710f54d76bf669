/* Host port: esp_err_to_name and the ESP_ERROR_CHECK failure path. */
#include "esp_err.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct {
    esp_err_t code;
    const char *name;
} err_name_t;

/* Codes of ESP-IDF components the host port implements (values from their headers). */
static const err_name_t s_names[] = {
    { ESP_OK, "ESP_OK" },
    { ESP_FAIL, "ESP_FAIL" },
    { ESP_ERR_NO_MEM, "ESP_ERR_NO_MEM" },
    { ESP_ERR_INVALID_ARG, "ESP_ERR_INVALID_ARG" },
    { ESP_ERR_INVALID_STATE, "ESP_ERR_INVALID_STATE" },
    { ESP_ERR_INVALID_SIZE, "ESP_ERR_INVALID_SIZE" },
    { ESP_ERR_NOT_FOUND, "ESP_ERR_NOT_FOUND" },
    { ESP_ERR_NOT_SUPPORTED, "ESP_ERR_NOT_SUPPORTED" },
    { ESP_ERR_TIMEOUT, "ESP_ERR_TIMEOUT" },
    { ESP_ERR_INVALID_RESPONSE, "ESP_ERR_INVALID_RESPONSE" },
    { ESP_ERR_INVALID_CRC, "ESP_ERR_INVALID_CRC" },
    { ESP_ERR_INVALID_VERSION, "ESP_ERR_INVALID_VERSION" },
    { ESP_ERR_INVALID_MAC, "ESP_ERR_INVALID_MAC" },
    { ESP_ERR_NOT_FINISHED, "ESP_ERR_NOT_FINISHED" },
    { ESP_ERR_NOT_ALLOWED, "ESP_ERR_NOT_ALLOWED" },
    /* app_update (esp_ota_ops.h) */
    { 0x1501, "ESP_ERR_OTA_PARTITION_CONFLICT" },
    { 0x1502, "ESP_ERR_OTA_SELECT_INFO_INVALID" },
    { 0x1503, "ESP_ERR_OTA_VALIDATE_FAILED" },
    { 0x1504, "ESP_ERR_OTA_SMALL_SEC_VER" },
    { 0x1505, "ESP_ERR_OTA_ROLLBACK_FAILED" },
    { 0x1506, "ESP_ERR_OTA_ROLLBACK_INVALID_STATE" },
    { 0x1507, "ESP_ERR_OTA_ALREADY_IN_PROGRESS" },
    { 0x1508, "ESP_ERR_OTA_SPI_MODE_MISMATCH" },
    /* bootloader_support (esp_image_format.h) */
    { 0x2001, "ESP_ERR_IMAGE_FLASH_FAIL" },
    { 0x2002, "ESP_ERR_IMAGE_INVALID" },
    /* esp_flash / spi_flash */
    { 0x6001, "ESP_ERR_FLASH_OP_FAIL" },
    { 0x6002, "ESP_ERR_FLASH_OP_TIMEOUT" },
    /* esp_http_server.h */
    { 0xb000, "ESP_ERR_HTTPD_BASE" },
    { 0xb001, "ESP_ERR_HTTPD_HANDLERS_FULL" },
    { 0xb002, "ESP_ERR_HTTPD_HANDLER_EXISTS" },
    { 0xb003, "ESP_ERR_HTTPD_INVALID_REQ" },
    { 0xb004, "ESP_ERR_HTTPD_RESULT_TRUNC" },
    { 0xb005, "ESP_ERR_HTTPD_RESP_HDR" },
    { 0xb006, "ESP_ERR_HTTPD_RESP_SEND" },
    { 0xb007, "ESP_ERR_HTTPD_ALLOC_MEM" },
    { 0xb008, "ESP_ERR_HTTPD_TASK" },
    /* nvs.h */
    { 0x1100, "ESP_ERR_NVS_BASE" },
    { 0x1101, "ESP_ERR_NVS_NOT_INITIALIZED" },
    { 0x1102, "ESP_ERR_NVS_NOT_FOUND" },
    { 0x1103, "ESP_ERR_NVS_TYPE_MISMATCH" },
    { 0x1104, "ESP_ERR_NVS_READ_ONLY" },
    { 0x1105, "ESP_ERR_NVS_NOT_ENOUGH_SPACE" },
    { 0x1106, "ESP_ERR_NVS_INVALID_NAME" },
    { 0x1107, "ESP_ERR_NVS_INVALID_HANDLE" },
    { 0x1108, "ESP_ERR_NVS_REMOVE_FAILED" },
    { 0x1109, "ESP_ERR_NVS_KEY_TOO_LONG" },
    { 0x110a, "ESP_ERR_NVS_PAGE_FULL" },
    { 0x110b, "ESP_ERR_NVS_INVALID_STATE" },
    { 0x110c, "ESP_ERR_NVS_INVALID_LENGTH" },
    { 0x110d, "ESP_ERR_NVS_NO_FREE_PAGES" },
    { 0x110e, "ESP_ERR_NVS_VALUE_TOO_LONG" },
    { 0x110f, "ESP_ERR_NVS_PART_NOT_FOUND" },
    { 0x1110, "ESP_ERR_NVS_NEW_VERSION_FOUND" },
    /* esp_wifi.h */
    { 0x3000, "ESP_ERR_WIFI_BASE" },
    { 0x3001, "ESP_ERR_WIFI_NOT_INIT" },
    { 0x3002, "ESP_ERR_WIFI_NOT_STARTED" },
    { 0x3003, "ESP_ERR_WIFI_NOT_STOPPED" },
    { 0x3004, "ESP_ERR_WIFI_IF" },
    { 0x3005, "ESP_ERR_WIFI_MODE" },
    { 0x3006, "ESP_ERR_WIFI_STATE" },
    { 0x3007, "ESP_ERR_WIFI_CONN" },
    { 0x3008, "ESP_ERR_WIFI_NVS" },
    { 0x3009, "ESP_ERR_WIFI_MAC" },
    { 0x300a, "ESP_ERR_WIFI_SSID" },
    { 0x300b, "ESP_ERR_WIFI_PASSWORD" },
    { 0x300c, "ESP_ERR_WIFI_TIMEOUT" },
    { 0x300d, "ESP_ERR_WIFI_WAKE_FAIL" },
    { 0x300e, "ESP_ERR_WIFI_WOULD_BLOCK" },
    { 0x300f, "ESP_ERR_WIFI_NOT_CONNECT" },
    { 0x3012, "ESP_ERR_WIFI_POST" },
    { 0x3013, "ESP_ERR_WIFI_INIT_STATE" },
    { 0x3014, "ESP_ERR_WIFI_STOP_STATE" },
    { 0x3015, "ESP_ERR_WIFI_NOT_ASSOC" },
    { 0x3016, "ESP_ERR_WIFI_TX_DISALLOW" },
    /* esp_netif_types.h */
    { 0x5001, "ESP_ERR_ESP_NETIF_INVALID_PARAMS" },
    { 0x5002, "ESP_ERR_ESP_NETIF_IF_NOT_READY" },
    { 0x5003, "ESP_ERR_ESP_NETIF_DHCPC_START_FAILED" },
    { 0x5004, "ESP_ERR_ESP_NETIF_DHCP_ALREADY_STARTED" },
    { 0x5005, "ESP_ERR_ESP_NETIF_DHCP_ALREADY_STOPPED" },
    { 0x5006, "ESP_ERR_ESP_NETIF_NO_MEM" },
    { 0x5007, "ESP_ERR_ESP_NETIF_DHCP_NOT_STOPPED" },
    { 0x5008, "ESP_ERR_ESP_NETIF_DRIVER_ATTACH_FAILED" },
    { 0x5009, "ESP_ERR_ESP_NETIF_INIT_FAILED" },
    { 0x500a, "ESP_ERR_ESP_NETIF_DNS_NOT_CONFIGURED" },
    { 0x500b, "ESP_ERR_ESP_NETIF_MLD6_FAILED" },
    { 0x500c, "ESP_ERR_ESP_NETIF_IP6_ADDR_FAILED" },
    { 0x500d, "ESP_ERR_ESP_NETIF_DHCPS_START_FAILED" },
};

const char *esp_err_to_name(esp_err_t code)
{
    for (size_t i = 0; i < sizeof s_names / sizeof s_names[0]; i++) {
        if (s_names[i].code == code) {
            return s_names[i].name;
        }
    }
    return "UNKNOWN ERROR";
}

void _esp_error_check_failed(esp_err_t rc, const char *file, int line, const char *function,
                             const char *expression)
{
    fprintf(stderr, "ESP_ERROR_CHECK failed: esp_err_t 0x%x (%s) at %s:%d\nfunc: %s\nexpression: %s\n",
            (unsigned)rc, esp_err_to_name(rc), file, line, function, expression);
    abort();
}
