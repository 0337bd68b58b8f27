/*
 * checksum.c — the checksums the manifest records: xxh3-64 (libxxhash) for mkmig's own edit
 * check, and Flyway's CRC32 exactly as Flyway's ChecksumCalculator computes it (formats.md §2), so
 * `mkmig verify` names the files Flyway's validate would reject.
 */
#include "mkmig/layout.h"

#include <string.h>
#include <xxhash.h>

/* Reflected CRC-32 (polynomial 0xEDB88320, as zlib and java.util.zip.CRC32), bit at a time:
 * migration files are small, and no table means no state. */
static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

int32_t mm_flyway_crc32(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text, *end = p + len;
	/* BufferedReader.readLine() on the first line: a leading U+FEFF is dropped. */
	if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		p += 3;
	uint32_t crc = 0;
	while (p < end) {
		const unsigned char *e = p;
		while (e < end && *e != '\n' && *e != '\r')
			e++;
		crc = crc32_update(crc, p, (size_t)(e - p));
		/* The line break itself (LF, CR or CRLF) is not part of any line. */
		if (e < end && *e == '\r' && e + 1 < end && e[1] == '\n')
			e++;
		p = e < end ? e + 1 : e;
	}
	/* Java's int: values from 2^31 up are negative (written without an implementation-defined cast). */
	return crc > (uint32_t)INT32_MAX ? -(int32_t)(~crc) - 1 : (int32_t)crc;
}

uint64_t mm_xxh3(const char *text, size_t len)
{
	return XXH3_64bits(text, len);
}

const char *mm_liquibase_checksum(struct mm_arena *a, const char *sql, size_t len)
{
	/* RawSQLChange: MD5 of the SQL with every whitespace character removed; ChangeSet: MD5 of
	 * each change's "9:<hex>" followed by ':' (liquibase ChangeSet.generateCheckSum). */
	char *squeezed = mm_alloc(a, len + 1);
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\n\r\f\v", sql[i]) || !sql[i])
			squeezed[n++] = sql[i];
	char inner[33], outer[33];
	mm_md5_hex(squeezed, n, inner);
	const char *s = mm_sprintf(a, "9:%s:", inner);
	mm_md5_hex(s, strlen(s), outer);
	return mm_sprintf(a, "9:%s", outer);
}
