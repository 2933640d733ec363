/*
 * cli: the subcommands of the luadm command line. main.c parses the global
 * options and the configuration, then hands argc/argv (starting at the
 * subcommand's name) to one of these. Each returns the process exit code:
 * 0 success, 1 failure (a clear message on stderr), 2 usage error.
 */
#ifndef LUADM_CLI_H
#define LUADM_CLI_H

struct config;

int	cmd_tree(const struct config *cfg, int argc, char **argv);
int	cmd_replay(const struct config *cfg, int argc, char **argv);
int	cmd_session(const struct config *cfg, int argc, char **argv);
int	cmd_bootstrap(const struct config *cfg, int argc, char **argv);
int	cmd_alert(const struct config *cfg, int argc, char **argv);
int	cmd_run(const struct config *cfg, int argc, char **argv);
int	cmd_trigger(const struct config *cfg, int argc, char **argv);
int	cmd_notify(const struct config *cfg, int argc, char **argv);
int	cmd_ddf(const struct config *cfg, int argc, char **argv);
int	cmd_unenroll(const struct config *cfg, int argc, char **argv);

#endif
