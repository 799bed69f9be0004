/*
** This file contains the fieldsync command: a thin layer over libfieldsync
** that parses arguments, calls the library and prints results. Commands for
** record kinds and their --options are generated from fieldsync_schema()
** (the protocol's kind table): field "planned_ha" is option --planned-ha,
** every kind has `KIND add`, and a kind with an id field named after another
** kind is also `PARENT KIND ID` (progress.model gives `model progress MODEL`).
**
** Exit status: 0 success; 2 usage error or bad input (including store not
** initialised, directory not writable, disk full); 1 anything else.
** Output that scripts read (ids, --json) goes to stdout; errors to stderr,
** naming the offending argument and the allowed values.
**
** Messages and help speak the language of LANGUAGE, LC_ALL, LC_MESSAGES or
** LANG (Vietnamese, Lao, English), Vietnamese when none of these names one
** (po/README.md). What scripts read does not change with the language:
** ids, --json, table headers (the field names, as in the --options), the
** values of fields and the exit status.
*/
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "fieldsync.h"
#include "protocol/i18n.h"
#include "table.h"
#include "sync_cmd.h"
#include "client/ui/ui.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define CELL_MAX 28     /* widest table cell, in columns */
#define MAX_ARGS 256    /* fields in one command */

static cJSON *schema;   /* fieldsync_schema(): the record kinds */

/* ---- messages ------------------------------------------------------------ */

static int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print "fieldsync: MESSAGE" and where help is; returns EXIT_USAGE. */
static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("fieldsync: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, _(fmt), ap);
	va_end(ap);
	fputc('\n', stderr);
	/* TRANSLATORS: where to find help: "fieldsync model add --help". */
	fprintf(stderr, _("(see: fieldsync %s%s--help)\n"), cmd ? cmd : "",
		cmd ? " " : "");
	return EXIT_USAGE;
}

static int exit_code(int status)
{
	switch (status) {
	case FIELDSYNC_OK:
		return 0;
	case FIELDSYNC_E_USAGE:
	case FIELDSYNC_E_INVALID:
	case FIELDSYNC_E_NOT_INIT:
	case FIELDSYNC_E_NOT_FOUND:
	case FIELDSYNC_E_AMBIGUOUS:
	case FIELDSYNC_E_READONLY:
	case FIELDSYNC_E_FULL:
	case FIELDSYNC_E_NOT_OWNER:
		return EXIT_USAGE;
	default:
		return EXIT_FAIL;
	}
}

/* s followed by spaces up to w columns (UTF-8 aware: translated labels
** line up). */
static void pad(FILE *out, const char *s, size_t w)
{
	size_t have = cli_width(s, strlen(s));

	fputs(s, out);
	while (have++ < w)
		fputc(' ', out);
}

/* The widest of n labels, in columns. */
static size_t widest(const char *const *labels, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++) {
		size_t k = cli_width(labels[i], strlen(labels[i]));
		if (k > w)
			w = k;
	}
	return w;
}

/* Field name "planned_ha" -> option "--planned-ha". */
static const char *option_of(const char *field, char *buf, size_t n)
{
	size_t i = 0;

	snprintf(buf, n, "--%s", field);
	for (i = 2; buf[i]; i++)
		if (buf[i] == '_')
			buf[i] = '-';
	return buf;
}

/* Report a library failure; positional names the argument (e.g. "MODEL")
** a failure about field `positional_field` refers to. */
static int lib_error(fieldsync *fs, int status, const char *positional_field,
		     const char *positional)
{
	const char *f = fieldsync_errfield(fs), *msg;
	char opt[80];

	fputs("fieldsync: ", stderr);
	if (f && positional_field && strcmp(f, positional_field) == 0)
		fprintf(stderr, "%s: ", positional);
	else if (f && strcmp(f, "ID") != 0 && strcmp(f, "kind") != 0)
		fprintf(stderr, "%s: ", option_of(f, opt, sizeof opt));
	/* The argument is named already: the message without the field
	** "x": prefix. */
	msg = f ? fieldsync_errdetail(fs) : fieldsync_errmsg(fs);
	fprintf(stderr, "%s\n", msg);
	return exit_code(status);
}

/* ---- schema --------------------------------------------------------------- */

static const cJSON *kind_schema(const char *name)
{
	const cJSON *k;

	cJSON_ArrayForEach(k, schema) {
		const char *n = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(k, "kind"));
		const char *p = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(k, "plural"));
		if ((n && strcmp(n, name) == 0) || (p && strcmp(p, name) == 0))
			return k;
	}
	return NULL;
}

static const char *sget(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(o, key));
	return s ? s : "";
}

/* Whether the CLI speaks English (then names are shown as typed). */
static int english(void)
{
	return strcmp(fieldsync_language(NULL), "en") == 0;
}

static const cJSON *kind_fields(const cJSON *k)
{
	return cJSON_GetObjectItemCaseSensitive(k, "fields");
}

static const cJSON *field_schema(const cJSON *k, const char *name)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, kind_fields(k))
		if (strcmp(sget(f, "name"), name) == 0)
			return f;
	return NULL;
}

/* The id field of kind c that points to kind `parent`, or NULL. */
static const cJSON *ref_field(const cJSON *c, const char *parent)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, kind_fields(c))
		if (strcmp(sget(f, "ref"), parent) == 0)
			return f;
	return NULL;
}

/* Id fields are shown by their first 8 digits in tables. */
static int is_id(const cJSON *f)
{
	return strcmp(sget(f, "type"), "id") == 0;
}

/* Short fields fit a table column; long free text does not. */
static int is_column(const cJSON *f)
{
	const cJSON *mb = cJSON_GetObjectItemCaseSensitive(f, "max_bytes");
	return strcmp(sget(f, "type"), "text") != 0 || !cJSON_IsNumber(mb) ||
	       mb->valuedouble <= 200;
}

static void fmt_number(double d, char *buf, size_t n)
{
	size_t len;

	if (d == (double)(long long)d) {
		snprintf(buf, n, "%lld", (long long)d);
		return;
	}
	snprintf(buf, n, "%.2f", d);
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == '0')
		buf[--len] = '\0';
}

/* A value for a person; ids shortened to 8 digits in tables. */
static const char *fmt_value(const cJSON *v, int short_id, char *buf,
			     size_t n)
{
	buf[0] = '\0';
	if (cJSON_IsString(v)) {
		if (short_id && strlen(v->valuestring) > 8)
			snprintf(buf, n, "%.8s", v->valuestring);
		else
			return v->valuestring;
	} else if (cJSON_IsNumber(v)) {
		fmt_number(v->valuedouble, buf, n);
	} else if (cJSON_IsBool(v)) {
		snprintf(buf, n, "%s", cJSON_IsTrue(v) ? _("yes") : _("no"));
	}
	return buf;
}

/* One line describing what a field accepts. */
static void describe(const cJSON *f, char *buf, size_t n)
{
	const char *t = sget(f, "type"), *unit = sget(f, "unit_label");
	const cJSON *c, *lo = cJSON_GetObjectItemCaseSensitive(f, "min"),
		      *hi = cJSON_GetObjectItemCaseSensitive(f, "max");
	char l[32] = "", h[32] = "", list[900];
	size_t off = 0;

	if (cJSON_IsNumber(lo))
		fmt_number(lo->valuedouble, l, sizeof l);
	if (cJSON_IsNumber(hi))
		fmt_number(hi->valuedouble, h, sizeof h);
	if (strcmp(t, "enum") == 0) {
		/* The wire names, and in Vietnamese or Lao each one's name in
		** that language too: either may be typed. */
		list[0] = '\0';
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
					      f, "choices")) {
			const char *v = sget(c, "value"), *lb = sget(c, "label");
			int w;
			if (english() || strcmp(v, lb) == 0)
				w = snprintf(list + off, sizeof list - off,
					     "%s%s", off ? ", " : "", v);
			else
				w = snprintf(list + off, sizeof list - off,
					     "%s%s (%s)", off ? ", " : "", v, lb);
			if (w < 0 || (size_t)w >= sizeof list - off)
				break;
			off += (size_t)w;
		}
		snprintf(buf, n, _("one of: %s"), list);
	} else if (strcmp(t, "int") == 0) {
		if (*unit)
			snprintf(buf, n, _("whole number %s to %s %s"), l, h,
				 unit);
		else
			snprintf(buf, n, _("whole number %s to %s"), l, h);
	} else if (strcmp(t, "decimal") == 0) {
		/* TRANSLATORS: "3,8" is how people may type 3.8. */
		snprintf(buf, n, _("number, at most 2 decimals (3.8 or 3,8), "
				   "%s to %s %s"), l, h, unit);
	} else if (strcmp(t, "date") == 0) {
		snprintf(buf, n, "%s", _("date YYYY-MM-DD or DD/MM/YYYY"));
	} else if (strcmp(t, "years") == 0) {
		snprintf(buf, n, "%s", _("academic year YYYY-YYYY, e.g. "
					 "2026-2027"));
	} else if (strcmp(t, "id") == 0) {
		snprintf(buf, n, _("id or unique prefix (>= %d hex digits)"),
			 FIELDSYNC_MIN_PREFIX);
	} else {
		const cJSON *mb = cJSON_GetObjectItemCaseSensitive(f,
								   "max_bytes");
		snprintf(buf, n, _("text, up to %d bytes"),
			 cJSON_IsNumber(mb) ? (int)mb->valuedouble : 0);
	}
}

