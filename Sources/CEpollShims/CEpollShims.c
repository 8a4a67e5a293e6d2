// Declarations only (see include/CEpollShims.h); SwiftPM builds a C target from a source file.
#include "CEpollShims.h"
