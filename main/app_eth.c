/* Ethernet for the openeth variant (QEMU): OpenCores MAC, a DP83848-compatible PHY (the
 * generic IEEE 802.3 PHY driver from ESP-IDF 5.4 on), a default Ethernet netif with its
 * DHCP client. */
#include "app_eth.h"

#include "esp_eth.h"
#include "esp_event.h"
#include "esp_idf_version.h"
#include "esp_log.h"
#include "esp_mac.h"
#include "esp_netif.h"
#include "freertos/FreeRTOS.h"
#include "freertos/event_groups.h"

static const char *TAG = "app_eth";

#define APP_ETH_GOT_IP BIT0

static EventGroupHandle_t s_events;

static void on_got_ip(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)arg;
    (void)base;
    (void)id;
    const ip_event_got_ip_t *ev = data;
    ESP_LOGI(TAG, "Ethernet up: address " IPSTR ", gateway " IPSTR " (DHCP)", IP2STR(&ev->ip_info.ip),
             IP2STR(&ev->ip_info.gw));
    xEventGroupSetBits(s_events, APP_ETH_GOT_IP);
}

/* esp_netif_init and the default loop may already be up: that is no error here. */
static esp_err_t tolerate_started(esp_err_t err)
{
    return err == ESP_ERR_INVALID_STATE ? ESP_OK : err;
}

static esp_err_t fail(const char *step, esp_err_t err)
{
    ESP_LOGE(TAG, "%s failed: %s", step, esp_err_to_name(err));
    return err;
}

esp_err_t app_eth_start(uint32_t timeout_ms)
{
    esp_err_t err = tolerate_started(esp_netif_init());
    if (err != ESP_OK) {
        return fail("esp_netif_init", err);
    }
    err = tolerate_started(esp_event_loop_create_default());
    if (err != ESP_OK) {
        return fail("esp_event_loop_create_default", err);
    }
    s_events = xEventGroupCreate();
    if (!s_events) {
        return fail("xEventGroupCreate", ESP_ERR_NO_MEM);
    }

    eth_mac_config_t mac_cfg = ETH_MAC_DEFAULT_CONFIG();
    eth_phy_config_t phy_cfg = ETH_PHY_DEFAULT_CONFIG();
    phy_cfg.autonego_timeout_ms = 100; /* the emulated link is up at once */
    esp_eth_mac_t *mac = esp_eth_mac_new_openeth(&mac_cfg);
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 4, 0)
    esp_eth_phy_t *phy = esp_eth_phy_new_generic(&phy_cfg);
#else
    esp_eth_phy_t *phy = esp_eth_phy_new_dp83848(&phy_cfg);
#endif
    if (!mac || !phy) {
        return fail("creating the OpenCores MAC and PHY drivers (is CONFIG_ETH_USE_OPENETH set?)",
                    ESP_ERR_NO_MEM);
    }
    esp_eth_config_t eth_cfg = ETH_DEFAULT_CONFIG(mac, phy);
    esp_eth_handle_t eth = NULL;
    err = esp_eth_driver_install(&eth_cfg, &eth);
    if (err != ESP_OK) {
        return fail("esp_eth_driver_install", err);
    }
    /* the OpenCores MAC has no address of its own: give it the chip's Ethernet MAC */
    uint8_t addr[6];
    if (esp_read_mac(addr, ESP_MAC_ETH) == ESP_OK) {
        err = esp_eth_ioctl(eth, ETH_CMD_S_MAC_ADDR, addr);
        if (err != ESP_OK) {
            return fail("setting the Ethernet MAC address", err);
        }
    }

    esp_netif_config_t netif_cfg = ESP_NETIF_DEFAULT_ETH();
    esp_netif_t *netif = esp_netif_new(&netif_cfg);
    if (!netif) {
        return fail("esp_netif_new", ESP_ERR_NO_MEM);
    }
    err = esp_netif_attach(netif, esp_eth_new_netif_glue(eth));
    if (err != ESP_OK) {
        return fail("esp_netif_attach", err);
    }
    err = esp_event_handler_register(IP_EVENT, IP_EVENT_ETH_GOT_IP, on_got_ip, NULL);
    if (err != ESP_OK) {
        return fail("esp_event_handler_register", err);
    }
    err = esp_eth_start(eth);
    if (err != ESP_OK) {
        return fail("esp_eth_start", err);
    }
    ESP_LOGI(TAG, "Ethernet started, waiting up to %u ms for a DHCP address", (unsigned)timeout_ms);
    EventBits_t bits = xEventGroupWaitBits(s_events, APP_ETH_GOT_IP, pdFALSE, pdTRUE, pdMS_TO_TICKS(timeout_ms));
    if (!(bits & APP_ETH_GOT_IP)) {
        ESP_LOGE(TAG, "no DHCP address after %u ms: start QEMU with -nic user,model=open_eth", (unsigned)timeout_ms);
        return ESP_ERR_TIMEOUT;
    }
    return ESP_OK;
}