static void print_fields_help(const cJSON *k, const char *skip)
{
	const cJSON *f;
	char opt[80], d[1024];

	cJSON_ArrayForEach(f, kind_fields(k)) {
		if (skip && strcmp(sget(f, "name"), skip) == 0)
			continue;
		describe(f, d, sizeof d);
		printf("  %-22s %s %s\n  %-22s   (%s)\n",
		       option_of(sget(f, "name"), opt, sizeof opt),
		       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			       f, "required")) ? "*" : " ",
		       sget(f, "help"), "", d);
	}
}

static void help_add(const cJSON *k, const cJSON *parent)
{
	const char *name = sget(k, "kind");
	const cJSON *rf = parent ? ref_field(k, sget(parent, "kind")) : NULL;
	char upper[64];
	size_t i;

	if (rf) {
		snprintf(upper, sizeof upper, "%s", sget(parent, "kind"));
		for (i = 0; upper[i]; i++)
			upper[i] = (char)(upper[i] >= 'a' && upper[i] <= 'z'
						  ? upper[i] - 32 : upper[i]);
		printf(_("usage: fieldsync %s %s %s --OPTION VALUE...\n"),
		       sget(parent, "kind"), name, upper);
		putchar('\n');
		/* TRANSLATORS: "Record a new Progress observation of the
		** Demonstration model whose id ... is MODEL." */
		printf(_("Record a new %s of the %s whose id (or unique "
			 "prefix)\nis %s. Prints the new record's id."),
		       sget(k, "label"), sget(parent, "label"), upper);
		if (field_schema(k, "date"))
			printf(" %s", _("--date defaults to today."));
		printf("\n\n");
	} else {
		printf(_("usage: fieldsync %s add --OPTION VALUE...\n"), name);
		putchar('\n');
		/* TRANSLATORS: "Record a new Demonstration model; ..." */
		printf(_("Record a new %s; prints its id, alone on a line.\n"),
		       sget(k, "label"));
		putchar('\n');
	}
	printf("%s\n", _("Options (* = required; names and places in any "
			 "UTF-8 text; numbers as 3.8 or 3,8; dates as "
			 "2026-04-10 or 10/04/2026; names of provinces, "
			 "sectors, specialties and directions in any "
			 "language, with or without accents):"));
	print_fields_help(k, rf ? sget(rf, "name") : NULL);
	printf("  %-22s   %s\n", "-h, --help", _("show this help"));
}

static void help_main(FILE *out)
{
	const cJSON *k, *c;

	static const char *const cmds[][2] = {
		{"list [KIND] [--province P] [--json]",
		 N_("list records (KIND: visits, trips, models, progress, "
		    "scholarships, works, work_progress; default all)")},
		{"show ID [--json]", N_("one record, all its fields")},
		{"edit ID --FIELD VALUE...", N_("correct fields of a record")},
		{"delete ID --reason TEXT", N_("delete one of your records (it keeps its history)")},
		{"undelete ID", N_("restore one of your deleted records")},
		{"retract ID --reason TEXT", N_("retract one of your progress observations")},
		{"history ID [--json]",
		 N_("every change of a record: when, who, what")},
		{"notices [--all] | notices read N|all",
		 N_("news about your records (HQ corrections...)")},
		{"status [--json]",
		 N_("device id, records, changes waiting, sync state")},
		{"enroll LINK | URL TOKEN",
		 N_("register this device with the HQ server")},
		{"reenroll [URL] TOKEN", N_("make a copied store a new device")},
		{"sync [--watch] [--json]",
		 N_("send pending entries, receive others' (exit 3: server "
		    "unreachable, nothing lost)")},
		{"ui [--port N] [--no-browser]",
		 N_("the field app: forms in the browser (127.0.0.1)")},
		{"import FILE|-", N_("add records from JSON lines, all or none")},
		{"dump", N_("one canonical line per record (compare replicas)")},
		{"doctor [--export FILE]",
		 N_("check the store; save what a damaged one holds")},
		{"help [COMMAND]", N_("help on a command (= COMMAND --help)")},
	};

	fprintf(out, "%s\n\n%s\n\n%s\n",
		_("usage: fieldsync [--dir DIR] COMMAND [ARGS...]"),
		_("Record visits, expert trips, demonstration models and their "
		  "progress\noffline; every entry is kept until sync sends it."),
		_("Commands:"));
	fprintf(out, "  %-33s %s\n", "init --name NAME",
		_("create the store and this device's key pair"));
	cJSON_ArrayForEach(k, schema) {
		char cmd[96];
		snprintf(cmd, sizeof cmd, "%s add --OPTION V...",
			 sget(k, "kind"));
		fprintf(out, "  %-33s ", cmd);
		/* TRANSLATORS: "record a new Delegation visit" */
		fprintf(out, _("record a new %s"), sget(k, "label"));
		fputc('\n', out);
		cJSON_ArrayForEach(c, schema)
			if (ref_field(c, sget(k, "kind"))) {
				snprintf(cmd, sizeof cmd, "%s %s ID --OPTION V...",
					 sget(k, "kind"), sget(c, "kind"));
				fprintf(out, "  %-33s ", cmd);
				/* TRANSLATORS: "record a new Progress
				** observation of a Demonstration model" */
				fprintf(out, _("record a new %s of a %s"),
					sget(c, "label"), sget(k, "label"));
				fputc('\n', out);
			}
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		fprintf(out, "  %-33s %s\n", cmds[i][0], _(cmds[i][1]));
	fputc('\n', out);
	fprintf(out, _("ID: a record id or any unique prefix of it (>= %d hex "
		       "digits).\n"), FIELDSYNC_MIN_PREFIX);
	fprintf(out, "%s\n%s\n%s\n",
		_("Data directory: --dir DIR, else $FIELDSYNC_DIR, else "
		  "$XDG_DATA_HOME/fieldsync,\nelse ~/.local/share/fieldsync."),
		_("Language: LANGUAGE, LC_ALL, LC_MESSAGES or LANG (vi, lo, "
		  "en); Vietnamese if none is set."),
		_("Exit status: 0 success, 2 usage error, bad input or disk "
		  "full, 1 other\nfailure (a damaged store too), 3 server "
		  "unreachable (sync, enroll)."));
}

/* ---- option parsing -------------------------------------------------------- */

typedef struct opt {
	const char *name;     /* "--json" */
	const char **value;   /* where a value goes; NULL for a flag */
	int *flag;
} opt;

/* Is a "--name" or "--name=..." for option name? Sets *inl to the inline
** value or NULL. */
static int opt_match(const char *a, const char *name, const char **inl)
{
	size_t n = strlen(name);

	*inl = NULL;
	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*inl = a + n + 1;
		return 1;
	}
	return a[n] == '\0';
}

static int is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* Parse fixed options and up to maxpos positionals. Returns 0, EXIT_USAGE
** (message printed), or -1 when --help was asked. */
static int parse_fixed(const char *cmd, int argc, char **argv, const opt *o,
		       size_t no, const char **pos, size_t maxpos,
		       size_t *npos)
{
	char names[256] = "";

	*npos = 0;
	for (size_t j = 0; j < no; j++) {
		strncat(names, j ? ", " : "", sizeof names - strlen(names) - 1);
		strncat(names, o[j].name, sizeof names - strlen(names) - 1);
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *inl;
		size_t j;
		if (is_help(a))
			return -1;
		if (a[0] == '-' && a[1] == '-') {
			for (j = 0; j < no && !opt_match(a, o[j].name, &inl);
			     j++)
				;
			if (j == no)
				return usage_error(cmd, "%s: unknown option %s; "
						   "options: %s", cmd, a,
						   no ? names : _("none"));
			if (!o[j].value) {
				if (inl)
					return usage_error(cmd, "%s takes no "
							   "value", o[j].name);
				*o[j].flag = 1;
			} else if (inl) {
				*o[j].value = inl;
			} else if (i + 1 < argc) {
				*o[j].value = argv[++i];
			} else {
				return usage_error(cmd, "%s needs a value",
						   o[j].name);
			}
		} else if (*npos < maxpos) {
			pos[(*npos)++] = a;
		} else {
			return usage_error(cmd, "%s: unexpected argument "
					   "\"%s\"", cmd, a);
		}
	}
	return 0;
}

