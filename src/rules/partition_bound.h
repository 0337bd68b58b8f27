/*
 * partition_bound.h — whether a partition's validated CHECK constraints (and NOT NULL columns)
 * already imply the bound it is attached with, so ATTACH PARTITION skips its scan
 * (partition_bound.c).
 */
#ifndef MKMIG_PARTITION_BOUND_H
#define MKMIG_PARTITION_BOUND_H

#include "mkmig/model.h"
#include "mkmig/sql.h"

/* column: the partition key column (as in the parent's key text); false when not proven. */
bool mm_partition_bound_implied(struct mm_ctx *ctx, const struct mm_table *part, const char *column,
                                const PgQuery__PartitionBoundSpec *b);

#endif
