/* rb_model_build.h - training every model of one dataset across the ranks of a communicator:
 * detector kinds x replicas and the two GMM + calibration fits are jobs, assigned to ranks by
 * estimated cost (longest first, to the least-loaded rank), run independently, and gathered on
 * rank 0 in a fixed order. A job's result depends only on its own seeds, never on the rank that ran
 * it, so the model is identical for any rank count. */
#ifndef RB_MODEL_BUILD_H
#define RB_MODEL_BUILD_H

#include <mpi.h>

#include "rb_config.h"
#include "rb_dataset.h"
#include "rb_model.h"

/* Every rank of comm calls this with the same config and dataset. On rank 0, *m receives the complete
 * model (detectors, logs, GMMs, calibrations); on other ranks *m is freed and left empty.
 * dataset_name and recipe are recorded in the model. Progress lines go to stderr via rb_log. */
int rb_model_build(const rb_config *cfg, const rb_dataset *data, const char *dataset_name, const char *recipe,
                   MPI_Comm comm, rb_model *m);

#endif
