// The flags of a configured bind mount, set as runc 1.3 sets them (not as mount(8) does).
#pragma once

#include <string>

namespace nucleus::init {

// Remounts the bind mount at `target` (a path the kernel resolves to it, e.g. /proc/self/fd/N)
// with exactly the MS_* `flags` asked for: flags the source has but the options did not ask
// for are dropped ("bind,dev" on a noexec source gives an exec mount). Only when the kernel
// refuses (flags locked in a user namespace) are the source's lockable flags kept, and then a
// flag the options clear ("dev", "rw", ...) that is locked, or an atime flag that differs from
// the locked one, is an error. The locked flags are read from the bind mount itself (a bind
// starts with its source's flags; runc reads the source, which the init in a user namespace
// may not reach). `shown` prefixes errors.
void set_bind_flags(const std::string& target, unsigned long flags, unsigned long clear,
                    const std::string& shown);

}  // namespace nucleus::init
