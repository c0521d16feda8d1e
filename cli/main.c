/*
 * main.c - command dispatch, --version and --help.
 */
#include <stdio.h>
#include <string.h>

#include "labwarden/cli.h"

static const char usage[] =
"usage: labwarden COMMAND [options]\n"
"\n"
"Network anomaly sensor and automation engine for home labs.\n"
"\n"
"commands:\n"
"  run      [-c CONFIG] [-r RULES]... [-o FILE|-] [--emit TYPES] [--stats]\n"
"           [--user USER]                     live sensing from the sources in CONFIG\n"
"  replay   [-c CONFIG] [-r RULES]... [-o FILE|-] [--emit TYPES] [--act]\n"
"           [--state DIR] [--stats] [--progress] PCAP...\n"
"                                             replay capture files on packet time\n"
"  check    [-c CONFIG] [-r RULES]...         validate config and rules, print every error\n"
"  release  TARGET [-c CONFIG]                end a quarantine/lockdown now (MAC or IP)\n"
"  rotate   KEY [-c CONFIG]                   rotate one key now\n"
"\n"
"  labwarden --version | --help | COMMAND --help\n"
"\n"
"example:\n"
"  labwarden replay --stats pcaps/demo.pcap\n";

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
	{ "replay", lw_cmd_replay },
	{ "check", lw_cmd_check },
	{ "run", lw_cmd_run },
	{ "release", lw_cmd_release },
	{ "rotate", lw_cmd_rotate },
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return LW_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, stdout);
		return LW_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("labwarden %s\n", LW_VERSION);
		return LW_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "labwarden: unknown command '%s'\n\n%s", argv[1],
	    usage);
	return LW_EXIT_USAGE;
}
