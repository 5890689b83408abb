/* LD_PRELOAD shim for tests/clock/run-at: the wall clock (CLOCK_REALTIME and friends,
   gettimeofday, time) runs WALLCLOCK_SHIFT seconds ahead (negative: behind) in this process and
   every process it starts; monotonic clocks, and so asyncio's loop, timeouts and sleeps, are
   untouched. A test tool, never built into the kiosk. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long long shift_ns(void) {
    static int done; static long long ns;
    if (!done) { const char *s = getenv("WALLCLOCK_SHIFT"); ns = s ? (long long)(atof(s) * 1e9) : 0; done = 1; }
    return ns;
}
static int is_wall(clockid_t id) {
    return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE || id == CLOCK_TAI;
}
static void add(struct timespec *ts, long long ns) {
    long long t = (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec + ns;
    ts->tv_sec = t / 1000000000LL; ts->tv_nsec = t % 1000000000LL;
    if (ts->tv_nsec < 0) { ts->tv_nsec += 1000000000LL; ts->tv_sec -= 1; }
}
int clock_gettime(clockid_t id, struct timespec *ts) {
    static int (*real)(clockid_t, struct timespec *);
    if (!real) real = dlsym(RTLD_NEXT, "clock_gettime");
    int r = real(id, ts);
    if (r == 0 && ts && is_wall(id)) add(ts, shift_ns());
    return r;
}
int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    struct timespec ts;
    int r = clock_gettime(CLOCK_REALTIME, &ts);
    if (r == 0 && tv) { tv->tv_sec = ts.tv_sec; tv->tv_usec = ts.tv_nsec / 1000; }
    return r;
}
time_t time(time_t *out) {
    struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts);
    if (out) *out = ts.tv_sec;
    return ts.tv_sec;
}
int clock_nanosleep(clockid_t id, int flags, const struct timespec *req, struct timespec *rem) {
    static int (*real)(clockid_t, int, const struct timespec *, struct timespec *);
    if (!real) real = dlsym(RTLD_NEXT, "clock_nanosleep");
    if ((flags & TIMER_ABSTIME) && is_wall(id) && req) {
        struct timespec r = *req; add(&r, -shift_ns()); return real(id, flags, &r, rem);
    }
    return real(id, flags, req, rem);
}
