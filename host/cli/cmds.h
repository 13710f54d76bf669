/* The `sota` subcommands. Each takes the arguments after the program name
 * (argv[0] is the subcommand's own name) and returns the process exit code:
 * 0 success, 1 a negative verdict or a failure the command reports, 2 a usage error
 * (after printing its help to stderr). */
#ifndef SOTA_CLI_CMDS_H
#define SOTA_CLI_CMDS_H

int sota_cmd_image(int argc, char **argv);
int sota_cmd_ptable(int argc, char **argv);
int sota_cmd_flash(int argc, char **argv);
int sota_cmd_sim(int argc, char **argv);
int sota_cmd_powercut(int argc, char **argv);
int sota_cmd_push(int argc, char **argv);

#endif
