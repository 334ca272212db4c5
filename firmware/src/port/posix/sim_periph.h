/* SIMULATED peripherals for the posix builds (the posix device and the sandbox tests):
 * hardware that cannot exist on a build machine, named as a simulation everywhere it shows.
 *
 * - I2C bus 0 at line level: two open-drain wires driven by the real bit-bang master
 *   (core/periph/i2c_bitbang.c, the code the mps2 port runs), with devices that answer on
 *   the wires as real parts do: a TMP105 temperature sensor at 0x48 (its temperature set by
 *   the test, or read from a file at every conversion), an AT24C32 EEPROM at 0x50 (4 KiB,
 *   two address bytes, 32-byte pages that wrap, NACKs its address while a write cycle
 *   runs), and a misbehaving part at 0x2a that stretches the clock or holds SDA low when
 *   told to (for the bounded-wait tests).
 * - SPI bus 0: a MAX1111-style ADC on chip select 0 (control byte, then the 8-bit result in
 *   the next two bytes), a loopback on chip select 1.
 * - UART 0 ("aux"): a loopback. ADC channels 0..1: settable codes. PWM outputs 0..1: the
 *   last setting is kept for inspection.
 *
 * The board names (WM_SIM_PERIPH_NAMES) are what the posix device reports. */
#ifndef WM_SIM_PERIPH_H
#define WM_SIM_PERIPH_H

#include <stdbool.h>
#include <stdint.h>

#include "i2c_bitbang.h"
#include "periph_ops.h"

#define WM_SIM_PERIPH_NAMES                                                      \
    "temp0=i2c:0/0x48,eeprom0=i2c:0/0x50,adc0=spi:0/0,loop0=spi:0/1,aux=uart:0," \
    "vin0=adc:0,vin1=adc:1,led1=pwm:0,fan0=pwm:1"
#define WM_SIM_TMP105_ADDR 0x48u
#define WM_SIM_EEPROM_ADDR 0x50u
#define WM_SIM_BAD_ADDR 0x2Au
#define WM_SIM_EEPROM_SIZE 4096u
#define WM_SIM_EEPROM_PAGE 32u
#define WM_SIM_STRETCH_BUDGET 10000u /* SCL polls one transaction may wait */
#define WM_SIM_POLL_NS 2500u         /* a poll as long as a quarter bit at 100 kHz, as on mps2 */
#define WM_SIM_UART_RING 256u

typedef struct wm_sim_periph {
    wm_periph_ops ops;
    wm_i2c_lines lines;
    /* the wires: what the master and the devices drive (1 = released) */
    int m_scl, m_sda, d_scl, d_sda;
    /* the bus state machine of the devices' side */
    int state;
    uint8_t shift, bits;
    int active;      /* index of the addressed device, -1 = none */
    bool reading;    /* the addressed device transmits */
    bool addressing; /* the next byte is an address */
    /* TMP105 */
    int32_t temp_mc; /* millidegrees Celsius */
    const char *temp_file;
    uint8_t tmp_ptr, tmp_cfg, tmp_out[2], tmp_in, tmp_nout;
    int16_t tmp_limit[2];
    /* AT24C32 */
    uint8_t ee[WM_SIM_EEPROM_SIZE];
    uint16_t ee_ptr;
    uint8_t ee_have_addr;
    bool ee_wrote;
    uint64_t ee_busy_until_ms; /* write cycle: its address is NACKed until then */
    /* the misbehaving part: stretches SCL for that many polls / holds SDA for that many
     * SCL falls after it is addressed (0 = behaves) */
    uint32_t stretch, jam, stretch_left, jam_left;
    /* SPI ADC and loopback */
    uint8_t adc_in[4], adc_ctrl, adc_cycle;
    /* UART loopback */
    uint8_t uart[WM_SIM_UART_RING];
    uint32_t uart_head, uart_tail;
    /* PWM */
    uint32_t pwm_hz[2], pwm_duty[2];
    /* what reached each 7-bit address (START + address byte seen on the wires) */
    uint32_t addressed[128];
    uint64_t (*now_ms)(void);
} wm_sim_periph;

void wm_sim_periph_init(wm_sim_periph *s, uint64_t (*now_ms)(void));

#endif
