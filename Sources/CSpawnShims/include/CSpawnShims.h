// glibc's process functions that its headers declare only under _GNU_SOURCE, which the Swift
// Glibc module does not define (posix_spawn's extensions), or not at all (pidfd_open's
// syscall). Every symbol carries the CSpawnShims_ prefix.
#ifndef CSPAWNSHIMS_H
#define CSPAWNSHIMS_H

#include <spawn.h>
#include <sys/types.h>

/// posix_spawn_file_actions_addclosefrom_np(3) (glibc 2.34+): the child closes every descriptor
/// from `low` up, so it inherits nothing its parent's other threads opened without CLOEXEC.
/// Returns 0 or an errno value (ENOSYS where glibc is older).
int CSpawnShims_addclosefrom(posix_spawn_file_actions_t *actions, int low);

/// pidfd_open(2) (Linux 5.3+): a descriptor that becomes readable when process `pid` has ended,
/// close-on-exec. Returns it, or -1 with errno set (ENOSYS on an older kernel).
int CSpawnShims_pidfd_open(pid_t pid);

#endif
