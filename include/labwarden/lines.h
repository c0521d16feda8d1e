/*
 * lines.h - read a text file line by line into a fixed buffer.
 *
 * The reference files labwarden reads (block lists, known devices, the
 * IEEE registry) come from elsewhere and may hold anything: overlong
 * lines, NUL bytes, CRLF, no final newline.  lw_read_line() never grows
 * a buffer: an overlong line is consumed to its end and reported as
 * such, and so is a line holding a NUL byte (its text would otherwise
 * end early: "com\0junk" read as "com" would block every .com name).
 */
#ifndef LABWARDEN_LINES_H
#define LABWARDEN_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum lw_line {
	LW_LINE_EOF,
	LW_LINE_OK,		/* buf holds the line, without CR/LF */
	LW_LINE_TOO_LONG,	/* skipped to its end; buf undefined */
	LW_LINE_NUL,		/* holds a NUL byte; buf undefined */
};

enum lw_line lw_read_line(FILE *f, char *buf, size_t size);

#endif
