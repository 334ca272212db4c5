from bench.interp_m4.measure import entry

entry()