/* Parse --FIELD VALUE pairs into fields[] (names point into names[]).
** k, when given, restricts options to its fields (add); positionals go to
** pos. Returns 0, EXIT_USAGE, or -1 for --help. */
static int parse_fields(const char *cmd, const cJSON *k, int argc,
			char **argv, fieldsync_field *fields, size_t *nf,
			char names[][64], const char **pos, size_t maxpos,
			size_t *npos)
{
	char optb[80], list[1024];
	const cJSON *f;

	*nf = 0;
	*npos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;
		size_t len;
		if (is_help(a))
			return -1;
		if (!(a[0] == '-' && a[1] == '-')) {
			if (*npos < maxpos) {
				pos[(*npos)++] = a;
				continue;
			}
			return usage_error(cmd, "%s: unexpected argument "
					   "\"%s\"; values follow an --option",
					   cmd, a);
		}
		if (*nf == MAX_ARGS)
			return usage_error(cmd, "too many options");
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a - 2) : strlen(a) - 2;
		if (len == 0 || len >= 64)
			return usage_error(cmd, "%s: unknown option", a);
		memcpy(names[*nf], a + 2, len);
		names[*nf][len] = '\0';
		for (size_t j = 0; j < len; j++)
			if (names[*nf][j] == '-')
				names[*nf][j] = '_';
		if (k && !field_schema(k, names[*nf])) {
			size_t off = 0;
			list[0] = '\0';
			cJSON_ArrayForEach(f, kind_fields(k))
				if (off < sizeof list)
					off += (size_t)snprintf(
						list + off, sizeof list - off,
						"%s%s", off ? ", " : "",
						option_of(sget(f, "name"), optb,
							  sizeof optb));
			return usage_error(cmd, "unknown option %.*s for a %s; "
					   "options: %s", (int)(len + 2), a,
					   sget(k, "kind"), list);
		}
		fields[*nf].name = names[*nf];
		if (eq) {
			fields[*nf].text = eq + 1;
		} else if (i + 1 < argc) {
			/* Always the next argument, even "-5": the value is
			** checked (and refused) by the record's rules. */
			fields[*nf].text = argv[++i];
		} else {
			return usage_error(cmd, "%s needs a value", a);
		}
		(*nf)++;
	}
	return 0;
}

/* ---- data directory and opening ---------------------------------------- */

static char *data_dir(const char *given)
{
	const char *env = getenv("FIELDSYNC_DIR"), *xdg, *home;
	char *out;
	size_t n;

	if (given)
		return strdup(given);
	if (env && *env)
		return strdup(env);
	xdg = getenv("XDG_DATA_HOME");
	if (xdg && xdg[0] == '/') { /* the XDG spec ignores relative paths */
		n = strlen(xdg) + sizeof "/fieldsync";
		if ((out = malloc(n)))
			snprintf(out, n, "%s/fieldsync", xdg);
		return out;
	}
	home = getenv("HOME");
	if (!home || !*home)
		return NULL;
	n = strlen(home) + sizeof "/.local/share/fieldsync";
	if ((out = malloc(n)))
		snprintf(out, n, "%s/.local/share/fieldsync", home);
	return out;
}

static int open_store(const char *dir, fieldsync **fs)
{
	int rc = fieldsync_open(dir, fs);

	if (rc != FIELDSYNC_OK) {
		lib_error(*fs, rc, NULL, NULL);
		fieldsync_close(*fs);
		*fs = NULL;
	}
	return exit_code(rc);
}

static void print_json(const cJSON *v)
{
	char *s = cJSON_Print(v);

	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
	}
	free(s);
}

/* "2026-04-10 08:30 UTC" from a stamp's HLC (ms << 16). */
static const char *stamp_time(const char *stamp, char *buf, size_t n)
{
	unsigned long long h = strtoull(stamp, NULL, 16);
	time_t t = (time_t)((h >> 16) / 1000);
	struct tm tm;

	buf[0] = '\0';
	if (*stamp && gmtime_r(&t, &tm))
		strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

/* ---- commands ---------------------------------------------------------------- */

static int cmd_init(const char *dir, int argc, char **argv)
{
	const char *name = NULL, *pos[1];
	opt o[] = {{"--name", &name, NULL}};
	size_t npos;
	fieldsync *fs = NULL;
	int rc = parse_fixed("init", argc, argv, o, 1, pos, 0, &npos);

	if (rc < 0) {
		printf("%s\n\n%s\n", _("usage: fieldsync [--dir DIR] init --name NAME"),
		       _("Create the data directory DIR (mode 0700), its store "
			 "and this device's\nEd25519 key pair (device.key, mode "
			 "0600), and record the user's name.\nPrints the device "
			 "id. Fails if DIR already holds a store."));
		return 0;
	}
	if (rc)
		return rc;
	if (!name)
		return usage_error("init", "init: --name NAME is required "
				   "(the user's name, e.g. --name \"Nguyễn Văn "
				   "An\")");
	rc = fieldsync_init(dir, name, &fs);
	if (rc != FIELDSYNC_OK) {
		lib_error(fs, rc, NULL, NULL);
		fieldsync_close(fs);
		return exit_code(rc);
	}
	printf("%s\n", fieldsync_device_id(fs));
	fprintf(stderr, "fieldsync: ");
	fprintf(stderr, _("initialised %s for %s\n"), dir, name);
	fieldsync_close(fs);
	return 0;
}

/* `KIND add ...` and `PARENT KIND ID ...` (parent != NULL). */
static int cmd_add(const char *dir, const cJSON *k, const cJSON *parent,
		   int argc, char **argv)
{
	static fieldsync_field fields[MAX_ARGS + 2];
	static char names[MAX_ARGS][64];
	const cJSON *rf = parent ? ref_field(k, sget(parent, "kind")) : NULL;
	const char *pos[1];
	char cmd[96], upper[64], today[16], id[FIELDSYNC_ID_SIZE];
	size_t nf, npos, i;
	fieldsync *fs = NULL;
	int rc, has_date = 0;

	snprintf(cmd, sizeof cmd, "%s %s", parent ? sget(parent, "kind")
				 : sget(k, "kind"), parent ? sget(k, "kind")
				 : "add");
	rc = parse_fields(cmd, k, argc, argv, fields, &nf, names, pos,
			  rf ? 1 : 0, &npos);
	if (rc < 0) {
		help_add(k, parent);
		return 0;
	}
	if (rc)
		return rc;
	if (rf) {
		snprintf(upper, sizeof upper, "%s", sget(parent, "kind"));
		for (i = 0; upper[i]; i++)
			if (upper[i] >= 'a' && upper[i] <= 'z')
				upper[i] = (char)(upper[i] - 32);
		if (npos == 0)
			return usage_error(cmd, "%s: missing %s (the id or a "
					   "unique prefix of the %s)", cmd,
					   upper, sget(parent, "kind"));
		for (i = 0; i < nf; i++)
			if (strcmp(fields[i].name, sget(rf, "name")) == 0)
				return usage_error(cmd, "%s: give the %s as "
						   "%s, not as an option", cmd,
						   sget(parent, "kind"), upper);
		fields[nf].name = sget(rf, "name");
		fields[nf++].text = pos[0];
		/* An observation is of today unless said otherwise. */
		for (i = 0; i < nf; i++)
			has_date |= strcmp(fields[i].name, "date") == 0;
		if (!has_date && field_schema(k, "date")) {
			time_t t = time(NULL);
			struct tm tm;
			localtime_r(&t, &tm);
			strftime(today, sizeof today, "%Y-%m-%d", &tm);
			fields[nf].name = "date";
			fields[nf++].text = today;
		}
	}
	if ((rc = open_store(dir, &fs)))
		return rc;
	rc = fieldsync_add(fs, sget(k, "kind"), fields, nf, id);
	if (rc != FIELDSYNC_OK) {
		rc = lib_error(fs, rc, rf ? sget(rf, "name") : NULL,
			       rf ? upper : NULL);
	} else {
		printf("%s\n", id);
		/* The id is the user's receipt: make sure it is out before we
		** report success. */
		if (fflush(stdout) != 0)
			rc = EXIT_FAIL;
	}
	fieldsync_close(fs);
	return rc;
}

/* Whether field f holds money (whole đồng: its unit is "VND"). */
static int is_money(const cJSON *f)
{
	return strcmp(sget(f, "unit"), "VND") == 0;
}

/* A value of field f for a person: money as people write it in the
** language ("15.000.000.000 đ"), anything else as fmt_value. */
static const char *fmt_field(const cJSON *f, const cJSON *v, int short_id,
			     char *buf, size_t n)
{
	if (is_money(f) && cJSON_IsNumber(v) &&
	    fieldsync_money_format(NULL, (long long)v->valuedouble, 0, buf,
				   n) == FIELDSYNC_OK)
		return buf;
	return fmt_value(v, short_id, buf, n);
}

static void add_cell(const char **cells, size_t i, char bufs[][64],
		     const cJSON *f, const cJSON *v, int short_id)
{
	cells[i] = fmt_field(f, v, short_id, bufs[i], sizeof bufs[0]);
}

/* Print one kind's records as a table. */
static int print_kind_table(const cJSON *k, const cJSON *rows)
{
	const char *headers[64], *cells[64];
	const cJSON *f, *c, *r, *cf;
	int right[64];
	char bufs[64][64], hdr[64][80];
	size_t nc = 0;
	cli_table *t;
	int count = 0;

	headers[nc] = "id";
	right[nc++] = 0;
	cJSON_ArrayForEach(f, kind_fields(k))
		if (is_column(f) && nc < 48) {
			const char *ty = sget(f, "type");
			headers[nc] = sget(f, "name");
			right[nc++] = strcmp(ty, "int") == 0 ||
				      strcmp(ty, "decimal") == 0;
		}
	/* The latest observation of each child kind (a model's progress). */
	cJSON_ArrayForEach(c, schema) {
		const cJSON *rf = ref_field(c, sget(k, "kind"));
		if (!rf)
			continue;
		cJSON_ArrayForEach(cf, kind_fields(c)) {
			const char *ty = sget(cf, "type");
			if (cf == rf || !is_column(cf) || nc >= 63)
				continue;
			if (field_schema(k, sget(cf, "name")))
				snprintf(hdr[nc], sizeof hdr[0], "%s.%s",
					 sget(c, "kind"), sget(cf, "name"));
			else
				snprintf(hdr[nc], sizeof hdr[0], "%s",
					 sget(cf, "name"));
			headers[nc] = hdr[nc];
			right[nc++] = strcmp(ty, "int") == 0 ||
				      strcmp(ty, "decimal") == 0;
		}
	}
	/* Whether the server holds every change of the record yet. */
	headers[nc] = "sync";
	right[nc++] = 0;
	if (!(t = cli_table_new(nc, headers, right)))
		return EXIT_FAIL;
	cJSON_ArrayForEach(r, rows) {
		const cJSON *vals = cJSON_GetObjectItemCaseSensitive(r,
								     "fields");
		size_t i = 0;
		if (strcmp(sget(r, "kind"), sget(k, "kind")) != 0)
			continue;
		snprintf(bufs[0], sizeof bufs[0], "%.8s", sget(r, "id"));
		cells[i++] = bufs[0];
		cJSON_ArrayForEach(f, kind_fields(k))
			if (is_column(f) && i < 48 + 1) {
				add_cell(cells, i, bufs, f,
					 cJSON_GetObjectItemCaseSensitive(
						 vals, sget(f, "name")), is_id(f));
				i++;
			}
		cJSON_ArrayForEach(c, schema) {
			const cJSON *rf = ref_field(c, sget(k, "kind"));
			const cJSON *latest, *lv;
			if (!rf)
				continue;
			latest = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(
					r, sget(c, "kind")), "latest");
			lv = cJSON_GetObjectItemCaseSensitive(latest, "fields");
			cJSON_ArrayForEach(cf, kind_fields(c)) {
				if (cf == rf || !is_column(cf) || i >= nc)
					continue;
				add_cell(cells, i, bufs, cf,
					 cJSON_GetObjectItemCaseSensitive(
						 lv, sget(cf, "name")), is_id(cf));
				i++;
			}
		}
		cells[i++] = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				     r, "pending")) ? _("pending") : _("synced");
		if (cli_table_add(t, cells) != 0) {
			cli_table_free(t);
			return EXIT_FAIL;
		}
		count++;
	}
	if (count)
		cli_table_print(t, stdout, CELL_MAX);
	else
		/* TRANSLATORS: an empty listing; %s is the KIND argument
		** as typed in `fieldsync list KIND` ("visits"). */
		printf(_("no %s\n"), sget(k, "plural"));
	cli_table_free(t);
	return 0;
}

