/* audit_internal.h - what the two files of the audit share privately: audit.c compares the metric
 * cells and prints the report, audit_provenance.c reads and compares the /provenance of two files. */
#ifndef RB_AUDIT_INTERNAL_H
#define RB_AUDIT_INTERNAL_H

#include "rb_results.h"

/* Compare the provenance of A and B into rep's provenance lines and its config_differs,
 * inputs_differ and versions_differ flags. */
int rb_audit_compare_provenance(rb_audit_report *rep, const rb_audit_provenance *pa, const rb_audit_provenance *pb);

#endif
