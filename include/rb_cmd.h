/* rb_cmd.h - the subcommands of the robusta binary (git-style dispatch in main.c). Each takes
 * argv with argv[0] = the subcommand name and returns the process exit status, or RB_ERR with the
 * error agreed by every rank (rb_mpi_agree): main prints it once and exits 1 (rb_core.h, "THE MPI
 * ERROR DISCIPLINE"). No command ends the job itself; an error seen alike by every rank (the
 * command line) is agreed on before it is returned, so rank 0 alone prints it. */
#ifndef RB_CMD_H
#define RB_CMD_H

int rb_cmd_bench(int argc, char **argv);
int rb_cmd_config(int argc, char **argv);
int rb_cmd_synth(int argc, char **argv);
int rb_cmd_import_xdv(int argc, char **argv);
int rb_cmd_merge(int argc, char **argv);
int rb_cmd_train(int argc, char **argv);
int rb_cmd_report(int argc, char **argv);
int rb_cmd_audit(int argc, char **argv);

#endif
