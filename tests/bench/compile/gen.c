/*
 * gen.c — deterministic inputs for the compile-speed benchmark and the perf regression test.
 *
 *   gen mixed N DIR      DIR/schema.sql (500 tables) and DIR/input.sql: N statements of mixed
 *                        DDL over them (CREATE TABLE, CREATE INDEX ... WHERE, ADD COLUMN ...
 *                        DEFAULT, ADD FOREIGN KEY, SET NOT NULL, UPDATE), six per group
 *   gen dump T FILE      a pg_dump -s-like schema of T tables, each with a sequence, a primary
 *                        key, an index, a foreign key, a trigger (and its function) and a view
 *   gen dir N F DIR      a Flyway directory: V1__base.sql (the 500 tables), then F files
 *                        sharing N mixed statements
 *
 * Same arguments, same bytes: no randomness, no clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BASE_TABLES 500

static FILE *open_out(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "gen: cannot write %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return f;
}

static void base_tables(FILE *f)
{
	for (int k = 0; k < BASE_TABLES; k++)
		fprintf(f, "CREATE TABLE t_%d (id bigint PRIMARY KEY, a integer, ref_id bigint, name text);\n", k);
}

/* Statement s of the mixed stream: group g = s / 6 works on base table k. */
static void mixed_stmt(FILE *f, long s)
{
	long g = s / 6;
	long k = g % BASE_TABLES, next = (k + 1) % BASE_TABLES;
	switch (s % 6) {
	case 0:
		fprintf(f, "CREATE TABLE n_%ld (id bigint PRIMARY KEY, t_id bigint REFERENCES t_%ld (id), note text, created_at timestamptz DEFAULT now());\n", g, k);
		break;
	case 1:
		fprintf(f, "CREATE INDEX ix_%ld ON t_%ld (a, name) WHERE a > %ld;\n", g, k, g);
		break;
	case 2:
		fprintf(f, "ALTER TABLE t_%ld ADD COLUMN c_%ld integer DEFAULT %ld;\n", k, g, g);
		break;
	case 3:
		fprintf(f, "ALTER TABLE t_%ld ADD CONSTRAINT fk_%ld FOREIGN KEY (ref_id) REFERENCES t_%ld (id);\n", k, g, next);
		break;
	case 4:
		fprintf(f, "ALTER TABLE t_%ld ALTER COLUMN c_%ld SET NOT NULL;\n", k, g);
		break;
	default:
		fprintf(f, "UPDATE t_%ld SET c_%ld = a + 1 WHERE id = %ld;\n", k, g, g);
		break;
	}
}

static void gen_mixed(long n, const char *dir)
{
	FILE *f = open_out(dir, "schema.sql");
	base_tables(f);
	fclose(f);
	f = open_out(dir, "input.sql");
	for (long s = 0; s < n; s++)
		mixed_stmt(f, s);
	fclose(f);
}

static void gen_dump(long t, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "gen: cannot write %s: %s\n", path, strerror(errno));
		exit(2);
	}
	fputs("--\n-- PostgreSQL database dump\n--\n\n"
	      "SET statement_timeout = 0;\nSET lock_timeout = 0;\nSET client_encoding = 'UTF8';\n"
	      "SET standard_conforming_strings = on;\n"
	      "SELECT pg_catalog.set_config('search_path', '', false);\n"
	      "SET check_function_bodies = false;\n\n", f);
	for (long i = 0; i < t; i++)
		fprintf(f, "CREATE FUNCTION public.tbl_%ld_touch() RETURNS trigger\n    LANGUAGE plpgsql\n"
		           "    AS $$BEGIN NEW.updated_at := now(); RETURN NEW; END$$;\n\n", i);
	for (long i = 0; i < t; i++) {
		fprintf(f, "CREATE TABLE public.tbl_%ld (\n    id bigint NOT NULL,\n    parent_id bigint,\n"
		           "    name character varying(100) NOT NULL,\n    amount numeric(12,2) DEFAULT 0 NOT NULL,\n"
		           "    created_at timestamp with time zone DEFAULT now() NOT NULL,\n"
		           "    updated_at timestamp with time zone\n);\n\n", i);
		fprintf(f, "CREATE SEQUENCE public.tbl_%ld_id_seq\n    START WITH 1\n    INCREMENT BY 1\n"
		           "    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;\n\n", i);
		fprintf(f, "ALTER SEQUENCE public.tbl_%ld_id_seq OWNED BY public.tbl_%ld.id;\n\n", i, i);
	}
	for (long i = 0; i < t; i++)
		fprintf(f, "CREATE VIEW public.v_tbl_%ld AS\n SELECT tbl_%ld.id,\n    tbl_%ld.name\n"
		           "   FROM public.tbl_%ld\n  WHERE (tbl_%ld.amount > (0)::numeric);\n\n", i, i, i, i, i);
	for (long i = 0; i < t; i++)
		fprintf(f, "ALTER TABLE ONLY public.tbl_%ld ALTER COLUMN id SET DEFAULT nextval('public.tbl_%ld_id_seq'::regclass);\n\n", i, i);
	for (long i = 0; i < t; i++)
		fprintf(f, "ALTER TABLE ONLY public.tbl_%ld\n    ADD CONSTRAINT tbl_%ld_pkey PRIMARY KEY (id);\n\n", i, i);
	for (long i = 0; i < t; i++)
		fprintf(f, "CREATE INDEX tbl_%ld_created_at_idx ON public.tbl_%ld USING btree (created_at) WHERE (amount > (0)::numeric);\n\n", i, i);
	for (long i = 0; i < t; i++)
		fprintf(f, "CREATE TRIGGER tbl_%ld_touch BEFORE UPDATE ON public.tbl_%ld FOR EACH ROW EXECUTE FUNCTION public.tbl_%ld_touch();\n\n", i, i, i);
	for (long i = 0; i < t; i++)
		fprintf(f, "ALTER TABLE ONLY public.tbl_%ld\n    ADD CONSTRAINT tbl_%ld_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES public.tbl_%ld(id);\n\n",
		        i, i, (i + 1) % t);
	fputs("--\n-- PostgreSQL database dump complete\n--\n\n", f);
	fclose(f);
}

static void gen_dir(long n, long files, const char *dir)
{
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "gen: cannot create %s: %s\n", dir, strerror(errno));
		exit(2);
	}
	FILE *f = open_out(dir, "V1__base.sql");
	base_tables(f);
	fclose(f);
	/* Whole groups per file, so a column is added in the file that sets it NOT NULL. */
	long groups = n / 6, per = (groups + files - 1) / files;
	for (long i = 0; i < files; i++) {
		char name[64];
		snprintf(name, sizeof name, "V%ld__step_%ld.sql", i + 2, i + 2);
		f = open_out(dir, name);
		for (long g = i * per; g < (i + 1) * per && g < groups; g++)
			for (int j = 0; j < 6; j++)
				mixed_stmt(f, g * 6 + j);
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "mixed") == 0)
		gen_mixed(atol(argv[2]), argv[3]);
	else if (argc == 4 && strcmp(argv[1], "dump") == 0)
		gen_dump(atol(argv[2]), argv[3]);
	else if (argc == 5 && strcmp(argv[1], "dir") == 0)
		gen_dir(atol(argv[2]), atol(argv[3]), argv[4]);
	else {
		fputs("usage: gen mixed N DIR | gen dump TABLES FILE | gen dir N FILES DIR\n", stderr);
		return 2;
	}
	return 0;
}
