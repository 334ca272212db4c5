/* Host API version 1 results and limits as the device uses them (docs/api.md; the same
 * values as sdk/wasmote.h, which is the module authors' copy). */
#ifndef WM_SB_API_H
#define WM_SB_API_H

#define WM_E_FAULT (-1)
#define WM_E_INVAL (-2)
#define WM_E_DENIED (-3)
#define WM_E_NOTFOUND (-4)
#define WM_E_NOSPACE (-5)
#define WM_E_QUOTA (-6)
#define WM_E_TIMEOUT (-7)
#define WM_E_FULL (-8)
#define WM_E_IO (-9)
#define WM_E_UNSUPPORTED (-10)
#define WM_E_BUDGET (-11) /* kv: the module's write budget (limits.kv_write) is used up */
#define WM_E_NACK (-12)

#define WM_LOG_MAX 128u
#define WM_PIN_NAME_MAX 32u
#define WM_KV_KEY_MAX 32u
#define WM_KV_VALUE_MAX 256u
#define WM_TOPIC_MAX 32u
#define WM_MESSAGE_MAX 64u
#define WM_QUEUE_DEPTH 8u
#define WM_SUBSCRIPTIONS_MAX 4u
#define WM_PERIPH_NAME_MAX 32u /* bytes of the device/channel argument of an *_open */
#define WM_PERIPH_HANDLES 8u   /* peripheral handles open at once, per module */
#define WM_I2C_MAX 64u         /* bytes of one I2C write or read segment */
#define WM_SPI_MAX 64u         /* bytes of one SPI transfer */
#define WM_UART_MAX 64u        /* bytes of one uart_write / uart_read */
#define WM_PWM_HZ_MAX 1000000u /* highest frequency pwm_set accepts (a board may do less) */

#endif
