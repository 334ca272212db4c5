/* The few Arduino-core (ESP8266, 3.x) declarations esp8266_port.c uses, written from the
 * core's documented API so that the port compiles here with Debian's xtensa-lx106-elf-gcc
 * (tests/firmware/test_firmware_build.py). Not the core: the real build needs PlatformIO's
 * registry. */
#ifndef WM_TEST_ARDUINO_H
#define WM_TEST_ARDUINO_H
#include <stdint.h>
#define LOW 0x0
#define HIGH 0x1
#define INPUT_PULLUP 0x02
#define OUTPUT 0x01
unsigned long millis(void);
void delay(unsigned long ms);
void pinMode(uint8_t pin, uint8_t mode);
void digitalWrite(uint8_t pin, uint8_t val);
int digitalRead(uint8_t pin);
#endif
