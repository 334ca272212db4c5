from bench.pd_install_m4.measure import entry

entry()
