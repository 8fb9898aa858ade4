/* SPDX-License-Identifier: MIT */
/*
 * Running as an unprivileged user (issue 16 item 12, docs/security.md "Privileges"): apcd
 * started as root with `user = NAME` hands its data directory to NAME, then becomes NAME keeping
 * only the capabilities live capture uses. Everything after (the store, captures, exports,
 * uploads, the log) runs as that user: a file only root may read or write is out of reach, and a
 * flaw in the HTTP face is a flaw of an ordinary user with a few capabilities, not of root.
 *
 * libcap (Debian libcap2) sets the capability sets: its text form is the one the systemd unit
 * and docs use, and it knows the kernel's capability ABI versions, which a hand-written capset(2)
 * call would have to track.
 */
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apcd.h"

/* What live capture needs (without cap_perfmon or cap_dac_read_search, tried, attribution fails):
 *   cap_net_raw          packet sockets (libpcap)
 *   cap_net_admin        promiscuous mode, socket options, attaching eBPF programs to a cgroup
 *   cap_bpf              loading the eBPF programs and maps that tie packets to processes
 *   cap_perfmon          the helpers those programs call to read kernel data
 *   cap_sys_ptrace       /proc/PID/exe and the fd links of every process, to name an owner
 *   cap_dac_read_search  listing /proc/PID/fd of other users' processes (the procfs backend);
 *                        it also lets apcd read any file, which the ingest roots confine
 * Left out: cap_dac_override (writing others' files), cap_sys_admin, cap_setuid, cap_chown...
 * Port numbers below 1024 add cap_net_bind_service (the listener is bound after the drop). */
#define APCD_CAPS "cap_net_raw,cap_net_admin,cap_bpf,cap_perfmon,cap_sys_ptrace,cap_dac_read_search"

static uid_t own_uid;
static gid_t own_gid;

static int chown_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)flag;
    (void)ftw;
    if ((st->st_uid != own_uid || st->st_gid != own_gid) && lchown(path, own_uid, own_gid) != 0)
        return errno ? errno : EIO;
    return 0;
}

int apcd_drop_privileges(const char *user, const char *data_dir, int port, char *err, size_t n)
{
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(err, n, "user '%s': %s", user, errno ? strerror(errno) : "no such user");
        return -1;
    }
    if (geteuid() != 0) {
        if (geteuid() == pw->pw_uid)
            return 0; /* already that user (a systemd unit with User=) */
        snprintf(err, n, "user '%s': apcd must start as root to become another user", user);
        return -1;
    }
    if (pw->pw_uid == 0) {
        snprintf(err, n, "user '%s' is root: name an unprivileged user", user);
        return -1;
    }
    own_uid = pw->pw_uid;
    own_gid = pw->pw_gid;
    /* The data directory becomes the user's: the store and every capture file are opened and
     * created after the drop. A directory first used by root (files 0600) is handed over. */
    int r = nftw(data_dir, chown_one, 32, FTW_PHYS);
    if (r != 0) {
        snprintf(err, n, "%s: cannot give it to user '%s': %s", data_dir, user,
                 strerror(r > 0 ? r : errno));
        return -1;
    }
    char text[256];
    snprintf(text, sizeof text, "%s%s=ep", APCD_CAPS, port < 1024 ? ",cap_net_bind_service" : "");
    cap_t caps = cap_from_text(text);
    if (!caps) {
        snprintf(err, n, "capabilities '%s': %s", text, strerror(errno));
        return -1;
    }
    /* KEEPCAPS keeps the permitted set across setresuid; the effective set is set again after
     * it. Groups first (setgroups needs root), then the gid, then the uid. */
    const char *step = NULL;
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
        step = "prctl(PR_SET_KEEPCAPS)";
    else if (initgroups(user, pw->pw_gid) != 0)
        step = "initgroups";
    else if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0)
        step = "setresgid";
    else if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
        step = "setresuid";
    else if (cap_set_proc(caps) != 0)
        step = "cap_set_proc";
    else if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
        step = "prctl(PR_SET_KEEPCAPS, 0)";
    int e = errno;
    cap_free(caps);
    if (step) {
        snprintf(err, n, "becoming user '%s': %s: %s", user, step, strerror(e));
        return -1;
    }
    /* Programs apcd runs (trigger actions) get none of these: no ambient set, and the
     * inheritable set is empty. A process that regained root would be a failure of the above. */
    if (setuid(0) == 0) {
        snprintf(err, n, "becoming user '%s': root could be regained", user);
        return -1;
    }
    /* The kernel makes a process that changed its uid undumpable: no core dump of a process
     * holding tokens, and its /proc/PID files become root's to others; the process itself
     * still reads its own (/proc/self/exe, /proc/self/fd). */
    return 0;
}
