/* SPDX-License-Identifier: MIT */
/* libapc: application-aware packet capture. Include this one header. */
#ifndef APC_APC_H
#define APC_APC_H

#include "common.h"
#include "ctx.h"
#include "capture.h"
#include "live.h"
#include "process.h"
#include "export.h"
#include "ops.h"
#include "stats.h"
#include "auth.h"
#include "search.h"
#include "trigger.h"
#include "extract.h"

#endif