static int cmd_list(const char *dir, int argc, char **argv)
{
	const char *prov = NULL, *pos[1];
	int json = 0, rc, first = 1;
	opt o[] = {{"--province", &prov, NULL}, {"--json", NULL, &json}};
	const cJSON *k;
	size_t npos;
	fieldsync *fs = NULL;
	cJSON *rows = NULL;

	rc = parse_fixed("list", argc, argv, o, 2, pos, 1, &npos);
	if (rc < 0) {
		char kinds[256];
		size_t off = 0;
		kinds[0] = '\0';
		cJSON_ArrayForEach(k, schema)
			if (off < sizeof kinds)
				off += (size_t)snprintf(kinds + off,
							sizeof kinds - off, "%s%s",
							off ? ", " : "",
							sget(k, "plural"));
		printf("%s\n\n", _("usage: fieldsync list [KIND] [--province P] "
				    "[--json]"));
		printf(_("List records, oldest first. KIND: %s (default: all).\n"
			 "Models show planned hectares and households beside the "
			 "latest observation\n(by date, then entry order). "
			 "--province accepts any usual spelling\n(Attapu, "
			 "Saravane, Xekong, tỉnh Salavan, ແຂວງສາລະວັນ...). --json "
			 "prints an array of records.\n"), kinds);
		return 0;
	}
	if (rc)
		return rc;
	if ((rc = open_store(dir, &fs)))
		return rc;
	rc = fieldsync_list(fs, npos ? pos[0] : NULL, prov, &rows);
	if (rc != FIELDSYNC_OK) {
		rc = lib_error(fs, rc, "kind", "KIND");
		fieldsync_close(fs);
		return rc;
	}
	if (json) {
		print_json(rows);
	} else {
		cJSON_ArrayForEach(k, schema) {
			const char *kn = sget(k, "kind");
			if (npos && strcmp(pos[0], kn) != 0 &&
			    strcmp(pos[0], sget(k, "plural")) != 0)
				continue;
			/* The full listing leaves out observations: they show
			** up in their model's row. */
			if (!npos && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
					     k, "append_only")))
				continue;
			if (!npos && english())
				printf("%s%s\n", first ? "" : "\n",
				       sget(k, "plural"));
			else if (!npos)
				printf("%s%s (%s)\n", first ? "" : "\n",
				       sget(k, "label_plural"), sget(k, "plural"));
			first = 0;
			if ((rc = print_kind_table(k, rows)))
				break;
		}
	}
	cJSON_Delete(rows);
	fieldsync_close(fs);
	return rc;
}

/* The name a field goes by in `show`: its wire name in English (as in the
** --options), its label in the other languages. */
static const char *field_title(const cJSON *f)
{
	return english() ? sget(f, "name") : sget(f, "label");
}

