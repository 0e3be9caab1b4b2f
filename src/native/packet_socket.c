/*
 * Two calls on a Linux AF_PACKET socket that the `cap` binding does not offer:
 *
 *   stats(fd)              -> [packets, drops]   getsockopt(PACKET_STATISTICS); the kernel
 *                                                resets its counters on every read, so the
 *                                                caller adds the results up (as libpcap does).
 *   dropPromisc(fd, index) -> undefined          setsockopt(PACKET_DROP_MEMBERSHIP) with a
 *                                                PACKET_MR_PROMISC request: undoes the
 *                                                promiscuous membership libpcap added at open.
 *
 * Both throw an Error naming the call and errno's text on failure. The socket belongs to
 * libpcap inside `cap`; nothing here reads from it or closes it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <node_api.h>

#ifndef SOL_PACKET
#define SOL_PACKET 263
#endif

static napi_value throw_errno(napi_env env, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static int int_arg(napi_env env, napi_callback_info info, size_t want, int32_t *out) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "expected integer arguments");
    return 0;
  }
  for (size_t i = 0; i < want; i++) {
    if (napi_get_value_int32(env, argv[i], &out[i]) != napi_ok) {
      napi_throw_type_error(env, NULL, "expected integer arguments");
      return 0;
    }
  }
  return 1;
}

static napi_value stats(napi_env env, napi_callback_info info) {
  int32_t a[2];
  if (!int_arg(env, info, 1, a)) return NULL;
  /* Large enough for tpacket_stats (V1/V2) and tpacket_stats_v3; both begin with
     tp_packets then tp_drops. */
  unsigned int buf[4] = {0, 0, 0, 0};
  socklen_t len = sizeof buf;
  if (getsockopt(a[0], SOL_PACKET, PACKET_STATISTICS, buf, &len) != 0) {
    return throw_errno(env, "getsockopt(PACKET_STATISTICS)");
  }
  napi_value arr, packets, drops;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_uint32(env, buf[0], &packets);
  napi_create_uint32(env, buf[1], &drops);
  napi_set_element(env, arr, 0, packets);
  napi_set_element(env, arr, 1, drops);
  return arr;
}

static napi_value drop_promisc(napi_env env, napi_callback_info info) {
  int32_t a[2];
  if (!int_arg(env, info, 2, a)) return NULL;
  struct packet_mreq mr;
  memset(&mr, 0, sizeof mr);
  mr.mr_ifindex = a[1];
  mr.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(a[0], SOL_PACKET, PACKET_DROP_MEMBERSHIP, &mr, sizeof mr) != 0) {
    return throw_errno(env, "setsockopt(PACKET_DROP_MEMBERSHIP)");
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"stats", NULL, stats, NULL, NULL, NULL, napi_default, NULL},
      {"dropPromisc", NULL, drop_promisc, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
