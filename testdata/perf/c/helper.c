/* libhelper.so: built with -fvisibility=hidden and then stripped, so only
 * helper_mix (exported, in .dynsym) keeps a symbol; samples inside the static
 * mix_rounds resolve to [unknown] within libhelper.so. */
__attribute__((noinline)) static unsigned long mix_rounds(unsigned long x, int n) {
  for (int i = 0; i < n; i++) x = (x ^ (x >> 29)) * 0xbf58476d1ce4e5b9UL + (unsigned long)i;
  return x;
}
__attribute__((visibility("default"))) unsigned long helper_mix(unsigned long x) {
  return mix_rounds(x, 20000) ^ 1;
}