static void show_text(const cJSON *rec)
{
	const cJSON *k = kind_schema(sget(rec, "kind")), *f, *c, *vals;
	const char *fixed[] = {"id", "kind", _("created"), _("updated"),
			       _("sync")};
	char buf[64], tbuf[64];
	size_t w = widest(fixed, 5);

	vals = cJSON_GetObjectItemCaseSensitive(rec, "fields");
	cJSON_ArrayForEach(f, kind_fields(k)) {
		size_t n = cli_width(field_title(f), strlen(field_title(f)));
		if (n > w)
			w = n;
	}
	if (w < 20)
		w = 20;
	pad(stdout, "id", w);
	printf(" %s\n", sget(rec, "id"));
	pad(stdout, "kind", w);
	printf(" %s\n", sget(rec, "kind"));
	cJSON_ArrayForEach(f, kind_fields(k)) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(
			vals, sget(f, "name"));
		const char *s, *unit = sget(f, "unit_label");
		if (!v)
			continue;
		pad(stdout, field_title(f), w);
		putchar(' ');
		/* Continuation lines of multi-line text line up. */
		for (s = fmt_field(f, v, 0, buf, sizeof buf); *s; s++) {
			putchar(*s);
			if (*s == '\n') {
				pad(stdout, "", w);
				putchar(' ');
			}
		}
		/* Money carries its currency already. */
		if (*unit && cJSON_IsNumber(v) && !is_money(f))
			printf(" %s", unit);
		putchar('\n');
	}
	pad(stdout, _("created"), w);
	printf(" %s\n", stamp_time(sget(rec, "created"), tbuf, sizeof tbuf));
	pad(stdout, _("updated"), w);
	printf(" %s\n", stamp_time(sget(rec, "updated"), tbuf, sizeof tbuf));
	pad(stdout, _("sync"), w);
	printf(" %s\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				     rec, "pending")) ? _("pending") : _("synced"));
	cJSON_ArrayForEach(c, schema) {
		const cJSON *sum = cJSON_GetObjectItemCaseSensitive(
			rec, sget(c, "kind"));
		const cJSON *items = cJSON_GetObjectItemCaseSensitive(sum,
								      "items");
		const cJSON *rf = ref_field(c, sget(rec, "kind")), *it, *cf;
		const char *headers[32], *cells[32];
		int right[32];
		char bufs[32][64];
		size_t nc = 0;
		cli_table *t;
		if (!rf || !sum)
			continue;
		putchar('\n');
		/* TRANSLATORS: "progress: 2 observations" (the kind as in
		** `fieldsync model progress`). */
		printf(dngettext(FIELDSYNC_TEXTDOMAIN, "%s: %d observation\n",
				 "%s: %d observations\n",
				 (unsigned long)cJSON_GetArraySize(items)),
		       sget(c, "kind"), cJSON_GetArraySize(items));
		if (!cJSON_GetArraySize(items))
			continue;
		headers[nc] = "id";
		right[nc++] = 0;
		cJSON_ArrayForEach(cf, kind_fields(c))
			if (cf != rf && nc < 32) {
				const char *ty = sget(cf, "type");
				headers[nc] = sget(cf, "name");
				right[nc++] = strcmp(ty, "int") == 0 ||
					      strcmp(ty, "decimal") == 0;
			}
		if (!(t = cli_table_new(nc, headers, right)))
			return;
		cJSON_ArrayForEach(it, items) {
			const cJSON *iv = cJSON_GetObjectItemCaseSensitive(
				it, "fields");
			size_t i = 0;
			snprintf(bufs[0], sizeof bufs[0], "%.8s", sget(it, "id"));
			cells[i++] = bufs[0];
			cJSON_ArrayForEach(cf, kind_fields(c))
				if (cf != rf && i < nc) {
					add_cell(cells, i, bufs, cf,
						 cJSON_GetObjectItemCaseSensitive(
							 iv, sget(cf, "name")),
						 is_id(cf));
					i++;
				}
			if (cli_table_add(t, cells) != 0)
				break;
		}
		cli_table_print(t, stdout, 60);
		cli_table_free(t);
	}
}

static int cmd_show(const char *dir, int argc, char **argv)
{
	const char *pos[1];
	int json = 0, rc;
	opt o[] = {{"--json", NULL, &json}};
	size_t npos;
	fieldsync *fs = NULL;
	cJSON *rec = NULL;

	rc = parse_fixed("show", argc, argv, o, 1, pos, 1, &npos);
	if (rc < 0) {
		printf("%s\n\n", _("usage: fieldsync show ID [--json]"));
		printf(_("Show every field of the record whose id starts with ID "
			 "(>= %d hex\ndigits, unique), when it was entered and "
			 "changed, and whether it is\nwaiting to be sent; a model "
			 "also lists its progress observations.\n--json prints "
			 "the record with each field's stamp.\n"),
		       FIELDSYNC_MIN_PREFIX);
		return 0;
	}
	if (rc)
		return rc;
	if (!npos)
		return usage_error("show", "show: missing ID (a record id or "
				   "its first %d+ hex digits)",
				   FIELDSYNC_MIN_PREFIX);
	if ((rc = open_store(dir, &fs)))
		return rc;
	rc = fieldsync_show(fs, pos[0], &rec);
	if (rc != FIELDSYNC_OK) {
		rc = lib_error(fs, rc, NULL, NULL);
	} else {
		if (json)
			print_json(rec);
		else
			show_text(rec);
		rc = 0;
	}
	cJSON_Delete(rec);
	fieldsync_close(fs);
	return rc;
}

static int cmd_edit(const char *dir, int argc, char **argv)
{
	static fieldsync_field fields[MAX_ARGS];
	static char names[MAX_ARGS][64];
	const char *pos[1];
	char id[FIELDSYNC_ID_SIZE];
	size_t nf, npos;
	fieldsync *fs = NULL;
	const cJSON *k;
	int rc;

	rc = parse_fields("edit", NULL, argc, argv, fields, &nf, names, pos,
			  1, &npos);
	if (rc < 0) {
		printf("%s\n\n%s\n", _("usage: fieldsync edit ID --FIELD VALUE..."),
		       _("Change fields of the record whose id starts with ID; "
			 "the others keep\ntheir values. The options are those "
			 "of the record's kind:"));
		cJSON_ArrayForEach(k, schema)
			if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				    k, "append_only"))) {
				printf("\n%s:\n", sget(k, "kind"));
				print_fields_help(k, NULL);
			}
		printf("\n%s\n", _("Progress observations are append-only: "
				    "record a new one instead.\nPrints the "
				    "record's full id."));
		return 0;
	}
	if (rc)
		return rc;
	if (!npos)
		return usage_error("edit", "edit: missing ID (a record id or "
				   "its first %d+ hex digits)",
				   FIELDSYNC_MIN_PREFIX);
	if (!nf)
		return usage_error("edit", "edit: nothing to change; give "
				   "--FIELD VALUE, e.g. --planned-ha 6");
	if ((rc = open_store(dir, &fs)))
		return rc;
	rc = fieldsync_edit(fs, pos[0], fields, nf, id);
	if (rc != FIELDSYNC_OK)
		rc = lib_error(fs, rc, NULL, NULL);
	else
		printf("%s\n", id);
	fieldsync_close(fs);
	return rc;
}

/* delete, undelete and retract: one record, a reason. */
static int cmd_soft(const char *dir, const char *cmd, int argc, char **argv)
{
	const char *pos[1], *reason = NULL;
	char id[FIELDSYNC_ID_SIZE];
	size_t npos;
	fieldsync *fs = NULL;
	opt o[] = { { "--reason", &reason, NULL } };
	int rc, need = strcmp(cmd, "undelete") != 0;

	rc = parse_fixed(cmd, argc, argv, o, 1, pos, 1, &npos);
	if (rc < 0) {
		if (!strcmp(cmd, "delete"))
			printf("%s\n\n%s\n", _("usage: fieldsync delete ID "
						"--reason TEXT"),
			       _("Delete the record whose id starts with ID, "
				 "saying why. The record leaves every\nlisting "
				 "everywhere once synced, but keeps its history; "
				 "`fieldsync undelete ID`\nbrings it back. Only "
				 "the device that recorded it (or HQ) may delete "
				 "it.\nObservations are retracted instead. Prints "
				 "the record's full id."));
		else if (!strcmp(cmd, "undelete"))
			printf("%s\n\n%s\n", _("usage: fieldsync undelete ID "
						"[--reason TEXT]"),
			       _("Restore a record this device deleted. Prints "
				 "the record's full id."));
		else
			printf("%s\n\n%s\n", _("usage: fieldsync retract ID "
						"--reason TEXT"),
			       _("Retract a progress observation this device "
				 "recorded (a wrong value or date):\nit no "
				 "longer counts anywhere and stays in the "
				 "model's history as retracted.\nRecord the "
				 "right observation again with `fieldsync "
				 "progress add`."));
		return 0;
	}
	if (rc)
		return rc;
	if (!npos)
		return usage_error(cmd, "%s: missing ID (a record id or its "
				   "first %d+ hex digits)", cmd,
				   FIELDSYNC_MIN_PREFIX);
	if (need && (!reason || !reason[0]))
		return usage_error(cmd, "%s: missing --reason TEXT (say why; "
				   "it stays in the record's history)", cmd);
	if ((rc = open_store(dir, &fs)))
		return rc;
	if (!strcmp(cmd, "delete"))
		rc = fieldsync_delete(fs, pos[0], reason, id);
	else if (!strcmp(cmd, "undelete"))
		rc = fieldsync_undelete(fs, pos[0], reason, id);
	else
		rc = fieldsync_retract(fs, pos[0], reason, id);
	if (rc != FIELDSYNC_OK)
		rc = lib_error(fs, rc, NULL, NULL);
	else
		printf("%s\n", id);
	fieldsync_close(fs);
	return rc;
}

/* ---- history and notices ------------------------------------------------ */

