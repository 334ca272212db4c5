/* See Arduino.h in this folder: declarations from the ESP8266 Arduino core's uart.h. */
#ifndef WM_TEST_UART_H
#define WM_TEST_UART_H
#include <stdbool.h>
#include <stddef.h>
#define UART0 0
#define UART_8N1 0x1c
#define UART_FULL 3
typedef struct uart_ uart_t;
uart_t *uart_init(int uart_nr, int baudrate, int config, int mode, int tx_pin, size_t rx_size,
                  bool invert);
int uart_read_char(uart_t *uart);
size_t uart_rx_available(uart_t *uart);
size_t uart_tx_free(uart_t *uart);
size_t uart_write_char(uart_t *uart, char c);
#endif
