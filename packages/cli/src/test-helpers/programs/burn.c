/* A CPU-bound C program for the CLI's tests: hot_c_loop takes nearly all of the CPU for
 * argv[1] seconds (default 3); prints a line and exits with code 3. Built by the tests with
 * `gcc -O1 -fno-omit-frame-pointer -g` so perf can walk its stacks. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) unsigned long hot_c_loop(unsigned long n) {
  unsigned long s = 0;
  for (unsigned long i = 0; i < n; i++) s += (i * i) ^ (s >> 3);
  return s;
}

int main(int argc, char **argv) {
  time_t end = time(NULL) + (argc > 1 ? atoi(argv[1]) : 3);
  while (time(NULL) < end) sink += hot_c_loop(5000000);
  printf("burn-c done\n");
  return 3;
}
