/*
** This file contains the option parser of fieldsyncd's commands; see
** args.h.
*/
#include <stdio.h>
#include <string.h>
#include "args.h"

int srv_args_parse(int argc, char **argv, const srv_opt *opts, size_t nopts,
		   const char **pos, int maxpos, int *npos, const char *cmd,
		   const char *usage)
{
	int i;
	size_t k;

	*npos = 0;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return -1;
		}
		if (strncmp(a, "--", 2) == 0 && a[2]) {
			const char *eq = strchr(a, '=');
			size_t n = eq ? (size_t)(eq - a) : strlen(a);
			for (k = 0; k < nopts; k++)
				if (strlen(opts[k].name) == n &&
				    strncmp(opts[k].name, a, n) == 0)
					break;
			if (k == nopts) {
				fprintf(stderr, "%s: unknown option %s\n%s",
					cmd, a, usage);
				return SRV_EXIT_USAGE;
			}
			if (!opts[k].has_arg) {
				if (eq) {
					fprintf(stderr, "%s: %s takes no "
						"value\n%s", cmd, opts[k].name,
						usage);
					return SRV_EXIT_USAGE;
				}
				*opts[k].val = "1";
			} else if (eq) {
				*opts[k].val = eq + 1;
			} else if (i + 1 < argc) {
				*opts[k].val = argv[++i];
			} else {
				fprintf(stderr, "%s: %s needs a value\n%s",
					cmd, opts[k].name, usage);
				return SRV_EXIT_USAGE;
			}
			continue;
		}
		if (*npos >= maxpos) {
			fprintf(stderr, "%s: unexpected argument \"%s\"\n%s",
				cmd, a, usage);
			return SRV_EXIT_USAGE;
		}
		pos[(*npos)++] = a;
	}
	return 0;
}
