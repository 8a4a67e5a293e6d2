// The declaration in include/CFuzzerShims.h is all this module is; libFuzzer defines it.
#include "CFuzzerShims.h"
