/* burn.c: CPU + syscall load for perf fixtures.
 * Process tree: main thread + 2 pthreads ("hasher", "io worker" - note the
 * space in the comm) + a forked child process renamed "burn-child".
 * Frames: call depth >= 5 in every thread, recursion, write()/read() on a
 * pipe and mmap()/munmap() (kernel frames), a stripped helper .so and a
 * JIT-like anonymous executable page (both give [unknown] frames). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

unsigned long helper_mix(unsigned long x); /* from libhelper.so (stripped) */

static double deadline;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

#define NOINLINE __attribute__((noinline))

/* ---- pure CPU, deep + recursive ---- */
NOINLINE unsigned long lcg_leaf(unsigned long x) { for (int i = 0; i < 2000; i++) x = x * 6364136223846793005UL + 1442695040888963407UL; return x; }
NOINLINE unsigned long tree_walk(unsigned long x, int depth) { if (depth == 0) return lcg_leaf(x); return tree_walk(x + 1, depth - 1) ^ (depth & 1 ? tree_walk(x + 2, depth - 2 < 0 ? 0 : depth - 2) : 0); }
NOINLINE unsigned long hash_block(unsigned long x) { return tree_walk(x, 4); }
NOINLINE unsigned long hash_stage(unsigned long x) { return hash_block(x) + helper_mix(x); }
NOINLINE unsigned long hash_batch(unsigned long x) { for (int i = 0; i < 8; i++) x = hash_stage(x); return x; }

/* ---- JIT-like code: machine code copied into an anonymous exec mapping ---- */
typedef unsigned long (*jit_fn)(unsigned long);
static jit_fn jit_code;
static void jit_init(void) {
  /* xor eax,eax ; L: add rax,rdi ; dec rdi ; jnz L ; ret */
  static const unsigned char code[] = {0x31, 0xc0, 0x48, 0x01, 0xf8, 0x48, 0xff, 0xcf, 0x75, 0xf8, 0xc3};
  void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memcpy(p, code, sizeof code);
  mprotect(p, 4096, PROT_READ | PROT_EXEC);
  jit_code = (jit_fn)p;
}
NOINLINE unsigned long jit_call(unsigned long n) { return jit_code(n); }
NOINLINE unsigned long jit_stage(unsigned long n) { return jit_call(n) + 1; }

/* ---- syscalls: pipe write/read and mmap/munmap ---- */
NOINLINE void pipe_roundtrip(int fds[2], char *buf) { if (write(fds[1], buf, 4096) != 4096) abort(); if (read(fds[0], buf, 4096) != 4096) abort(); }
NOINLINE void map_touch(void) { char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); for (int i = 0; i < (1 << 20); i += 4096) m[i] = (char)i; munmap(m, 1 << 20); }
NOINLINE void io_stage(int fds[2], char *buf) { for (int i = 0; i < 16; i++) pipe_roundtrip(fds, buf); map_touch(); }
NOINLINE void io_batch(int fds[2], char *buf) { for (int i = 0; i < 4; i++) io_stage(fds, buf); }

static void *hasher_main(void *arg) {
  unsigned long s = (unsigned long)arg;
  pthread_setname_np(pthread_self(), "hasher");
  while (now() < deadline) s = hash_batch(s);
  return (void *)s;
}
static void *io_main(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "io worker");
  int fds[2]; char buf[4096]; memset(buf, 'x', sizeof buf);
  if (pipe(fds)) abort();
  while (now() < deadline) io_batch(fds, buf);
  return NULL;
}
NOINLINE unsigned long child_work(unsigned long s) { while (now() < deadline) { s = hash_batch(s); s += jit_stage(200000); } return s; }
NOINLINE unsigned long main_loop(unsigned long s) { while (now() < deadline) s += jit_stage(1000000) ^ hash_stage(s); return s; }

int main(int argc, char **argv) {
  deadline = now() + (argc > 1 ? atof(argv[1]) : 2.0);
  jit_init();
  pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_NAME, "burn-child");
    printf("child %lu\n", child_work(7));
    return 0;
  }
  pthread_t a, b;
  pthread_create(&a, NULL, hasher_main, (void *)1);
  pthread_create(&b, NULL, io_main, NULL);
  unsigned long s = main_loop(3);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  waitpid(child, NULL, 0);
  printf("main %lu\n", s);
  return 0;
}
