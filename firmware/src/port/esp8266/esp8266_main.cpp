// The Arduino core's entry points (C++ linkage) for the ESP8266 port: setup() hands over to
// the portable firmware, which never returns.
extern "C" void wm_esp8266_start(void);

void setup() { wm_esp8266_start(); }

void loop() {}
