/*
 * log: the one logging sink of luadm, after OpenBSD's log.c. Messages go to
 * stderr (journald-friendly "luadm: level: text" lines) or to syslog.
 * Secrets and nonces must never be passed here. Lua scripts log through
 * dm.log(), which ends here too.
 */
#ifndef LUADM_LOG_H
#define LUADM_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
	LOG_LVL__MAX
};

/* Called once from main. to_syslog=0 logs to stderr. */
void	log_init(int to_syslog, enum log_level level);
void	log_setlevel(enum log_level level);
enum log_level log_getlevel(void);
/* "error", "warn", "info", "debug" -> level; -1 when unknown. */
int	log_level_parse(const char *name);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_msg(enum log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_vmsg(enum log_level, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
