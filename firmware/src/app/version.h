/* Firmware version; kept equal to the host package's version (host_tools/wasmote). */
#ifndef WM_APP_VERSION_H
#define WM_APP_VERSION_H

#define WM_FIRMWARE_VERSION "0.1.0"

#endif /* WM_APP_VERSION_H */
