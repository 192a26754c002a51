/*
 * conductor-flock.node: flock(2) without a process, for sdk/state/lock.ts.
 *
 * Node has no flock, and spawning util-linux `flock` costs a fork + exec per lock (a run takes
 * three). This Node-API addon exposes one non-blocking call: take LOCK_EX on an fd the caller
 * opened, or say it is held. It never blocks the event loop; a contended lock still waits in
 * the kernel through the `flock` child (lock.ts's fallback), never in a poll.
 *
 *   tryLock(fd) -> true (locked), false (another open file description holds it); throws on
 *   any other error (EBADF, EINTR is retried).
 *
 * Node-API is ABI-stable across Node versions: the symbols are resolved from the node binary
 * that loads this file.
 */
#include <errno.h>
#include <string.h>
#include <sys/file.h>
#include <node_api.h>

static napi_value try_lock(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "tryLock(fd): fd must be a number");
    return NULL;
  }
  int r;
  do {
    r = flock(fd, LOCK_EX | LOCK_NB);
  } while (r < 0 && errno == EINTR);
  if (r < 0 && errno != EWOULDBLOCK) {
    napi_throw_error(env, "EFLOCK", strerror(errno));
    return NULL;
  }
  napi_value out;
  napi_get_boolean(env, r == 0, &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "tryLock", NAPI_AUTO_LENGTH, try_lock, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "tryLock", fn) != napi_ok)
    return NULL;
  return exports;
}
