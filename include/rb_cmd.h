/* rb_cmd.h - the subcommands of the robusta binary (git-style dispatch in main.c). Each takes
 * argv with argv[0] = the subcommand name and returns the process exit status; on error it prints
 * one line "robusta: error: ..." (rb_die) and ends the whole job. */
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
