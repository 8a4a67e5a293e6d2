// glibc's posix_spawn extensions that its headers declare only under _GNU_SOURCE, which the
// Swift Glibc module does not define. Every symbol carries the CSpawnShims_ prefix.
#ifndef CSPAWNSHIMS_H
#define CSPAWNSHIMS_H

#include <spawn.h>

/// posix_spawn_file_actions_addclosefrom_np(3) (glibc 2.34+): the child closes every descriptor
/// from `low` up, so it inherits nothing its parent's other threads opened without CLOEXEC.
/// Returns 0 or an errno value (ENOSYS where glibc is older).
int CSpawnShims_addclosefrom(posix_spawn_file_actions_t *actions, int low);

#endif
