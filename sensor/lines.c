/*
 * lines.c - bounded line reader (see lines.h).
 */
#include <string.h>

#include "labwarden/lines.h"

enum lw_line lw_read_line(FILE *f, char *buf, size_t size)
{
	/* A sentinel in the last byte tells a full buffer from a line that
	 * fit, whatever NUL bytes the line holds. */
	buf[size - 1] = 'x';
	if (!fgets(buf, (int)size, f))
		return LW_LINE_EOF;
	if (buf[size - 1] == '\0' && buf[size - 2] != '\n' && !feof(f)) {
		int ch;
		while ((ch = fgetc(f)) != EOF && ch != '\n')
			;
		return LW_LINE_TOO_LONG;
	}
	/* fgets stops only after a newline, at the end of the file or with
	 * a full buffer: a line that fit and does not end in a newline
	 * before the end of the file had a NUL byte that cut strlen short. */
	size_t len = strlen(buf);
	if ((len == 0 || buf[len - 1] != '\n') && !feof(f))
		return LW_LINE_NUL;
	buf[strcspn(buf, "\r\n")] = '\0';
	return LW_LINE_OK;
}
