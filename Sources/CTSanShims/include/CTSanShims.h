// ThreadSanitizer's annotations, declared weak: in a `--sanitize=thread` build the runtime
// defines them; in any other build they are null and the calls do nothing.
#ifndef CTSANSHIMS_H
#define CTSANSHIMS_H

void __tsan_acquire(void *addr) __attribute__((weak));
void __tsan_release(void *addr) __attribute__((weak));

static inline void CTSanShims_acquire(void *addr) {
    if (__tsan_acquire) __tsan_acquire(addr);
}

static inline void CTSanShims_release(void *addr) {
    if (__tsan_release) __tsan_release(addr);
}

#endif
