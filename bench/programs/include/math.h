/* math.h for the benchmark programs: sqrt (wikisort) and fabs. */
#ifndef WM_BENCH_MATH_H
#define WM_BENCH_MATH_H

double sqrt(double x);
double fabs(double x);
float fabsf(float x);

#endif