/* A value of a history entry as text: "-" for none. */
static void value_text(const cJSON *v, char *buf, size_t n)
{
	char *t;

	if (!v || cJSON_IsNull(v))
		snprintf(buf, n, "-");
	else if (cJSON_IsString(v))
		snprintf(buf, n, "%s", v->valuestring);
	else if (cJSON_IsBool(v))
		snprintf(buf, n, "%s", cJSON_IsTrue(v) ? _("yes") : _("no"));
	else {
		t = cJSON_PrintUnformatted(v);
		snprintf(buf, n, "%s", t ? t : "?");
		cJSON_free(t);
	}
}

/* "2026-10-01 08:00 UTC" for ms since the epoch. */
static void when_text(double ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	buf[0] = '\0';
	if (gmtime_r(&t, &tm))
		strftime(buf, n, "%Y-%m-%d %H:%M UTC", &tm);
}

/* "Nguyễn Văn An (1a2b3c4d)", "HQ: Phòng Đối ngoại (1a2b3c4d)". */
static void who_text(const cJSON *e, char *buf, size_t n)
{
	const char *name = sget(e, "name"), *dev = sget(e, "device");

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "hq")) &&
	    (!*name || !strcmp(name, "HQ")))
		snprintf(buf, n, _("HQ (%.8s)"), dev);
	else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "hq")))
		snprintf(buf, n, _("HQ: %s (%.8s)"), name, dev);
	else if (*name)
		snprintf(buf, n, "%s (%.8s)", name, dev);
	else
		snprintf(buf, n, "%.8s", dev);
}

static const char *op_text(const char *op)
{
	if (!strcmp(op, "create"))
		return _("recorded");
	if (!strcmp(op, "update"))
		return _("changed");
	if (!strcmp(op, "delete"))
		return _("deleted");
	if (!strcmp(op, "restore"))
		return _("restored");
	if (!strcmp(op, "retract"))
		return _("retracted");
	if (!strcmp(op, "handover"))
		return _("handed over");
	return op;
}

/* The label of field name of kind k for people; the reserved fields by
** what they mean. */
static const char *field_label(const cJSON *k, const char *name)
{
	const cJSON *f = k ? field_schema(k, name) : NULL;

	if (!strcmp(name, "_owner"))
		return _("owner");
	if (!strcmp(name, "_deleted"))
		return _("deleted");
	if (!strcmp(name, "_retracted"))
		return _("retracted");
	return f && *sget(f, "label") ? sget(f, "label") : name;
}

static void history_text(const cJSON *h)
{
	const cJSON *k = kind_schema(sget(h, "kind")), *e, *f;
	const cJSON *entries = cJSON_GetObjectItemCaseSensitive(h, "entries");

	printf(_("History of %s (%s %.8s): %d changes\n"), sget(h, "name"),
	       k ? sget(k, "label") : sget(h, "kind"), sget(h, "id"),
	       cJSON_GetArraySize(entries));
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "deleted")))
		printf("%s\n", _("(deleted: `fieldsync undelete ID` brings it "
				 "back)"));
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "retracted")))
		printf("%s\n", _("(retracted: it counts nowhere)"));
	cJSON_ArrayForEach(e, entries) {
		char when[40], who[300], to[300];
		const char *reason = sget(e, "reason");
		int hq = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "hq"));

		when_text(cJSON_GetNumberValue(
				  cJSON_GetObjectItemCaseSensitive(e, "ms")),
			  when, sizeof when);
		who_text(e, who, sizeof who);
		printf("\n%s  %s  %s", when, who, op_text(sget(e, "op")));
		if (*sget(e, "to")) {
			snprintf(to, sizeof to, "%.8s", sget(e, "to"));
			printf(" → %s", to);
		}
		if (hq && strcmp(sget(e, "op"), "create") != 0)
			printf("  (%s)", _("correction by HQ"));
		printf("  [%s]\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				       e, "verified"))
				   ? _("signature and chain verified")
				   : _("written on this device"));
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(e,
								    "fields")) {
			char a[300], b[300];
			const char *name = sget(f, "field");
			value_text(cJSON_GetObjectItemCaseSensitive(f, "from"),
				   a, sizeof a);
			value_text(cJSON_GetObjectItemCaseSensitive(f, "to"),
				   b, sizeof b);
			if (!strcmp(name, "_owner"))
				snprintf(b, sizeof b, "%s (%.8s)",
					 *sget(f, "to_name") ? sget(f, "to_name")
							     : "?",
					 sget(f, "to"));
			printf("    %s: %s → %s%s\n", field_label(k, name), a, b,
			       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				       f, "won")) ? ""
			       : _("  (did not take: a later value stands)"));
		}
		if (*reason)
			printf("    %s %s\n", _("reason:"), reason);
	}
}

static int cmd_history(const char *dir, int argc, char **argv)
{
	const char *pos[1];
	int json = 0, rc;
	opt o[] = {{"--json", NULL, &json}};
	size_t npos;
	fieldsync *fs = NULL;
	cJSON *h = NULL;

	rc = parse_fixed("history", argc, argv, o, 1, pos, 1, &npos);
	if (rc < 0) {
		printf("%s\n\n%s\n", _("usage: fieldsync history ID [--json]"),
		       _("Every change of the record whose id starts with ID, "
			 "deleted or not, oldest\nfirst: when, who (the name "
			 "HQ gave the device, and the device), what was\ndone, "
			 "each field from what to what, whether it was a "
			 "correction by HQ, and\nwhether the change came signed "
			 "and in its chain (pulled from the server) or\nwas "
			 "written on this device. --json prints the entries of "
			 "SPEC.md 9.7."));
		return 0;
	}
	if (rc)
		return rc;
	if (!npos)
		return usage_error("history", "history: missing ID (a record id "
				   "or its first %d+ hex digits)",
				   FIELDSYNC_MIN_PREFIX);
	if ((rc = open_store(dir, &fs)))
		return rc;
	rc = fieldsync_history(fs, pos[0], &h);
	if (rc != FIELDSYNC_OK) {
		rc = lib_error(fs, rc, NULL, NULL);
	} else {
		if (json)
			print_json(h);
		else
			history_text(h);
		rc = 0;
	}
	cJSON_Delete(h);
	fieldsync_close(fs);
	return rc;
}

static int cmd_notices(const char *dir, int argc, char **argv)
{
	const char *pos[2];
	int json = 0, all = 0, rc;
	long long nread = 0;  /* notices read N; 0: all */
	opt o[] = {{"--json", NULL, &json}, {"--all", NULL, &all}};
	size_t npos;
	fieldsync *fs = NULL;
	cJSON *arr = NULL;
	const cJSON *e;

	rc = parse_fixed("notices", argc, argv, o, 2, pos, 2, &npos);
	if (rc < 0) {
		printf("%s\n%s\n\n%s\n", _("usage: fieldsync notices [--all] "
					   "[--json]"),
		       _("       fieldsync notices read N|all"),
		       _("News a sync brought about the records this device "
			 "recorded: HQ corrected,\ndeleted, restored or handed "
			 "one over, or resolved a conflict on it, or one\nof "
			 "your values lost to a concurrent edit. Shows the "
			 "unread ones (--all:\nevery one) until you mark them "
			 "read with `fieldsync notices read N` or\n`fieldsync "
			 "notices read all`."));
		return 0;
	}
	if (rc)
		return rc;
	if (npos && strcmp(pos[0], "read") != 0)
		return usage_error("notices", "notices: unknown argument \"%s\" "
				   "(allowed: read N, read all)", pos[0]);
	if (npos == 1)
		return usage_error("notices", "notices read: missing N (a "
				   "notice's number) or all");
	/* The number is checked before the store is opened. */
	if (npos == 2 && strcmp(pos[1], "all") != 0) {
		char *end = NULL;
		errno = 0;
		nread = strtoll(pos[1], &end, 10);
		if (errno || end == pos[1] || *end || nread <= 0)
			return usage_error("notices", "notices read: \"%s\" is "
					   "not a notice number (allowed: a "
					   "number from `fieldsync notices`, or "
					   "all)", pos[1]);
	}
	if ((rc = open_store(dir, &fs)))
		return rc;
	if (npos == 2) {
		long long count = 0;

		rc = fieldsync_notices_read(fs, nread, &count);
		if (rc != FIELDSYNC_OK)
			rc = lib_error(fs, rc, NULL, NULL);
		else if (json)
			printf("{\"marked_read\":%lld}\n", count);
		else
			printf(_("%lld notices marked read\n"), count);
		fieldsync_close(fs);
		return rc;
	}
	rc = fieldsync_notices(fs, all, &arr);
	if (rc != FIELDSYNC_OK) {
		rc = lib_error(fs, rc, NULL, NULL);
	} else if (json) {
		print_json(arr);
	} else {
		if (!cJSON_GetArraySize(arr))
			printf("%s\n", all ? _("no notices")
					   : _("no unread notices"));
		cJSON_ArrayForEach(e, arr) {
			char when[40];
			when_text(cJSON_GetNumberValue(
					  cJSON_GetObjectItemCaseSensitive(
						  e, "ms")), when, sizeof when);
			printf("%3.0f%s %s  %s\n", cJSON_GetNumberValue(
				       cJSON_GetObjectItemCaseSensitive(e, "n")),
			       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				       e, "read")) ? " " : "*", when,
			       sget(e, "text"));
		}
		if (!all && cJSON_GetArraySize(arr))
			printf("\n%s\n", _("Mark them read: fieldsync notices "
					   "read N, or fieldsync notices read "
					   "all"));
	}
	cJSON_Delete(arr);
	fieldsync_close(fs);
	return rc;
}

