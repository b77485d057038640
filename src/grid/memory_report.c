/* memory_report.c - the memory figures the grid run logs at its end: peak resident set per rank
 * (getrusage), and the node's proportional share (PSS from /proc/self/smaps_rollup counts the
 * node-shared windows once, however many ranks map them). */
#include "grid_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* This process's proportional set size in MiB (NaN where /proc has no smaps_rollup). */
static double rb_pss_mib(void) {
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (!f) return NAN;
    char line[256];
    double kb = NAN;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "Pss:", 4) == 0) kb = atof(line + 4);
    fclose(f);
    return kb / 1024.0;
}

void rb_memory_peaks(MPI_Comm comm, double *rss_max_mib, double *node_pss_max_mib) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss = (double)ru.ru_maxrss / 1024.0, pss = rb_pss_mib(), node_pss = 0;
    *rss_max_mib = 0;
    *node_pss_max_mib = 0;
    MPI_Comm node;
    rb_node_comm(comm, &node);
    MPI_Allreduce(&pss, &node_pss, 1, MPI_DOUBLE, MPI_SUM, node);
    MPI_Comm_free(&node);
    MPI_Reduce(&rss, rss_max_mib, 1, MPI_DOUBLE, MPI_MAX, 0, comm);
    MPI_Reduce(&node_pss, node_pss_max_mib, 1, MPI_DOUBLE, MPI_MAX, 0, comm);
}
