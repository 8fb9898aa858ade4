/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the ptcpdump comment parser on arbitrary bytes. The input is copied to a
 * buffer of exactly its size, so ASan catches any read past len; slices must lie inside it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attrib/filemeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(apc__slice_t s, const char *buf, size_t size)
{
    if (s.len && (s.p < buf || s.p + s.len > buf + size))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    apc__procmeta_t m;
    int r = apc__filemeta_parse(&m, buf, size);
    if (r != (m.pid > 0) || m.pid < 0 || m.tid < 0 || m.ppid < 0)
        abort();
    apc__slice_t all[] = {
        m.cmd,       m.args, m.thread_name,  m.parent_cmd,      m.parent_args,   m.user,
        m.container, m.pod,  m.container_id, m.container_image, m.pod_namespace, m.pod_uid};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        check(all[i], buf, size);
    apc__slice_t b = apc__filemeta_basename(m.cmd);
    check(b, buf, size);
    if (b.len > m.cmd.len)
        abort();
    free(buf);
    return 0;
}