/* The labels of `status`, padded to the widest in the language. */
static const char *const status_labels[] = {
	N_("device"), N_("user"), N_("store"), N_("records"), N_("pending"),
	N_("server"), N_("synced"), N_("receipt"), N_("last error"),
	N_("refused"),
};

static size_t status_width(void)
{
	const char *l[sizeof status_labels / sizeof status_labels[0]];

	for (size_t i = 0; i < sizeof l / sizeof l[0]; i++)
		l[i] = _(status_labels[i]);
	return widest(l, sizeof l / sizeof l[0]);
}

static void status_label(const char *msgid)
{
	pad(stdout, _(msgid), status_width());
	putchar(' ');
}

/* The sync half of `status`: server, last sync, receipt, refusals. */
static void print_sync_status(const cJSON *sy)
{
	const cJSON *r, *ref = cJSON_GetObjectItemCaseSensitive(sy, "refused");
	double last = cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(sy, "last_sync_ms"));
	const char *srv = sget(sy, "server"), *err = sget(sy, "last_error");
	char when[64];

	snprintf(when, sizeof when, "%s", _("never"));
	if (!srv || !*srv) {
		status_label(N_("server"));
		printf("%s\n", _("not enrolled (fieldsync enroll LINK)"));
		return;
	}
	if (last > 0) {
		time_t t = (time_t)(last / 1000);
		struct tm tm;
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC",
				 &tm);
	}
	status_label(N_("server"));
	printf("%s\n", srv);
	status_label(N_("synced"));
	printf("%s\n", when);
	status_label(N_("receipt"));
	printf(_("server holds 1-%.0f of %.0f change sets\n"),
	       cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sy,
								     "holds")),
	       cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
		       sy, "local_seq")));
	if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(sy, "clone"))) {
		status_label(N_("clone"));
		printf("%s\n", sget(cJSON_GetObjectItemCaseSensitive(sy,
					"clone"), "message"));
	} else if (err && *err) {
		status_label(N_("last error"));
		printf("%s\n", err);
	}
	cJSON_ArrayForEach(r, ref) {
		status_label(N_("refused"));
		printf("%.8s %s: %s\n", sget(r, "record"), sget(r, "code"),
		       sget(r, "message"));
	}
}

static int cmd_status(const char *dir, int argc, char **argv)
{
	const char *pos[1];
	int json = 0, rc, first = 1;
	opt o[] = {{"--json", NULL, &json}};
	size_t npos;
	fieldsync *fs = NULL;
	cJSON *st = NULL;
	const cJSON *k, *n;

	rc = parse_fixed("status", argc, argv, o, 1, pos, 0, &npos);
	if (rc < 0) {
		printf("%s\n\n%s\n", _("usage: fieldsync status [--json]"),
		       _("Show this device's id and user, the data directory, "
			 "how many records\nof each kind it holds and how many "
			 "changes wait to be sent.\nThe store is checked first "
			 "(SQLite quick_check): a damaged one is\nreported, with "
			 "what HQ still holds (exit 1; see `fieldsync doctor`)."));
		return 0;
	}
	if (rc)
		return rc;
	if ((rc = open_store(dir, &fs)))
		return rc;
	/* Counts read from a damaged store would be wrong: say so instead. */
	rc = fieldsync_check(fs, 0);
	if (rc == FIELDSYNC_OK)
		rc = fieldsync_status_get(fs, &st);
	if (rc == FIELDSYNC_OK) {
		cJSON *sy = NULL;
		rc = fieldsync_sync_status(fs, &sy);
		if (rc == FIELDSYNC_OK)
			cJSON_AddItemToObject(st, "sync", sy);
	}
	if (rc != FIELDSYNC_OK) {
		rc = lib_error(fs, rc, NULL, NULL);
	} else if (json) {
		print_json(st);
	} else {
		status_label(N_("device"));
		printf("%s\n", sget(st, "device"));
		status_label(N_("user"));
		printf("%s\n", sget(st, "name"));
		status_label(N_("store"));
		printf("%s\n", sget(st, "dir"));
		status_label(N_("records"));
		cJSON_ArrayForEach(k, schema) {
			n = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(st, "records"),
				sget(k, "kind"));
			printf("%s%d %s", first ? "" : ", ",
			       cJSON_IsNumber(n) ? n->valueint : 0,
			       sget(k, "plural"));
			first = 0;
		}
		n = cJSON_GetObjectItemCaseSensitive(st, "pending");
		putchar('\n');
		status_label(N_("pending"));
		{
			int np = cJSON_IsNumber(n) ? n->valueint : 0;
			printf(dngettext(FIELDSYNC_TEXTDOMAIN,
					 "%d change waiting to be sent\n",
					 "%d changes waiting to be sent\n",
					 (unsigned long)np), np);
		}
		print_sync_status(cJSON_GetObjectItemCaseSensitive(st,
								   "sync"));
	}
	cJSON_Delete(st);
	fieldsync_close(fs);
	return rc;
}

/* ---- doctor ----------------------------------------------------------------- */

static void doctor_help(FILE *out)
{
	fprintf(out,
		"usage: fieldsync doctor [--export FILE|-]\n"
		"\n"
		"Check the store thoroughly (SQLite integrity_check: every page "
		"and every\nindex) and say what HQ holds of this device. With "
		"--export, also write\nevery record that can still be read, "
		"stepping over damaged pages, one\nJSON line each, as `fieldsync "
		"import` takes them back:\n"
		"  {\"id\":..,\"kind\":\"visit\",\"fields\":{..},\"pending\":"
		"true}\n"
		"(\"pending\": it has changes HQ does not hold yet). FILE is "
		"created with\nmode 0600 and never overwritten; - writes to "
		"stdout. The store is only read.\n"
		"\n"
		"A damaged store is never synced. To recover from one:\n"
		"  fieldsync doctor --export rescue.jsonl\n"
		"  mv DIR DIR.damaged                  # keep it; DIR = the data "
		"directory\n"
		"  fieldsync init --name NAME          # a fresh store: a new "
		"device\n"
		"  fieldsync enroll URL TOKEN          # a new token from HQ\n"
		"  fieldsync sync                      # brings back all that HQ "
		"holds\n"
		"  fieldsync import rescue.jsonl       # adds what HQ did not "
		"have yet;\n"
		"                                      # records already here "
		"are left out\n"
		"  fieldsync sync                      # sends those to HQ\n"
		"\n"
		"Exit status: 0 the store is intact, 1 it is damaged (the "
		"export is\nwritten all the same), 2 usage or FILE cannot be "
		"created.\n");
}

static void write_line(void *ctx, const char *line)
{
	FILE *out = ctx;

	fputs(line, out);
	fputc('\n', out);
}

