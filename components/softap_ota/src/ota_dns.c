/* Captive portal DNS: every A query is answered with the access point's address, so a
 * phone that joins the network finds the update page whatever name it asks for. */
#include <string.h>

#include "esp_log.h"
#include "esp_netif.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "lwip/sockets.h"
#include "ota_internal.h"
#include "sota_dns.h"

static const char *TAG = "softap_ota";
#define DNS_PORT 53

static int s_sock = -1;
static volatile bool s_run;
static TaskHandle_t s_task;

/* The AP's IPv4 address in network byte order, as lwIP keeps it and sota_dns_answer
 * takes it. */
static uint32_t ap_address(void)
{
    esp_netif_ip_info_t ip = { 0 };
    esp_netif_t *ap = esp_netif_get_handle_from_ifkey("WIFI_AP_DEF");
    if (ap && esp_netif_get_ip_info(ap, &ip) == ESP_OK && ip.ip.addr) {
        return ip.ip.addr;
    }
    return ESP_IP4TOADDR(192, 168, 4, 1);
}

static void dns_task(void *arg)
{
    (void)arg;
    uint8_t q[512], r[512];
    const uint32_t ip = ap_address();
    while (s_run) {
        struct sockaddr_in from;
        socklen_t flen = sizeof from;
        int n = recvfrom(s_sock, q, sizeof q, 0, (struct sockaddr *)&from, &flen);
        if (n <= 0) {
            continue; /* timeout (to check s_run) or a dropped datagram */
        }
        size_t rlen = 0;
        sota_dns_err_t err = sota_dns_answer(q, (size_t)n, ip, r, sizeof r, &rlen);
        if (err == SOTA_DNS_OK && rlen) {
            sendto(s_sock, r, rlen, 0, (struct sockaddr *)&from, flen);
        } else if (err != SOTA_DNS_OK) {
            ESP_LOGD(TAG, "%d-byte packet not answered: %s", n, sota_dns_strerror(err));
        }
    }
    ota_stack_report("sota_dns", SOTA_DNS_STACK);
    s_task = NULL;
    vTaskDelete(NULL);
}

esp_err_t ota_dns_start(void)
{
    s_sock = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (s_sock < 0) {
        return ESP_FAIL;
    }
    struct sockaddr_in addr = { 0 };
    addr.sin_family = AF_INET;
    addr.sin_port = htons(DNS_PORT);
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    struct timeval tv = { .tv_sec = 1, .tv_usec = 0 };
    setsockopt(s_sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (bind(s_sock, (struct sockaddr *)&addr, sizeof addr) != 0) {
        ESP_LOGW(TAG, "captive DNS could not bind UDP port %d: phones may not open the page by "
                 "themselves, http://192.168.4.1 still works", DNS_PORT);
        close(s_sock);
        s_sock = -1;
        return ESP_FAIL;
    }
    s_run = true;
    if (xTaskCreate(dns_task, "sota_dns", SOTA_DNS_STACK, NULL, 4, &s_task) != pdPASS) {
        s_run = false;
        close(s_sock);
        s_sock = -1;
        return ESP_ERR_NO_MEM;
    }
    ESP_LOGI(TAG, "captive DNS answering every name with the access point's address");
    return ESP_OK;
}

void ota_dns_stop(void)
{
    if (s_sock < 0) {
        return;
    }
    s_run = false;
    for (int i = 0; i < 30 && s_task; i++) {
        vTaskDelay(pdMS_TO_TICKS(100)); /* the task sees s_run within its 1 s receive timeout */
    }
    close(s_sock);
    s_sock = -1;
}