static int cmd_doctor(const char *dir, int argc, char **argv)
{
	const char *export = NULL, *pos[1];
	opt o[] = {{"--export", &export, NULL}};
	fieldsync_salvage_report rep;
	size_t npos;
	fieldsync *fs = NULL;
	FILE *out = NULL;
	int rc, check, fd;

	rc = parse_fixed("doctor", argc, argv, o, 1, pos, 0, &npos);
	if (rc < 0) {
		doctor_help(stdout);
		return 0;
	}
	if (rc)
		return rc;
	rc = fieldsync_open_damaged(dir, &fs);
	if (rc != FIELDSYNC_OK) {
		rc = lib_error(fs, rc, NULL, NULL);
		fieldsync_close(fs);
		return rc;
	}
	check = fieldsync_check(fs, 1);
	if (check == FIELDSYNC_OK)
		fprintf(stderr, "fieldsync doctor: the store %s/store.db is "
			"intact (integrity_check: ok)\n", dir);
	else
		fprintf(stderr, "fieldsync doctor: %s\n", fieldsync_errmsg(fs));
	rc = check == FIELDSYNC_OK ? 0 : EXIT_FAIL;
	if (!export)
		goto out;
	if (strcmp(export, "-") == 0) {
		out = stdout;
	} else {
		fd = open(export, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || !(out = fdopen(fd, "w"))) {
			fprintf(stderr, "fieldsync doctor: --export %s: %s%s\n",
				export, strerror(errno), errno == EEXIST
				? " (never overwritten: choose another name)"
				: "");
			if (fd >= 0)
				close(fd);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (fieldsync_salvage(fs, write_line, out, &rep) != FIELDSYNC_OK) {
		fprintf(stderr, "fieldsync doctor: %s\n", fieldsync_errmsg(fs));
		rc = EXIT_FAIL;
	}
	if (fflush(out) != 0 || (out != stdout && fsync(fileno(out)) != 0) ||
	    (out != stdout && fclose(out) != 0)) {
		fprintf(stderr, "fieldsync doctor: cannot write %s: %s\n",
			export, strerror(errno));
		rc = EXIT_FAIL;
	}
	fprintf(stderr, "fieldsync doctor: wrote %lld records to %s (%lld "
		"with changes HQ does not hold yet, %lld rebuilt from the "
		"outbox); %lld deleted records left out; %lld damaged parts "
		"and %lld unusable rows could not be read\n", rep.records,
		out == stdout ? "stdout" : export, rep.pending, rep.rebuilt,
		rep.deleted, rep.bad_ranges, rep.bad_rows);
out:
	if (check != FIELDSYNC_OK)
		fprintf(stderr, "fieldsync doctor: to recover, see `fieldsync "
			"doctor --help`\n");
	fieldsync_close(fs);
	return rc;
}

/* `KIND ...`: add, or a child kind (model progress). */
static int cmd_kind(const char *dir, const cJSON *k, int argc, char **argv)
{
	const cJSON *c;
	char subs[256];
	size_t off;

	if (argc >= 1 && strcmp(argv[0], "add") == 0)
		return cmd_add(dir, k, NULL, argc - 1, argv + 1);
	if (argc >= 1) {
		cJSON_ArrayForEach(c, schema)
			if (ref_field(c, sget(k, "kind")) &&
			    strcmp(argv[0], sget(c, "kind")) == 0)
				return cmd_add(dir, c, k, argc - 1, argv + 1);
	}
	off = (size_t)snprintf(subs, sizeof subs, "add");
	cJSON_ArrayForEach(c, schema)
		if (ref_field(c, sget(k, "kind")) && off < sizeof subs)
			off += (size_t)snprintf(subs + off, sizeof subs - off,
						", %s", sget(c, "kind"));
	if (argc >= 1 && is_help(argv[0])) {
		printf(_("usage: fieldsync %s SUBCOMMAND ...\nsubcommands: %s\n"
			 "(see: fieldsync %s add --help)\n"), sget(k, "kind"),
		       subs, sget(k, "kind"));
		return 0;
	}
	if (argc)
		return usage_error(sget(k, "kind"), "%s: unknown subcommand "
				   "\"%s\"; subcommands: %s", sget(k, "kind"),
				   argv[0], subs);
	return usage_error(sget(k, "kind"), "%s: missing subcommand; "
			   "subcommands: %s", sget(k, "kind"), subs);
}

static int dispatch(const char *dir, int argc, char **argv)
{
	const char *cmd = argv[0];
	const cJSON *k;

	if (strcmp(cmd, "init") == 0)
		return cmd_init(dir, argc - 1, argv + 1);
	if (strcmp(cmd, "list") == 0)
		return cmd_list(dir, argc - 1, argv + 1);
	if (strcmp(cmd, "show") == 0)
		return cmd_show(dir, argc - 1, argv + 1);
	if (strcmp(cmd, "edit") == 0)
		return cmd_edit(dir, argc - 1, argv + 1);
	if (strcmp(cmd, "delete") == 0 || strcmp(cmd, "undelete") == 0 ||
	    strcmp(cmd, "retract") == 0)
		return cmd_soft(dir, cmd, argc - 1, argv + 1);
	if (strcmp(cmd, "history") == 0)
		return cmd_history(dir, argc - 1, argv + 1);
	if (strcmp(cmd, "notices") == 0)
		return cmd_notices(dir, argc - 1, argv + 1);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(dir, argc - 1, argv + 1);
	if (strcmp(cmd, "enroll") == 0)
		return cli_enroll(dir, argc, argv);
	if (strcmp(cmd, "sync") == 0)
		return cli_sync(dir, argc, argv);
	if (strcmp(cmd, "reenroll") == 0)
		return cli_reenroll(dir, argc, argv);
	if (strcmp(cmd, "import") == 0)
		return cli_import(dir, argc, argv);
	if (strcmp(cmd, "dump") == 0)
		return cli_dump(dir, argc, argv);
	if (strcmp(cmd, "doctor") == 0)
		return cmd_doctor(dir, argc - 1, argv + 1);
	if (strcmp(cmd, "ui") == 0)
		return ui_main(dir, argc, argv);
	if ((k = kind_schema(cmd)) && strcmp(cmd, sget(k, "kind")) == 0)
		return cmd_kind(dir, k, argc - 1, argv + 1);
	return usage_error(NULL, "unknown command \"%s\"; commands: init, "
			   "visit, trip, model, progress, scholarship, work, "
			   "work_progress, list, show, edit, delete, status, "
			   "enroll, reenroll, sync, ui, import, dump, doctor, "
			   "help", cmd);
}

int main(int argc, char **argv)
{
	const char *given = NULL;
	char *dir = NULL;
	int i = 1, rc;

	/* With `ulimit -f`, a write past the limit must fail with an error
	** we report, not kill the process half-way. */
	signal(SIGXFSZ, SIG_IGN);
#ifdef __GLIBC__
	/* Keep glibc's mmap threshold at its 128 KiB default: once a block
	** above it (a change set, a request body) is freed, glibc raises the
	** threshold to that size, and later such blocks come from the heap,
	** which they fragment for good. A 100,000-entry push peaked at 32 MB
	** that way instead of 26 MB (measured). */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
	/* Messages in the user's language. Only LC_CTYPE and LC_MESSAGES
	** follow the locale: numbers in JSON, tables and signed bytes keep
	** the C locale's decimal point. A locale the system lacks (no vi_VN
	** generated) is no obstacle: libfieldsync finds the catalogs with
	** C.UTF-8 and LANGUAGE (client/lib/lang.c). */
	if (!setlocale(LC_CTYPE, ""))
		setlocale(LC_CTYPE, "C.UTF-8");
	{
		const char *m = setlocale(LC_MESSAGES, "");
		if (!m || strcmp(m, "C") == 0 || strcmp(m, "POSIX") == 0)
			setlocale(LC_MESSAGES, "C.UTF-8");
	}
	if (fieldsync_set_language(NULL, NULL) != FIELDSYNC_OK)
		return EXIT_FAIL; /* cannot happen: the default is Vietnamese */
	if (!(schema = fieldsync_schema())) {
		fprintf(stderr, "fieldsync: %s\n", _("out of memory"));
		return EXIT_FAIL;
	}
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *inl;
		if (is_help(argv[i])) {
			help_main(stdout);
			rc = 0;
			goto out;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("fieldsync 0.1\n");
			rc = 0;
			goto out;
		} else if (opt_match(argv[i], "--dir", &inl)) {
			given = inl ? inl : (i + 1 < argc ? argv[++i] : NULL);
			if (!given || !*given) {
				rc = usage_error(NULL, "--dir needs a directory");
				goto out;
			}
		} else {
			rc = usage_error(NULL, "unknown option %s; global "
					 "options: --dir DIR, --help, --version",
					 argv[i]);
			goto out;
		}
	}
	if (i == argc) {
		help_main(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (strcmp(argv[i], "help") == 0) {
		if (i + 1 == argc) {
			help_main(stdout);
			rc = 0;
			goto out;
		}
		/* `help visit add` = `visit add --help` */
		{
			char *hargv[8];
			int n = 0;
			for (int j = i + 1; j < argc && n < 6; j++)
				hargv[n++] = argv[j];
			hargv[n++] = (char *)"--help";
			hargv[n] = NULL;
			rc = dispatch("", n, hargv);
			goto out;
		}
	}
	if (!(dir = data_dir(given))) {
		rc = usage_error(NULL, "no data directory: give --dir DIR or "
				 "set FIELDSYNC_DIR (HOME is not set)");
		goto out;
	}
	rc = dispatch(dir, argc - i, argv + i);
out:
	free(dir);
	cJSON_Delete(schema);
	if (fflush(stdout) != 0 && rc == 0)
		rc = EXIT_FAIL;
	return rc;
}
